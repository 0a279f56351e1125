#include "panels/model_view.h"

#include "exporter.h"
#include "imgui_texture.h"
#include "model_run.h"
#include "panels/explore_widgets.h"
#include "panels/view_widgets.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace attn::gui {

namespace {

constexpr float kGap = 3.0f;
constexpr float kMinSide = 12.0f, kMaxSide = 200.0f;
// Drawing ahead (rows just outside the view) stops after this much of a frame.
constexpr double kPrefetchBudgetSeconds = 0.003;

// The columns of a row: heads, then the fusion of the heads, then rollout.
struct Columns {
    int heads = 0;
    bool fusion = false, rollout = false;
    int count() const { return heads + (fusion ? 1 : 0) + (rollout ? 1 : 0); }
    bool is_fusion(int c) const { return fusion && c == heads; }
    bool is_rollout(int c) const { return rollout && c == count() - 1; }
};

Columns columns_of(const MapModel& maps) {
    Columns c;
    c.heads = static_cast<int>(maps.heads());
    c.fusion = maps.has_fusions();
    c.rollout = maps.has_rollout();
    return c;
}

// The map of (layer, column): a head or the fusion in the quantity the view asks for, or rollout.
MapKey cell_key(const AppContext& ctx, const MapModel& maps, const Columns& cols, int layer, int c) {
    MapKey key;
    key.batch = ctx.settings.batch;
    key.layer = layer;
    // A patch model's thumbnails are one query's row over the picture ([CLS] unless chosen).
    key.token = maps.set().query_kind == QueryKind::Patches
                    ? std::clamp(ctx.settings.token, 0, static_cast<int>(maps.queries()) - 1)
                    : -1;
    if (cols.is_rollout(c)) {
        key.head = kMeanHead;
        key.quantity = MapQuantity::Rollout;
    } else {
        key.head = cols.is_fusion(c) ? ctx.settings.fusion : c;
        key.quantity = explore::head_quantity(ctx);
    }
    return key;
}

std::string column_caption(const Columns& cols, int c, int fusion) {
    if (cols.is_rollout(c)) return "rollout";
    if (cols.is_fusion(c)) return explore::head_label(fusion);
    return "h" + std::to_string(c);
}

std::string item_name(const Columns& cols, int layer, int c, int fusion) {
    std::string col = cols.is_rollout(c)  ? "rollout"
                      : cols.is_fusion(c) ? explore::head_label(fusion)
                                          : "h" + std::to_string(c);
    return "model_view.l" + std::to_string(layer) + "." + col;
}

bool selected(const Settings& s, const Columns& cols, int layer, int c) {
    if (layer != s.layer) return false;
    if (cols.is_rollout(c)) return s.rollout;
    if (s.rollout) return false;
    return cols.is_fusion(c) ? s.head == s.fusion : s.head == c;
}

// What a head does, in numbers, for the thumbnail's tooltip.
std::string stats_line(const ModelRun& run, int layer, int head) {
    const HeadStatsTable& t = run.head_stats;
    if (head < 0 || layer >= t.layers || head >= t.heads) return "";
    const HeadStats& h = t.at(layer, head);
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "entropy %.2f nats   previous-token %.2f   next-token %.2f\n[CLS] %.2f   [SEP] %.2f   mean "
                  "distance %.1f %s",
                  h.entropy, h.previous_share, h.next_share, h.cls_share, h.sep_share, h.mean_distance,
                  t.patches ? "patches" : "tokens");
    std::string out = buf;
    // Absent statistics (no [CLS] label, ...) print as nan: say so in words.
    for (size_t at = out.find("nan"); at != std::string::npos; at = out.find("nan", at + 1))
        out.replace(at, 3, "-");
    return out;
}

}  // namespace

