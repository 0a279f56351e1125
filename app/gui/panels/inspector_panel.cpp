#include "panels/inspector_panel.h"

#include "panels/view_widgets.h"

#include <imgui.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace attn::gui {

namespace {

const ImU32 kQColour = IM_COL32(77, 140, 242, 255);
const ImU32 kKColour = IM_COL32(242, 140, 64, 255);
const ImU32 kPositive = IM_COL32(90, 190, 115, 255);
const ImU32 kNegative = IM_COL32(230, 90, 90, 255);
const ImU32 kChosen = IM_COL32(255, 200, 64, 255);
const ImVec4 kGood(0.45f, 0.85f, 0.5f, 1.0f);
const ImVec4 kBad(1.0f, 0.45f, 0.45f, 1.0f);

std::string num(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char t[32];
    std::snprintf(t, sizeof t, "%.6g", v);
    return t;
}

// "matches the cell" in green when a and b agree to float precision, else the difference in red.
void agreement(double mine, double engine) {
    const bool same = (std::isnan(mine) && std::isnan(engine)) || mine == engine ||
                      std::fabs(mine - engine) <= 1e-5 * (1.0 + std::fabs(engine));
    ImGui::SameLine();
    if (same)
        ImGui::TextColored(kGood, "(= the engine's %s)", num(engine).c_str());
    else
        ImGui::TextColored(kBad, "(the engine has %s)", num(engine).c_str());
}

// Vertical bars of `values` in a strip `size` high, the zero line in the middle when any is
// negative; `chosen` (-1: none) framed. Returns the index under the mouse, or -1.
int bars(const char* id, const std::vector<double>& values, float height, ImU32 pos, ImU32 neg, int chosen = -1,
         double max_abs = 0.0, const std::vector<bool>* masked = nullptr) {
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = std::max(ImGui::GetContentRegionAvail().x, 40.0f);
    ImGui::InvisibleButton(id, ImVec2(w, height));
    ImDrawList* draw = ImGui::GetWindowDrawList();
    draw->AddRectFilled(p0, ImVec2(p0.x + w, p0.y + height), IM_COL32(30, 31, 36, 255));
    const size_t n = values.size();
    if (n == 0) return -1;
    bool negative = false;
    for (size_t i = 0; i < n; ++i) {
        if (masked != nullptr && (*masked)[i]) continue;  // a fill of -1e9 would flatten the rest
        const double v = values[i];
        if (std::isfinite(v)) max_abs = std::max(max_abs, std::fabs(v));
        negative = negative || v < 0.0;
    }
    if (max_abs <= 0.0) max_abs = 1.0;
    const float base = negative ? p0.y + height * 0.5f : p0.y + height - 1.0f;
    const float span = negative ? height * 0.5f - 1.0f : height - 2.0f;
    const float bw = w / static_cast<float>(n);
    for (size_t i = 0; i < n; ++i) {
        const double v = values[i];
        const float x0 = p0.x + bw * static_cast<float>(i), x1 = x0 + std::max(bw - (bw > 4.0f ? 1.0f : 0.0f), 1.0f);
        if (masked != nullptr && (*masked)[i]) {  // a masked key: hatched, no bar
            draw->AddRectFilled(ImVec2(x0, p0.y), ImVec2(x1, p0.y + height), views::kMaskedFill);
            views::hatch(draw, ImVec2(x0, p0.y), ImVec2(x1, p0.y + height), views::kMaskedHatch, 6.0f);
        } else if (std::isnan(v)) {
            draw->AddRectFilled(ImVec2(x0, p0.y), ImVec2(x1, p0.y + height), views::kNanFill);
        }
        if ((masked != nullptr && (*masked)[i]) || std::isnan(v)) {
            if (static_cast<int>(i) == chosen)
                draw->AddRect(ImVec2(x0 - 1.0f, p0.y), ImVec2(x1 + 1.0f, p0.y + height), kChosen, 0.0f, 0, 2.0f);
            continue;
        }
        const float len = static_cast<float>(std::clamp(v / max_abs, -1.0, 1.0)) * span;
        draw->AddRectFilled(ImVec2(x0, std::min(base, base - len)), ImVec2(x1, std::max(base, base - len)),
                            v >= 0.0 ? pos : neg);
        if (static_cast<int>(i) == chosen)
            draw->AddRect(ImVec2(x0 - 1.0f, p0.y), ImVec2(x1 + 1.0f, p0.y + height), kChosen, 0.0f, 0, 2.0f);
    }
    if (negative) draw->AddLine(ImVec2(p0.x, base), ImVec2(p0.x + w, base), IM_COL32(120, 120, 130, 255));
    if (!ImGui::IsItemHovered()) return -1;
    return std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - p0.x) / bw), 0, static_cast<int>(n) - 1);
}

std::vector<double> as_double(const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
}

}  // namespace

