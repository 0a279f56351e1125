// From what a user chooses (sentences, images, .npy files, settings) to the tensors a module
// runs on. The CLI and the GUI both build their inputs here, so they always compute the same.
#pragma once

#include "image/image.h"
#include "model/forward.h"
#include "text/tokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn {

// The seed's example batch: three sentences padded to seq_len 5, like its input_ids
// [[100, 200, 300, 300, 0], [22, 33, 44, 0, 0], [66, 55, 66, 30, 0]] (4, 3 and 4 tokens).
const std::vector<std::string>& seed_sentences();
constexpr int64_t kSeedMaxLen = 5;

// max_len as the engine applies it. A positive value is kept (sentences are padded or cut to it);
// 0 is auto: pad to the longest sentence, except that the seed's own batch keeps the seed's
// seq_len 5 (its input_ids end in a padding column).
int64_t effective_max_len(const std::vector<std::string>& sentences, int64_t max_len);

// The tokens build_scene makes of `sentences` (empty: the seed's) at effective_max_len. The app
// shows them while typing and hands them to the engine (SceneSpec::tokens), so a sentence is
// tokenized once per edit. Throws what make_token_batch throws.
TokenBatch scene_tokens(const std::vector<std::string>& sentences, int64_t max_len);

struct SceneSpec {
    ModuleConfig module;
    uint64_t seed = 0;                        // random weights and embedding
    std::optional<std::string> weights_path;  // .safetensors; may also hold embedding.weight

    std::vector<std::string> sentences;  // the text side; empty = none typed
    int64_t max_len = 0;                 // 0 = auto (effective_max_len)
    // scene_tokens(sentences, max_len) when the caller has made it already; build_scene then
    // uses it instead of tokenizing again. It must be of these sentences and max_len.
    std::shared_ptr<const TokenBatch> tokens;

    std::vector<std::string> image_paths;  // one shared by the batch, or one per sentence
    int64_t grid_h = 40, grid_w = 40;      // YOLO-World's stage 3 grid
    bool full_resolution = false;          // grid = the image's own size

    // Tensors given directly; they take the place of the text and image inputs.
    std::optional<std::string> x_path, context_path, pad_mask_path;

    // torch-mha only: nn.MultiheadAttention's attn_mask, a .npy of bool/uint8 (True = not allowed)
    // or float (added to the scores), [L, S] or [b*heads, L, S]; or the causal preset instead.
    std::optional<std::string> attn_mask_path;
    bool causal = false;
};

struct Scene {
    ModuleConfig module;  // in_channels resolved from the inputs
    Weights weights;
    ModuleInputs inputs;
    std::optional<TokenBatch> tokens;  // when sentences were used
    std::optional<Tensor> embedding;   // embedding.weight [vocab, emb] when sentences were used
    // Per batch item, the picture its maps are laid over; items that share a picture share the
    // pointer (a 4096 x 4096 picture is 200 MB of floats: 64 sentences hold it once).
    std::vector<std::shared_ptr<const Image>> images;
    std::vector<std::string> warnings;
    bool queries_are_tokens = false;  // x came from the sentences
    bool keys_are_tokens = false;     // the keys came from the sentences

    // Label of key position j of batch item i: its token, "<pad>", or "t<j>" without text.
    std::string key_label(int64_t i, int64_t j) const;
    std::string query_label(int64_t i, int64_t j) const;  // self-attention queries are tokens too
};

class SceneCache;

// Throws FileError, ShapeError, ConfigError or TextError with a message naming the culprit.
// With a cache, pictures and random weights made by an earlier call are reused. With a control,
// reports its stages and throws Cancelled at the next one when asked to (after reading each
// picture, before decoding it, every band of rows it averages, before the weights). What it
// holds at once is checked against the memory limit before each large allocation.
Scene build_scene(const SceneSpec& spec, SceneCache* cache = nullptr, const ForwardControl* control = nullptr);

// What a scene holds, in bytes: each distinct picture once, the inputs, the embedding and the
// weights. A caller that keeps the scene during its pass counts it (ForwardControl::held_bytes).
double scene_bytes(const Scene& scene);

// nn.Embedding: rows of `table` [vocab, emb] picked by input_ids [b, seq] -> [b, seq, emb].
Tensor embed(const Tensor& table, const Tensor& input_ids, const std::vector<std::string>& vocab);

}  // namespace attn
