// The main menu: File (the four exports, the export folder, Quit), View (reload the shaders), and
// a line that says what is on screen ("CrossMultiAttention   emb_dim 512   heads 8   batch 3").
#pragma once

#include "app_context.h"
#include "exporter.h"

#include <optional>

namespace attn::gui {

// What the user asked for in the menu this frame.
struct MenuRequests {
    std::optional<ExportKind> export_kind;
    bool reload_shaders = false;
    bool quit = false;
};

MenuRequests draw_menu_bar(AppContext& ctx);

}  // namespace attn::gui
