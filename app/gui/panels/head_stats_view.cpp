#include "panels/head_stats_view.h"

#include "analysis/model_analysis.h"
#include "analysis/token_layout.h"
#include "errors.h"
#include "exporter.h"
#include "model_run.h"
#include "panels/explore_widgets.h"
#include "panels/view_widgets.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace attn::gui {

namespace {

// The table's columns: layer, head, every statistic, query rows. user_id = index here.
struct Column {
    std::string key, label, tooltip;
    std::optional<HeadStat> stat;
};

std::vector<Column> table_columns(bool patches) {
    std::vector<Column> c;
    c.push_back({"layer", "layer", "the layer (0 = nearest the input); a click on a row opens the head", std::nullopt});
    c.push_back({"head", "head", "the head within its layer", std::nullopt});
    // What a head does first (where it looks), then how spread its rows are: the table is wider
    // than the panel, and the columns a question starts from ("which heads look at the previous
    // token?") are then on screen without scrolling.
    std::vector<HeadStatDefinition> defs = head_stat_definitions(patches);
    const std::vector<std::string> first = {"previous_share", "next_share", "self_share",
                                            "cls_share",      "sep_share",  "mean_distance"};
    const auto rank = [&](const HeadStatDefinition& d) {
        const auto it = std::find(first.begin(), first.end(), d.key);
        return static_cast<size_t>(it - first.begin());
    };
    std::stable_sort(defs.begin(), defs.end(),
                     [&](const HeadStatDefinition& a, const HeadStatDefinition& b) { return rank(a) < rank(b); });
    for (const HeadStatDefinition& d : defs)
        c.push_back({d.key, d.label + (d.unit.empty() ? "" : " (" + d.unit + ")"), d.definition, d.stat});
    c.push_back({"query_rows", "rows", "the real query rows the means are over", std::nullopt});
    return c;
}

std::string number(double v, int digits = 3) {
    if (std::isnan(v)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// The statistic the heat grid shows: the sort column, or the previous-token share when the table
// is sorted by layer, head or rows.
HeadStat grid_stat(const Settings& s) {
    return head_stat_from_name(s.stats_sort).value_or(HeadStat::PreviousShare);
}

}  // namespace

const HeadStatsTable& HeadStatsView::table(const AppContext& ctx) {
    const ModelRun& run = *ctx.model_run;
    if (pass_ != ctx.pass_id) {
        pass_ = ctx.pass_id;
        item_.reset();
        order_key_.clear();
        if (batch_item_ >= static_cast<int>(run.inputs.tokens.size())) batch_item_ = -1;
    }
    if (batch_item_ < 0) return run.head_stats;
    // One batch item's table: made here, once per choice (layers x heads x L x L weights, cheap).
    if (!item_ || item_->batch_item != batch_item_)
        item_ = compute_head_stats(layer_attentions(run.pass), token_layout_of(run.inputs), batch_item_);
    return *item_;
}

void HeadStatsView::update_order(const AppContext& ctx, const HeadStatsTable& t) {
    const Settings& s = ctx.settings;
    if (s.stats_filter != filter_text_ || order_key_.empty()) {
        filter_text_ = s.stats_filter;
        try {
            filters_ = parse_head_filters(filter_text_);
            filter_error_.clear();
        } catch (const Error& e) {
            filters_.clear();  // a filter being typed lists every head meanwhile
            filter_error_ = e.what();
        }
        order_key_.clear();
    }
    const std::string key = s.stats_sort + (s.stats_descending ? "-" : "+") + filter_text_ + "#" +
                            std::to_string(t.batch_item) + "@" + std::to_string(ctx.pass_id);
    if (key == order_key_) return;
    order_ = head_order(t, s.stats_sort, s.stats_descending, filters_);
    order_key_ = key;
}

void HeadStatsView::draw_controls(AppContext& ctx, const HeadStatsTable& t) {
    Settings& s = ctx.settings;
    const ModelRun& run = *ctx.model_run;
    const int batches = static_cast<int>(run.inputs.tokens.size());
    if (batches > 1) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
        const std::string current = batch_item_ < 0 ? "every sentence" : "sentence " + std::to_string(batch_item_ + 1);
        if (ImGui::BeginCombo("##stats_batch", current.c_str())) {
            if (ImGui::Selectable("every sentence", batch_item_ < 0)) batch_item_ = -1;
            for (int b = 0; b < batches; ++b)
                if (ImGui::Selectable(("sentence " + std::to_string(b + 1)).c_str(), b == batch_item_)) batch_item_ = b;
            ImGui::EndCombo();
        }
        ctx.note_item("stats.batch");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("The means pool the real query rows of every sentence, or one's.");
        ImGui::SameLine();
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16.0f);
    ImGui::InputTextWithHint("##stats_filter", "filter: previous_share > 0.5, entropy < 2", &s.stats_filter);
    ctx.note_item("stats.filter");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Conditions on the columns, all of which a head must meet: a column's name (previous_share,\n"
            "cls_share, entropy, mean_distance...), one of < <= > >=, and a number. Separate them with ,");
    ImGui::SameLine();
    ImGui::TextColored(views::kDimText, "%zu of %zu heads", order_.size(), t.rows.size());
    ImGui::SameLine();
    if (ImGui::Button("Save CSV + JSON")) {
        try {
            ctx.info(export_head_stats(t, ctx.export_dir).summary);
        } catch (const std::exception& e) {
            ctx.error(std::string("Export failed: ") + e.what());
        }
    }
    ctx.note_item("stats.export");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "head_stats.json (the format of attnscope-cli run --model ... --dump) and head_stats.csv,\n"
            "into the export folder");
    if (!filter_error_.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(1.0f, 0.42f, 0.42f, 1.0f), "%s", filter_error_.c_str());
        ImGui::PopTextWrapPos();
    }
}

