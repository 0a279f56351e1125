#include "analysis/model_analysis.h"

#include "analysis/attention_norms.h"
#include "analysis/sentence_similarity.h"
#include "errors.h"

#include <algorithm>
#include <string>

namespace attn {

std::vector<TensorPtr> layer_attentions(const ModelPass& pass) {
    std::vector<TensorPtr> out;
    out.reserve(pass.layers.size());
    for (const LayerPass& layer : pass.layers)
        out.push_back(layer.attn);
    return out;
}

Tensor stack_layers(const std::vector<TensorPtr>& layers) {
    if (layers.empty()) return Tensor(Shape{0});
    for (size_t l = 0; l < layers.size(); ++l) {
        if (!layers[l]) throw ShapeError("layer " + std::to_string(l) + " is missing (no tensor)");
        if (layers[l]->shape != layers[0]->shape)
            throw ShapeError("layer " + std::to_string(l) + " has shape " + shape_string(layers[l]->shape) +
                             ", layer 0 has " + shape_string(layers[0]->shape) + "; stacked layers need one shape");
    }
    Shape shape = layers[0]->shape;
    shape.insert(shape.begin(), static_cast<int64_t>(layers.size()));
    Tensor out = Tensor::uninitialized(shape);  // [layers, ...]
    float* at = out.ptr();
    for (const TensorPtr& t : layers)
        at = std::copy(t->data.begin(), t->data.end(), at);
    return out;
}

Tensor layer_attention_norms(const LayerPass& layer, int64_t layer_index) {
    const std::string name = "layer " + std::to_string(layer_index);
    if (!layer.attn) throw ShapeError(name + " attn is missing (no tensor)");
    if (!layer.value_norms) throw ShapeError(name + " gives no value_norms, which norm-based attention needs");
    return attention_norms(*layer.attn, layer.value_norms());
}

Tensor model_attention_norms(const ModelPass& pass) {
    std::vector<TensorPtr> norms;
    for (size_t l = 0; l < pass.layers.size(); ++l)
        norms.push_back(std::make_shared<Tensor>(layer_attention_norms(pass.layers[l], static_cast<int64_t>(l))));
    return stack_layers(norms);
}

Tensor sentence_embeddings(const ModelPass& pass, const ModelInputs& inputs, const ModelInfo& info) {
    if (!info.takes_text)
        throw ConfigError(info.name + " is a " + family_name(info.family) +
                          " model: it takes pictures, and sentence similarity needs sentences");
    if (pass.sentence_embedding) return *pass.sentence_embedding;
    if (!pass.last_hidden_state) throw ShapeError(info.name + ": the run gave no last_hidden_state to pool");
    return mean_pooling(*pass.last_hidden_state, inputs.attention_mask);
}

}  // namespace attn
