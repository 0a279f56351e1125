#include "pipeline/weights_file.h"

#include "io/safetensors.h"

namespace attn {

void save_module_weights(const Scene& scene, const std::string& path) {
    write_safetensors(path, weights_to_tensors(scene.module, scene.weights),
                      {{"module", module_name(scene.module.kind)},
                       {"emb_dim", std::to_string(scene.module.emb_dim)},
                       {"heads", std::to_string(scene.module.head_count())}});
}

}  // namespace attn
