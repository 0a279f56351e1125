#include "panels/pixel_row_bars.h"

#include "panels/view_widgets.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui {

namespace {

constexpr int kShownBars = 8;  // bars in view at once; more tokens scroll

}  // namespace

float PixelRowBars::height(int tokens) const {
    if (pixel_ < 0) return 0.0f;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    return line * (1.5f + static_cast<float>(std::min(tokens, kShownBars)));
}

void PixelRowBars::draw(AppContext& ctx, const MapViews& maps, float width) {
    const int rows = maps.rows(), cols = maps.cols(), tokens = maps.tokens();
    if (pixel_ >= rows * cols) pixel_ = -1;  // a new grid: the pixel is gone
    if (pixel_ < 0 || tokens <= 0 || !ctx.scene) return;
    Settings& s = ctx.settings;
    const int row = pixel_ / cols, col = pixel_ % cols;

    // The row: [seq_k] weights of this pixel (query h*w index `pixel_`) for the view's head.
    std::vector<float> values(static_cast<size_t>(tokens));
    float sum = 0.0f;
    for (int t = 0; t < tokens; ++t) {
        values[static_cast<size_t>(t)] = maps.value(MapKey{s.batch, s.head, t}, row, col);
        sum += values[static_cast<size_t>(t)];
    }
    ImGui::TextUnformatted(views::fit_text("Pixel (row " + std::to_string(row) + ", col " + std::to_string(col) +
                                               ") over the tokens: sum " + views::format_value(sum),
                                           width - ImGui::GetFontSize() * 3.0f)
                               .c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("close##pixel_bars")) {
        pixel_ = -1;
        return;
    }
    ctx.note_item("attention.pixel_bars.close");

    const float line = ImGui::GetTextLineHeightWithSpacing();
    ImGui::BeginChild("##pixel_bars", ImVec2(width, line * static_cast<float>(std::min(tokens, kShownBars)) + 4.0f),
                      false);
    float label_w = 0.0f;
    for (int t = 0; t < tokens; ++t)
        label_w = std::max(label_w, ImGui::CalcTextSize(ctx.scene->key_label(s.batch, t).c_str()).x);
    label_w = std::min(label_w, ImGui::GetFontSize() * 6.0f) + 6.0f;
    const float number_w = ImGui::CalcTextSize("0.0000").x + 6.0f;
    const float bar_w = std::max(20.0f, width - label_w - number_w - 8.0f);
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec4 accent(0.95f, 0.69f, 0.25f, 1.0f);
    for (int t = 0; t < tokens; ++t) {
        const float v = values[static_cast<size_t>(t)];
        const bool pad = maps.is_pad(s.batch, t);
        const std::string label = ctx.scene->key_label(s.batch, t);
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        ImGui::PushID(t);
        const bool clicked = ImGui::InvisibleButton("##bar", ImVec2(width - 8.0f, line - 2.0f));
        ImGui::PopID();
        ctx.note_item("attention.pixel_bars.t" + std::to_string(t));
        const float y0 = p0.y + 2.0f, y1 = p0.y + line - 4.0f;
        draw->AddText(ImVec2(p0.x, p0.y), pad ? ImGui::GetColorU32(views::kDimText) : views::kText,
                      views::fit_text(label, label_w - 6.0f).c_str());
        const ImVec2 b0(p0.x + label_w, y0), b1(b0.x + bar_w, y1);
        draw->AddRect(b0, b1, ImGui::GetColorU32(views::kDimText));
        if (std::isnan(v)) {
            draw->AddRectFilled(b0, b1, views::kNanFill);
        } else {
            draw->AddRectFilled(b0, ImVec2(b0.x + bar_w * std::clamp(v, 0.0f, 1.0f), y1),
                                pad ? ImGui::GetColorU32(views::kDimText) : ImGui::GetColorU32(accent));
        }
        draw->AddText(ImVec2(b1.x + 6.0f, p0.y), views::kText, std::isnan(v) ? "NaN" : views::format_value(v).c_str());
        if (t == s.token)
            draw->AddRect(ImVec2(p0.x - 1, p0.y), ImVec2(b1.x + number_w, p0.y + line - 2.0f), views::kSelectedFrame);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip(
                "pixel (row %d, col %d) -> \"%s\" (token %d): %s%s\nclick: this token's map, and the weight in the Q·K "
                "inspector",
                row, col, label.c_str(), t, views::format_exact(v).c_str(),
                pad ? "\npadding: pad_mask hides this key from every query" : "");
        if (clicked) {  // that token's map, and this weight taken apart (the mean: head 0's)
            s.token = t;
            s.inspect_cell = {s.batch, std::max(s.head, 0), pixel_, t};
        }
    }
    ImGui::EndChild();

    if (ctx.items) {
        nlohmann::json shown = nlohmann::json::array();
        for (float v : values)
            shown.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
        ctx.test_state["pixel_row"] = {{"pixel", pixel_},  {"row", row},     {"col", col},
                                       {"batch", s.batch}, {"head", s.head}, {"values", shown}};
    }
}

}  // namespace attn::gui
