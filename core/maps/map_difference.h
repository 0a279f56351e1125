// The difference A - B of two maps of one size, for the side-by-side panes: layer/head A against
// B, raw weights against rollout, batch item 1 against 2, or one scene under two settings (two
// map models). It is made into an AttentionSet of one map with signed values, so that the map
// model draws, hovers, colours (over [-m, m], symmetric about 0) and exports it like any other
// map, through the same painters.
//
//   matrices [queries, keys]: a one-head token set; its labels are A's, and a key column counts
//     as padding where it is padding in A or in B;
//   maps over a grid (cross modules' token columns, ViT query rows) [rows, cols]: a one-token
//     pixel grid, drawn with nearest cells and no picture under it (a signed value is not
//     attention to blend over the photo).
// NaN in either map gives NaN (a -inf row against a uniform -1e9 row is NaN, not a number).
#pragma once

#include "maps/map_model.h"

#include <string>

namespace attn {

struct MapDifference {
    AttentionSet set;      // one map, signed_values
    MapKey key;            // that map's key in `set`
    float max_abs = 0.0f;  // the largest |A - B| over the finite cells
    int64_t nan_cells = 0;
};

// ShapeError when the two maps differ in size ("A [5, 5] and B [6, 6] cannot be subtracted").
// The set's model name is "<A's label> - <B's label>".
MapDifference map_difference(const MapModel& a, const MapKey& key_a, const MapModel& b, const MapKey& key_b,
                             const std::string& label_a = "A", const std::string& label_b = "B");

}  // namespace attn
