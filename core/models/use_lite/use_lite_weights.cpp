#include "models/use_lite/use_lite_weights.h"

#include "errors.h"

#include <map>

namespace attn {

namespace {

const std::string kApply = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
const std::string kStack = kApply + "TransformerStack/";
const std::string kModule = "module/Encoder_en/KonaTransformer/Encode/";

Shape without_leading_ones(Shape s) {
    while (!s.empty() && s.front() == 1)
        s.erase(s.begin());
    return s;
}

class Picker {
public:
    Picker(std::vector<NamedTensor> tensors, std::string file) : file_(std::move(file)) {
        for (auto& [name, t] : tensors)
            by_name_.emplace(name, std::move(t));
    }

    bool has(const std::string& name) const { return by_name_.count(name) != 0; }

    // The tensor in `shape`, which may leave out leading 1s (TensorFlow's [1, 1, in, out] conv
    // kernels and [1, n] constants are plain matrices and vectors here).
    Tensor take(const std::string& name, const Shape& shape) {
        auto it = by_name_.find(name);
        if (it == by_name_.end())
            throw ShapeError(file_ + ": tensor '" + name + "' is missing (expected " + shape_string(shape) + ")");
        Tensor t = std::move(it->second);
        by_name_.erase(it);
        if (t.dtype != DType::F32 || without_leading_ones(t.shape) != without_leading_ones(shape))
            throw ShapeError(file_ + ": tensor '" + name + "' has shape " + shape_string(t.shape) + ", expected " +
                             shape_string(shape) + " float32");
        t.shape = shape;
        return t;
    }

    // A [n, m] tensor whose sizes the caller learns from it (the embedding table).
    Tensor take_matrix(const std::string& name) {
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw ShapeError(file_ + ": tensor '" + name + "' is missing");
        if (it->second.rank() != 2 || it->second.dtype != DType::F32)
            throw ShapeError(file_ + ": tensor '" + name + "' has shape " + shape_string(it->second.shape) +
                             ", expected a float32 matrix");
        const Shape shape = it->second.shape;  // a copy: take() moves the tensor out
        return take(name, shape);
    }

    // A scalar constant: shape [] (or any one-element shape).
    double scalar(const std::string& name) const {
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw ShapeError(file_ + ": tensor '" + name + "' is missing (expected a scalar)");
        if (it->second.numel() != 1)
            throw ShapeError(file_ + ": tensor '" + name + "' has shape " + shape_string(it->second.shape) +
                             ", expected a scalar []");
        return it->second.data[0];
    }

    // The last size of a tensor that must be there (how wide a kernel's output is).
    int64_t last_dim(const std::string& name) const {
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw ShapeError(file_ + ": tensor '" + name + "' is missing");
        if (it->second.rank() < 2)
            throw ShapeError(file_ + ": tensor '" + name + "' has shape " + shape_string(it->second.shape) +
                             ", expected a kernel");
        return it->second.dim(-1);
    }

