// The trace as a readable table, the way the seed writes shapes in its comments.
#pragma once

#include "model/trace.h"
#include "pipeline/scene.h"

#include <ostream>

namespace attn::cli {

void print_trace(std::ostream& out, const Scene& scene, const Trace& trace);

// The steps as a table: #, step, named shape, and the line of `code_title` ("PyTorch") each stands for.
void print_steps(std::ostream& out, const Trace& trace, const std::string& code_title);

}  // namespace attn::cli
