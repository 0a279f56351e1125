#include "attention_panel.h"

#include "model_map.h"
#include "view_widgets.h"

#include "errors.h"
#include "imgui_texture.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

using views::format_exact;
using views::format_value;

// A click on a cell opens the Q·K inspector on it (the mean over heads: on head 0).
void inspect(AppContext& ctx, const MapKey& key, int query, int k) {
    ctx.settings.inspect_cell = {key.batch, std::max(key.head, 0), query, k};
}

constexpr float kGap = 3.0f;  // between thumbnails

std::string quoted(const std::string& token) {
    return "'" + token + "'";
}

// "tom chases jerry !" (padding left out), or "item 2" when the keys are not tokens. Cut after
// about 160 bytes: a combo line shows less than that, and a 10,000-token sentence would otherwise
// be joined (and measured) every frame.
std::string sentence_of(const Scene& scene, int b) {
    if (!scene.tokens || b >= static_cast<int>(scene.tokens->tokens.size())) return "item " + std::to_string(b);
    std::string out;
    for (const std::string& t : scene.tokens->tokens[static_cast<size_t>(b)]) {
        if (out.size() > 160) return out + " …";
        out += (out.empty() ? "" : " ") + t;
    }
    return out.empty() ? "(empty: all padding)" : out;
}

std::string head_name(int head, int heads) {
    if (head < 0) return "the mean over the " + std::to_string(heads) + " heads";
    return heads > 1 ? "head " + std::to_string(head) : "the single head";
}

// What a weight means when its key is padding or it is NaN, for tooltips.
std::string padding_note(const Trace& trace, bool key_is_pad, bool row_all_pad, float weight) {
    const bool inf = std::isinf(trace.fill);
    if (std::isnan(weight))
        return "NaN: every key of this row is padding; with -inf the softmax is 0/0 = NaN, as in PyTorch; "
               "-1e9 gives a uniform row.";
    if (row_all_pad)
        return "Every key of this row is padding: with -1e9 all its scores are equal and the softmax is uniform "
               "(1/seq each); -inf would give NaN, as in PyTorch.";
    if (key_is_pad)
        return std::string("This key is padding: masked_fill wrote ") + (inf ? "-inf" : "-1e9") +
               " into its score, so the softmax gives it weight 0.";
    return "";
}

void tooltip_lines(const std::vector<std::string>& lines) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
    for (size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].empty()) continue;
        if (i + 1 == lines.size() && lines.size() > 2)
            ImGui::TextColored(views::kNoteText, "%s", lines[i].c_str());
        else
            ImGui::TextUnformatted(lines[i].c_str());
    }
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
}

bool row_all_pad(const MapViews& maps, int b) {
    return maps.all_keys_padding(b);
}

// --- Controls: batch item, colormap, shared range, opacity.

void draw_controls(AppContext& ctx, MapViews& maps) {
    Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const float font = ImGui::GetFontSize();

    ImGui::SetNextItemWidth(font * 13.0f);
    const std::string preview = "batch " + std::to_string(s.batch) + ": " + sentence_of(scene, s.batch);
    if (ImGui::BeginCombo("##batch", preview.c_str())) {
        for (int b = 0; b < maps.batches(); ++b) {
            const std::string item = "batch " + std::to_string(b) + ": " + sentence_of(scene, b);
            ImGui::PushID(b);
            if (ImGui::Selectable(item.c_str(), b == s.batch)) s.batch = b;
            ImGui::PopID();
            ctx.note_item("attention.batch." + std::to_string(b));
        }
        ImGui::EndCombo();
    }
    ctx.note_item("attention.batch");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The batch item (sentence) whose maps are shown");

    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 6.0f);
    views::colormap_combo("##colormap", s.colormap);
    ctx.note_item("attention.colormap");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Colormap (the exported maps use it too)");

    ImGui::SameLine();
    ImGui::Checkbox("shared range", &s.shared_normalisation);
    ctx.note_item("attention.shared");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(maps.is_cross()
                              ? "On: one colour range over every map of the pass, so maps can be compared.\n"
                                "Off: each map from its own lowest (dark) to its highest (bright) weight."
                              : "On: one colour range, the lowest to the highest weight of every matrix.\n"
                                "Off: the absolute range 0..1 (a weight is a probability; rows sum to 1).");

    if (maps.is_cross()) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(font * 6.0f);
        ImGui::SliderFloat("opacity", &s.opacity, 0.0f, 1.0f, "%.2f");
        s.opacity = std::clamp(s.opacity, 0.0f, 1.0f);
        ctx.note_item("attention.opacity");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("How much the map covers the picture");
    }
}

