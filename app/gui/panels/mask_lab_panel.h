// The mask lab window (mask_lab.h): nn.MultiheadAttention's masking cases side by side for the
// current sentences, each a small weight matrix with its masked cells hatched and its NaN cells
// in magenta, with the PyTorch semantics that trip people up spelled out above them. The cases
// are computed off the UI thread by a MaskLabWorker of the panel's own; "Save for torch" writes
// them for tests/torch/mask_lab_compare.py. Opened from the View menu; publishes the cases as probes["mask_lab"].
#pragma once

#include "mask_lab.h"
#include "panels/panel.h"

#include <memory>
#include <optional>
#include <string>

namespace attn::gui {

class MaskLabPanel : public Panel {
public:
    MaskLabPanel() : Panel("Mask lab", 0, Placement::Floating) {}

protected:
    void draw_content(AppContext& ctx) override;
    bool is_open(const AppContext& ctx) const override { return ctx.settings.mask_lab_open; }
    void close(AppContext& ctx) override { ctx.settings.mask_lab_open = false; }

private:
    void submit_when_changed(AppContext& ctx);
    void draw_semantics();
    void draw_controls(AppContext& ctx);
    void draw_case(AppContext& ctx, const MaskLabCase& c, float width);
    void publish(AppContext& ctx);

    std::unique_ptr<MaskLabWorker> worker_;  // started when the lab first opens
    std::string submitted_;                  // what the last request was of
    std::optional<MaskLabResult> result_;
    std::string attn_file_, attn_file_used_;
    int batch_ = 1, head_ = 0;  // item 1 of the seed's batch has two padding keys
    int saves_ = 0;
    std::string last_save_;
};

}  // namespace attn::gui
