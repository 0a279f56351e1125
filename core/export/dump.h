// Writing a forward pass to a folder: every step's tensor as .npy, the trace as JSON, and the
// module's output and attention weights in PyTorch's layouts.
#pragma once

#include "model/trace.h"
#include "pipeline/scene.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace attn {

struct DumpOptions {
    // Names of what to write ("output", "attn", a step's name such as "q_heads", "input_ids",
    // "trace"); empty = everything.
    std::vector<std::string> only;
};

// Each step of a trace without its tensor: index, name, code, shape, dims, sizes, change, dtype.
nlohmann::json steps_json(const Trace& trace);

// The trace without tensors: module, settings, tokens, and each step's name, code, shape and change.
nlohmann::json trace_json(const Scene& scene, const Trace& trace);

// Writes into `dir` (created when missing). Returns the paths written. Each file is written
// atomically. Files: NN_<step>.npy, trace.json, output.npy, attn.npy, and with text or image
// inputs input_ids.npy, pad_mask.npy, x.npy, context.npy.
std::vector<std::string> dump_trace(const Scene& scene, const Trace& trace, const std::string& dir,
                                    const DumpOptions& options = {});

// Makes `dir` and its parents; FileError naming it when that fails.
void make_directories(const std::string& dir);

}  // namespace attn
