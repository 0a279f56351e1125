#include "model/recorder.h"

#include "model/seed_code.h"

namespace attn::detail {

void record_mask_steps(Recorder& rec, ModuleKind kind, const DimNames& dn, const Shape& sizes, TensorPtr mask) {
    const int64_t b = sizes[0], H = sizes[1], Lq = sizes[2], Lk = sizes[3];
    const bool torch_mha = kind == ModuleKind::TorchMHA;
    rec.held("pad_mask", torch_mha ? "key_padding_mask  # True = padding" : "pad_mask = input_ids.eq(0)",
             named({"b", dn.k_len}, {b, Lk}), "input: true where the key is padding", mask);
    const Shape full = {b, H, Lq, Lk};
    if (torch_mha) {
        rec.lazy("pad_mask_expanded", seed_code(kind, SeedStep::ExpandMask), named({"b", "heads", "L", "S"}, full),
                 "broadcast over heads and queries", DType::Bool,
                 [mask, full] { return expand_pad_mask(*mask, full); });
        return;
    }
    const Shape per_query = {b, Lq, Lk};
    rec.lazy("pad_mask_expanded", seed_code(kind, SeedStep::ExpandMask), named({"b", dn.q_len, dn.k_len}, per_query),
             "unsqueeze(1) then expand over the queries", DType::Bool,
             [mask, per_query] { return expand_pad_mask(*mask, per_query); });
    if (has_heads(kind))
        rec.lazy("pad_mask_heads", seed_code(kind, SeedStep::RepeatMask),
                 named({"b", "heads", dn.q_len, dn.k_len}, full), "repeated over heads", DType::Bool,
                 [mask, full] { return expand_pad_mask(*mask, full); });
}

}  // namespace attn::detail