void HeadStatsView::draw_heat_grid(AppContext& ctx, const HeadStatsTable& t, float width, float height) {
    Settings& s = ctx.settings;
    const HeadStat stat = grid_stat(s);
    const HeadStatDefinition& def = head_stat_definition(stat, t.patches);
    ImGui::BeginGroup();
    ImGui::TextUnformatted(views::fit_text(def.label + ", layer x head", width).c_str());
    const int L = static_cast<int>(t.layers), H = static_cast<int>(t.heads);
    const float label_w = ImGui::CalcTextSize("L00").x + 4.0f, caption_h = ImGui::GetTextLineHeight();
    const float cell = std::floor(std::clamp(
        std::min((width - label_w) / std::max(1, H), (height - caption_h * 2.0f) / std::max(1, L)), 6.0f, 48.0f));
    // Colours over the table's finite range of the statistic.
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const HeadStats& h : t.rows) {
        const double v = h.value(stat);
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    std::vector<bool> shown(t.rows.size(), false);
    for (size_t i : order_)
        shown[i] = true;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    for (int h = 0; h < H; ++h)
        views::text_centred(draw, ImVec2(origin.x + label_w + cell * h, origin.y),
                            ImVec2(origin.x + label_w + cell * (h + 1), origin.y + caption_h), IM_COL32_WHITE,
                            cell >= ImGui::CalcTextSize("00").x ? std::to_string(h) : "");
    const bool values_fit = cell >= ImGui::CalcTextSize("0.00").x + 2.0f;
    for (int l = 0; l < L; ++l) {
        const float y = origin.y + caption_h + cell * l;
        views::text_centred(draw, ImVec2(origin.x, y), ImVec2(origin.x + label_w, y + cell),
                            l == s.layer ? ImGui::GetColorU32(views::kNoteText) : IM_COL32_WHITE,
                            "L" + std::to_string(l));
        for (int h = 0; h < H; ++h) {
            const size_t index = static_cast<size_t>(l) * static_cast<size_t>(H) + static_cast<size_t>(h);
            const double v = t.rows[index].value(stat);
            const ImVec2 c0(origin.x + label_w + cell * h, y), c1(c0.x + cell - 1.0f, y + cell - 1.0f);
            const float u = hi > lo ? static_cast<float>((v - lo) / (hi - lo)) : 0.5f;
            const auto rgb = std::isfinite(v) ? colormap_rgb(s.colormap, u) : std::array<uint8_t, 3>{60, 60, 64};
            draw->AddRectFilled(c0, c1, IM_COL32(rgb[0], rgb[1], rgb[2], 255));
            if (!shown[index]) draw->AddRectFilled(c0, c1, IM_COL32(0, 0, 0, 170));  // filtered out
            if (values_fit && std::isfinite(v)) views::text_centred(draw, c0, c1, views::text_on(rgb), number(v, 2));
            ImGui::SetCursorScreenPos(c0);
            ImGui::PushID(static_cast<int>(index));
            if (ImGui::InvisibleButton("##c", ImVec2(cell, cell))) explore::open_head(ctx, l, h);
            ImGui::PopID();
            if (ctx.items) ctx.note_item("stats.cell.l" + std::to_string(l) + ".h" + std::to_string(h));
            if (!s.rollout && s.layer == l && s.head == h)
                draw->AddRect(ImVec2(c0.x - 1, c0.y - 1), ImVec2(c1.x + 1, c1.y + 1), views::kSelectedFrame, 0, 0,
                              2.0f);
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("layer %d, head %d: %s = %s\n%s\nclick to open the head", l, h, def.key.c_str(),
                                  number(v, 4).c_str(), def.definition.c_str());
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + caption_h + cell * L + 2.0f));
    ImGui::TextColored(views::kDimText, "%s",
                       views::fit_text(std::isfinite(lo) ? number(lo, 2) + " .. " + number(hi, 2) +
                                                               "  (sort a column "
                                                               "to show it here)"
                                                         : "absent for this model",
                                       width)
                           .c_str());
    ImGui::EndGroup();
}

