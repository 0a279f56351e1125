// The trace of one encoder layer in transformers' own lines (modeling_bert.py, modeling_vit.py):
// q, k, v, the head split, scores, scaling, the mask, softmax, context, the output dense, and the
// residual, LayerNorm and FFN steps, one line each. A pass keeps each layer's input, its
// attention weights and its output; every other step is recomputed from the layer's input when
// someone asks for it, one layer at a time (the last layer replayed is kept for the next step
// asked of it), so that showing one layer never computes the others again.
#pragma once

#include "model/trace.h"
#include "transformer/encoder_layer.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace attn {

// Shared by the layers of one pass: the last layer replayed with all its intermediates.
class LayerReplay {
public:
    std::shared_ptr<const LayerTensors> get(int64_t layer, const std::function<LayerTensors()>& compute);

private:
    std::mutex mutex_;
    int64_t layer_ = -1;
    std::shared_ptr<const LayerTensors> last_;
};

struct EncoderLayerRecord {
    EncoderSpec spec;
    std::shared_ptr<const EncoderLayerWeights> weights;
    TensorPtr input;     // [b, L, hidden], the layer's input (the previous layer's output)
    TensorPtr mask_add;  // [b, L] extended attention mask, or null (ViT)
    TensorPtr probs;     // [b, heads, L, L]
    TensorPtr output;    // [b, L, hidden]
    int64_t layer = 0;
    std::shared_ptr<LayerReplay> replay;
    std::string eps_text;  // "1e-12", for the LayerNorm lines
};

// "BertLayer" (NormPlacement::Post) or "ViTLayer" (Pre), its steps in order.
Trace record_encoder_layer(const EncoderLayerRecord& r);

// ||f_h(x_j)|| [b, heads, L] of the layer, computed when called (only the value projection).
std::function<Tensor()> encoder_value_norms(const EncoderLayerRecord& r);

}  // namespace attn
