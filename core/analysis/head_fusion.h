// Head fusion: one map per batch item from all the heads of a layer, the way BertViz and
// vit-explain fuse them.
#pragma once

#include "tensor/tensor.h"

#include <string>

namespace attn {

enum class HeadFusion { Mean, Max, Min };

// "mean", "max", "min"
std::string head_fusion_name(HeadFusion fusion);

// attn: [b, H, Lq, Lk] (or one head's [b, Lq, Lk]) -> [b, Lq, Lk].
// Mean: the heads summed in head order, each weight / H in float, as the CPU map export sums its
// mean map, so the app and the CLI agree bit for bit. Max and min: elementwise over heads.
// H = 1 gives the head itself. ShapeError for anything but an F32 tensor of rank 3 or 4.
Tensor fuse_heads(const Tensor& attn, HeadFusion fusion);

}  // namespace attn
