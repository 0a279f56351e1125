// What the Attention panel's two kinds of seed maps share (cross_maps.h: maps over the picture;
// matrix_maps.h: [seq_q, seq_k] matrices): hover text, padding notes, the Q·K inspector's hook,
// the padding placeholder and the colorbar.
#pragma once

#include "app_context.h"

#include <imgui.h>

#include <string>
#include <vector>

namespace attn::gui::attention_view {

constexpr float kGap = 3.0f;  // between thumbnails

// A click on a cell opens the Q·K inspector on it (the mean over heads: on head 0).
void inspect(AppContext& ctx, const MapKey& key, int query, int k);
std::string quoted(const std::string& token);
// "tom chases jerry !" (padding left out), or "item 2" when the keys are not tokens.
std::string sentence_of(const Scene& scene, int b);
std::string head_name(int head, int heads);
// What a weight means when its key is padding or it is NaN, for tooltips.
std::string padding_note(const Trace& trace, bool key_is_pad, bool row_all_pad, float weight);
// Hover lines; the last one (a hint) dimmed when there are more than two.
void tooltip_lines(const std::vector<std::string>& lines);
bool row_all_pad(const MapViews& maps, int b);
// A hatched box where a padding key's map would be; `why` (lines) on a large one.
void padding_placeholder(ImVec2 size, const std::string& token, const std::string& why);
// The colorbar of the map shown (none for a padding key's, which has no map).
void draw_colorbar_for(AppContext& ctx, MapViews& maps, float width);

}  // namespace attn::gui::attention_view
