// The one rule for what a saved weights file holds, for the CLI's --save-weights and the app's
// Save: exactly the module's state_dict (PyTorch's names and shapes), so that the file loads into
// the seed's module with load_state_dict(strict=True), plus the module, emb_dim and heads in the
// safetensors metadata. The embedding of the sentences is not saved: it is drawn again from the
// seed (and a file that brings its own embedding.weight still loads).
#pragma once

#include "pipeline/scene.h"

#include <string>

namespace attn {

// Atomic; FileError naming the path when it cannot be written.
void save_module_weights(const Scene& scene, const std::string& path);

}  // namespace attn