void InspectorPanel::pick_cell(AppContext& ctx) {
    std::vector<int>& c = ctx.settings.inspect_cell;
    const float w = ImGui::GetFontSize() * 5.5f;
    const char* names[] = {"b", "head", "query i", "key j"};
    const char* items[] = {"inspector.batch", "inspector.head", "inspector.query", "inspector.key"};
    const int limits[] = {breakdown_ ? breakdown_->batches : 1, breakdown_ ? breakdown_->heads : 1,
                          breakdown_ ? breakdown_->queries : 1, breakdown_ ? breakdown_->keys : 1};
    for (int k = 0; k < 4; ++k) {
        if (k > 0) ImGui::SameLine();
        ImGui::SetNextItemWidth(w);
        ImGui::InputInt(names[k], &c[static_cast<size_t>(k)]);
        c[static_cast<size_t>(k)] = std::clamp(c[static_cast<size_t>(k)], 0, std::max(limits[k] - 1, 0));
        ctx.note_item(items[k]);
    }
}

void InspectorPanel::draw_content(AppContext& ctx) {
    if (!views::pass_ready(ctx)) return;
    std::vector<int>& cell = ctx.settings.inspect_cell;
    bool made = false;
    std::chrono::milliseconds wait(0);  // for the job, in the frame that asks
    if (pass_ != ctx.pass_id || cell != cell_) {
        pass_ = ctx.pass_id;
        cell_ = cell;
        error_.clear();
        breakdown_.reset();
        // The steps it reads may be recomputed: seconds for a cross module's large picture.
        job_.start([trace = ctx.trace, scene = ctx.scene, c = cell] {
            return break_down_score(*trace, scene.get(), c[0], c[1], c[2], c[3], kMaxPipelineStepValues);
        });
        wait = kStepMadeWithinFrame;
    }
    if (job_.pending()) {
        if (std::optional<BackgroundJob<ScoreBreakdown>::Outcome> outcome = job_.take_within(wait)) {
            breakdown_ = std::move(outcome->value);
            error_ = outcome->error;
            made = breakdown_.has_value();
        }
    }
    // The cell as break_down_score clamped it to the pass's sizes.
    if (made) cell = cell_ = {breakdown_->batch, breakdown_->head, breakdown_->query, breakdown_->key};
    if (job_.pending()) {  // no cell picker yet: its limits come with the breakdown
        ImGui::TextColored(views::kNoteText, "Making the steps of this cell (they are computed when asked) ...");
        return;
    }
    pick_cell(ctx);
    if (!breakdown_) {
        if (ctx.testing()) ctx.probes["inspector"] = nlohmann::json{{"error", error_}}.dump();
        ImGui::TextColored(kBad, "%s", error_.c_str());
        return;
    }
    const ScoreBreakdown& r = *breakdown_;
    ImGui::TextColored(views::kNoteText, "query %d \"%s\"  ·  key %d \"%s\"  ·  head %d  ·  batch item %d", r.query,
                       r.query_label.c_str(), r.key, r.key_label.c_str(), r.head, r.batch);
    ImGui::Separator();
    draw_dot_product(r);
    ImGui::Separator();
    draw_mask(ctx, r);
    ImGui::Separator();
    draw_softmax(ctx, r);
    if (ctx.testing()) publish(ctx, r);
}

void InspectorPanel::draw_dot_product(const ScoreBreakdown& r) {
    const float h = ImGui::GetTextLineHeight() * 2.2f;
    const size_t depth = r.q.size();
    ImGui::Text("1. q_i = %s[%d, %d, %d, :] and k_j = %s[%d, %d, %d, :], %zu numbers each", r.q_step.c_str(), r.batch,
                r.head, r.query, r.k_step.c_str(), r.batch, r.head, r.key, depth);
    const std::vector<double> q = as_double(r.q), k = as_double(r.k);
    double top = 0.0;
    for (size_t d = 0; d < depth; ++d)
        top = std::max({top, std::fabs(q[d]), std::fabs(k[d])});
    auto tip = [&](int d) {
        if (d < 0) return;
        ImGui::SetTooltip("d = %d\nq_i[d] = %s\nk_j[d] = %s\nq_i[d] x k_j[d] = %s", d,
                          num(q[static_cast<size_t>(d)]).c_str(), num(k[static_cast<size_t>(d)]).c_str(),
                          num(r.products[static_cast<size_t>(d)]).c_str());
    };
    ImGui::TextColored(views::kDimText, "q_i");
    tip(bars("##q", q, h, kQColour, kQColour, -1, top));
    ImGui::TextColored(views::kDimText, "k_j");
    tip(bars("##k", k, h, kKColour, kKColour, -1, top));
    ImGui::TextColored(views::kDimText, "q_i x k_j, element by element (green > 0, red < 0)");
    tip(bars("##products", r.products, h, kPositive, kNegative));
    ImGui::Text("2. their sum  Σ_d q_i[d] k_j[d] = %s", num(r.dot).c_str());
    agreement(r.dot, r.score);
    ImGui::Text("3. x scale %s = %s", num(r.scale).c_str(), num(r.score * r.scale).c_str());
    agreement(r.score * r.scale, r.scaled);
}

