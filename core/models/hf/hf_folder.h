// A Hugging Face model folder (what save_pretrained writes, and what the hub cache holds under
// ~/.cache/huggingface/hub/models--ORG--NAME/snapshots/HASH/): config.json, the weights in
// model.safetensors (else pytorch_model.bin), and the family's tokenizer or preprocessor files.
#pragma once

#include "model/forward.h"
#include "model/weights.h"
#include "models/hf/hf_config.h"
#include "transformer/dense.h"
#include "transformer/layer_norm.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace attn {

// `dir`/`name`
std::string hf_file(const std::string& dir, const std::string& name);

// model.safetensors when the folder has one, else pytorch_model.bin. FileError naming both when
// there is neither.
std::string find_hf_checkpoint(const std::string& dir);

// "bert-base-uncased" for .../models--bert-base-uncased/snapshots/<hash>, "ORG/NAME" for
// models--ORG--NAME, else the folder's own name.
std::string hf_display_name(const std::string& dir);

// The tensors of a checkpoint under their state_dict names, read once. Names are matched with or
// without the family's prefix ("bert.", "vit."), and old LayerNorm names ("LayerNorm.gamma",
// "LayerNorm.beta") as transformers renames them ("weight", "bias").
class HfStateDict {
public:
    // Reads `dir`'s checkpoint; only tensors under `roots` ("embeddings.", "encoder.", ...) are
    // kept, the others are listed for the warning. model.safetensors is read tensor by tensor
    // (the others never converted), with progress and cancel through `control` between chunks;
    // pytorch_model.bin is read whole by io/torch_checkpoint.h's restricted unpickler, which
    // runs nothing (progress before and after only).
    static HfStateDict read(const std::string& dir, const std::string& prefix, const std::vector<std::string>& roots,
                            const ForwardControl* control);
    // From tensors already in memory (tests, pytorch_model.bin); `file` names them in messages.
    HfStateDict(std::vector<NamedTensor> tensors, std::vector<std::string> other_names, std::string file,
                const std::string& prefix);

    // The tensor `name` (without prefix), of `shape`. ShapeError naming the file, the tensor and
    // both shapes, or that it is missing; the message says where the expected shape comes from.
    Tensor take(const std::string& name, const Shape& shape);
    bool has(const std::string& name) const { return tensors_.count(name) != 0; }

    // How many encoder.layer.N blocks the checkpoint holds (highest N + 1; 0 for none).
    int64_t layers_found() const { return layers_found_; }
    const std::string& file() const { return file_; }
    bool had_prefix() const { return had_prefix_; }

    // One line naming the tensors no take() asked for, buffers (position_ids, token_type_ids)
    // left out; "" when there are none.
    std::string unused_warning() const;

private:
    std::map<std::string, Tensor> tensors_;  // by normalised name
    std::set<std::string> taken_;
    std::vector<std::string> other_names_;  // not read: heads (pooler., cls., classifier.) and the like
    std::string file_;
    int64_t layers_found_ = 0;
    bool had_prefix_ = false;
};

// `name`.weight [out, in] and, when `bias`, `name`.bias [out].
Dense take_dense(HfStateDict& sd, const std::string& name, int64_t out, int64_t in, bool bias = true);
// `name`.weight and `name`.bias, both [hidden].
LayerNormWeights take_layer_norm(HfStateDict& sd, const std::string& name, int64_t hidden, double eps);
// `prefix`query, `prefix`key and `prefix`value ([hidden, hidden] each, and their biases when
// `bias`) stacked by rows into one [3*hidden, hidden] product.
Dense take_qkv(HfStateDict& sd, const std::string& prefix, int64_t hidden, bool bias = true);

// The name without `prefix`, with ".gamma"/".beta" at its end read as ".weight"/".bias".
std::string normalise_state_dict_name(const std::string& name, const std::string& prefix);

}  // namespace attn