    const std::string& file() const { return file_; }

private:
    std::map<std::string, Tensor> by_name_;
    std::string file_;
};

int64_t positive_int(const Picker& p, const std::string& name) {
    const double v = p.scalar(name);
    if (!(v >= 1 && v <= 1 << 20) || v != static_cast<double>(static_cast<int64_t>(v)))
        throw ShapeError(p.file() + ": tensor '" + name + "' holds " + std::to_string(v) + ", expected a count >= 1");
    return static_cast<int64_t>(v);
}

UseLiteLayerWeights layer_weights(Picker& p, int l, int64_t in_width, int64_t shared_heads) {
    const std::string L = "Layer_" + std::to_string(l) + "/TransformerLayer/";
    const std::string a = kApply + L, s = kStack + L, m = kModule + L;
    const std::string layer = "layer " + std::to_string(l);
    UseLiteLayerWeights w;
    w.in_width = in_width;
    const std::string split = s + "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/";
    // The converted graph keeps the head count of one layer only and shares it with the other.
    w.heads = p.has(split + "2") ? positive_int(p, split + "2") : shared_heads;
    if (w.heads <= 0) throw ShapeError(p.file() + ": tensor '" + split + "2' (the head count) is missing");
    w.depth = positive_int(p, split + "3");
    w.width = w.heads * w.depth;
    const std::string combine = s + "MultiheadAttention/combine_heads/combine_last_two_dimensions/Reshape/shape/2";
    if (p.has(combine) && positive_int(p, combine) != w.width)
        throw ShapeError(p.file() + ": " + layer + " has " + std::to_string(w.heads) + " heads of depth " +
                         std::to_string(w.depth) + " but '" + combine + "' merges them into " +
                         std::to_string(positive_int(p, combine)));
    w.q_scale = static_cast<float>(p.scalar(s + "MultiheadAttention/mul/y"));

    const std::string ln = "layer_prepostprocess/layer_norm/layer_norm_";
    w.ln_scale = p.take(a + ln + "scale/ConcatPartitions/concat", {in_width});
    w.ln_bias = p.take(a + ln + "bias/ConcatPartitions/concat", {in_width});
    w.qkv_kernel = p.take(m + "MultiheadAttention/qkv_transform_single/kernel/part_0", {in_width, 3 * w.width});
    w.qkv_bias = p.take(a + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", {3 * w.width});
    const std::string out_kernel = m + "MultiheadAttention/output_transform_single/kernel/part_0";
    w.out_width = p.last_dim(out_kernel);
    w.out_kernel = p.take(out_kernel, {w.width, w.out_width});
    w.out_bias = p.take(a + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", {w.out_width});

    const std::string dense = a + "dense/kernel/ConcatPartitions/concat";
    w.has_dense = p.has(dense);
    if (w.has_dense) {
        w.dense_kernel = p.take(dense, {in_width, w.out_width});
        w.dense_bias = p.take(a + "dense/bias/ConcatPartitions/concat", {w.out_width});
    } else if (in_width != w.out_width) {
        throw ShapeError(p.file() + ": " + layer + " reads width " + std::to_string(in_width) + " and writes " +
                         std::to_string(w.out_width) + ", but tensor '" + dense +
                         "' (the residual's projection) is missing");
    }

    const std::string f = a + "FFN/";
    w.ffn_ln_scale = p.take(f + ln + "scale/ConcatPartitions/concat", {w.out_width});
    w.ffn_ln_bias = p.take(f + ln + "bias/ConcatPartitions/concat", {w.out_width});
    const std::string conv1 = s + "FFN/conv1/Tensordot/Reshape_1";
    const int64_t ffn = p.last_dim(conv1);
    w.conv1_kernel = p.take(conv1, {w.out_width, ffn});
    w.conv1_bias = p.take(f + "conv1/bias/ConcatPartitions/concat", {ffn});
    w.conv2_kernel = p.take(s + "FFN/conv2/Tensordot/Reshape_1", {ffn, w.out_width});
    w.conv2_bias = p.take(f + "conv2/bias/ConcatPartitions/concat", {w.out_width});
    w.qkv = pack_kernel(w.qkv_kernel);
    w.out = pack_kernel(w.out_kernel);
    if (w.has_dense) w.dense = pack_kernel(w.dense_kernel);
    w.conv1 = pack_kernel(w.conv1_kernel);
    w.conv2 = pack_kernel(w.conv2_kernel);
    return w;
}

// The first of the layers' copies of a shared constant that the file has.
std::string first_present(const Picker& p, int layers, const std::string& within_layer) {
    for (int l = 0; l < layers; ++l) {
        const std::string name = kStack + "Layer_" + std::to_string(l) + "/TransformerLayer/" + within_layer;
        if (p.has(name)) return name;
    }
    return kStack + "Layer_0/TransformerLayer/" + within_layer;  // missing: named in the error
}

}  // namespace

UseLiteWeights use_lite_weights_from_tensors(std::vector<NamedTensor> tensors, const std::string& file) {
    Picker p(std::move(tensors), file);
    UseLiteWeights w;
    w.embeddings = p.take_matrix("module/Embeddings_en");
    const int64_t emb = w.embeddings.dim(1);
    if (emb % 2 != 0)
        throw ShapeError(file + ": tensor 'module/Embeddings_en' has shape " + shape_string(w.embeddings.shape) +
                         ", expected an even width (sin and cos halves of the timing signal)");
    w.inv_timescales = p.take(kStack + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", {emb / 2});

    int layers = 0;
    while (p.has(kModule + "Layer_" + std::to_string(layers) +
                 "/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0"))
        ++layers;
    if (layers == 0)
        throw ShapeError(file + ": tensor '" + kModule +
                         "Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0' is missing: "
                         "not a use-lite model");
    const std::string heads_name =
        first_present(p, layers, "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2");
    const int64_t shared_heads = p.has(heads_name) ? positive_int(p, heads_name) : 0;
    const std::string eps_name = first_present(p, layers, "FFN/layer_prepostprocess/layer_norm/Cast/x");
    const std::string pad_name =
        first_present(p, layers, "MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y");
    w.ln_epsilon = static_cast<float>(p.scalar(eps_name));
    w.pad_bias = static_cast<float>(p.scalar(pad_name));
    w.l2_floor = static_cast<float>(p.scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y"));
    w.max_positions = positive_int(p, "module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y");
    if (!(w.ln_epsilon > 0.0f) || !(w.pad_bias < 0.0f) || !(w.l2_floor >= 0.0f))
        throw ShapeError(file + ": the LayerNorm epsilon (" + std::to_string(w.ln_epsilon) + "), padding bias (" +
                         std::to_string(w.pad_bias) + ") or l2 floor (" + std::to_string(w.l2_floor) +
                         ") is out of range");

    int64_t width = emb;
    for (int l = 0; l < layers; ++l) {
        w.layers.push_back(layer_weights(p, l, width, shared_heads));
        width = w.layers.back().out_width;
    }
    w.tanh_weights = p.take("module/Encoder_en/hidden_layers/tanh_layer_0/weights", {width, width});
    w.tanh_bias = p.take("module/Encoder_en/hidden_layers/tanh_layer_0/bias", {width});
    w.tanh = pack_kernel(w.tanh_weights);
    return w;
}

double UseLiteWeights::bytes() const {
    double n =
        static_cast<double>(embeddings.numel() + inv_timescales.numel() + tanh_weights.numel() + tanh_bias.numel());
    for (const UseLiteLayerWeights& w : layers)
        for (const Tensor* t : {&w.ln_scale, &w.ln_bias, &w.qkv_kernel, &w.qkv_bias, &w.out_kernel, &w.out_bias,
                                &w.dense_kernel, &w.dense_bias, &w.ffn_ln_scale, &w.ffn_ln_bias, &w.conv1_kernel,
                                &w.conv1_bias, &w.conv2_kernel, &w.conv2_bias})
            n += static_cast<double>(t->numel());
    n += static_cast<double>(tanh.blocks.size());
    for (const UseLiteLayerWeights& w : layers)
        for (const PackedKernel* k : {&w.qkv, &w.out, &w.dense, &w.conv1, &w.conv2})
            n += static_cast<double>(k->blocks.size());
    return 4.0 * n;
}

}  // namespace attn