void HeadStatsView::draw_table(AppContext& ctx, const HeadStatsTable& t, float height) {
    Settings& s = ctx.settings;
    const std::vector<Column> columns = table_columns(t.patches);
    const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersOuter |
                                  ImGuiTableFlags_BordersV | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_Resizable;
    if (!ImGui::BeginTable("##head_stats", static_cast<int>(columns.size()), flags, ImVec2(0.0f, height))) return;
    ImGui::TableSetupScrollFreeze(2, 1);
    for (size_t c = 0; c < columns.size(); ++c) {
        ImGuiTableColumnFlags f = ImGuiTableColumnFlags_None;
        // Statistics sort largest first on the first click: "which heads do most of X".
        if (columns[c].stat) f |= ImGuiTableColumnFlags_PreferSortDescending;
        if (columns[c].key == s.stats_sort) {
            f |= ImGuiTableColumnFlags_DefaultSort;
            f &= ~ImGuiTableColumnFlags_PreferSortDescending;
            f |= s.stats_descending ? ImGuiTableColumnFlags_PreferSortDescending
                                    : ImGuiTableColumnFlags_PreferSortAscending;
        }
        ImGui::TableSetupColumn(columns[c].label.c_str(), f, 0.0f, static_cast<ImGuiID>(c));
    }
    // The header row by hand, for the definitions in tooltips.
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    for (size_t c = 0; c < columns.size(); ++c) {
        ImGui::TableSetColumnIndex(static_cast<int>(c));
        ImGui::TableHeader(columns[c].label.c_str());
        ctx.note_item("stats.header." + columns[c].key);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nclick to sort by it", columns[c].tooltip.c_str());
    }
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            const ImGuiTableColumnSortSpecs& spec = specs->Specs[0];
            const size_t c = std::min<size_t>(spec.ColumnUserID, columns.size() - 1);
            s.stats_sort = columns[c].key;
            s.stats_descending = spec.SortDirection == ImGuiSortDirection_Descending;
        }
        specs->SpecsDirty = false;
        update_order(ctx, t);
    }

    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(order_.size()));
    while (clipper.Step())
        for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
            const HeadStats& h = t.rows[order_[static_cast<size_t>(r)]];
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            const bool open = !s.rollout && s.layer == h.layer && s.head == h.head;
            char label[32];
            std::snprintf(label, sizeof label, "%lld##r%d", static_cast<long long>(h.layer), r);
            if (ImGui::Selectable(label, open,
                                  ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap))
                explore::open_head(ctx, static_cast<int>(h.layer), static_cast<int>(h.head));
            if (ctx.items) ctx.note_item("stats.row." + std::to_string(r));
            ImGui::TableSetColumnIndex(1);
            ImGui::Text("%lld", static_cast<long long>(h.head));
            for (size_t c = 2; c + 1 < columns.size(); ++c) {
                ImGui::TableSetColumnIndex(static_cast<int>(c));
                ImGui::TextUnformatted(number(h.value(*columns[c].stat)).c_str());
            }
            ImGui::TableSetColumnIndex(static_cast<int>(columns.size()) - 1);
            ImGui::Text("%lld", static_cast<long long>(h.rows));
        }
    ImGui::EndTable();
}

void HeadStatsView::draw(AppContext& ctx) {
    if (!views::pass_ready(ctx, /*real_models_too=*/true)) return;
    if (!ctx.real_model()) {
        ImGui::TextWrapped("Head statistics are made for real models: choose use-lite or a folder in the Model panel.");
        return;
    }
    const HeadStatsTable& t = table(ctx);
    update_order(ctx, t);
    draw_controls(ctx, t);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float grid_w = std::floor(std::min(avail.x * 0.4f, ImGui::GetFontSize() * 26.0f));
    draw_heat_grid(ctx, t, grid_w, avail.y);
    ImGui::SameLine();
    draw_table(ctx, t, avail.y);

    if (ctx.items) {
        nlohmann::json top = nlohmann::json::array();
        for (size_t i = 0; i < order_.size() && i < 12; ++i) {
            const HeadStats& h = t.rows[order_[i]];
            top.push_back({{"layer", h.layer},
                           {"head", h.head},
                           {"previous_share", std::isnan(h.previous_share) ? -1.0 : h.previous_share}});
        }
        ctx.test_state["head_stats"] = {{"sort", ctx.settings.stats_sort},
                                        {"descending", ctx.settings.stats_descending},
                                        {"shown", order_.size()},
                                        {"filter_error", filter_error_},
                                        {"top", top}};
    }
}

}  // namespace attn::gui
