// Pieces the views of a real model share (the model view, the head statistics, the large map,
// the Pipeline's layer line): names of heads and quantities, the weights / norms switch, opening a
// head, and the keys that move through the layers.
#pragma once

#include "app_context.h"

#include <string>

namespace attn::gui::explore {

// "head 3", "mean", "max", "min" (MapKey::head).
std::string head_label(int head);
// The head part of a map's caption: "layer 3, head 5", "layer 3, mean over heads", "rollout to layer 3".
std::string map_caption(const MapKey& key);

// What the maps of heads are shown as: Norms when the view asks for them and the pass has them.
MapQuantity head_quantity(const AppContext& ctx);
// The colorbar's name for a quantity: "weight α (softmax)", "norm ||α f(x)||", "rollout".
std::string quantity_caption(MapQuantity quantity);

// The switch between raw weights and norm-based attention, for every view (settings.norms).
// Disabled, with the reason in a tooltip, where the pass has no value vectors.
void quantity_switch(AppContext& ctx, const MapModel& maps);

// Makes (layer, head) the large map: head >= 0 or a fusion; rollout = the rollout column.
void open_head(AppContext& ctx, int layer, int head, bool rollout = false);

// PageUp / PageDown and [ / ] step through the layers while no text field has the keyboard.
// True when the layer changed.
bool layer_keys(AppContext& ctx, int layers);
// The layer slider ("layer 3 of 12"), with the keys in its tooltip. True when changed.
bool layer_slider(AppContext& ctx, int layers, const char* id, float width);

}  // namespace attn::gui::explore
