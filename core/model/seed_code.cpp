#include "model/seed_code.h"

namespace attn {

std::string weights_variable(ModuleKind kind) {
    return kind == ModuleKind::TorchMHA ? "attn" : "att_weights";
}

std::string seed_code(ModuleKind kind, SeedStep step) {
    using K = ModuleKind;
    const bool cross = is_cross(kind);
    switch (step) {
        case SeedStep::Scores:
            switch (kind) {
                case K::Self:
                    return "att_weights = torch.bmm(q, k.transpose(1, 2))";
                case K::MultiHead:
                    return "att_weights = torch.matmul(q, k.transpose(-2, -1))";
                case K::Cross:
                    return "att_weights = torch.einsum('bid,bjd -> bij', q, k)";
                case K::CrossMultiHead:
                    return "att_weights = torch.einsum('bnid,bnjd -> bnij', q, k)";
                case K::TorchMHA:
                    return "attn = q @ k.transpose(-2, -1)  # torch scales q first; same product";
            }
            break;
        case SeedStep::ScaleByModule:
            switch (kind) {
                case K::Self:
                    return "att_weights = att_weights / math.sqrt(self.emb_dim)";
                case K::MultiHead:
                    return "att_weights = att_weights / math.sqrt(self.depth)";
                case K::Cross:
                case K::CrossMultiHead:
                    return "att_weights = att_weights * self.scale  # self.scale = emb_dim ** -0.5";
                case K::TorchMHA:
                    return "attn = attn / math.sqrt(head_dim)";
            }
            break;
        case SeedStep::ExpandMask:
            if (kind == K::TorchMHA) return "key_padding_mask.view(b, 1, 1, S).expand(-1, num_heads, L, -1)";
            return cross ? "pad_mask = pad_mask.unsqueeze(1).expand(b, h*w, seq_len)"
                         : "pad_mask = pad_mask.unsqueeze(1).expand(batch_size, seq_len, seq_len)";
        case SeedStep::RepeatMask:
            return "pad_mask = pad_mask.unsqueeze(1).repeat(1, self.num_heads, 1, 1)";
        case SeedStep::WeightedSum:
            switch (kind) {
                case K::Self:
                    return "output = torch.bmm(att_weights, v)";
                case K::MultiHead:
                    return "output = torch.matmul(att_weights, v)";
                case K::Cross:
                    return "out = torch.einsum('bij, bjd -> bid', att_weights, v)";
                case K::CrossMultiHead:
                    return "out = torch.einsum('bnij, bnjd -> bnid', att_weights, v)";
                case K::TorchMHA:
                    return "attn_output = attn @ v";
            }
            break;
        case SeedStep::MergeHeads:
            if (kind == K::MultiHead)
                return "output = output.transpose(1, 2).contiguous().view(batch_size, -1, self.emb_dim)";
            if (cross) return "out = out.transpose(1, 2).contiguous().view(b, -1, self.emb_dim)";
            return "attn_output = attn_output.transpose(1, 2).reshape(b, L, embed_dim)";
        case SeedStep::SplitHeadsView:
            if (kind == K::TorchMHA) return "view(b, -1, num_heads, head_dim).transpose(1, 2)";
            return std::string("view(") + (cross ? "b" : "batch_size") +
                   ", -1, self.num_heads, self.depth).transpose(1, 2)";
    }
    return "";
}

std::string torch_mask_code(TorchMaskStep step, const std::string& fill) {
    switch (step) {
        case TorchMaskStep::BoolInput:
            return "attn_mask  # bool: True = not allowed to attend";
        case TorchMaskStep::FloatInput:
            return "attn_mask  # float: added to the scores (-inf = not allowed)";
        case TorchMaskStep::Causal:
            return "attn_mask = torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=1)  # causal";
        case TorchMaskStep::Broadcast2D:
            return "attn_mask = attn_mask.unsqueeze(0)  # [1, L, S]: the same mask for every b*heads";
        case TorchMaskStep::Split3D:
            return "attn_mask.view(b, num_heads, L, S)  # row i*num_heads + h: batch item i, head h";
        case TorchMaskStep::CombineBool:
            return "attn_mask = attn_mask.logical_or(key_padding_mask)";
        case TorchMaskStep::CombineFloat:
            return "attn_mask = attn_mask.masked_fill(key_padding_mask, " + fill + ")";
        case TorchMaskStep::BoolToFloat:
            return "attn_mask = torch.zeros_like(attn_mask, dtype=q.dtype).masked_fill_(attn_mask, " + fill + ")";
        case TorchMaskStep::AddToScores:
            return "attn = torch.baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))  # scores + attn_mask";
    }
    return "";
}

}  // namespace attn