// --- Cross modules: the map over the picture, and the heads x tokens grid.

// Natural aspect of a cross map: the picture's, else the grid's.
ImVec2 cross_aspect(const Scene& scene, const MapViews& maps, int b) {
    const Image* picture =
        b >= 0 && b < static_cast<int>(scene.images.size()) ? scene.images[static_cast<size_t>(b)].get() : nullptr;
    if (picture && picture->width > 0)
        return ImVec2(static_cast<float>(picture->width), static_cast<float>(picture->height));
    return ImVec2(static_cast<float>(maps.cols()), static_cast<float>(maps.rows()));
}

void padding_placeholder(ImVec2 size, const std::string& token, const std::string& why) {
    const bool large = !why.empty();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos(), p1(p0.x + size.x, p0.y + size.y);
    draw->AddRectFilled(p0, p1, views::kMaskedFill);
    views::hatch(draw, p0, p1, views::kMaskedHatch, large ? 10.0f : 6.0f);
    if (large) {
        // The token, then `why` line by line, centred.
        std::vector<std::string> lines{quoted(token) + " is padding"};
        for (size_t start = 0; start <= why.size();) {
            const size_t end = std::min(why.find('\n', start), why.size());
            lines.push_back(why.substr(start, end - start));
            start = end + 1;
        }
        const float h = ImGui::GetTextLineHeight() * 1.2f;
        const float top = (p0.y + p1.y) * 0.5f - h * static_cast<float>(lines.size()) * 0.5f;
        for (size_t i = 0; i < lines.size(); ++i)
            views::text_centred(draw, ImVec2(p0.x, top + h * static_cast<float>(i)),
                                ImVec2(p1.x, top + h * static_cast<float>(i + 1)), IM_COL32_WHITE, lines[i]);
    } else {
        views::text_centred(draw, p0, p1, IM_COL32_WHITE, "pad");
    }
    ImGui::Dummy(size);
}

void draw_cross_big(AppContext& ctx, MapViews& maps, ImVec2 size, PixelRowBars& bars) {
    const Scene& scene = *ctx.scene;
    const MapKey key = ctx.current_map();
    const std::string token = scene.key_label(key.batch, key.token);
    // A padding key has no map (weight 0 everywhere), as in the export. A batch item that is
    // padding throughout (an empty sentence) is shown as it is: uniform with -1e9, NaN with -inf.
    if (maps.is_pad(key.batch, key.token) && !row_all_pad(maps, key.batch)) {
        padding_placeholder(size, token, "pad_mask hides it from every query:\nweight 0, no map");
        return;
    }
    const MapStyle style = ctx.map_style();
    const gl::Texture& texture = maps.texture(key, style, static_cast<int>(size.x), static_cast<int>(size.y));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    gl::image_upright(texture, size);
    ctx.note_item("attention.map");
    const int rows = maps.rows(), cols = maps.cols();
    const float cw = size.x / static_cast<float>(cols), ch = size.y / static_cast<float>(rows);
    if (bars.selected() >= 0 && bars.selected() < rows * cols) {  // the pixel whose row the bars show
        const int r = bars.selected() / cols, c = bars.selected() % cols;
        ImGui::GetWindowDrawList()->AddRect(ImVec2(p0.x + c * cw - 1, p0.y + r * ch - 1),
                                            ImVec2(p0.x + (c + 1) * cw + 1, p0.y + (r + 1) * ch + 1),
                                            views::kSelectedFrame, 0.0f, 0, 2.0f);
    }
    if (!ImGui::IsItemHovered()) return;

    const ImVec2 mouse = ImGui::GetIO().MousePos;
    const int col = std::clamp(static_cast<int>((mouse.x - p0.x) / size.x * static_cast<float>(cols)), 0, cols - 1);
    const int row = std::clamp(static_cast<int>((mouse.y - p0.y) / size.y * static_cast<float>(rows)), 0, rows - 1);
    // A click shows the pixel's row as bars; a click on a bar takes its weight apart (Q·K inspector).
    if (ImGui::IsItemClicked()) bars.select(row * cols + col);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(p0.x + col * cw, p0.y + row * ch),
                                        ImVec2(p0.x + (col + 1) * cw, p0.y + (row + 1) * ch), views::kHoverFrame);
    const float w = maps.value(key, row, col);
    std::vector<std::string> lines;
    lines.push_back("query: pixel (row " + std::to_string(row) + ", col " + std::to_string(col) + ") of the " +
                    std::to_string(rows) + " × " + std::to_string(cols) + " grid (h*w index " +
                    std::to_string(row * cols + col) + ")");
    lines.push_back("key: " + quoted(token) + " (token " + std::to_string(key.token) + ")");
    lines.push_back("weight: " + format_exact(w) + "  (" + head_name(key.head, maps.heads()) + ")");
    lines.push_back(padding_note(*ctx.trace, false, row_all_pad(maps, key.batch), w));
    lines.push_back("click: this pixel's row as bars over the tokens (click a bar: its weight in the Q·K inspector)");
    tooltip_lines(lines);
}

