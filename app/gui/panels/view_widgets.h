// Pieces the three view panels (Attention, Pad mask, Pipeline) share: the "is there a pass to
// show" check, the colormap combo and colorbar, value formatting, and draw-list helpers (hatching,
// vertical labels, cell grids).
#pragma once

#include "app_context.h"
#include "classroom_settings.h"

#include <imgui.h>

#include <string>

namespace attn::gui::views {

// Colours of the view panels. Masked (padding) cells are dark red and hatched; NaN is the maps'
// magenta (kNanColour), so a NaN looks the same in a grid and in a map. The colours of text and
// frames drawn on the panel's own background follow the window's theme (use_theme); the cells'
// colours are content and stay.
extern const ImVec4& kDimText;
extern const ImVec4& kNoteText;
extern const ImU32& kText;  // labels drawn with the draw list on the panel background
extern const ImU32 kMaskedFill;
extern const ImU32 kMaskedHatch;
extern const ImU32 kKeptFill;
extern const ImU32 kNanFill;
extern const ImU32 kGridLine;
extern const ImU32& kSelectedFrame;
extern const ImU32& kHoverFrame;

// Sets the theme-dependent colours above (ui_style.h calls it with the window's theme).
void use_theme(WindowTheme theme);
// A colour chosen for the dark page, made for the page of the current theme: unchanged on the
// dark one; on the light one with its lightness mirrored (light grey text becomes dark grey,
// orange becomes a darker orange), hue and saturation kept.
ImVec4 themed(const ImVec4& on_dark);

// True when there is a pass to draw: ctx.scene and ctx.trace are set, and ctx.maps shows that
// same pass (set_pass is called here when it does not, so nothing of an older pass is drawn).
// Otherwise draws why not ("computing…", or the engine's error) and returns false.
// A real model's pass (ctx.model_run; ctx.scene null, ctx.trace the layer shown) counts only with
// `real_models_too`; otherwise the panel says it is about the seed's modules.
bool pass_ready(AppContext& ctx, bool real_models_too = false);

// 0.2345 / 1.2e-05 / -1e+09 / NaN / -inf: short, and exact enough for a tooltip.
std::string format_value(float v);
// Like format_value with more digits, for hover tooltips: "0.23456789".
std::string format_exact(float v);

// The colormap combo (viridis, magma, inferno, turbo, grey). True when changed.
bool colormap_combo(const char* label, Colormap& cmap);

// A colorbar `width` px wide drawn through the colormap shader, with the values at its ends
// under it: "lo ... hi". `caption` (may be empty) goes on the left of the values.
void colorbar(MapViews& maps, Colormap cmap, MapRange range, float width, const char* caption = "");

// Diagonal lines over the rectangle [lo, hi], clipped to it, one every `spacing` px.
void hatch(ImDrawList* draw, ImVec2 lo, ImVec2 hi, ImU32 colour, float spacing = 6.0f, float thickness = 1.0f);

// A label stood up above a narrow column (key labels of matrices and masks), ending at
// `bottom_left` (x: the left of a line-high column). Text in a CJK script (every character
// Chinese, Japanese or Korean, as the tokenizer makes them: one per token) stands upright, its
// characters stacked top to bottom, as CJK is written vertically; anything else is turned 90
// degrees counter-clockwise and read from bottom to top, its first character at the bottom.
void text_vertical(ImDrawList* draw, ImVec2 bottom_left, ImU32 colour, const std::string& text);
// The length text_vertical gives `text` along the column (px).
float vertical_length(const std::string& text);
// `text` cut to at most `max_length` px along the column, ending in "…" when cut.
std::string fit_vertical(const std::string& text, float max_length);
// True when every character of `text` is CJK (ideographs, kana, Hangul, CJK punctuation and
// full-width forms), which text_vertical stands upright.
bool reads_upright(const std::string& text);

// `text` cut to at most `max_width` px, ending in "…" when cut (UTF-8 safe).
std::string fit_text(const std::string& text, float max_width);

// A w x h picture scaled to fit `box`, keeping its aspect ratio.
ImVec2 fit_size(float w, float h, ImVec2 box);

// Text centred in [lo, hi] (clipped to it).
void text_centred(ImDrawList* draw, ImVec2 lo, ImVec2 hi, ImU32 colour, const std::string& text);

// Black or white, whichever reads better on `fill` (RGB 0..255).
ImU32 text_on(const std::array<uint8_t, 3>& fill);

// A small "(?)" that shows `text` on hover.
void help_marker(const char* text);

// The cells [first, last) of a row of `count` cells, `step` px each from `start` px, that the
// current clip rectangle shows (columns: its x extent; rows: its y extent). Grids draw only
// those, so a 10,000-token axis costs what is on screen. It is ImGuiListClipper's arithmetic for
// either axis: the grids are drawn with the draw list beside one another, not as a list of items.
struct CellRange {
    int first = 0, last = 0;
};
CellRange visible_columns(float start, float step, int count);
CellRange visible_rows(float start, float step, int count);

}  // namespace attn::gui::views
