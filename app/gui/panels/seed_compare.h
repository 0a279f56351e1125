// Side by side for the seed's modules: the Attention panel's "A | B" split, where pane B is the
// same scene computed again under its own settings (compare_pass.h):
//   A       the map shown (batch item, head, key token), under the Model panel's settings,
//   B       the same map under B's mask fill and scale (default: the other fill, -1e9 against -inf),
//   A - B   their difference on the exports' coolwarm, NaN cells in the NaN colour.
// Hovering any pane gives A, B and A - B at that cell, exactly ("A: 0.333333343, B: NaN").
// "Save panes" writes what attnscope-cli run ... --export-panes DIR --pane-a A --b-mask-fill ...
// writes. A real model's A | B (another layer or head of the same pass) is compare_view.h.
#pragma once

#include "app_context.h"
#include "compare_pass.h"
#include "map_views.h"

#include <imgui.h>

#include <cstdint>
#include <memory>
#include <string>

namespace attn::gui {

class SeedCompare {
public:
    // The "A | B" switch (ctx.settings.compare_open), drawn on the Attention panel's control row.
    static void draw_switch(AppContext& ctx);
    // The B settings and the three panes, in what is left of the panel.
    void draw(AppContext& ctx);

private:
    bool b_controls(AppContext& ctx, const ComputeSettings& a);
    void update_b(AppContext& ctx, const ComputeSettings& b);
    void save_button(AppContext& ctx, const MapKey& key, const MapModel& b_model, const std::string& label_a,
                     const std::string& label_b);

    ComparePass pass_;
    std::unique_ptr<MapViews> b_views_;  // B's textures (needs the GL context: made on first draw)
    uint64_t b_views_result_ = 0;        // the ComparePass result they were made for
    PaneDifference diff_;
    uint64_t diff_pass_ = 0, diff_result_ = 0, diff_version_ = 0;
    MapKey diff_key_;
};

}  // namespace attn::gui
