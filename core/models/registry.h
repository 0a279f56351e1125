// Finding and opening real models: the bundled use-lite (once fetched) and Hugging Face folders
// of the families the engine implements (BERT, ViT), in the HF cache or anywhere the user points.
#pragma once

#include "model/forward.h"
#include "models/model.h"

#include <memory>
#include <string>
#include <vector>

namespace attn {

// "use-lite", or a folder with config.json (model_type "bert" or "vit"). FileError / ShapeError /
// ConfigError naming the file and the reason: not fetched, no config.json, an unsupported
// model_type (naming the supported ones and why others are not), a missing or misshapen tensor.
// Progress and Cancel through the control while the weights are read.
std::unique_ptr<Model> load_model(const std::string& name_or_path, std::vector<std::string>* warnings,
                                  const ForwardControl* control = nullptr);

// Where Hugging Face keeps downloaded models: $HF_HUB_CACHE, else $HF_HOME/hub, else
// ~/.cache/huggingface/hub.
std::string hf_hub_cache_dir();

struct ModelEntry {
    ModelFamily family = ModelFamily::Bert;
    std::string name;  // "use-lite", "sentence-transformers/all-MiniLM-L6-v2", a folder's name
    std::string path;  // what load_model takes
    int64_t layers = 0, heads = 0, hidden = 0;
};

struct ModelSearch {
    std::vector<ModelEntry> usable;
    // Folders that look like models but cannot be used, with the reason: "roberta-base: model_type
    // roberta is not supported (supported: bert, vit)".
    std::vector<std::string> skipped;
};

// The bundled use-lite when fetched, every BERT/ViT snapshot in the HF cache (the one refs/main
// names, or each snapshot when there is no ref), and `model_dirs` (a model folder itself, or a
// folder of model folders, one level down). Never throws for a bad folder: it is skipped.
ModelSearch find_models(const std::vector<std::string>& model_dirs);

}  // namespace attn