void InspectorPanel::draw_mask(AppContext&, const ScoreBreakdown& r) {
    std::string why;
    if (r.padding)
        why = "key " + std::to_string(r.key) + " \"" + r.key_label + "\" is padding (pad_mask True)";
    else
        why = "key " + std::to_string(r.key) + " is a real token (pad_mask False)";
    if (r.has_attn_mask)
        why += r.attn_masked ? "; attn_mask[i, j] is True: not allowed" : "; attn_mask[i, j] allows it";
    ImGui::Text("4. the mask: %s", why.c_str());
    const bool filled = std::isinf(r.masked) || (r.masked == r.fill && r.masked != r.scaled);
    if (r.has_attn_mask)
        ImGui::Text("   added to the score: %s  ->  masked = %s", num(r.mask_added).c_str(), num(r.masked).c_str());
    else if (filled)
        ImGui::Text("   masked_fill wrote %s  ->  masked = %s", num(r.fill).c_str(), num(r.masked).c_str());
    else
        ImGui::Text("   nothing filled  ->  masked = %s", num(r.masked).c_str());
}

void InspectorPanel::draw_softmax(AppContext& ctx, const ScoreBreakdown& r) {
    const float h = ImGui::GetTextLineHeight() * 2.4f;
    const size_t j = static_cast<size_t>(r.key);
    ImGui::Text("5. the row: masked[%d, %d, %d, :], %d keys; its max is %s", r.batch, r.head, r.query, r.keys,
                num(r.row_max).c_str());
    auto key_tip = [&](int c, const char* what, double v) {
        if (c >= 0) ImGui::SetTooltip("key %d\n%s = %s", c, what, num(v).c_str());
    };
    std::vector<double> row = as_double(r.row);
    std::vector<bool> masked(row.size(), false);
    double top = 0.0;
    for (size_t c = 0; c < row.size(); ++c) {
        masked[c] = std::isinf(row[c]) || row[c] == static_cast<double>(r.fill);  // drawn hatched, not as a bar
        if (!masked[c]) top = std::max(top, std::fabs(row[c]));
    }
    const int over_row = bars("##row", row, h, kPositive, kNegative, r.key, top, &masked);
    if (over_row >= 0) key_tip(over_row, "masked", r.row[static_cast<size_t>(over_row)]);
    ImGui::Text("6. exp(x - max) = %s;  the normaliser Σ exp = %s", num(r.exps[j]).c_str(), num(r.normaliser).c_str());
    ImGui::Text("7. the weight  %s / %s = %s", num(r.exps[j]).c_str(), num(r.normaliser).c_str(),
                num(r.exps[j] / r.normaliser).c_str());
    agreement(r.exps[j] / r.normaliser, r.weight);

    ImGui::Spacing();
    float& t = ctx.settings.temperature;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14.0f);
    ImGui::SliderFloat("temperature T", &t, 0.05f, 20.0f, "%.2f", ImGuiSliderFlags_Logarithmic);
    ctx.note_item("inspector.temperature");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "softmax(row / T), worked out here: T < 1 sharpens the row, T > 1 flattens it.\n"
            "The pass itself is unchanged (the Model panel's scale changes it).");
    ImGui::SameLine();
    if (ImGui::SmallButton("T = 1")) t = 1.0f;
    const std::vector<double> at_t = r.weights_at(t);
    ImGui::TextColored(views::kDimText, "the row's weights: the pass's (T = 1) above, at T = %.2f below", t);
    const int a = bars("##weights", as_double(r.weights), h, kPositive, kNegative, r.key, 1.0, &masked);
    if (a >= 0) key_tip(a, "weight", r.weights[static_cast<size_t>(a)]);
    const int b = bars("##weights_t", at_t, h, kChosen, kNegative, r.key, 1.0, &masked);
    if (b >= 0) key_tip(b, "weight at T", at_t[static_cast<size_t>(b)]);
    ImGui::Text("key %d: %s at T = 1, %s at T = %.2f", r.key, num(r.weight).c_str(), num(at_t[j]).c_str(), t);
}

void InspectorPanel::publish(AppContext& ctx, const ScoreBreakdown& r) {
    nlohmann::json j;
    j["cell"] = {r.batch, r.head, r.query, r.key};
    j["q"] = r.q;
    j["k"] = r.k;
    j["dot"] = r.dot;
    j["score"] = r.score;
    j["scale"] = r.scale;
    j["scaled"] = r.scaled;
    j["padding"] = r.padding;
    j["attn_masked"] = r.attn_masked;
    j["masked"] = r.masked;
    j["row"] = r.row;
    j["row_max"] = r.row_max;
    j["exp"] = r.exps[static_cast<size_t>(r.key)];
    j["normaliser"] = r.normaliser;
    j["weight"] = r.weight;
    j["weights"] = r.weights;
    j["temperature"] = ctx.settings.temperature;
    j["weights_at_t"] = r.weights_at(ctx.settings.temperature);
    ctx.probes["inspector"] = j.dump();
}

}  // namespace attn::gui
