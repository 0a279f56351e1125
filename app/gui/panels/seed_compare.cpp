#include "panels/seed_compare.h"

#include "exporter.h"
#include "imgui_texture.h"
#include "panels/compare_view.h"
#include "panels/view_widgets.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

const ImVec4 kAccent(0.95f, 0.69f, 0.25f, 1.0f);

// Where a pane put its map, so that a hover over one pane frames the same cell in all three.
struct PaneRect {
    ImVec2 p0, size;
    bool hovered = false;
};

// The map's on-screen size in `box`: the picture's shape for a map over a picture, else square
// cells.
ImVec2 map_size(const MapModel& model, const MapKey& key, ImVec2 box) {
    const auto [rows, cols] = model.size(key);
    if (model.spatial(key))
        if (const Image* p = model.picture(key.batch))
            return views::fit_size(static_cast<float>(p->width), static_cast<float>(p->height), box);
    const float cell = std::min(box.x / static_cast<float>(cols), box.y / static_cast<float>(rows));
    return ImVec2(std::max(1.0f, std::floor(cell * cols)), std::max(1.0f, std::floor(cell * rows)));
}

PaneRect draw_texture(AppContext& ctx, const gl::Texture& texture, ImVec2 size, const char* name) {
    PaneRect r;
    r.p0 = ImGui::GetCursorScreenPos();
    r.size = size;
    gl::image_upright(texture, size);
    ctx.note_item(name);
    r.hovered = ImGui::IsItemHovered();
    return r;
}

// The values in the cells when they fit ("0.25", "NaN"), so a uniform row and a NaN row read at
// once; `value(r, c)` gives a cell, `colour_of(v)` the fill it was drawn in.
template <class Value, class Fill>
void cell_values(const PaneRect& p, int64_t rows, int64_t cols, Value&& value, Fill&& fill) {
    const float cw = p.size.x / cols, ch = p.size.y / rows;
    if (cw < ImGui::CalcTextSize("-0.00").x + 4.0f || ch < ImGui::GetFontSize() + 2.0f) return;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const float v = value(r, c);
            char text[16];
            if (std::isnan(v))
                std::snprintf(text, sizeof text, "NaN");
            else
                std::snprintf(text, sizeof text, "%.2f", static_cast<double>(v));
            const ImVec2 c0(p.p0.x + cw * c, p.p0.y + ch * r);
            views::text_centred(draw, c0, ImVec2(c0.x + cw, c0.y + ch), views::text_on(fill(v)), text);
        }
}

// The difference's colorbar, symmetric about 0, with its ends.
void difference_colorbar(float max_abs, float width) {
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float bar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f);
    const ImVec2 b0 = ImGui::GetCursorScreenPos();
    const int steps = 32;
    for (int i = 0; i < steps; ++i) {
        const float x0 = b0.x + width * i / steps, x1 = b0.x + width * (i + 1) / steps;
        const float t0 = -1.0f + 2.0f * i / steps, t1 = -1.0f + 2.0f * (i + 1) / steps;
        draw->AddRectFilledMultiColor(ImVec2(x0, b0.y), ImVec2(x1 + 0.5f, b0.y + bar_h), diverging_colour(t0),
                                      diverging_colour(t1), diverging_colour(t1), diverging_colour(t0));
    }
    ImGui::Dummy(ImVec2(width, bar_h));
    const std::string lo = views::format_value(-max_abs), hi = views::format_value(max_abs);
    const ImVec2 t0 = ImGui::GetCursorScreenPos();
    draw->AddText(t0, IM_COL32_WHITE, lo.c_str());
    const float hi_w = ImGui::CalcTextSize(hi.c_str()).x;
    draw->AddText(ImVec2(t0.x + width - hi_w, t0.y), IM_COL32_WHITE, hi.c_str());
    const char* cap = "A - B (coolwarm)";
    const float cap_w = ImGui::CalcTextSize(cap).x;
    if (cap_w + ImGui::CalcTextSize(lo.c_str()).x + hi_w + 16.0f <= width)
        draw->AddText(ImVec2(t0.x + (width - cap_w) * 0.5f, t0.y), ImGui::GetColorU32(views::kDimText), cap);
    ImGui::Dummy(ImVec2(width, ImGui::GetTextLineHeight()));
}

