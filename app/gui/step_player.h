// Where the Pipeline panel's step animation is: the selected step (ViewSettings::step), how far
// into its animation (ViewSettings::anim_progress), and whether it plays. Shared by the Pipeline
// panel (Play, the slider) and the diagram window. Playing runs the selected step's animation to
// its end, holds it a moment, then goes on with the next step, and stops after the last.
// Part of the GUI's model: no GL or ImGui.
#pragma once

#include "settings.h"

#include <algorithm>

namespace attn::gui {

class StepPlayer {
public:
    static constexpr double kStepSeconds = 3.2;  // one step's animation
    static constexpr double kHoldSeconds = 0.8;  // its last picture, before the next step starts

    bool playing() const { return playing_; }

    // Plays from where the view is; a finished step is played again from its start, and after the
    // last step's end the whole pipeline starts over.
    void play(ViewSettings& v, int steps) {
        if (steps <= 0) return;
        if (v.anim_progress >= 1.0f) {
            if (v.step >= steps - 1 && hold_ > 0.0) v.step = 0;
            v.anim_progress = 0.0f;
        }
        hold_ = 0.0;
        playing_ = true;
    }
    void pause() { playing_ = false; }
    // Stops playing and shows step `step` at `progress`.
    void seek(ViewSettings& v, int step, float progress) {
        playing_ = false;
        hold_ = 0.0;
        v.step = step;
        v.anim_progress = std::clamp(progress, 0.0f, 1.0f);
    }

    // dt seconds of playing (x speed). True when the view moved.
    bool advance(ViewSettings& v, int steps, double dt) {
        if (!playing_ || steps <= 0 || dt <= 0.0) return false;
        dt *= speed;
        if (v.anim_progress < 1.0f) {
            v.anim_progress = static_cast<float>(std::min(1.0, v.anim_progress + dt / kStepSeconds));
            return true;
        }
        hold_ += dt;
        if (hold_ < kHoldSeconds) return false;
        hold_ = 0.0;
        if (v.step >= steps - 1) {
            playing_ = false;      // the end of the pipeline
            hold_ = kHoldSeconds;  // remembered: Play now starts over
            return false;
        }
        ++v.step;
        v.anim_progress = 0.0f;
        return true;
    }

    float speed = 1.0f;  // 0.25x .. 2x

private:
    bool playing_ = false;
    double hold_ = 0.0;
};

}  // namespace attn::gui