void ModelView::draw_header(AppContext& ctx, const MapModel& maps) {
    Settings& s = ctx.settings;
    const ModelRun& run = *ctx.model_run;
    if (maps.batches() > 1) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
        const std::string current = "sentence " + std::to_string(s.batch + 1);
        if (ImGui::BeginCombo("##mv_batch", current.c_str())) {
            for (int b = 0; b < static_cast<int>(maps.batches()); ++b) {
                std::string label = std::to_string(b + 1) + ": ";
                for (const std::string& t : run.inputs.tokens[static_cast<size_t>(b)])
                    label += t + " ";
                if (ImGui::Selectable(views::fit_text(label, ImGui::GetFontSize() * 30.0f).c_str(), b == s.batch))
                    s.batch = b;
            }
            ImGui::EndCombo();
        }
        ctx.note_item("model_view.batch");
        ImGui::SameLine();
    }
    explore::quantity_switch(ctx, maps);
    if (maps.has_fusions()) {
        ImGui::SameLine();
        const int fusions[] = {kMeanHead, kMaxHead, kMinHead};
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.5f);
        if (ImGui::BeginCombo("##mv_fusion", explore::head_label(s.fusion).c_str())) {
            for (int f : fusions)
                if (ImGui::Selectable(explore::head_label(f).c_str(), f == s.fusion)) {
                    if (s.head == s.fusion) s.head = f;  // the large map follows the column
                    s.fusion = f;
                }
            ImGui::EndCombo();
        }
        ctx.note_item("model_view.fusion");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("The column after the heads: their mean, max or min, cell by cell.");
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
    int side = static_cast<int>(thumb_);
    if (ImGui::SliderInt("##mv_size", &side, 0, static_cast<int>(kMaxSide), side == 0 ? "fit" : "%d px"))
        thumb_ = side == 0 ? 0.0f : std::max(static_cast<float>(side), kMinSide);
    ctx.note_item("model_view.size");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Thumbnail size (0: fit the panel's width)");
    ImGui::SameLine();
    explore::layer_slider(ctx, static_cast<int>(maps.layers()), "##mv_layer", ImGui::GetFontSize() * 8.0f);
    ctx.note_item("model_view.layer");
    ImGui::SameLine();
    if (ImGui::Button("Save picture")) {
        try {
            ctx.info(export_maps(ctx, ExportKind::Grid, ctx.export_dir).summary);
        } catch (const std::exception& e) {
            ctx.error(std::string("Export failed: ") + e.what());
        }
    }
    ctx.note_item("model_view.export");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Every layer x head of this batch item as one picture (the mean column, as\n"
            "attnscope-cli run --export-maps DIR --export-grid writes it), into the export folder");
}

