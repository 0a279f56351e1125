// The parameters of a module, under the names of its PyTorch state_dict.
#pragma once

#include "model/config.h"
#include "tensor/tensor.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace attn {

using NamedTensor = std::pair<std::string, Tensor>;

struct ParamSpec {
    std::string name;  // state_dict name: "Wq.weight", "proj_in.weight", "in_proj_weight"...
    Shape shape;       // PyTorch's shape: Linear [out, in]; Conv2d 1x1 [out, in, 1, 1]
};

// The parameters a module has, in state_dict order.
std::vector<ParamSpec> parameter_specs(const ModuleConfig& config);

struct Weights {
    std::map<std::string, Tensor> params;  // by the spec's name

    const Tensor& get(const std::string& name) const;  // throws ShapeError when missing
    bool has(const std::string& name) const { return params.count(name) != 0; }
};

// Initialised like PyTorch's defaults (Linear and Conv2d: kaiming_uniform(a=sqrt(5)) and
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) biases; nn.MultiheadAttention: xavier_uniform in_proj,
// zero biases), from our own seeded generator so the numbers are the same on every platform.
Weights init_weights(const ModuleConfig& config, uint64_t seed);

// Picks the module's parameters out of a file's tensors, matching names without regard to case
// (so the seed's lower-cased "wq.weight" loads too). A missing or misshapen tensor is a
// ShapeError naming the file, the tensor, its shape and the shape expected. Tensors the module
// does not use (other than "embedding.weight") are reported in `warnings`.
Weights weights_from_tensors(const ModuleConfig& config, const std::vector<NamedTensor>& tensors,
                             const std::string& file, std::vector<std::string>* warnings);

std::vector<NamedTensor> weights_to_tensors(const ModuleConfig& config, const Weights& weights);

}  // namespace attn
