// Exports of the step diagrams, for a teacher's slides: the frame on screen as a PNG, and the
// animation of the selected step or of every step as an animated GIF (core/export/gif_writer.h)
// or as a folder of PNG frames. Frames are painted off screen at 960 x 540 by the window's own
// painter, a few every window frame, so the window keeps drawing (with a progress bar) while a
// long GIF is made. Every file is written whole or not at all; a folder of frames is written
// under a temporary name and renamed when complete.
//
// Frames of one step: kTweenFrames of its animation (t = 0, 1/24, ..., 23/24), kTweenDelayCs
// each, then its last picture held kHoldDelayCs: frames_per_step() in all. A GIF of every step of
// a 17-step pipeline has 17 x 25 = 425 frames.
#pragma once

#include "app_context.h"
#include "diagram_painter.h"
#include "step_diagrams.h"

#include "export/gif_writer.h"

#include <memory>
#include <optional>
#include <string>

namespace attn::gui {

enum class DiagramExportKind { Frame, Gif, Frames };

class DiagramExporter {
public:
    static constexpr int kWidth = 960, kHeight = 540;
    static constexpr int kTweenFrames = 24;
    static constexpr int kTweenDelayCs = 8;
    static constexpr int kHoldDelayCs = 120;
    static constexpr int frames_per_step() { return kTweenFrames + 1; }

    // Starts an export of the selected step (or, with every_step, of the whole pipeline) into
    // ctx.export_dir. A Frame export is done at the next run(). ConfigError without a pass.
    void start(const AppContext& ctx, DiagramExportKind kind, bool every_step);
    bool active() const { return active_; }
    float progress() const;
    // Paints frames for about `budget_s` seconds. When the export is complete (or fails) returns
    // its one-line summary or error; nullopt while it goes on. A new pass stops it.
    std::optional<std::string> run(AppContext& ctx, StepDiagrams& diagrams, DiagramPainter& painter, double budget_s);
    void cancel();

private:
    std::string finish();

    bool active_ = false;
    DiagramExportKind kind_ = DiagramExportKind::Frame;
    uint64_t pass_ = 0;
    int first_ = 0, last_ = 0;     // steps [first_, last_]
    float frame_progress_ = 1.0f;  // the Frame export: where the animation was
    int next_ = 0, total_ = 0;     // frames
    std::string dir_, name_;       // output folder and the file's (or folder's) name
    std::string temp_dir_;         // PNG frames are written here first
    std::unique_ptr<GifWriter> gif_;
};

}  // namespace attn::gui
