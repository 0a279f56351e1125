// The Input panel: the picture the cross modules look at, the sentences of the batch, the
// tokens / input_ids / pad_mask they become, and the grid the picture is averaged to.
#pragma once

#include "app_context.h"

namespace attn::gui {

// Draws the panel's contents into the current ImGui window and edits ctx.settings.
void draw_input_panel(AppContext& ctx);

// Sets the picture (from the path field, the sample combo or a file dropped on the window).
void choose_image(AppContext& ctx, const std::string& path);

}  // namespace attn::gui
