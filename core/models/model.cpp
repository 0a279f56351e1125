#include "models/model.h"

#include "errors.h"

namespace attn {

std::string family_name(ModelFamily family) {
    switch (family) {
        case ModelFamily::UseLite:
            return "use-lite";
        case ModelFamily::Bert:
            return "bert";
        case ModelFamily::Vit:
            return "vit";
        case ModelFamily::SavedAttention:
            return "saved attention";
    }
    return "?";
}

// The defaults say what the model takes instead; each family overrides the ones it takes.
ModelInputs Model::prepare_text(const std::vector<std::string>&) const {
    throw ConfigError(info().name + " is a " + family_name(info().family) +
                      " model: it takes pictures (--image), not sentences");
}
ModelInputs Model::prepare_ids(const Tensor&, const Tensor&) const {
    throw ConfigError(info().name + " is a " + family_name(info().family) +
                      " model: it takes pictures (--image or --pixel-values), not --input-ids");
}
ModelInputs Model::prepare_images(const std::vector<std::string>&) const {
    throw ConfigError(info().name + " is a " + family_name(info().family) +
                      " model: it takes sentences (--text), not pictures");
}
ModelInputs Model::prepare_pixels(const Tensor&) const {
    throw ConfigError(info().name + " is a " + family_name(info().family) +
                      " model: it takes sentences (--text or --input-ids), not --pixel-values");
}

}  // namespace attn
