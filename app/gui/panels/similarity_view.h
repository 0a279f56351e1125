// Sentence similarity: the cosine similarity of every pair of the batch's sentences, as a small
// heat map with the values written in the cells. The quickest proof that a model's weights are
// real: "The cat sat on the mat" is near "A cat was sitting on a rug" and far from "Stocks fell".
// use-lite compares its own sentence embeddings; BERT the mean of last_hidden_state over each
// sentence's real tokens (ModelRun::similarity, made by the worker).
#pragma once

#include "app_context.h"

namespace attn::gui {

class SimilarityView {
public:
    void draw(AppContext& ctx);
};

}  // namespace attn::gui
