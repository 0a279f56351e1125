// What happened to each dimension of a step's shape, compared with the step its tensor is made
// from (TraceStep::from): a dimension split (emb -> heads x depth), flattened (h, w -> h*w), new
// (unsqueeze / expand), moved (transpose), resized, or gone (contracted, reduced). The Pipeline
// panel colours the shape with it and lists why; the CLI can print it.
#pragma once

#include "model/trace.h"

#include <string>
#include <vector>

namespace attn {

enum class DimChange {
    Same,     // the same name, size and place as in the source step
    Moved,    // the same name and size, another place
    New,      // no dimension of that name before: split, flattened or added
    Resized,  // the same name, another size
};

struct ShapeDiff {
    int from = -1;                   // the step compared with (TraceStep::from); -1: an input
    std::vector<DimChange> changes;  // per dimension of the step
    std::vector<std::string> notes;  // per dimension: why, "emb split into heads x depth" ("" when Same)
    std::vector<std::string> gone;   // dimensions of the source not explained by a new one
};

// Each dimension is matched with one of the same name in the source step: counted from the end
// first (as broadcasting and unsqueeze/expand line shapes up: [b, seq] -> [b, seq, seq] adds the
// query dimension in the middle), then from the start, then the first one of that name not
// matched yet (a name can occur twice, as seq in [b, seq, seq]). Dimensions left over are
// explained as flattened ("h and w flattened into h*w"), split (new dimensions whose sizes
// multiply to the size of one gone: "emb split into heads x depth"), unflattened, or new; the
// source's that stay unexplained are `gone`. An input (from < 0) has every note "an input of
// the module". Throws InternalError for an index outside the trace.
ShapeDiff diff_shapes(const Trace& trace, int step);

}  // namespace attn
