#include "panels/mask_lab_panel.h"

#include "panels/cell_grid.h"
#include "panels/view_widgets.h"

#include <imgui.h>
#include <imgui_stdlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace attn::gui {

namespace {

float at(const Tensor& t, int64_t b, int64_t h, int64_t i, int64_t j) {
    const Shape& s = t.shape;
    return t.data[static_cast<size_t>(((b * s[1] + h) * s[2] + i) * s[3] + j)];
}

}  // namespace

void MaskLabPanel::submit_when_changed(AppContext& ctx) {
    if (!worker_) worker_ = std::make_unique<MaskLabWorker>();
    if (auto r = worker_->take_result()) result_ = std::move(*r);
    // The lab follows the current sentences and sizes; it is always torch-mha.
    MaskLabSpec spec;
    spec.scene = ctx.scene_spec();
    if (ctx.settings.module != ModuleKind::TorchMHA) spec.scene.weights_path.reset();  // another module's
    spec.attn_mask_path = attn_file_used_;
    // Only the settings that change the lab count (the open windows and the view do not).
    Settings s = ctx.settings;
    s.view() = ViewSettings{};
    const std::string compute_key = settings_json_text(s) + "\n" + attn_file_used_;
    if (compute_key == submitted_ || !ctx.blocked_reason().empty()) return;
    submitted_ = compute_key;
    worker_->submit(spec);
}

void MaskLabPanel::draw_semantics() {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextColored(views::kNoteText, "What PyTorch's masks mean (nn.MultiheadAttention):");
    ImGui::BulletText("key_padding_mask [b, S]: True = padding = that key is masked.");
    ImGui::BulletText(
        "attn_mask, bool [L, S] or [b*heads, L, S]: True = NOT allowed (masked), as in key_padding_mask.");
    ImGui::BulletText("attn_mask, float: ADDED to the scores: 0 keeps a key, -inf removes it, and 1.0 masks nothing.");
    ImGui::BulletText("F.scaled_dot_product_attention reads a bool attn_mask the other way round: True = take part.");
    ImGui::TextColored(views::kDimText,
                       "Mixing these up is a classic bug (PyTorch issues #41508 and #160064). A row with no key left "
                       "is uniform with the seed's -1e9 and NaN with torch's -inf.");
    ImGui::PopTextWrapPos();
}

void MaskLabPanel::draw_controls(AppContext& ctx) {
    const float font = ImGui::GetFontSize();
    const int B = result_ && !result_->cases.empty() ? static_cast<int>(result_->cases[0].weights.shape[0]) : 1;
    const int H = result_ && !result_->cases.empty() ? static_cast<int>(result_->cases[0].weights.shape[1]) : 1;
    ImGui::SetNextItemWidth(font * 5.5f);
    ImGui::InputInt("batch item", &batch_);
    if (result_) batch_ = std::clamp(batch_, 0, B - 1);
    ctx.note_item("mask_lab.batch");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 5.5f);
    ImGui::InputInt("head", &head_);
    if (result_) head_ = std::clamp(head_, 0, H - 1);
    ctx.note_item("mask_lab.head");
    ImGui::SameLine(0.0f, font * 1.5f);
    ImGui::TextUnformatted("attn_mask:");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(font * 14.0f);
    ImGui::InputTextWithHint("##attn_file", "causal preset, or a .npy file", &attn_file_);
    ctx.note_item("mask_lab.attn_file");
    ImGui::SameLine();
    if (ImGui::Button("Use")) attn_file_used_ = attn_file_;
    ctx.note_item("mask_lab.use_file");
    ImGui::SameLine();
    if (ImGui::Button("Causal")) attn_file_ = attn_file_used_ = "";
    ctx.note_item("mask_lab.causal");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=1)");
    ImGui::SameLine();
    ImGui::BeginDisabled(!result_ || !result_->error.empty());
    if (ImGui::Button("Save for torch")) {
        const std::string dir =
            (std::filesystem::path(ctx.export_dir.empty() ? "attnscope-export" : ctx.export_dir) / "mask_lab").string();
        try {
            export_mask_lab(*result_, dir);
            ++saves_;
            last_save_ = dir;
            ctx.info("Mask lab: the cases' inputs, weights and results written to " + dir);
        } catch (const std::exception& e) {
            ctx.error(std::string("Mask lab: ") + e.what());
        }
    }
    ImGui::EndDisabled();
    ctx.note_item("mask_lab.save");
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(
            "Write every case's inputs, weights and results (.npy, .safetensors, cases.json) to "
            "<export folder>/mask_lab, for tests/torch/mask_lab_compare.py");
}

