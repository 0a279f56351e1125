// The step animation's controls, in the Pipeline panel and in the diagram window: Play / Pause,
// and a slider over the whole pipeline (step + how far into its animation). Widgets are recorded
// as "<prefix>.play" and "<prefix>.slider" ("pipeline.play", "diagram.slider").
#pragma once

#include "app_context.h"

#include <string>

namespace attn::gui::views {

// Draws the controls on one line in the width left. Play opens the diagram window; with
// diagram_toggle a "Diagram" button ("<prefix>.diagram") shows or hides it.
void anim_controls(AppContext& ctx, const std::string& prefix, bool diagram_toggle = false);

// The slider's position for a step and its progress: step + progress, never reaching step + 1 (so
// a finished step is not shown as the next one's start), and back.
float anim_position(int step, float progress);
void anim_from_position(float position, int steps, int& step, float& progress);

}  // namespace attn::gui::views