// B's pass has this map, of A's size (an older scene may have fewer items or other lengths).
bool has_same_map(const MapModel& b, const MapModel& a, const MapKey& key) {
    try {
        return b.canonical(key) == key && b.size(key) == a.size(key);
    } catch (const Error&) {
        return false;
    }
}

// What a pane's settings are on screen, the module's own fill named: "mask fill -1e9, scale module".
std::string screen_label(const ComputeSettings& c) {
    return "mask fill " + mask_fill_name(effective_fill(c.module, c.mask_fill)) + ", scale " + scale_name(c.scale);
}

// The colour a weight was drawn in, for the text over it.
std::array<uint8_t, 3> weight_fill(float v, MapRange range, Colormap cmap) {
    if (std::isnan(v)) return kNanColour;
    return colormap_rgb(cmap,
                        range.hi > range.lo ? std::clamp((v - range.lo) / (range.hi - range.lo), 0.0f, 1.0f) : 0.5f);
}

const char* kFills[] = {"-1e9", "-inf", "module"};
const char* kScales[] = {"module", "depth", "emb", "number"};

}  // namespace

void SeedCompare::draw_switch(AppContext& ctx) {
    ImGui::Checkbox("A | B", &ctx.settings.compare_open);
    ctx.note_item("attention.compare");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Side by side: the same scene again under pane B's own mask fill and scale\n"
            "(-1e9 against -inf at first), and A - B. Try a sentence that is all padding.");
}

bool SeedCompare::b_controls(AppContext& ctx, const ComputeSettings& a) {
    Settings& s = ctx.settings;
    const float font = ImGui::GetFontSize();
    bool changed = false;
    ImGui::TextColored(kAccent, "B");
    ImGui::SameLine();
    ImGui::TextUnformatted("mask fill");
    ImGui::SameLine();
    const std::string fill = mask_fill_name(pane_b_fill(a, s.view()));
    ImGui::SetNextItemWidth(font * 5.5f);
    if (ImGui::BeginCombo("##b_fill", fill.c_str())) {
        for (const char* f : kFills) {
            if (ImGui::Selectable(f, fill == f)) {
                s.compare_b_mask_fill = f;
                changed = true;
            }
            ctx.note_item(std::string("compare.b_fill.") + f);
        }
        ImGui::EndCombo();
    }
    ctx.note_item("compare.b_fill");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("What B writes into the scores of padded keys before the softmax (A: the Model panel's)");
    ImGui::SameLine();
    ImGui::TextUnformatted("scale");
    ImGui::SameLine();
    const ScaleChoice scale = pane_b_scale(a, s.view());
    const std::string shown = scale.kind == ScaleChoice::Kind::Number ? "number" : scale_name(scale);
    ImGui::SetNextItemWidth(font * 6.0f);
    if (ImGui::BeginCombo("##b_scale", shown.c_str())) {
        for (const char* k : kScales) {
            if (ImGui::Selectable(k, shown == k)) {
                // A number starts at the seed's own 1/sqrt(depth)-like value 0.125 (emb 64).
                s.compare_b_scale = std::string(k) == "number"
                                        ? scale_name(ScaleChoice{ScaleChoice::Kind::Number, 0.125})
                                        : std::string(k);
                changed = true;
            }
            ctx.note_item(std::string("compare.b_scale.") + k);
        }
        ImGui::EndCombo();
    }
    ctx.note_item("compare.b_scale");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("The factor B's scores are multiplied by (A: the Model panel's)");
    if (scale.kind == ScaleChoice::Kind::Number) {
        ImGui::SameLine();
        float v = static_cast<float>(scale.value);
        ImGui::SetNextItemWidth(font * 7.0f);
        if (ImGui::SliderFloat("##b_scale_value", &v, 0.001f, 10.0f, "%.4g", ImGuiSliderFlags_Logarithmic)) {
            s.compare_b_scale = scale_name(ScaleChoice{ScaleChoice::Kind::Number, std::clamp(v, 0.001f, 10.0f)});
            changed = true;
        }
        ctx.note_item("compare.b_scale_value");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("A temperature: larger sharpens the softmax, smaller flattens it (Ctrl+click to type)");
    }
    ImGui::SameLine();
    if (ImGui::SmallButton("as A")) {  // B's settings forgotten: the other fill of A's, A's scale
        s.compare_b_mask_fill.clear();
        s.compare_b_scale.clear();
        changed = true;
    }
    ctx.note_item("compare.b_reset");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("B back to A's settings with the other mask fill");
    return changed;
}

