// The Model panel: which of the five modules, its sizes (emb_dim, heads), seed, scale, mask fill,
// and loading / saving its weights as .safetensors. Head counts that do not divide emb_dim stay
// in the panel with an explanation (AppContext::blocked_reason keeps them from the engine).
// Or a real trained model instead (settings.model): the bundled use-lite and the BERT / ViT
// folders find_models finds (what attnscope-cli models lists), or a folder typed here or dropped
// on the window. The worker loads it with progress and Cancel (the status bar); a folder it
// cannot use gives one message and the model shown stays.
#pragma once

#include "models/registry.h"
#include "panels/panel.h"

#include <string>
#include <vector>

namespace attn::gui {

class ModelPanel : public Panel {
public:
    ModelPanel() : Panel("Model") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    void draw_module(AppContext& ctx);
    void draw_weights(AppContext& ctx);
    void draw_real_model(AppContext& ctx);
    void draw_folder(AppContext& ctx);
    void rescan_models(AppContext& ctx, bool force);
    void choose_model(AppContext& ctx, const std::string& name_or_path);

    ModelSearch found_;  // find_models, made when the list opens (at most every 2 s)
    bool scanned_ = false;
    double scanned_at_ = 0.0;
    std::vector<std::string> opened_;  // folders opened in this window, kept in the list
    std::string folder_field_;

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