void ModelView::draw_grid(AppContext& ctx, MapViews& views, const MapModel& maps, float height) {
    Settings& s = ctx.settings;
    const ModelRun& run = *ctx.model_run;
    const Columns cols = columns_of(maps);
    const int layers = static_cast<int>(maps.layers()), ncols = cols.count();
    const MapStyle style = ctx.map_style();
    const ImGuiStyle& st = ImGui::GetStyle();

    const float label_w = ImGui::CalcTextSize("L00").x + 8.0f;
    const float caption_h = ImGui::GetTextLineHeight() + 2.0f;
    const float avail_w = ImGui::GetContentRegionAvail().x;
    const float fit = std::floor(
        (avail_w - label_w - st.ScrollbarSize - 2.0f * st.WindowPadding.x) / static_cast<float>(ncols) - kGap);
    const float side = std::clamp(thumb_ > 0.0f ? thumb_ : fit, kMinSide, kMaxSide);
    // Over a picture the thumbnails take its aspect; matrices are square.
    float side_h = side;
    const MapKey probe = cell_key(ctx, maps, cols, 0, 0);
    if (maps.spatial(probe))
        if (const Image* picture = maps.picture(probe.batch); picture && picture->width > 0)
            side_h = std::floor(side * static_cast<float>(picture->height) / static_cast<float>(picture->width));
    const float cell_w = side + kGap, cell_h = side_h + kGap;

    ImGui::BeginChild("##model_view_grid", ImVec2(avail_w, height), true, ImGuiWindowFlags_HorizontalScrollbar);
    ctx.note_item("model_view.grid");
    const ImVec2 origin = ImGui::GetCursorScreenPos();  // the content's top-left, scrolled
    const float scroll_x = ImGui::GetScrollX(), scroll_y = ImGui::GetScrollY();
    const ImVec2 view = ImGui::GetContentRegionAvail();
    const float view_w = ImGui::GetWindowWidth(), view_h = ImGui::GetWindowHeight();

    // Bring the layer shown into view when it changed (a key, the slider, a click in the table).
    if (s.layer != scrolled_layer_) {
        const float top = caption_h + cell_h * static_cast<float>(s.layer);
        if (top < scroll_y + caption_h || top + cell_h > scroll_y + view_h - st.ScrollbarSize)
            ImGui::SetScrollY(std::max(0.0f, top - view_h * 0.5f + cell_h * 0.5f));
        scrolled_layer_ = s.layer;
    }

    const int first_row = std::clamp(static_cast<int>((scroll_y - caption_h) / cell_h), 0, layers);
    const int last_row = std::clamp(static_cast<int>(std::ceil((scroll_y + view_h) / cell_h)) + 1, 0, layers);
    const int first_col = std::clamp(static_cast<int>((scroll_x - label_w) / cell_w), 0, ncols);
    const int last_col = std::clamp(static_cast<int>(std::ceil((scroll_x + view_w) / cell_w)) + 1, 0, ncols);
    (void)view;

    ImDrawList* draw = ImGui::GetWindowDrawList();
    for (int l = first_row; l < last_row; ++l) {
        const float y = origin.y + caption_h + cell_h * static_cast<float>(l);
        ImGui::PushID(l);
        for (int c = first_col; c < last_col; ++c) {
            const float x = origin.x + label_w + cell_w * static_cast<float>(c);
            const ImVec2 p0(x, y), p1(x + side, y + side_h);
            const MapKey key = cell_key(ctx, maps, cols, l, c);
            const gl::Texture& texture = views.texture(key, style, static_cast<int>(side), static_cast<int>(side_h));
            draw->AddImage(gl::imgui_texture_id(texture), p0, p1, ImVec2(0, 1), ImVec2(1, 0));
            ImGui::SetCursorScreenPos(p0);
            ImGui::PushID(c);
            const bool clicked = ImGui::InvisibleButton("##t", ImVec2(side, side_h));
            ImGui::PopID();
            if (ctx.items) ctx.note_item(item_name(cols, l, c, s.fusion));
            if (clicked) explore::open_head(ctx, l, cols.is_fusion(c) ? s.fusion : c, cols.is_rollout(c));
            if (selected(s, cols, l, c))
                draw->AddRect(ImVec2(p0.x - 1, p0.y - 1), ImVec2(p1.x + 1, p1.y + 1), views::kSelectedFrame, 0, 0,
                              2.0f);
            if (ImGui::IsItemHovered()) {
                draw->AddRect(p0, p1, views::kHoverFrame);
                std::string tip = explore::map_caption(key);
                if (!cols.is_rollout(c) && !cols.is_fusion(c)) tip += "\n" + stats_line(run, l, c);
                if (cols.is_rollout(c))
                    tip += "\nhow much each input token reaches each position after layers 0.." + std::to_string(l) +
                           ",\nthe residual counted as half of identity (Abnar & Zuidema 2020)";
                ImGui::SetTooltip("%s\nclick to show it large", tip.c_str());
            }
        }
        ImGui::PopID();
    }
    // The layer of each row on the left, and the columns' names on top, kept in view while the
    // grid scrolls (drawn last, over the thumbnails that scroll under them).
    const ImVec2 win = ImGui::GetWindowPos();
    const ImU32 bg = ImGui::GetColorU32(ImGuiCol_ChildBg, 1.0f) | IM_COL32_A_MASK;
    const float left = std::max(origin.x, win.x), top = std::max(origin.y, win.y);
    draw->AddRectFilled(ImVec2(left, top), ImVec2(left + label_w, win.y + view_h), bg);
    for (int l = first_row; l < last_row; ++l) {
        const float y = origin.y + caption_h + cell_h * static_cast<float>(l);
        const ImU32 colour = l == s.layer ? ImGui::GetColorU32(views::kNoteText) : IM_COL32_WHITE;
        views::text_centred(draw, ImVec2(left, y), ImVec2(left + label_w, y + side_h), colour, "L" + std::to_string(l));
    }
    draw->AddRectFilled(ImVec2(win.x, top), ImVec2(win.x + view_w, top + caption_h), bg);
    for (int c = first_col; c < last_col; ++c) {
        const float x = origin.x + label_w + cell_w * static_cast<float>(c);
        const bool extra = cols.is_fusion(c) || cols.is_rollout(c);
        views::text_centred(draw, ImVec2(x, top), ImVec2(x + side, top + caption_h),
                            extra ? ImGui::GetColorU32(views::kNoteText) : IM_COL32_WHITE,
                            column_caption(cols, c, s.fusion));
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(label_w + cell_w * static_cast<float>(ncols), caption_h + cell_h * static_cast<float>(layers)));

    // Draw ahead: the rows around the view, so that scrolling finds their textures made.
    const auto start = std::chrono::steady_clock::now();
    const int span = std::max(1, last_row - first_row);
    for (int tries = 0; tries < 2 * span + 2; ++tries) {
        const int l = (prefetch_row_ % 2 == 0) ? last_row + prefetch_row_ / 2 : first_row - 1 - prefetch_row_ / 2;
        prefetch_row_ = (prefetch_row_ + 1) % (2 * span + 2);
        if (l < 0 || l >= layers) continue;
        for (int c = first_col; c < last_col; ++c)
            views.texture(cell_key(ctx, maps, cols, l, c), style, static_cast<int>(side), static_cast<int>(side_h));
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > kPrefetchBudgetSeconds)
            break;
    }
    ImGui::EndChild();

    if (ctx.items)
        ctx.test_state["model_view"] = {{"side", side},           {"first_row", first_row}, {"last_row", last_row},
                                        {"first_col", first_col}, {"last_col", last_col},   {"layers", layers},
                                        {"columns", ncols}};
}

