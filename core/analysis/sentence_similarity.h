// Sentence similarity: how alike the batch's sentences are to the model, the quickest proof to a
// user that the weights are real ("The cat sat" is closer to "A cat was sitting" than to "Stocks
// fell").
#pragma once

#include "tensor/tensor.h"

namespace attn {

// BERT-style mean pooling, as sentence-transformers does for all-MiniLM-L6-v2: the mean of
// last_hidden_state over each sentence's real tokens ([CLS] and [SEP] included, padding left
// out). A sentence with no real token gets zeros.
//   last_hidden_state [b, L, hidden]
//   attention_mask    [b, L] Int64 (or F32), 1 = token, 0 = padding
//   result            [b, hidden]
// ShapeError naming both tensors and their shapes.
Tensor mean_pooling(const Tensor& last_hidden_state, const Tensor& attention_mask);

// Cosine similarity of every pair of embeddings, computed in double:
//   embeddings [b, d] -> [b, b], s_ij = <e_i, e_j> / (|e_i| |e_j|), 0 where either is zero.
Tensor cosine_similarity_matrix(const Tensor& embeddings);

}  // namespace attn
