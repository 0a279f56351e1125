#include "panels/head_view.h"

#include "panels/explore_widgets.h"
#include "panels/view_widgets.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

// BertViz draws a head's lines in that head's colour; one warm colour reads well on the dark theme
// and does not compete with the colormap of the matrix beside it.
constexpr ImU32 kLineRgb = IM_COL32(255, 176, 64, 0);
constexpr float kGap = 70.0f;  // between the two columns, where the lines go (px at font size 16)

const std::string& label(const std::vector<std::vector<std::string>>& labels, int b, int i) {
    static const std::string kNone;
    if (b < 0 || b >= static_cast<int>(labels.size())) return kNone;
    const auto& row = labels[static_cast<size_t>(b)];
    return i >= 0 && i < static_cast<int>(row.size()) ? row[static_cast<size_t>(i)] : kNone;
}

ImU32 with_alpha(ImU32 rgb, float alpha) {
    const int a = std::clamp(static_cast<int>(std::lround(alpha * 255.0f)), 0, 255);
    return (rgb & ~IM_COL32_A_MASK) | (static_cast<ImU32>(a) << IM_COL32_A_SHIFT);
}

}  // namespace

int head_view_query(const AppContext& ctx, const MapModel& maps) {
    return std::clamp(ctx.settings.token, 0, static_cast<int>(std::max<int64_t>(1, maps.queries())) - 1);
}

float head_view_width(const MapModel& maps, int batch) {
    const AttentionSet& set = maps.set();
    float q_w = 0.0f, k_w = 0.0f;
    for (int q = 0; q < maps.queries(); ++q)
        q_w = std::max(q_w, ImGui::CalcTextSize(label(set.query_labels, batch, q).c_str()).x);
    for (int k = 0; k < maps.keys(); ++k)
        k_w = std::max(k_w, ImGui::CalcTextSize(label(set.key_labels, batch, k).c_str()).x);
    const float cap = ImGui::GetFontSize() * 7.0f;  // a long word is cut, not the lines
    // draw_head_view splits the width into two equal columns, each label cut at its column less
    // 4 px: both columns are as wide as the wider side.
    const float column = std::max(std::min(q_w, cap), std::min(k_w, cap)) + 4.0f + 2.0f;
    return 2.0f * column + kGap * ImGui::GetFontSize() / 16.0f + 16.0f;
}

