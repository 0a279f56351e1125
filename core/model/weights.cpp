#include "model/weights.h"

#include "errors.h"
#include "model/memory_budget.h"
#include "model/random.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace attn {

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Linear(in, out) as PyTorch declares it: weight [out, in], bias [out].
void add_linear(std::vector<ParamSpec>& specs, const std::string& name, int64_t in, int64_t out, bool bias) {
    specs.push_back({name + ".weight", {out, in}});
    if (bias) specs.push_back({name + ".bias", {out}});
}

// Conv2d(in, out, kernel_size=1): weight [out, in, 1, 1], bias [out].
void add_conv1x1(std::vector<ParamSpec>& specs, const std::string& name, int64_t in, int64_t out) {
    specs.push_back({name + ".weight", {out, in, 1, 1}});
    specs.push_back({name + ".bias", {out}});
}

// PyTorch's default for Linear and Conv2d: kaiming_uniform_(a=sqrt(5)) for the weight, which
// works out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.
void fill_uniform(Tensor& t, float bound, Random& rng) {
    for (float& v : t.data)
        v = rng.uniform(-bound, bound);
}

}  // namespace

std::vector<ParamSpec> parameter_specs(const ModuleConfig& config) {
    const int64_t E = config.emb_dim;
    std::vector<ParamSpec> specs;
    switch (config.kind) {
        case ModuleKind::Self:
        case ModuleKind::MultiHead:
            add_linear(specs, "Wq", E, E, false);
            add_linear(specs, "Wk", E, E, false);
            add_linear(specs, "Wv", E, E, false);
            add_linear(specs, "fc", E, E, true);
            break;
        case ModuleKind::Cross:
        case ModuleKind::CrossMultiHead:
            add_conv1x1(specs, "proj_in", config.in_channels, E);
            add_linear(specs, "Wq", E, E, true);
            add_linear(specs, "Wk", E, E, true);
            add_linear(specs, "Wv", E, E, true);
            add_conv1x1(specs, "proj_out", E, config.in_channels);
            break;
        case ModuleKind::TorchMHA:
            specs.push_back({"in_proj_weight", {3 * E, E}});
            specs.push_back({"in_proj_bias", {3 * E}});
            add_linear(specs, "out_proj", E, E, true);
            break;
    }
    return specs;
}

const Tensor& Weights::get(const std::string& name) const {
    auto it = params.find(name);
    if (it == params.end()) throw ShapeError("missing parameter \"" + name + "\"");
    return it->second;
}

Weights init_weights(const ModuleConfig& config, uint64_t seed) {
    config.validate();
    double count = 0;
    for (const ParamSpec& spec : parameter_specs(config))
        count += static_cast<double>(shape_numel(spec.shape));
    require_memory(
        count * sizeof(float),
        "the weights of " + module_class_name(config.kind) + " with emb_dim " + std::to_string(config.emb_dim),
        "use a smaller emb_dim");
    Random rng(seed);
    Weights w;
    for (const ParamSpec& spec : parameter_specs(config)) {
        Tensor t(spec.shape);
        if (spec.name == "in_proj_weight") {
            // xavier_uniform_: bound sqrt(6 / (fan_in + fan_out)) over the packed [3E, E] matrix.
            float bound = static_cast<float>(std::sqrt(6.0 / static_cast<double>(spec.shape[0] + spec.shape[1])));
            fill_uniform(t, bound, rng);
        } else if (spec.name == "in_proj_bias" || spec.name == "out_proj.bias") {
            // nn.MultiheadAttention zeroes both biases in _reset_parameters.
        } else {
            // fan_in of a weight is everything but its first dim; a bias shares its weight's.
            const std::string base = spec.name.substr(0, spec.name.rfind('.'));
            const Shape& wshape = spec.shape.size() == 1 ? w.get(base + ".weight").shape : spec.shape;
            int64_t fan_in = shape_numel(wshape) / wshape[0];
            fill_uniform(t, static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in))), rng);
        }
        w.params.emplace(spec.name, std::move(t));
    }
    return w;
}

Weights weights_from_tensors(const ModuleConfig& config, const std::vector<NamedTensor>& tensors,
                             const std::string& file, std::vector<std::string>* warnings) {
    config.validate();
    const std::vector<ParamSpec> specs = parameter_specs(config);
    const std::string module = module_class_name(config.kind);

    std::map<std::string, size_t> by_lower;  // lower-cased name -> index in tensors
    for (size_t i = 0; i < tensors.size(); ++i) {
        auto [it, fresh] = by_lower.emplace(lower(tensors[i].first), i);
        if (!fresh)
            throw ShapeError(file + ": tensors \"" + tensors[it->second].first + "\" and \"" + tensors[i].first +
                             "\" differ only in case; which one is meant is unclear");
    }

    Weights w;
    std::vector<bool> used(tensors.size(), false);
    for (const ParamSpec& spec : specs) {
        auto it = by_lower.find(lower(spec.name));
        if (it == by_lower.end()) {
            std::string have;
            for (const auto& [name, t] : tensors)
                have += (have.empty() ? "" : ", ") + name;
            throw ShapeError(file + ": missing tensor \"" + spec.name + "\" " + shape_string(spec.shape) + " that " +
                             module + " needs (the file has: " + (have.empty() ? "no tensors" : have) + ")");
        }
        const Tensor& t = tensors[it->second].second;
        if (t.shape != spec.shape)
            throw ShapeError(file + ": tensor \"" + tensors[it->second].first + "\" has shape " +
                             shape_string(t.shape) + ", but " + module + " with emb_dim " +
                             std::to_string(config.emb_dim) +
                             (is_cross(config.kind) ? " and in_channels " + std::to_string(config.in_channels) : "") +
                             " expects " + shape_string(spec.shape));
        for (float v : t.data)
            if (!std::isfinite(v))
                throw ShapeError(file + ": tensor \"" + tensors[it->second].first + "\" holds NaN or infinite values");
        used[it->second] = true;
        Tensor copy = t;
        copy.dtype = DType::F32;
        w.params.emplace(spec.name, std::move(copy));
    }
    if (warnings) {
        for (size_t i = 0; i < tensors.size(); ++i)
            if (!used[i] && lower(tensors[i].first) != "embedding.weight")
                warnings->push_back(file + ": tensor \"" + tensors[i].first + "\" " +
                                    shape_string(tensors[i].second.shape) + " is not used by " + module);
    }
    return w;
}

std::vector<NamedTensor> weights_to_tensors(const ModuleConfig& config, const Weights& weights) {
    std::vector<NamedTensor> out;
    for (const ParamSpec& spec : parameter_specs(config))
        out.emplace_back(spec.name, weights.get(spec.name));
    return out;
}

}  // namespace attn
