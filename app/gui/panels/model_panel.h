// The Model panel: which of the five modules, its sizes (emb_dim, heads), seed, scale, mask fill,
// and loading / saving its weights as .safetensors. Head counts that do not divide emb_dim stay
// in the panel with an explanation (AppContext::blocked_reason keeps them from the engine).
#pragma once

#include "panels/panel.h"

#include <string>

namespace attn::gui {

class ModelPanel : public Panel {
public:
    ModelPanel() : Panel("Model") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    void draw_weights(AppContext& ctx);

    // The weights path field: what is typed, until Load or Save uses it.
    std::string weights_field_;
    std::string weights_shown_;  // settings.weights_path when the field was last synced
    bool synced_ = false;
};

// Writes the current pass's weights (and its embedding table, when the text made one) to `path`
// with write_safetensors; the file loads back with "Load" or into PyTorch with load_state_dict.
// Throws attn::Error with a message for the window.
void save_weights(const AppContext& ctx, const std::string& path);

}  // namespace attn::gui