void ModelView::draw(AppContext& ctx) {
    if (!views::pass_ready(ctx, /*real_models_too=*/true)) return;
    if (!ctx.real_model()) {
        ImGui::TextWrapped(
            "The model view shows every layer x head of a real model at once. Choose use-lite or a Hugging Face "
            "folder in the Model panel.");
        return;
    }
    const MapModel& maps = *ctx.map_model;
    if (maps.empty()) {
        ImGui::TextColored(views::kDimText, "This pass has no attention maps to show.");
        return;
    }
    if (pass_ != ctx.pass_id) {
        pass_ = ctx.pass_id;
        scrolled_layer_ = -1;
        prefetch_row_ = 0;
    }
    draw_header(ctx, maps);
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + ImGui::GetStyle().ItemSpacing.y + line;
    const float grid_h =
        std::max(60.0f, ImGui::GetContentRegionAvail().y - colorbar_h - ImGui::GetStyle().ItemSpacing.y);
    draw_grid(ctx, *ctx.maps, maps, grid_h);

    // The colours of the thumbnails: what the heads show (weights or norms), and the numbers at the
    // ends are the framed map's (each thumbnail spans its own range unless one range is shared).
    const MapKey key = ctx.current_map();
    const MapRange range = ctx.maps->range(key, ctx.map_style());
    std::string caption = explore::quantity_caption(explore::head_quantity(ctx));
    caption += ctx.settings.shared_normalisation ? ", one range for all" : ", own range each (framed: ends)";
    views::colorbar(*ctx.maps, ctx.settings.colormap, range,
                    std::min(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 36.0f), caption.c_str());
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Each thumbnail's colours span its own min .. max; the numbers at the ends are those of the "
            "framed map (%s).\nThe rollout column is the rollout from the input to that layer.",
            explore::map_caption(key).c_str());
}

}  // namespace attn::gui
