// ViT from a Hugging Face folder (google/vit-*, facebook/dino-vits16, dino-vitb16...): config.json
// with model_type "vit", model.safetensors (or pytorch_model.bin) with transformers' state_dict
// names, with or without "vit." (DINO's are ViTModel checkpoints without it), and
// preprocessor_config.json. The encoder as modeling_vit.py's ViTModel runs it: the patch
// embedding (Conv2d with stride = kernel = patch_size), [CLS] in front, position embeddings
// added, then per layer layernorm_before, self-attention, the output dense and residual,
// layernorm_after, the FFN and residual, and the final layernorm. Pooler and classifier are not
// run. pixel_values must have the config's image_size: pictures are resized by the
// preprocessing, so the position embeddings are never interpolated.
#pragma once

#include "image/vit_preprocess.h"
#include "models/hf/hf_config.h"
#include "models/hf/hf_encoder.h"
#include "models/model.h"
#include "transformer/dense.h"
#include "transformer/layer_norm.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attn {

struct VitEmbeddingWeights {
    Tensor cls_token;             // embeddings.cls_token           [1, 1, hidden]
    Tensor position;              // embeddings.position_embeddings [1, 1 + patches, hidden]
    Dense patch;                  // embeddings.patch_embeddings.projection, weight [hidden, C, ph, pw] seen as
                                  // [hidden, C*ph*pw] (the conv over one patch is that product)
    LayerNormWeights final_norm;  // layernorm
};

class VitModel final : public Model {
public:
    // `preprocess`: the folder's preprocessor_config.json, or unset with `preprocess_error` saying why.
    VitModel(ModelInfo info, HfConfig config, VitEmbeddingWeights embeddings, HfEncoder encoder,
             std::optional<VitPreprocessConfig> preprocess, std::string preprocess_error);

    const ModelInfo& info() const override { return info_; }
    // Each picture loaded and preprocessed as ViTImageProcessor does with the folder's
    // preprocessor_config.json (image/vit_preprocess.h: resized to its size, rescaled,
    // normalised); the same path twice is loaded once. FileError for a file that is not a
    // picture or a folder without (or with a broken) preprocessor_config.json.
    ModelInputs prepare_images(const std::vector<std::string>& paths) const override;
    // pixel_values F32 [b, C, image_size, image_size]; tokens "[CLS]", "p0", "p1"... (row-major).
    ModelInputs prepare_pixels(const Tensor& pixel_values) const override;
    ModelPass run(const ModelInputs& inputs, const ForwardControl* control = nullptr) const override;
    double weight_bytes() const override;

    const HfConfig& config() const { return config_; }
    int64_t patch_rows() const { return config_.image_height / config_.patch_height; }
    int64_t patch_cols() const { return config_.image_width / config_.patch_width; }

private:
    void check_pixels(const Tensor& pixel_values) const;

    ModelInfo info_;
    HfConfig config_;
    std::shared_ptr<const VitEmbeddingWeights> embeddings_;
    HfEncoder encoder_;
    std::optional<VitPreprocessConfig> preprocess_;
    std::string preprocess_error_;
};

// Reads a ViT folder; errors and warnings as load_bert_folder's (no vocab.txt needed; classifier.*
// and pooler.* ignored with one warning).
std::unique_ptr<Model> load_vit_folder(const std::string& dir, std::vector<std::string>* warnings,
                                       const ForwardControl* control = nullptr);

}  // namespace attn
