#include "panels/attention_parts.h"

#include "panels/view_widgets.h"

#include "errors.h"
#include "imgui_texture.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace attn::gui::attention_view {

using views::format_exact;
using views::format_value;

// A click on a cell opens the Q·K inspector on it (the mean over heads: on head 0).
void inspect(AppContext& ctx, const MapKey& key, int query, int k) {
    ctx.settings.inspect_cell = {key.batch, std::max(key.head, 0), query, k};
}

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

}  // namespace attn::gui::attention_view
