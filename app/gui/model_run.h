// A real trained model's pass as the window holds it (use-lite, a BERT or ViT folder), beside the
// seed's Scene + Trace: what the worker computes once per request, off the UI thread, so that the
// panels only read. The model itself stays loaded in the worker (LoadedModels) between passes, so
// typing a sentence runs the layers again without reading the weights again.
//
// Shapes (b = sentences or pictures, L = tokens after padding, H = heads):
//   inputs.input_ids, inputs.attention_mask   [b, L]
//   pass.layers[l].attn                       [b, H, L, L]
//   head_stats.rows                           layers x heads, layer-major
//   similarity                                [b, b]  cosine of the sentence embeddings
#pragma once

#include "analysis/head_stats.h"
#include "analysis/head_stats_table.h"
#include "maps/attention_set.h"
#include "model/forward.h"
#include "models/model.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn::gui {

// What the worker is asked to run with a real model.
struct ModelRequest {
    std::string model;                   // "use-lite" or a folder: what load_model takes
    std::vector<std::string> sentences;  // text models
    std::string image_path;              // ViT: the picture
};

struct ModelRun {
    std::string requested;               // ModelRequest::model: what the settings named
    std::shared_ptr<const Model> model;  // keeps the weights that the steps made on demand read
    ModelInfo info;
    ModelInputs inputs;
    ModelPass pass;
    HeadStatsTable head_stats;  // every layer x head, every batch item pooled
    // [b, b] cosine similarity of the sentence embeddings (text models; ViT: none), and how the
    // embeddings were made ("use-lite's own sentence embedding", "mean pooling...").
    std::optional<Tensor> similarity;
    std::string similarity_source;
    std::vector<std::string> warnings;  // of loading the model and of its inputs
};

// The model loaded last, kept for the next pass. Used by the worker thread only.
class LoadedModels {
public:
    // The model of `name_or_path`: the one held when it is the same model with unchanged files
    // (each file's size and time in the folder), else load_model() with the control's progress and
    // cancel. The held model stays held when loading fails or is cancelled (the exception goes on).
    std::shared_ptr<const Model> get(const std::string& name_or_path, const ForwardControl* control);
    // Warnings load_model gave for the held model (unused tensors...).
    const std::vector<std::string>& warnings() const { return warnings_; }
    // How many times a model was read from disk, for tests.
    int loads() const { return loads_; }

private:
    std::string key_;  // the name and the fingerprint of its files
    std::shared_ptr<const Model> model_;
    std::vector<std::string> warnings_;
    int loads_ = 0;
};

// "use-lite" stays as it is; a folder becomes its absolute, normal form, so that one model typed two
// ways is one cache entry and one session value.
std::string model_request_name(const std::string& name_or_path);

// A short name to show: "use-lite", or the folder's last part.
std::string model_display_name(const std::string& name_or_path);

// "previous_share > 0.5, entropy <= 1": the conditions of the statistics' filter field, split at
// commas, ";", "&&" and " and ". Blank text: none. ConfigError (parse_head_filter's message, with
// the condition) for a bad one.
std::vector<HeadFilter> parse_head_filters(const std::string& text);

// The rows of `table` to list: those passing every filter, sorted by `sort_key` (a statistic's key,
// or "layer", "head", "query_rows"), largest first when `descending`; absent values last, ties in
// layer x head order.
std::vector<size_t> head_order(const HeadStatsTable& table, const std::string& sort_key, bool descending,
                               const std::vector<HeadFilter>& filters);

// Whether a request names a saved attention file (a regular file; models are folders or "use-lite").
bool names_attentions_file(const std::string& request);

// A saved attention file (maps/attentions_file.h: `attnscope --attentions FILE`, or a file dropped
// on the window) opened as a pass: the file's layers become pass.layers[l].attn, its tokens, mask,
// pictures and patch grid the inputs, and the statistics are made from them. There is no model
// (`model` null, family SavedAttention), no steps, no value norms and no sentence similarity: a
// file holds only the weights. `set` receives the file's AttentionSet, for the map model.
// Throws the reader's FileError / ShapeError, one message naming the file and the field.
std::shared_ptr<const ModelRun> open_attentions_file(const std::string& path, AttentionSet& set);

// A real model's pass: the model (loaded or held), its inputs (the sentences, or the picture for a
// ViT), every layer, then the statistics and the sentence similarity. Throws what load_model,
// prepare_* and run throw (FileError, ShapeError, ConfigError, Cancelled...).
std::shared_ptr<const ModelRun> run_model(const ModelRequest& request, LoadedModels& models, ForwardControl& control);

}  // namespace attn::gui