void draw_cross_grid(AppContext& ctx, MapViews& maps, ImVec2 box) {
    Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const int H = maps.heads(), T = maps.tokens(), b = s.batch;
    std::vector<int> heads;
    if (H > 1) heads.push_back(-1);
    for (int h = 0; h < H; ++h)
        heads.push_back(h);
    const int n_rows = static_cast<int>(heads.size());

    const ImVec2 aspect = cross_aspect(scene, maps, b);
    const float label_w = ImGui::CalcTextSize("mean").x + 8.0f;
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    float tw = std::floor((box.x - label_w) / static_cast<float>(T) - kGap);
    float th = std::floor(tw * aspect.y / aspect.x);
    if (header_h + static_cast<float>(n_rows) * (th + kGap) > box.y) {
        th = std::floor((box.y - header_h) / static_cast<float>(n_rows) - kGap);
        tw = std::floor(th * aspect.x / aspect.y);
    }
    // Never smaller than a line of text: the panel scrolls instead.
    const float min_h = ImGui::GetTextLineHeight();
    if (th < min_h) {
        th = min_h;
        tw = std::floor(th * aspect.x / aspect.y);
    }
    tw = std::max(tw, 8.0f);

    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const MapStyle style = ctx.map_style();
    const bool all_pad = row_all_pad(maps, b);
    // Only what the panel can show is drawn, and only those tokens are visited: a 10,000-token
    // sentence has 10,000 thumbnails a head, and rendering a texture for each of them froze the
    // window for minutes.
    // Header: the key tokens.
    const views::CellRange shown = views::visible_columns(origin.x + label_w, tw + kGap, T);
    for (int t = shown.first; t < shown.last; ++t) {
        const float x = origin.x + label_w + static_cast<float>(t) * (tw + kGap);
        if (!ImGui::IsRectVisible(ImVec2(x, origin.y), ImVec2(x + tw, origin.y + header_h))) continue;
        const bool pad = maps.is_pad(b, t);
        views::text_centred(draw, ImVec2(x, origin.y), ImVec2(x + tw, origin.y + header_h),
                            pad ? ImGui::GetColorU32(views::kDimText) : views::kText, scene.key_label(b, t));
    }
    for (int r = 0; r < n_rows; ++r) {
        const int h = heads[static_cast<size_t>(r)];
        const float y = origin.y + header_h + static_cast<float>(r) * (th + kGap);
        const std::string row_label = h < 0 ? "mean" : "h" + std::to_string(h);
        draw->AddText(ImVec2(origin.x, y + (th - ImGui::GetTextLineHeight()) * 0.5f),
                      ImGui::GetColorU32(h < 0 ? views::kNoteText : ImGui::GetStyleColorVec4(ImGuiCol_Text)),
                      row_label.c_str());
        for (int t = shown.first; t < shown.last; ++t) {
            const ImVec2 p0(origin.x + label_w + static_cast<float>(t) * (tw + kGap), y), p1(p0.x + tw, p0.y + th);
            if (!ImGui::IsRectVisible(p0, p1)) continue;
            ImGui::SetCursorScreenPos(p0);
            ImGui::PushID(r * 4096 + t);
            const bool clicked = ImGui::InvisibleButton("##thumb", ImVec2(tw, th));
            ImGui::PopID();
            ctx.note_item("attention.thumb.h" + (h < 0 ? std::string("mean") : std::to_string(h)) + ".t" +
                          std::to_string(t));
            const bool hovered = ImGui::IsItemHovered();
            const bool pad = maps.is_pad(b, t) && !all_pad;
            if (pad) {
                draw->AddRectFilled(p0, p1, views::kMaskedFill);
                views::hatch(draw, p0, p1, views::kMaskedHatch, 6.0f);
            } else {
                const gl::Texture& texture = maps.texture({b, h, t}, style, static_cast<int>(tw), static_cast<int>(th));
                draw->AddImage(gl::imgui_texture_id(texture), p0, p1, ImVec2(0, 1), ImVec2(1, 0));
            }
            if (clicked) {
                s.head = h;
                s.token = t;
            }
            if (h == s.head && t == s.token)
                draw->AddRect(ImVec2(p0.x - 1, p0.y - 1), ImVec2(p1.x + 1, p1.y + 1), views::kSelectedFrame, 0, 0,
                              2.0f);
            else if (hovered)
                draw->AddRect(p0, p1, views::kHoverFrame);
            if (hovered) {
                const std::string what = (h < 0 ? std::string("mean over heads") : "head " + std::to_string(h)) +
                                         ", key " + quoted(scene.key_label(b, t));
                ImGui::SetTooltip("%s", pad ? (what + "\npadding: pad_mask hides it, no map").c_str()
                                            : (what + "\nclick to show it large").c_str());
            }
        }
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(
        ImVec2(label_w + static_cast<float>(T) * (tw + kGap), header_h + static_cast<float>(n_rows) * (th + kGap)));
}

void draw_colorbar_for(AppContext& ctx, MapViews& maps, float width) {
    const MapKey key = ctx.current_map();
    const MapStyle style = ctx.map_style();
    if (maps.is_cross() && maps.is_pad(key.batch, key.token) && !row_all_pad(maps, key.batch)) return;  // no map
    const MapRange range = maps.range(key, style);
    const char* caption = style.shared_range ? "weight, one range for all maps"
                          : maps.is_cross()  ? "weight, this map's range"
                                             : "weight, 0..1";
    views::colorbar(maps, style.colormap, range, width, caption);
}

void draw_cross(AppContext& ctx, MapViews& maps, PixelRowBars& bars) {
    const Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const bool side_by_side = avail.x >= 520.0f;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + st.ItemSpacing.y + line;
    const float big_box_w = side_by_side ? std::floor(avail.x * 0.56f) : avail.x;
    const float big_box_h =
        (side_by_side ? avail.y : std::floor(avail.y * 0.6f)) - line * 2.0f - colorbar_h - bars.height(maps.tokens());

    const ImVec2 aspect = cross_aspect(scene, maps, s.batch);
    const ImVec2 big = views::fit_size(aspect.x, aspect.y, ImVec2(big_box_w, std::max(big_box_h, 32.0f)));

    ImGui::BeginGroup();
    const std::string token = scene.key_label(s.batch, s.token);
    ImGui::TextUnformatted(
        views::fit_text("How much each pixel attends to " + quoted(token) + ",", std::max(big.x, 160.0f)).c_str());
    ImGui::TextColored(views::kDimText, "%s",
                       views::fit_text(head_name(s.head, maps.heads()) + ", batch item " + std::to_string(s.batch),
                                       std::max(big.x, 160.0f))
                           .c_str());
    if (big.x >= 1.0f && big.y >= 1.0f) {
        draw_cross_big(ctx, maps, big, bars);
        draw_colorbar_for(ctx, maps, big.x);
    }
    bars.draw(ctx, maps, std::max(big.x, 240.0f));
    if (row_all_pad(maps, s.batch)) {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + std::max(big.x, 160.0f));
        ImGui::TextColored(views::kNoteText, "%s",
                           std::isinf(ctx.trace->fill)
                               ? "Every key of this item is padding: with -inf the softmax is 0/0 = NaN (magenta)."
                               : "Every key of this item is padding: with -1e9 the softmax is uniform.");
        ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();

    if (side_by_side) ImGui::SameLine(0.0f, st.ItemSpacing.x * 2.0f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted(maps.heads() > 1 ? "Every head and token (click one):" : "Every token (click one):");
    const ImVec2 rest = ImGui::GetContentRegionAvail();
    draw_cross_grid(ctx, maps, ImVec2(rest.x, side_by_side ? rest.y : std::max(rest.y, 120.0f)));
    ImGui::EndGroup();
}

// --- Self-attention modules: matrices with tokens on both axes.

// Cells narrower than this are not drawn one by one (no labels, values or grid lines to see): the
// matrix is shown whole instead, fitted to the panel, each pixel the mean of the weights under it.
constexpr float kMinCellPx = 4.0f;

bool fits_whole_cells(int nq, int nk, ImVec2 box) {
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    return box.x / static_cast<float>(nk) >= kMinCellPx && (box.y - header_h) / static_cast<float>(nq) >= kMinCellPx;
}

// The hover text of weight (q, k) of the matrix shown.
std::vector<std::string> weight_lines(AppContext& ctx, const MapViews& maps, const MapKey& key, int q, int k) {
    const Scene& scene = *ctx.scene;
    const float w = maps.value(key, q, k);
    std::vector<std::string> lines;
    lines.push_back("query " + quoted(scene.query_label(key.batch, q)) + " (row " + std::to_string(q) + ")");
    lines.push_back("key " + quoted(scene.key_label(key.batch, k)) + " (column " + std::to_string(k) + ")");
    lines.push_back("weight: " + format_exact(w) + "  (" + head_name(key.head, maps.heads()) + ")");
    lines.push_back(padding_note(*ctx.trace, maps.is_pad(key.batch, k), maps.all_keys_padding(key.batch), w));
    return lines;
}

struct MatrixLayout {
    float label_w = 0, header_h = 0, cell = 0;
    bool vertical_keys = false;
};

MatrixLayout layout_matrix(const std::vector<std::string>& queries, const std::vector<std::string>& keys, ImVec2 box) {
    MatrixLayout l;
    float max_q = 0.0f, max_k = 0.0f;
    for (const std::string& q : queries)
        max_q = std::max(max_q, ImGui::CalcTextSize(q.c_str()).x);
    for (const std::string& k : keys)
        max_k = std::max(max_k, ImGui::CalcTextSize(k.c_str()).x);
    l.label_w = std::min(max_q + 8.0f, std::max(40.0f, box.x * 0.22f));
    const float nq = static_cast<float>(queries.size()), nk = static_cast<float>(keys.size());
    l.header_h = ImGui::GetTextLineHeightWithSpacing();
    l.cell = std::floor(std::min((box.x - l.label_w) / nk, (box.y - l.header_h) / nq));
    if (max_k + 6.0f > l.cell) {  // key labels do not fit across their column: stand them up
        l.vertical_keys = true;
        l.header_h = std::min(max_k, 96.0f) + 8.0f;
        l.cell = std::floor(std::min((box.x - l.label_w) / nk, (box.y - l.header_h) / nq));
    }
    l.cell = std::clamp(l.cell, kMinCellPx, 72.0f);
    return l;
}

// Cells of at least kMinCellPx, labelled; the matrix has at most (panel size / kMinCellPx) tokens
// a side here, and only the cells inside the panel's clip rectangle are drawn one by one.
void draw_matrix_cells(AppContext& ctx, MapViews& maps, ImVec2 box) {
    const Settings& s = ctx.settings;
    const Scene& scene = *ctx.scene;
    const MapKey key = ctx.current_map();
    const MapStyle style = ctx.map_style();
    const int nq = maps.rows(), nk = maps.cols();
    std::vector<std::string> queries, keys;
    for (int q = 0; q < nq; ++q)
        queries.push_back(scene.query_label(s.batch, q));
    for (int k = 0; k < nk; ++k)
        keys.push_back(scene.key_label(s.batch, k));
    const MatrixLayout l = layout_matrix(queries, keys, box);
    const float cell = l.cell;

    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const ImVec2 m0(origin.x + l.label_w, origin.y + l.header_h);
    const ImVec2 m1(m0.x + cell * static_cast<float>(nk), m0.y + cell * static_cast<float>(nq));
    const views::CellRange cols = views::visible_columns(m0.x, cell, nk);
    const views::CellRange rows = views::visible_rows(m0.y, cell, nq);

    // Key labels (columns) on top, query labels (rows) on the left, where a cell is wide enough
    // to tell which label is whose.
    const bool labels_fit = cell >= ImGui::GetFontSize() * 0.8f;
    for (int k = cols.first; k < cols.last && labels_fit; ++k) {
        const float x = m0.x + cell * static_cast<float>(k);
        const ImU32 colour = maps.is_pad(s.batch, k) ? ImGui::GetColorU32(views::kDimText) : views::kText;
        if (l.vertical_keys) {
            const std::string shown = views::fit_text(keys[static_cast<size_t>(k)], l.header_h - 8.0f);
            views::text_vertical(draw, ImVec2(x + (cell - ImGui::GetFontSize()) * 0.5f, m0.y - 4.0f), colour, shown);
        } else {
            views::text_centred(draw, ImVec2(x, origin.y), ImVec2(x + cell, m0.y), colour,
                                keys[static_cast<size_t>(k)]);
        }
    }
    for (int q = rows.first; q < rows.last && labels_fit; ++q) {
        const float y = m0.y + cell * static_cast<float>(q);
        const std::string shown = views::fit_text(queries[static_cast<size_t>(q)], l.label_w - 6.0f);
        const ImVec2 size = ImGui::CalcTextSize(shown.c_str());
        draw->AddText(ImVec2(m0.x - 6.0f - size.x, y + (cell - size.y) * 0.5f), views::kText, shown.c_str());
    }

    // The matrix itself, through the colormap shader, crisp cells.
    const gl::Texture& texture = maps.texture(key, style, static_cast<int>(cell) * nk, static_cast<int>(cell) * nq);
    draw->AddImage(gl::imgui_texture_id(texture), m0, m1, ImVec2(0, 1), ImVec2(1, 0));
    const MapRange range = maps.range(key, style);
    const bool values_fit = cell >= ImGui::CalcTextSize("0.00").x + 6.0f;
    for (int q = rows.first; q < rows.last; ++q)
        for (int k = cols.first; k < cols.last; ++k) {
            const ImVec2 c0(m0.x + cell * static_cast<float>(k), m0.y + cell * static_cast<float>(q));
            const ImVec2 c1(c0.x + cell, c0.y + cell);
            const float w = maps.value(key, q, k);
            if (maps.is_pad(s.batch, k) && !std::isnan(w))
                views::hatch(draw, c0, c1, IM_COL32(128, 128, 128, 255), 6.0f);
            if (std::isnan(w)) {
                draw->AddLine(c0, c1, views::kGridLine, 1.5f);
                draw->AddLine(ImVec2(c1.x, c0.y), ImVec2(c0.x, c1.y), views::kGridLine, 1.5f);
            } else if (values_fit) {
                const float t = range.hi > range.lo ? (w - range.lo) / (range.hi - range.lo) : 0.5f;
                char text[16];
                std::snprintf(text, sizeof text, "%.2f", static_cast<double>(w));
                views::text_centred(draw, c0, c1, views::text_on(colormap_rgb(style.colormap, t)), text);
            }
        }
    if (cell >= 8.0f) {
        for (int k = cols.first; k <= cols.last; ++k) {
            const float x = m0.x + cell * static_cast<float>(k);
            draw->AddLine(ImVec2(x, m0.y), ImVec2(x, m1.y), views::kGridLine);
        }
        for (int q = rows.first; q <= rows.last; ++q) {
            const float y = m0.y + cell * static_cast<float>(q);
            draw->AddLine(ImVec2(m0.x, y), ImVec2(m1.x, y), views::kGridLine);
        }
    }

    ImGui::SetCursorScreenPos(m0);
    ImGui::InvisibleButton("##matrix", ImVec2(m1.x - m0.x, m1.y - m0.y));
    ctx.note_item("attention.map");
    if (ImGui::IsItemHovered()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const int k = std::clamp(static_cast<int>((mouse.x - m0.x) / cell), 0, nk - 1);
        const int q = std::clamp(static_cast<int>((mouse.y - m0.y) / cell), 0, nq - 1);
        if (ImGui::IsItemClicked()) inspect(ctx, key, q, k);
        const ImVec2 c0(m0.x + cell * static_cast<float>(k), m0.y + cell * static_cast<float>(q));
        draw->AddRect(c0, ImVec2(c0.x + cell, c0.y + cell), views::kHoverFrame, 0.0f, 0, 2.0f);
        std::vector<std::string> lines = weight_lines(ctx, maps, key, q, k);
        lines.push_back("click: take this weight apart in the Q·K inspector");
        tooltip_lines(lines);
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(m1.x - origin.x, m1.y - origin.y));
}

// Too many tokens for cells of kMinCellPx: the whole matrix fitted to `box`, each pixel the mean
// of the weights under it (MapViews area-averages it, from a preview made with the pass), padding
// keys hatched as runs of columns, and the exact weight under the pointer in the tooltip.
void draw_matrix_whole(AppContext& ctx, MapViews& maps, ImVec2 box) {
    const MapKey key = ctx.current_map();
    const int nq = maps.rows(), nk = maps.cols();
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    const float scale = std::min(box.x / static_cast<float>(nk), (box.y - header_h) / static_cast<float>(nq));
    const float w = std::max(1.0f, std::floor(scale * static_cast<float>(nk)));
    const float h = std::max(1.0f, std::floor(scale * static_cast<float>(nq)));

    char caption[160];
    if (w >= static_cast<float>(nk) && h >= static_cast<float>(nq))
        std::snprintf(caption, sizeof caption, "%d x %d weights, %.1f px each", nq, nk, static_cast<double>(scale));
    else
        std::snprintf(caption, sizeof caption, "%d x %d weights; a pixel is the mean of ~%.0f x %.0f", nq, nk,
                      std::ceil(static_cast<double>(nq) / h), std::ceil(static_cast<double>(nk) / w));
    ImGui::TextColored(views::kDimText, "%s", views::fit_text(caption, std::max(box.x, w)).c_str());
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 m0 = ImGui::GetCursorScreenPos(), m1(m0.x + w, m0.y + h);
    const gl::Texture& texture = maps.texture(key, ctx.map_style(), static_cast<int>(w), static_cast<int>(h));
    draw->AddImage(gl::imgui_texture_id(texture), m0, m1, ImVec2(0, 1), ImVec2(1, 0));
    // With -inf every row of an all-padding item is NaN (magenta): nothing to hatch, as cell by cell.
    const bool nan_rows = maps.all_keys_padding(key.batch) && std::isinf(ctx.trace->fill);
    if (!nan_rows)
        for (const auto& [first, last] : maps.padding_runs(key.batch)) {
            const float x0 = m0.x + w * static_cast<float>(first) / static_cast<float>(nk);
            const float x1 = std::max(m0.x + w * static_cast<float>(last) / static_cast<float>(nk), x0 + 1.0f);
            views::hatch(draw, ImVec2(x0, m0.y), ImVec2(x1, m1.y), IM_COL32(128, 128, 128, 255), 6.0f);
        }

    ImGui::InvisibleButton("##matrix", ImVec2(w, h));
    ctx.note_item("attention.map");
    if (ImGui::IsItemHovered()) {
        const ImVec2 mouse = ImGui::GetIO().MousePos;
        const int k = std::clamp(static_cast<int>((mouse.x - m0.x) / w * static_cast<float>(nk)), 0, nk - 1);
        const int q = std::clamp(static_cast<int>((mouse.y - m0.y) / h * static_cast<float>(nq)), 0, nq - 1);
        if (ImGui::IsItemClicked()) inspect(ctx, key, q, k);
        const ImVec2 p(std::floor(mouse.x), std::floor(mouse.y));
        draw->AddRect(ImVec2(p.x - 2.0f, p.y - 2.0f), ImVec2(p.x + 3.0f, p.y + 3.0f), views::kHoverFrame);
        std::vector<std::string> lines = weight_lines(ctx, maps, key, q, k);
        lines.insert(lines.end() - 1, "the pixel shows the mean of the weights around it");
        lines.push_back("click: take this weight apart in the Q·K inspector");
        tooltip_lines(lines);
    }
}

void draw_matrix(AppContext& ctx, MapViews& maps, ImVec2 box) {
    if (fits_whole_cells(maps.rows(), maps.cols(), box))
        draw_matrix_cells(ctx, maps, box);
    else
        draw_matrix_whole(ctx, maps, box);
}

void draw_head_thumbnails(AppContext& ctx, MapViews& maps, ImVec2 box) {
    Settings& s = ctx.settings;
    const int H = maps.heads();
    std::vector<int> heads{-1};
    for (int h = 0; h < H; ++h)
        heads.push_back(h);
    const int n = static_cast<int>(heads.size());
    const float caption_h = ImGui::GetTextLineHeight() + 2.0f;
    // The largest square thumbnails that fit `box` in some number of columns.
    float best = 0.0f;
    int best_cols = 1;
    for (int cols = 1; cols <= n; ++cols) {
        const int rows = (n + cols - 1) / cols;
        const float side = std::min(box.x / static_cast<float>(cols) - kGap * 2.0f,
                                    box.y / static_cast<float>(rows) - caption_h - kGap * 2.0f);
        if (side > best) {
            best = side;
            best_cols = cols;
        }
    }
    const float side = std::floor(std::clamp(best, 12.0f, 140.0f));
    const MapStyle style = ctx.map_style();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const int rows = (n + best_cols - 1) / best_cols;
    for (int i = 0; i < n; ++i) {
        const int h = heads[static_cast<size_t>(i)];
        const float x = origin.x + static_cast<float>(i % best_cols) * (side + kGap * 2.0f);
        const float y = origin.y + static_cast<float>(i / best_cols) * (side + caption_h + kGap * 2.0f);
        const std::string caption = h < 0 ? "mean" : "head " + std::to_string(h);
        views::text_centred(draw, ImVec2(x, y), ImVec2(x + side, y + caption_h),
                            ImGui::GetColorU32(h < 0 ? views::kNoteText : ImGui::GetStyleColorVec4(ImGuiCol_Text)),
                            caption);
        const ImVec2 p0(x, y + caption_h), p1(x + side, y + caption_h + side);
        ImGui::SetCursorScreenPos(p0);
        ImGui::PushID(i);
        const bool clicked = ImGui::InvisibleButton("##head", ImVec2(side, side));
        ImGui::PopID();
        ctx.note_item("attention.thumb.h" + (h < 0 ? std::string("mean") : std::to_string(h)));
        const gl::Texture& texture =
            maps.texture({s.batch, h, 0}, style, static_cast<int>(side), static_cast<int>(side));
        draw->AddImage(gl::imgui_texture_id(texture), p0, p1, ImVec2(0, 1), ImVec2(1, 0));
        if (clicked) s.head = h;
        if (h == s.head)
            draw->AddRect(ImVec2(p0.x - 1, p0.y - 1), ImVec2(p1.x + 1, p1.y + 1), views::kSelectedFrame, 0, 0, 2.0f);
        else if (ImGui::IsItemHovered())
            draw->AddRect(p0, p1, views::kHoverFrame);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nclick to show it large", caption.c_str());
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(static_cast<float>(best_cols) * (side + kGap * 2.0f),
                        static_cast<float>(rows) * (side + caption_h + kGap * 2.0f)));
}

void draw_matrices(AppContext& ctx, MapViews& maps) {
    const Settings& s = ctx.settings;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImGuiStyle& st = ImGui::GetStyle();
    const bool multi = maps.heads() > 1;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + st.ItemSpacing.y + line;
    const float main_w = multi ? std::floor(avail.x * (avail.x >= 520.0f ? 0.62f : 1.0f)) : avail.x;

    ImGui::BeginGroup();
    ImGui::TextUnformatted(
        views::fit_text("Each row: how a query token spreads its attention over the keys", main_w).c_str());
    ImGui::TextColored(views::kDimText, "%s",
                       views::fit_text(head_name(s.head, maps.heads()) + ", batch item " + std::to_string(s.batch) +
                                           "; hatched: padding keys",
                                       main_w)
                           .c_str());
    const float box_h = avail.y - line * 2.0f - colorbar_h - st.ItemSpacing.y;
    draw_matrix(ctx, maps, ImVec2(main_w, std::max(box_h, 40.0f)));
    draw_colorbar_for(ctx, maps, std::min(main_w, 320.0f));
    ImGui::EndGroup();

    if (!multi) return;
    if (avail.x >= 520.0f) ImGui::SameLine(0.0f, st.ItemSpacing.x * 2.0f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Every head (click one):");
    const ImVec2 rest = ImGui::GetContentRegionAvail();
    draw_head_thumbnails(ctx, maps, ImVec2(rest.x, std::max(rest.y, 80.0f)));
    ImGui::EndGroup();
}

}  // namespace

void AttentionPanel::draw_content(AppContext& ctx) {
    if (ctx.real_model()) {  // a real model's maps, from its map model (model_map.h)
        draw_model_attention(ctx, compare_);
        return;
    }
    if (!views::pass_ready(ctx)) return;
    MapViews& maps = *ctx.maps;
    if (maps.batches() == 0) {
        ImGui::TextColored(views::kDimText, "This pass has no attention maps to show.");
        return;
    }
    Settings& s = ctx.settings;
    s.batch = std::clamp(s.batch, 0, maps.batches() - 1);
    s.head = std::clamp(s.head, maps.heads() > 1 ? -1 : 0, maps.heads() - 1);
    s.token = std::clamp(s.token, 0, std::max(0, maps.tokens() - 1));

    draw_controls(ctx, maps);
    ImGui::SameLine();
    SeedCompare::draw_switch(ctx);
    ImGui::Separator();
    if (s.compare_open) {  // A | B: B is the scene under its own settings (seed_compare.h)
        seed_compare_.draw(ctx);
        return;
    }
    if (maps.is_cross())
        draw_cross(ctx, maps, pixel_bars_);
    else
        draw_matrices(ctx, maps);
}

}  // namespace attn::gui