void SeedCompare::update_b(AppContext& ctx, const ComputeSettings& b) {
    // Asked at once (not debounced): the worker keeps only the newest request, and a pass of
    // settings that are no longer B's is never drawn (result_for).
    if (ctx.blocked_reason().empty()) pass_.ask(b, gui::scene_spec(b, ctx.default_image(), ctx.tokens().batch));
    pass_.take_results();
    if (pass_.busy()) ctx.side_pass_busy = true;
}

void SeedCompare::save_button(AppContext& ctx, const MapKey& key, const MapModel& b_model, const std::string& label_a,
                              const std::string& label_b) {
    save_panes_button(ctx, "attnscope-cli run ... --export-panes DIR --pane-a NAME --b-mask-fill F --b-scale S", [&] {
        const MapModel& a_model = *ctx.maps->model();
        const PaneMap pa{&a_model, a_model.canonical(key), label_a};
        const PaneMap pb{&b_model, b_model.canonical(key), label_b};
        return export_pane_maps(ctx, pa, pb, ctx.export_dir);
    });
}

void SeedCompare::draw(AppContext& ctx) {
    const Settings& s = ctx.settings;
    // A: the settings of the pass shown (the Model panel's may be newer while it is computed), so
    // B is always the scene A shows.
    const ComputeSettings a = ctx.shown_settings ? *ctx.shown_settings : s.compute();
    const ComputeSettings b = pane_b_settings(a, s.view());
    update_b(ctx, b);
    b_controls(ctx, a);
    ImGui::SameLine();
    const EngineResult* rb = pass_.result_for(b);
    if (!pass_.error().empty())
        ImGui::TextColored(views::kDimText, "B: %s", pass_.error().c_str());
    else if (!rb)
        ImGui::TextColored(views::kDimText, "B: computing...");
    else
        ImGui::TextColored(views::kDimText, "B: %.3f s", rb->seconds);

    MapViews& a_views = *ctx.maps;
    const MapModel& a_model = *a_views.model();
    const MapKey key = a_model.canonical(ctx.current_map());
    const std::string stem = a_model.file_name(key).substr(0, a_model.file_name(key).size() - 4);
    const std::string label_a = stem + " (" + pane_settings_label(a) + ")";
    const std::string label_b = stem + " (" + pane_settings_label(b) + ")";

    const float spacing = ImGui::GetStyle().ItemSpacing.x * 2.0f;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float pane_w = std::max(60.0f, (avail.x - 2.0f * spacing) / 3.0f);
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float colorbar_h = std::max(6.0f, ImGui::GetFontSize() * 0.6f) + ImGui::GetStyle().ItemSpacing.y + line;
    const ImVec2 box(pane_w, std::max(40.0f, avail.y - line - colorbar_h - ImGui::GetStyle().ItemSpacing.y * 2.0f));
    const ImVec2 size = map_size(a_model, key, box);
    const MapStyle style = ctx.map_style();
    const ImVec2 start = ImGui::GetCursorScreenPos();
    // Each pane a column placed with Indent, not BeginGroup (as compare_view.h): inside a group
    // SameLine(x) counts from the group's edge, and a colorbar's labels would spread over the next.
    float bottom = start.y, indent = 0.0f;
    const auto place = [&](int i) {
        bottom = std::max(bottom, ImGui::GetCursorScreenPos().y);
        if (indent > 0.0f) ImGui::Unindent(indent);
        indent = (pane_w + spacing) * static_cast<float>(i);
        ImGui::SetCursorScreenPos(ImVec2(start.x + indent, start.y));
        if (indent > 0.0f) ImGui::Indent(indent);
    };
    const float text_w = pane_w - ImGui::GetFontSize();

    // A
    place(0);
    ImGui::TextColored(kAccent, "A");
    ImGui::SameLine();
    ImGui::TextUnformatted(views::fit_text(screen_label(a), text_w).c_str());
    std::array<PaneRect, 3> rects;
    rects[0] = draw_texture(ctx, a_views.texture(key, style, static_cast<int>(size.x), static_cast<int>(size.y)), size,
                            "compare.a");
    const auto [rows, cols] = a_model.size(key);
    const bool cells = !a_model.spatial(key);  // values written in a matrix's cells, not over a picture
    if (cells) {
        const MapRange ra = a_model.range(key, style);
        cell_values(
            rects[0], rows, cols, [&](int64_t r, int64_t c) { return a_model.value(key, r, c); },
            [&](float v) { return weight_fill(v, ra, s.colormap); });
    }
    views::colorbar(a_views, s.colormap, a_model.range(key, style), std::min(pane_w, ImGui::GetFontSize() * 16.0f),
                    "weight");

    // B, once its pass of these settings is done
    place(1);
    ImGui::TextColored(kAccent, "B");
    ImGui::SameLine();
    ImGui::TextUnformatted(views::fit_text(screen_label(b), text_w).c_str());
    const MapModel* b_model = rb ? rb->map_model.get() : nullptr;
    if (b_model) {
        if (!b_views_) b_views_ = std::make_unique<MapViews>();
        if (b_views_result_ != pass_.result_id()) {
            b_views_->set_pass(rb->scene, rb->trace, rb->map_model);
            b_views_result_ = pass_.result_id();
        }
    }
    PaneDifference none;
    const bool b_has_key = b_model && has_same_map(*b_model, a_model, key);
    if (b_has_key) {
        rects[1] = draw_texture(ctx, b_views_->texture(key, style, static_cast<int>(size.x), static_cast<int>(size.y)),
                                size, "compare.b");
        if (cells) {
            const MapRange rb_range = b_model->range(key, style);
            cell_values(
                rects[1], rows, cols, [&](int64_t r, int64_t c) { return b_model->value(key, r, c); },
                [&](float v) { return weight_fill(v, rb_range, s.colormap); });
        }
        views::colorbar(*b_views_, s.colormap, b_model->range(key, style),
                        std::min(pane_w, ImGui::GetFontSize() * 16.0f), "weight");
    } else {
        ImGui::Dummy(size);
        ctx.note_item("compare.b");
    }

    // A - B, made once per (A's pass, B's pass, map)
    place(2);
    ImGui::TextColored(kAccent, "A - B");
    if (b_has_key) {
        ImGui::SameLine();
        save_button(ctx, key, *b_model, label_a, label_b);
        if (diff_pass_ != ctx.pass_id || diff_result_ != pass_.result_id() || !(diff_key_ == key)) {
            diff_ = pane_difference(a_model, *b_model, key);
            diff_pass_ = ctx.pass_id;
            diff_result_ = pass_.result_id();
            diff_key_ = key;
            ++diff_version_;
        }
    }
    const PaneDifference& d = b_has_key ? diff_ : none;
    if (d.same_size) {
        const MapRange range{-d.max_abs, d.max_abs};
        const gl::Texture& t = b_views_->array_texture(
            "compare_difference", diff_version_, d.values.data(), static_cast<int>(d.rows), static_cast<int>(d.cols),
            range, kDifferenceColormap, static_cast<int>(size.x), static_cast<int>(size.y));
        rects[2] = draw_texture(ctx, t, size, "compare.diff");
        if (cells)
            cell_values(
                rects[2], rows, cols,
                [&](int64_t r, int64_t c) { return d.values[static_cast<size_t>(r * d.cols + c)]; },
                [&](float v) { return weight_fill(v, range, kDifferenceColormap); });
        difference_colorbar(d.max_abs, std::min(pane_w, ImGui::GetFontSize() * 16.0f));
    } else {
        ImGui::TextColored(views::kDimText, "%s", b_model ? "A and B differ in size" : "waiting for B's pass");
    }

    // One hover for the three panes: the same cell framed in each, its A, B and A - B exactly.
    for (const PaneRect& hovered : rects) {
        if (!hovered.hovered) continue;
        const ImVec2 m = ImGui::GetIO().MousePos;
        const int c =
            std::clamp(static_cast<int>((m.x - hovered.p0.x) / hovered.size.x * cols), 0, static_cast<int>(cols) - 1);
        const int r =
            std::clamp(static_cast<int>((m.y - hovered.p0.y) / hovered.size.y * rows), 0, static_cast<int>(rows) - 1);
        for (const PaneRect& p : rects) {
            if (p.size.x <= 0.0f) continue;
            const float cw = p.size.x / cols, ch = p.size.y / rows;
            ImGui::GetWindowDrawList()->AddRect(ImVec2(p.p0.x + cw * c, p.p0.y + ch * r),
                                                ImVec2(p.p0.x + cw * (c + 1), p.p0.y + ch * (r + 1)),
                                                views::kHoverFrame, 0.0f, 0, 2.0f);
        }
        const std::vector<std::string> lines =
            hover_lines(a_model, b_has_key ? b_model : nullptr, d, key, r, c, screen_label(a), screen_label(b));
        ImGui::BeginTooltip();
        for (const std::string& l : lines)
            ImGui::TextUnformatted(l.c_str());
        ImGui::EndTooltip();
        if (ctx.items) ctx.test_state["compare_seed_hover"] = {{"row", r}, {"col", c}, {"lines", lines}};
        break;
    }
    place(0);  // back to the left edge, below the tallest pane
    ImGui::SetCursorScreenPos(ImVec2(start.x, bottom));
    ImGui::Dummy(ImVec2(0.0f, 0.0f));
    if (a_model.all_keys_padding(key.batch)) {
        ImGui::PushStyleColor(ImGuiCol_Text, views::kNoteText);
        ImGui::TextWrapped(
            "Every key of this sentence is padding. -1e9: every score is the same, so the softmax is uniform "
            "(1/%d each). -inf: exp(-inf - -inf) = NaN, so every weight is NaN (magenta), and so is A - B.",
            static_cast<int>(a_model.keys()));
        ImGui::PopStyleColor();
    }

    if (ctx.items)
        ctx.test_state["compare_seed"] = {{"stem", stem},
                                          {"label_a", label_a},
                                          {"label_b", label_b},
                                          {"b_mask_fill", mask_fill_name(b.mask_fill)},
                                          {"b_scale", scale_name(b.scale)},
                                          {"b_ready", b_model != nullptr},
                                          {"b_error", pass_.error()},
                                          {"rows", d.rows},
                                          {"cols", d.cols},
                                          {"nan_cells", d.nan_cells},
                                          {"max_abs_difference", d.max_abs}};
}

}  // namespace attn::gui
