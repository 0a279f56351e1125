// The head view beside a text model's large matrix, as BertViz draws it: the query tokens down the
// left, the key tokens down the right, and a line from the chosen query to every key whose opacity
// is the weight (or the norm, or the rollout share) of that map's row. Any query, not only [CLS]:
// clicking a token on the left (or a row of the matrix) chooses it; the choice is
// settings.token, which text models' large maps do not use otherwise. Hovering a key gives the
// exact value; padded keys are dimmed and named.
#pragma once

#include "app_context.h"

#include <imgui.h>

namespace attn::gui {

// The query the head view draws: settings.token within [0, queries).
int head_view_query(const AppContext& ctx, const MapModel& maps);

// The width the head view wants for a batch item's labels (both columns and the lines between).
float head_view_width(const MapModel& maps, int batch);

// Draws the head view of `key` (a whole [L, L] matrix, key.token == -1) in `box`, at the cursor.
// `row_height` > 0 puts one token per that many pixels (the matrix's rows beside it); 0 fits them.
void draw_head_view(AppContext& ctx, const MapModel& maps, const MapKey& key, ImVec2 box, float row_height = 0.0f);

}  // namespace attn::gui
