// The step diagram window: the selected Pipeline step's transformation animated on a block
// diagram of its tensor (step_animation.h), painted with GL (diagram_painter.h) at the window's
// size, with Play / Pause and the slider (anim_controls.h) and the exports: the frame on screen as
// PNG, the step's (or every step's) animation as an animated GIF or as PNG frames
// (diagram_export.h). Opened by Play or Diagram in the Pipeline panel; it floats over the layout.
//
// For the end-to-end tests it publishes (AppContext::probes["diagram"]) the step, the progress,
// the phase, and a 32 x 18 grey thumbnail of the frame read back from its texture.
#pragma once

#include "diagram_export.h"
#include "diagram_painter.h"
#include "panels/panel.h"
#include "step_diagrams.h"

#include <memory>
#include <string>

namespace attn::gui {

class DiagramPanel : public Panel {
public:
    DiagramPanel() : Panel("Step diagram", 0, Placement::Floating) {}
    StepDiagrams& diagrams() { return diagrams_; }

protected:
    void draw_content(AppContext& ctx) override;
    bool is_open(const AppContext& ctx) const override { return ctx.settings.diagram_open; }
    void close(AppContext& ctx) override {
        ctx.settings.diagram_open = false;
        ctx.player.pause();
    }

private:
    void draw_exports(AppContext& ctx);
    void publish(AppContext& ctx, const anim::StepAnimation& a);

    StepDiagrams diagrams_;
    std::unique_ptr<DiagramPainter> painter_;         // made at the first frame (needs GL and the fonts)
    std::unique_ptr<DiagramPainter> export_painter_;  // exports paint at their own size
    DiagramExporter exporter_;
    bool every_step_ = false;
    int exports_ = 0;
    std::string last_export_;
};

}  // namespace attn::gui
