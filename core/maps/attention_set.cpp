#include "maps/attention_set.h"

#include "model/trace.h"
#include "models/model.h"
#include "pipeline/scene.h"

namespace attn {

AttentionSet attention_set_from_pass(const Scene& scene, const Trace& trace) {
    AttentionSet s;
    s.model = trace.module;
    s.fill = trace.fill;
    const ModuleKind kind = scene.module.kind;
    s.has_head_axis = has_heads(kind);
    if (!trace.attn_data) return s;
    // att_weights [b, heads, Lq, Lk], or [b, Lq, Lk] for the single-head modules (forward.h).
    const Tensor& attn = *trace.attn_data;
    if (attn.rank() != (s.has_head_axis ? 4 : 3) || attn.numel() == 0 || attn.numel() != shape_numel(attn.shape))
        return s;
    s.batches = attn.dim(0);
    s.heads = s.has_head_axis ? attn.dim(1) : 1;
    s.queries = attn.dim(-2);
    s.keys = attn.dim(-1);
    if (is_cross(kind)) {
        const Tensor& x = scene.inputs.x;  // [b, c, h, w]
        if (x.rank() != 4 || x.dim(2) * x.dim(3) != s.queries) return s;
        s.query_kind = QueryKind::PixelGrid;
        s.grid_rows = x.dim(2);
        s.grid_cols = x.dim(3);
    }
    s.key_labels.resize(static_cast<size_t>(s.batches));
    s.key_is_pad.resize(static_cast<size_t>(s.batches));
    if (s.query_kind == QueryKind::Tokens) s.query_labels.resize(static_cast<size_t>(s.batches));
    const Tensor* mask = scene.inputs.pad_mask ? &*scene.inputs.pad_mask : nullptr;  // [b, seq], true = padding
    for (int64_t i = 0; i < s.batches; ++i) {
        auto& keys = s.key_labels[static_cast<size_t>(i)];
        auto& pad = s.key_is_pad[static_cast<size_t>(i)];
        for (int64_t j = 0; j < s.keys; ++j) {
            keys.push_back(scene.key_label(i, j));
            pad.push_back(mask && mask->rank() == 2 && i < mask->dim(0) && j < mask->dim(1) &&
                          mask->data[static_cast<size_t>(i * mask->dim(1) + j)] != 0.0f);
        }
        if (s.query_kind == QueryKind::Tokens)
            for (int64_t j = 0; j < s.queries; ++j)
                s.query_labels[static_cast<size_t>(i)].push_back(scene.query_label(i, j));
    }
    if (s.query_kind == QueryKind::PixelGrid) s.images.assign(scene.images.begin(), scene.images.end());
    s.images.resize(static_cast<size_t>(s.batches));
    s.layers.push_back(trace.attn_data);
    return s;
}

AttentionSet attention_set_from_model(const ModelInfo& info, const ModelInputs& inputs, const ModelPass& pass) {
    AttentionSet s;
    s.model = info.name;
    s.layered = true;
    if (pass.layers.empty() || !pass.layers[0].attn) return s;
    const Tensor& first = *pass.layers[0].attn;  // [b, heads, L, L]
    if (first.rank() != 4) return s;
    s.batches = first.dim(0);
    s.heads = first.dim(1);
    s.queries = first.dim(2);
    s.keys = first.dim(3);
    s.fill = pass.layers[0].trace.fill;
    for (const LayerPass& layer : pass.layers) {
        if (!layer.attn || layer.attn->shape != first.shape) return AttentionSet{};
        s.layers.push_back(layer.attn);
        s.value_norms.push_back(layer.value_norms);
    }
    if (inputs.patch_rows > 0 && inputs.patch_cols > 0 &&
        inputs.prefix_tokens + inputs.patch_rows * inputs.patch_cols == s.keys) {
        s.query_kind = QueryKind::Patches;
        s.grid_rows = inputs.patch_rows;
        s.grid_cols = inputs.patch_cols;
        s.prefix_tokens = inputs.prefix_tokens;
        s.images = inputs.images;
    }
    s.images.resize(static_cast<size_t>(s.batches));
    const Tensor& mask = inputs.attention_mask;  // [b, L], 1 = token
    const bool has_mask = mask.rank() == 2 && mask.dim(0) == s.batches && mask.dim(1) == s.keys;
    for (int64_t i = 0; i < s.batches; ++i) {
        std::vector<std::string> labels;
        std::vector<bool> pad;
        for (int64_t j = 0; j < s.keys; ++j) {
            const auto& row = i < static_cast<int64_t>(inputs.tokens.size()) ? inputs.tokens[static_cast<size_t>(i)]
                                                                            : std::vector<std::string>{};
            labels.push_back(j < static_cast<int64_t>(row.size()) ? row[static_cast<size_t>(j)] : "t" + std::to_string(j));
            pad.push_back(has_mask && mask.data[static_cast<size_t>(i * s.keys + j)] == 0.0f);
        }
        s.query_labels.push_back(labels);
        s.key_labels.push_back(std::move(labels));
        s.key_is_pad.push_back(std::move(pad));
    }
    return s;
}

}  // namespace attn
