#include "analysis/head_fusion.h"

#include "analysis/token_layout.h"

#include <algorithm>

namespace attn {

std::string head_fusion_name(HeadFusion fusion) {
    switch (fusion) {
        case HeadFusion::Mean:
            return "mean";
        case HeadFusion::Max:
            return "max";
        case HeadFusion::Min:
            return "min";
    }
    return "?";
}

Tensor fuse_heads(const Tensor& attn, HeadFusion fusion) {
    const Shape dims = check_attention_tensor(&attn, "attn");  // [b, H, Lq, Lk]
    const int64_t b = dims[0], H = dims[1], Lq = dims[2], Lk = dims[3];
    const int64_t cells = Lq * Lk;
    // out: [b, Lq, Lk]
    Tensor out = Tensor::uninitialized({b, Lq, Lk});
    for (int64_t i = 0; i < b; ++i) {
        float* dst = out.ptr() + i * cells;
        const float* first = attn.ptr() + i * H * cells;  // head 0 of item i: [Lq, Lk]
        if (H == 0) {
            std::fill(dst, dst + cells, 0.0f);
            continue;
        }
        if (fusion == HeadFusion::Mean) {
            // Exactly the export's order: 0, then += w_h / H for h = 0, 1, ... (not sum, then / H).
            const float heads = static_cast<float>(H);
            std::fill(dst, dst + cells, 0.0f);
            for (int64_t h = 0; h < H; ++h) {
                const float* src = first + h * cells;
                for (int64_t c = 0; c < cells; ++c)
                    dst[c] += src[c] / heads;
            }
        } else {
            std::copy(first, first + cells, dst);
            for (int64_t h = 1; h < H; ++h) {
                const float* src = first + h * cells;
                if (fusion == HeadFusion::Max) {
                    for (int64_t c = 0; c < cells; ++c)
                        dst[c] = std::max(dst[c], src[c]);
                } else {
                    for (int64_t c = 0; c < cells; ++c)
                        dst[c] = std::min(dst[c], src[c]);
                }
            }
        }
    }
    return out;
}

}  // namespace attn
