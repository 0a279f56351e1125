#include "ui_style.h"

#include "panels/view_widgets.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

namespace attn::gui {

namespace {

// The app's shape of widgets, at 100%.
void base_style(ImGuiStyle& style) {
    style.WindowRounding = 0.0f;
    style.FrameRounding = 3.0f;
    style.GrabRounding = 3.0f;
    style.WindowBorderSize = 1.0f;
    style.ItemSpacing = ImVec2(8.0f, 5.0f);
}

// Dear ImGui's light colours, made into a white page: its window grey becomes white, and the
// fields, which are white in ImGui's light style, get a grey of their own and a border so that
// they stand out from the page.
void light_colours(ImGuiStyle& style) {
    ImGui::StyleColorsLight(&style);
    ImVec4* c = style.Colors;
    c[ImGuiCol_Text] = ImVec4(0.07f, 0.07f, 0.09f, 1.0f);
    c[ImGuiCol_TextDisabled] = ImVec4(0.42f, 0.42f, 0.46f, 1.0f);
    c[ImGuiCol_WindowBg] = ImVec4(1.0f, 1.0f, 1.0f, 1.0f);
    c[ImGuiCol_ChildBg] = ImVec4(1.0f, 1.0f, 1.0f, 0.0f);
    c[ImGuiCol_PopupBg] = ImVec4(1.0f, 1.0f, 1.0f, 0.98f);
    c[ImGuiCol_MenuBarBg] = ImVec4(0.94f, 0.94f, 0.95f, 1.0f);
    c[ImGuiCol_Border] = ImVec4(0.62f, 0.62f, 0.66f, 0.60f);
    c[ImGuiCol_FrameBg] = ImVec4(0.91f, 0.91f, 0.93f, 1.0f);
    c[ImGuiCol_FrameBgHovered] = ImVec4(0.84f, 0.88f, 0.96f, 1.0f);
    c[ImGuiCol_FrameBgActive] = ImVec4(0.76f, 0.84f, 0.97f, 1.0f);
    c[ImGuiCol_TitleBg] = ImVec4(0.90f, 0.90f, 0.92f, 1.0f);
    c[ImGuiCol_TitleBgActive] = ImVec4(0.82f, 0.85f, 0.91f, 1.0f);
    c[ImGuiCol_TitleBgCollapsed] = c[ImGuiCol_TitleBg];
    style.FrameBorderSize = 1.0f;
}

}  // namespace

bool UiStyle::apply(GLFWwindow* window, const ClassroomSettings& s,
                    const std::function<std::vector<std::string>()>& glyph_text) {
    float content_x = 1.0f, content_y = 1.0f;
    glfwGetWindowContentScale(window, &content_x, &content_y);
    const float content = std::clamp(std::max(content_x, content_y), 0.5f, 4.0f);
    const float scale = std::clamp(s.ui_scale, kMinUiScale, kMaxUiScale) * content;
    // Where the framebuffer has more pixels than the window has units (macOS, scaled Wayland),
    // the glyphs are made at the pixel size and drawn back at the unit size: sharp, not stretched.
    int win_w = 0, win_h = 0, fb_w = 0, fb_h = 0;
    glfwGetWindowSize(window, &win_w, &win_h);
    glfwGetFramebufferSize(window, &fb_w, &fb_h);
    const float pixels_per_unit =
        win_w > 0 && fb_w > win_w ? static_cast<float>(fb_w) / static_cast<float>(win_w) : 1.0f;
    const float units = scale / pixels_per_unit;  // the style's sizes are in window units
    const float font_px = std::round(kFontSizePx * scale);

    if (styled_ && font_px == font_px_ && scale == scale_ && s.theme == theme_) return false;
    ImGuiIO& io = ImGui::GetIO();
    if (font_px != font_px_) {
        fonts_ = load_fonts(asset_dir_, glyph_text(), font_px);
        io.FontGlobalScale = 1.0f / pixels_per_unit;
        if (backend_ready_) {  // between frames: the atlas is built and uploaded again
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
        }
        font_px_ = font_px;
    }
    ImGuiStyle style;
    if (s.theme == WindowTheme::Light)
        light_colours(style);
    else
        ImGui::StyleColorsDark(&style);
    base_style(style);
    style.ScaleAllSizes(units);
    ImGui::GetStyle() = style;
    views::use_theme(s.theme);
    scale_ = scale;
    theme_ = s.theme;
    styled_ = true;
    return true;
}

void UiStyle::clear_colour(float rgba[4]) const {
    const float dark[4] = {0.08f, 0.08f, 0.09f, 1.0f}, light[4] = {1.0f, 1.0f, 1.0f, 1.0f};
    std::copy(theme_ == WindowTheme::Light ? light : dark, (theme_ == WindowTheme::Light ? light : dark) + 4, rgba);
}

}  // namespace attn::gui
