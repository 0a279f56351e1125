// A forward pass, step by step: what the GUI shows and what the CLI prints and dumps.
#pragma once

#include "tensor/tensor.h"

#include <functional>
#include <string>
#include <vector>

namespace attn {

struct TraceStep {
    std::string name;    // short and file-name safe: "proj_in", "q", "scores", "softmax"...
    std::string code;    // the PyTorch line or einsum it stands for
    NamedShape shape;    // "[b, heads, h*w, depth] = [3, 8, 1600, 64]"
    std::string change;  // what changed from the step before: "split emb into heads x depth"
    DType dtype = DType::F32;
    // Makes the step's tensor when asked. Steps hold no tensor of their own so that a step
    // nobody looks at need not be kept (or ever computed) at full resolution.
    std::function<Tensor()> produce;
    // Index in Trace::steps of the step this one's tensor is computed from (q from flatten, scores
    // from q_heads...), or -1 for an input of the module. Set by the Recorder (model/step_graph.h).
    int from = -1;

    Tensor tensor() const { return produce(); }
};

struct Trace {
    std::string module;            // "CrossMultiAttention"...
    std::vector<TraceStep> steps;  // in the order of the seed's forward
    // The results, shared with the steps that show them rather than copied: att_weights of the
    // seed's full-resolution cross-attention is [3, 8, 262144, 5], 126 MB.
    TensorPtr output_data;  // the module's output, PyTorch's layout
    TensorPtr attn_data;    // att_weights, PyTorch's layout (see forward.h)
    double scale = 0.0;     // the factor the scores were multiplied by
    float fill = 0.0f;      // what masked_fill wrote

    const Tensor& output() const { return *output_data; }
    const Tensor& attn() const { return *attn_data; }
    const TraceStep* find(const std::string& name) const;  // nullptr when absent
};

}  // namespace attn
