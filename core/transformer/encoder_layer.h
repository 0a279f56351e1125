// One transformer encoder layer of either family, on hidden states [b, L, hidden]:
//   BERT (LayerNorm after each residual, BertLayer):
//     a = LayerNorm(attention.output.dense(attention(h)) + h)
//     out = LayerNorm(output.dense(act(intermediate.dense(a))) + a)
//   ViT (LayerNorm before each block, ViTLayer):
//     a = attention.output.dense(attention(layernorm_before(h))) + h
//     out = output.dense(act(intermediate.dense(layernorm_after(a)))) + a
#pragma once

#include "tensor/tensor.h"
#include "kernels/activation.h"
#include "transformer/dense.h"
#include "transformer/layer_norm.h"

#include <cstdint>

namespace attn {

enum class NormPlacement {
    Post,  // BERT: LayerNorm(x + sublayer(x))
    Pre,   // ViT: x + sublayer(LayerNorm(x))
};

struct EncoderSpec {
    int64_t hidden = 0, heads = 0, intermediate = 0;
    Activation act = Activation::Gelu;
    NormPlacement norm = NormPlacement::Post;

    int64_t depth() const { return hidden / heads; }
    // 1/sqrt(attention_head_size), what the scores are multiplied by.
    float scale() const;
};

struct EncoderLayerWeights {
    Dense qkv;               // query, key and value stacked by rows: weight [3*hidden, hidden]
    Dense attn_output;       // attention.output.dense [hidden, hidden]
    LayerNormWeights norm1;  // BERT: attention.output.LayerNorm; ViT: layernorm_before
    Dense intermediate;      // intermediate.dense [intermediate, hidden]
    Dense output;            // output.dense [hidden, intermediate]
    LayerNormWeights norm2;  // BERT: output.LayerNorm; ViT: layernorm_after

    double bytes() const;
};

// What one layer computed. A plain pass keeps only probs and output; a replay for the trace
// keeps every intermediate (the others stay empty otherwise).
struct LayerTensors {
    Tensor normed_input;   // ViT: layernorm_before(h)                                [b, L, hidden]
    Tensor qkv;            // q | k | v per position                                   [b, L, 3*hidden]
    Tensor probs;          // softmax(q kᵀ · scale + mask)                             [b, heads, L, L]
    Tensor context;        // probs · v, heads merged                                  [b, L, hidden]
    Tensor attn_dense;     // attention.output.dense(context)                          [b, L, hidden]
    Tensor attn_residual;  // attn_dense + h                                           [b, L, hidden]
    Tensor attn_normed;    // BERT: attention.output.LayerNorm(..); ViT: layernorm_after(..)
    Tensor ffn_hidden;     // act(intermediate.dense(..))                              [b, L, intermediate]
    Tensor ffn_dense;      // output.dense(ffn_hidden)                                 [b, L, hidden]
    Tensor ffn_residual;   // ffn_dense + (BERT: attn_normed; ViT: attn_residual)
    Tensor output;         // BERT: output.LayerNorm(ffn_residual); ViT: ffn_residual  [b, L, hidden]
};

// h [b, L, hidden]; mask_add [b, L] (transformers' extended attention mask) or null.
LayerTensors run_encoder_layer(const EncoderSpec& spec, const EncoderLayerWeights& w, const Tensor& h,
                               const Tensor* mask_add, bool keep_all);

// The bytes a pass of one layer allocates at its peak besides its input, probs and output.
double encoder_layer_work_bytes(const EncoderSpec& spec, double b, double L);

}  // namespace attn
