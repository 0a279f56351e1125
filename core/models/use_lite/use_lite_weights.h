// use-lite's parameters, picked by name out of its TensorFlow.js weights (io/tfjs_weights.h).
// Kernels stay in TensorFlow's [in, out] layout (y = x @ kernel + bias); every size, scale,
// epsilon, head count and depth is read from the graph's own constants, never assumed.
// Names (A/ = module_apply_default/Encoder_en/KonaTransformer/Encode/, TS/ = A/TransformerStack/,
// M/ = module/Encoder_en/KonaTransformer/Encode/) are in ../shared/models/use-lite.md.
#pragma once

#include "model/weights.h"
#include "models/use_lite/small_dense.h"
#include "tensor/tensor.h"

#include <string>
#include <vector>

namespace attn {

struct UseLiteLayerWeights {
    int64_t in_width = 0;  // the residual stream's width into the layer: 256 (layer 0), 512 (layer 1)
    int64_t heads = 0, depth = 0;
    int64_t width = 0;                 // heads * depth: each of q, k, v
    int64_t out_width = 0;             // the layer's output width (512)
    float q_scale = 0.0f;              // MultiheadAttention/mul/y: q is multiplied by it before q kᵀ
    Tensor ln_scale, ln_bias;          // [in_width]
    Tensor qkv_kernel, qkv_bias;       // [in_width, 3 * width], [3 * width]: q, k, v side by side
    Tensor out_kernel, out_bias;       // [width, out_width], [out_width]
    bool has_dense = false;            // layer 0: the residual is projected (AdjustResidualInput/dense)
    Tensor dense_kernel, dense_bias;   // [in_width, out_width], [out_width]
    Tensor ffn_ln_scale, ffn_ln_bias;  // [out_width]
    Tensor conv1_kernel, conv1_bias;   // [out_width, ffn], [ffn]
    Tensor conv2_kernel, conv2_bias;   // [ffn, out_width], [out_width]
    // The kernels again, packed for dense_rows (small_dense.h).
    PackedKernel qkv, out, dense, conv1, conv2;
};

struct UseLiteWeights {
    Tensor embeddings;      // module/Embeddings_en [rows, emb]
    Tensor inv_timescales;  // [emb / 2]: the timing signal's frequencies
    std::vector<UseLiteLayerWeights> layers;
    Tensor tanh_weights, tanh_bias;  // [hidden, hidden], [hidden]
    PackedKernel tanh;               // tanh_weights packed for dense_rows
    float ln_epsilon = 0.0f;         // every LayerNorm's (the graph shares one constant)
    float pad_bias = 0.0f;           // added to the logits of padded keys (-1e9)
    float l2_floor = 0.0f;           // l2_normalize: x * rsqrt(max(sum x², floor))
    int64_t max_positions = 0;       // ClipToMaxLength: positions >= this are dropped (128)

    int64_t emb() const { return embeddings.dim(1); }
    int64_t hidden() const { return layers.back().out_width; }
    int64_t ffn() const { return layers.front().conv1_kernel.dim(1); }
    double bytes() const;
};

// Throws ShapeError naming `file` (model.json), the tensor and the expected against the actual
// shape when one is missing or does not fit the others.
UseLiteWeights use_lite_weights_from_tensors(std::vector<NamedTensor> tensors, const std::string& file);

}  // namespace attn