void draw_head_view(AppContext& ctx, const MapModel& maps, const MapKey& key, ImVec2 box, float row_height) {
    const AttentionSet& set = maps.set();
    const int nq = static_cast<int>(maps.queries()), nk = static_cast<int>(maps.keys());
    if (nq <= 0 || nk <= 0 || box.x < 40.0f || box.y < 20.0f) return;
    const int query = head_view_query(ctx, maps);
    const float font = ImGui::GetFontSize();
    const float gap = kGap * font / 16.0f;
    const float col_w = std::max(20.0f, (box.x - gap - 16.0f) * 0.5f);
    // One line per token while they fit; a long sentence shrinks the rows (labels go when too small).
    const float row = row_height > 0.0f
                          ? row_height
                          : std::min(ImGui::GetTextLineHeightWithSpacing(), (box.y - 4.0f) / std::max(nq, nk));
    const bool labels = row >= font * 0.8f;
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float left_x1 = origin.x + col_w, right_x0 = left_x1 + gap;
    const auto q_y = [&](int q) { return origin.y + row * (static_cast<float>(q) + 0.5f); };
    const auto k_y = [&](int k) { return origin.y + row * (static_cast<float>(k) + 0.5f); };

    const MapStyle style = ctx.map_style();
    const MapRange range = maps.range(key, style);
    const auto strength = [&](float v) {
        if (!std::isfinite(v)) return 0.0f;
        return range.hi > range.lo ? std::clamp((v - range.lo) / (range.hi - range.lo), 0.0f, 1.0f) : 0.0f;
    };
    const bool every = ctx.head_view_every_query;
    // values: the chosen query's row, or (every query) the mean each key gets over the real queries.
    std::vector<float> values(static_cast<size_t>(nk), 0.0f);
    if (every) {
        int real = 0;
        for (int q = 0; q < nq; ++q) {
            if (nq == nk && maps.is_pad(key.batch, q)) continue;  // a padded query's row says nothing
            ++real;
            for (int k = 0; k < nk; ++k) {
                const float v = maps.value(key, q, k);
                if (std::isfinite(v)) values[static_cast<size_t>(k)] += v;
            }
        }
        for (float& v : values)
            v /= static_cast<float>(std::max(real, 1));
    } else {
        for (int k = 0; k < nk; ++k)
            values[static_cast<size_t>(k)] = maps.value(key, query, k);
    }
    const float largest = std::max(1e-12f, *std::max_element(values.begin(), values.end()));

    // The lines first, under the labels, each one's opacity its value: every query's row (fainter,
    // only the rows on screen), or the chosen query's.
    const int first_q = every ? 0 : query, last_q = every ? nq : query + 1;
    const ImVec4 clip = draw->_ClipRectStack.back();
    for (int q = first_q; q < last_q; ++q) {
        if (every && (q_y(q) < clip.y - row || q_y(q) > clip.w + row)) continue;
        for (int k = 0; k < nk; ++k) {
            const float t = strength(every ? maps.value(key, q, k) : values[static_cast<size_t>(k)]);
            if (t <= 0.004f) continue;
            draw->AddLine(ImVec2(left_x1 + 4.0f, q_y(q)), ImVec2(right_x0 - 4.0f, k_y(k)),
                          with_alpha(kLineRgb, every ? 0.6f * t : t), every ? 1.0f : 1.0f + 2.0f * t);
        }
    }
    // The labels: queries right-aligned on the left, keys on the right, tinted by the weight.
    for (int q = 0; q < nq && labels; ++q) {
        const std::string text = views::fit_text(label(set.query_labels, key.batch, q), col_w - 4.0f);
        const ImVec2 size = ImGui::CalcTextSize(text.c_str());
        const ImVec2 p(left_x1 - size.x, q_y(q) - size.y * 0.5f);
        if (q == query && !every)
            draw->AddRectFilled(ImVec2(p.x - 3.0f, p.y - 1.0f), ImVec2(left_x1 + 2.0f, p.y + size.y + 1.0f),
                                with_alpha(kLineRgb, 0.45f), 3.0f);
        draw->AddText(p, IM_COL32_WHITE, text.c_str());
    }
    for (int k = 0; k < nk && labels; ++k) {
        const std::string text = views::fit_text(label(set.key_labels, key.batch, k), col_w - 4.0f);
        const ImVec2 size = ImGui::CalcTextSize(text.c_str());
        const ImVec2 p(right_x0, k_y(k) - size.y * 0.5f);
        // Tinted by its value; the mean over queries against the largest mean.
        const float t = every ? values[static_cast<size_t>(k)] / largest : strength(values[static_cast<size_t>(k)]);
        draw->AddRectFilled(ImVec2(p.x - 2.0f, p.y - 1.0f), ImVec2(p.x + size.x + 2.0f, p.y + size.y + 1.0f),
                            with_alpha(kLineRgb, 0.6f * t), 3.0f);
        const ImU32 colour = maps.is_pad(key.batch, k) ? ImGui::GetColorU32(views::kDimText) : IM_COL32_WHITE;
        draw->AddText(p, colour, text.c_str());
    }

    // Clicking a query token chooses it; hovering a key gives the exact value.
    ImGui::SetCursorScreenPos(origin);
    ImGui::InvisibleButton("##head_view_queries", ImVec2(col_w, std::max(1.0f, row * nq)));
    ctx.note_item("head_view.queries");
    if (ImGui::IsItemHovered()) {
        const int q = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.y - origin.y) / row), 0, nq - 1);
        draw->AddRect(ImVec2(origin.x, q_y(q) - row * 0.5f), ImVec2(left_x1 + 2.0f, q_y(q) + row * 0.5f),
                      views::kHoverFrame);
        ImGui::SetTooltip("query \"%s\" (row %d): click to draw its row", label(set.query_labels, key.batch, q).c_str(),
                          q);
        if (ImGui::IsItemClicked()) {
            ctx.settings.token = q;
            ctx.head_view_every_query = false;
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(right_x0 - 2.0f, origin.y));
    ImGui::InvisibleButton("##head_view_keys", ImVec2(col_w, std::max(1.0f, row * nk)));
    ctx.note_item("head_view.keys");
    if (ImGui::IsItemHovered()) {
        const int k = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.y - origin.y) / row), 0, nk - 1);
        const float v = values[static_cast<size_t>(k)];
        if (!every)
            draw->AddLine(ImVec2(left_x1 + 4.0f, q_y(query)), ImVec2(right_x0 - 4.0f, k_y(k)), views::kHoverFrame,
                          2.0f);
        ImGui::BeginTooltip();
        if (every) {
            ImGui::Text("key \"%s\" (column %d)%s", label(set.key_labels, key.batch, k).c_str(), k,
                        maps.is_pad(key.batch, k) ? ", padding" : "");
            ImGui::Text("mean %s over the queries: %s", explore::quantity_caption(key.quantity).c_str(),
                        views::format_exact(v).c_str());
        } else {
            ImGui::Text("query \"%s\" (row %d) -> key \"%s\" (column %d)%s",
                        label(set.query_labels, key.batch, query).c_str(), query,
                        label(set.key_labels, key.batch, k).c_str(), k, maps.is_pad(key.batch, k) ? ", padding" : "");
            ImGui::Text("%s: %s", explore::quantity_caption(key.quantity).c_str(), views::format_exact(v).c_str());
        }
        ImGui::TextUnformatted(explore::map_caption(key).c_str());
        ImGui::EndTooltip();
    }
    ImGui::SetCursorScreenPos(origin);
    ImGui::Dummy(ImVec2(right_x0 + col_w - origin.x, row * std::max(nq, nk)));

    if (ctx.items) {
        std::vector<double> row_values(values.begin(), values.end());
        ctx.test_state["head_view"] = {
            {"query", query},    {"every_query", every}, {"layer", key.layer},
            {"head", key.head},  {"batch", key.batch},   {"quantity", quantity_name(key.quantity)},
            {"row", row_values}, {"row_height", row},    {"queries", nq}};
    }
}

}  // namespace attn::gui
