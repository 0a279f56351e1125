// The main menu: File (the four exports, their theme, the export folder, Quit), View (what the
// window adds: the Lessons submenu; the UI size for presentations, the light theme, reload the
// shaders), and a line that says what is on screen ("CrossMultiAttention   emb_dim 512   heads 8").
#pragma once

#include "app_context.h"
#include "exporter.h"

#include <functional>
#include <optional>

namespace attn::gui {

// What the user asked for in the menu this frame.
struct MenuRequests {
    std::optional<ExportKind> export_kind;
    bool reload_shaders = false;
    bool quit = false;
};

// `view_items` draws items at the top of the View menu (the window's Lessons submenu).
MenuRequests draw_menu_bar(AppContext& ctx, const std::function<void()>& view_items = {});

}  // namespace attn::gui