void MaskLabPanel::draw_case(AppContext& ctx, const MaskLabCase& c, float width) {
    const MaskLabResult& r = *result_;
    const int b = std::clamp(batch_, 0, static_cast<int>(c.weights.shape[0]) - 1);
    const int h = std::clamp(head_, 0, static_cast<int>(c.weights.shape[1]) - 1);
    const int L = static_cast<int>(c.weights.shape[2]), S = static_cast<int>(c.weights.shape[3]);
    const auto& tokens = c.left_padded ? r.tokens_left : r.tokens;
    views::Grid g;
    g.id = c.id.c_str();
    g.rows_total = L;
    g.rows_shown = std::min(L, 12);
    g.cols = S;
    g.row_label = [&tokens, b](int q) { return tokens[static_cast<size_t>(b)][static_cast<size_t>(q)]; };
    g.col_label = g.row_label;
    g.widest_row_label = views::widest_of(g.rows_shown, g.row_label);
    g.widest_col_label = views::widest_of(S, g.col_label);
    g.max_label_w = 64.0f;
    g.vertical_cols = true;
    g.cell_w = std::clamp((width - std::min(g.widest_row_label, 64.0f) - 16.0f) / static_cast<float>(S), 8.0f,
                          ImGui::CalcTextSize("0.00").x + 8.0f);
    const Colormap cmap = ctx.settings.colormap;
    g.look = [&c, b, h, cmap, &g](int q, int k) {
        views::CellLook l;
        const float w = at(c.weights, b, h, q, k);
        const bool masked = at(c.masked, b, h, q, k) != 0.0f;
        if (std::isnan(w)) {
            l.nan = true;
            l.text = g.cell_w >= 30.0f ? "NaN" : "";
            l.text_colour = IM_COL32(0, 0, 0, 255);
            l.masked = masked;
            return l;
        }
        const auto rgb = colormap_rgb(cmap, w);
        l.fill = masked ? views::kMaskedFill : IM_COL32(rgb[0], rgb[1], rgb[2], 255);
        l.masked = masked;
        if (g.cell_w >= 30.0f) {
            char text[16];
            std::snprintf(text, sizeof text, "%.2f", static_cast<double>(w));
            l.text = text;
        }
        l.text_colour = masked ? IM_COL32_WHITE : views::text_on(rgb);
        return l;
    };
    g.tip = [&c, &tokens, b, h](int q, int k) {
        const float w = at(c.weights, b, h, q, k);
        std::vector<std::string> lines{"weight " + views::format_exact(w) + ": query '" +
                                       tokens[static_cast<size_t>(b)][static_cast<size_t>(q)] + "', key '" +
                                       tokens[static_cast<size_t>(b)][static_cast<size_t>(k)] + "'"};
        if (at(c.masked, b, h, q, k) != 0.0f) lines.push_back("masked: this key was removed from the row");
        if (std::isnan(w)) lines.push_back("NaN: no key of this row was left, and torch's -inf gives 0/0");
        lines.push_back(c.lesson);
        return lines;
    };
    views::card(ctx, c.title, c.code, c.code + "\n" + c.lesson, g);
}

void MaskLabPanel::draw_content(AppContext& ctx) {
    if (!views::pass_ready(ctx)) return;
    submit_when_changed(ctx);
    draw_semantics();
    draw_controls(ctx);
    if (worker_->busy()) {
        ImGui::TextColored(views::kDimText, "computing the cases…");
        ctx.animating = true;  // poll for the result
    }
    if (!result_) return;
    if (!result_->error.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.45f, 1.0f), "%s", result_->error.c_str());
        return;
    }
    ImGui::Separator();
    // Three cases a row.
    const float gap = ImGui::GetFontSize();
    const float width = (ImGui::GetContentRegionAvail().x - 2.0f * gap) / 3.0f;
    for (size_t i = 0; i < result_->cases.size(); ++i) {
        if (i % 3 != 0) ImGui::SameLine(0.0f, gap);
        ImGui::BeginGroup();
        ImGui::PushID(static_cast<int>(i));
        draw_case(ctx, result_->cases[i], width);
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
        ImGui::TextColored(views::kDimText, "%s", result_->cases[i].lesson.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopID();
        ImGui::EndGroup();
        ctx.note_item("mask_lab.case." + result_->cases[i].id);
    }
    if (ctx.testing()) publish(ctx);
}

void MaskLabPanel::publish(AppContext& ctx) {
    nlohmann::json j;
    j["busy"] = worker_->busy();
    j["saves"] = saves_;
    j["last_save"] = last_save_;
    j["batch"] = batch_;
    j["head"] = head_;
    j["attn_file"] = attn_file_used_;
    nlohmann::json cases = nlohmann::json::array();
    for (const MaskLabCase& c : result_->cases) {
        int nan = 0, masked = 0;
        for (float v : c.weights.data)
            nan += std::isnan(v) ? 1 : 0;
        for (float v : c.masked.data)
            masked += v != 0.0f ? 1 : 0;
        cases.push_back({{"id", c.id}, {"shape", c.weights.shape}, {"nan", nan}, {"masked", masked}});
    }
    j["cases"] = cases;
    ctx.probes["mask_lab"] = j.dump();
}

}  // namespace attn::gui
