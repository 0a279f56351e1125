// The trace as a readable table, the way the seed writes shapes in its comments.
#pragma once

#include "model/trace.h"
#include "pipeline/scene.h"

#include <ostream>

namespace attn::cli {

void print_trace(std::ostream& out, const Scene& scene, const Trace& trace);

}  // namespace attn::cli
