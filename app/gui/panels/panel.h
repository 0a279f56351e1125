// One wrapper draws every panel, as ImHex's View::Window::draw() does: Begin at the panel's place
// in the layout, draw_content() inside a try, End. What the content throws becomes a red line in
// the panel and one message (posted again only when its text changes), with ImGui's stacks
// unwound to the panel's window, so nothing escapes into the frame loop and the frame stays
// balanced. Each panel is a subclass whose state is its members: it can be reset (made anew),
// tested and made twice.
#pragma once

#include "app_context.h"
#include "layout.h"

#include <imgui.h>

#include <string>

namespace attn::gui {

// Fixed panels have their place in the layout; floating ones (the teaching windows of issue 12)
// open at it, can be moved, resized and closed, and stay over the fixed ones.
enum class Placement { Fixed, Floating };

class Panel {
public:
    explicit Panel(std::string title, ImGuiWindowFlags extra_flags = 0, Placement placement = Placement::Fixed);
    virtual ~Panel() = default;
    Panel(const Panel&) = delete;
    Panel& operator=(const Panel&) = delete;

    void draw(AppContext& ctx, const PanelRect& rect);
    const std::string& title() const { return title_; }

protected:
    // The panel's contents, inside its window.
    virtual void draw_content(AppContext& ctx) = 0;
    // Floating panels: drawn only while open; the title bar's close button calls close().
    virtual bool is_open(const AppContext&) const { return true; }
    virtual void close(AppContext&) {}

private:
    std::string title_;
    std::string item_name_;  // the window's rectangle is recorded as this (panel_item_name)
    ImGuiWindowFlags flags_;
    Placement placement_;
    std::string last_error_;  // what the content threw last, so a failing frame posts it once
};

}  // namespace attn::gui
