// The status bar under the panels. Line 1: what the engine is doing (a progress bar with Cancel
// during a long pass), why the settings were not computed, or "Ready" with the pass time and FPS.
// Line 2: the newest message (errors in red) and a button that lists them all.
#pragma once

#include "pass_scheduler.h"
#include "panels/panel.h"

namespace attn::gui {

class StatusBar : public Panel {
public:
    StatusBar(PassScheduler& scheduler, const double& fps);

protected:
    void draw_content(AppContext& ctx) override;

private:
    void draw_engine_line(AppContext& ctx, double now);
    void draw_message_line(AppContext& ctx, double now);

    PassScheduler& scheduler_;
    const double& fps_;
};

}  // namespace attn::gui
