// Attention a user brings from any model: the tensors transformers hands out with
// output_attentions=True, saved as one .safetensors file (app/python/attnscope_save.py writes it),
// read into an AttentionSet so that every view and export of the map model works on it.
//
// The file:
//   attentions      F32, F16, BF16 (or F64) [layers, b, heads, Lq, Lk]: the softmax weights
//   attention_mask  optional, I64 [b, Lk], 1 = token, 0 = padding (transformers' own)
//   __metadata__    string values, as safetensors requires:
//     tokens         a JSON array per batch item of its Lk key tokens (one flat array for b = 1);
//                    may be left out for patch tokens (then "[CLS]", "p0", "p1"...)
//     query_tokens   the same for the Lq queries, when they are not the keys (cross-attention)
//     image          a picture's path, relative to the file (or a JSON array of one per item)
//     patch_grid     "14x14": the keys after the prefix tokens are a rows x cols grid of patches
//     prefix_tokens  "1": tokens before the patches ([CLS]); default: Lk - rows * cols
//     model          the model's name (default: the file's name)
// Anything else in __metadata__ is ignored; other tensors give a warning.
//
// There are no intermediate tensors in such a file: the Pipeline's steps and norm-based attention
// are not available for it, everything made from the weights is (matrices, head view, rollout of
// square matrices, head statistics, maps over the picture for patch tokens, side by side).
#pragma once

#include "analysis/token_layout.h"
#include "io/safetensors.h"
#include "maps/attention_set.h"

#include <string>
#include <vector>

namespace attn {

// The tensor and metadata names of the format.
constexpr const char* kAttentionsTensor = "attentions";
constexpr const char* kAttentionMaskTensor = "attention_mask";

// Reads and checks the file. Every problem is one FileError or ShapeError naming the file, the
// tensor or metadata field, and what was expected against what was found: wrong rank, token counts
// that are not Lq / Lk, a mask that is not 0/1, NaN or infinity (NaN is allowed only in the rows of
// a batch item whose every key is padding, as PyTorch's -inf mask gives), weights outside [0, 1],
// a missing picture, metadata that is not JSON. Rows of real queries that do not sum to 1 (within
// 1e-2) are a warning, not an error: a model may give them on purpose (head masking).
AttentionSet read_attentions_file(const std::string& path, std::vector<std::string>* warnings = nullptr);

// The same from a parsed file; `path` names it in messages and anchors the picture's relative path.
AttentionSet attentions_from_safetensors(SafetensorsFile file, const std::string& path,
                                         std::vector<std::string>* warnings = nullptr);

// Whether `path` is a regular .safetensors file whose header names an "attentions" tensor: how the
// window tells a dropped attention file from a dropped weights file before reading either. Reads
// only the header; false for anything it cannot read (never throws).
bool is_attentions_file(const std::string& path);

// What core/analysis needs of any set (head statistics, rollout): its key padding as an
// attention_mask, its key labels, its patch grid.
TokenLayout token_layout_of_set(const AttentionSet& set);

// Writes what attnscope-cli run --attentions --dump writes: attentions.npy [layers, b, heads, Lq, Lk],
// attention_mask.npy int64 [b, Lk], rollout.npy [b, L, L] (square matrices only), head_stats.json and
// head_stats.csv (the statistics table).
std::vector<std::string> dump_attention_set(const AttentionSet& set, const std::string& dir);

}  // namespace attn
