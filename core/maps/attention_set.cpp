#include "maps/attention_set.h"

#include "model/trace.h"
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

}  // namespace attn
