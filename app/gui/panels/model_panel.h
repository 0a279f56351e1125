// The Model panel: which of the five modules, its sizes (emb_dim, heads), seed, scale, mask fill,
// and loading / saving its weights as .safetensors.
#pragma once

#include "app_context.h"

namespace attn::gui {

// Draws the panel's contents into the current ImGui window and edits ctx.settings. Head counts
// that do not divide emb_dim stay in the panel with an explanation (AppContext::blocked_reason
// keeps them from the engine).
void draw_model_panel(AppContext& ctx);

// Writes the current pass's weights (and its embedding table, when the text made one) to `path`
// with write_safetensors; the file loads back with "Load" or into PyTorch with load_state_dict.
// Throws attn::Error with a message for the window.
void save_weights(const AppContext& ctx, const std::string& path);

}  // namespace attn::gui
