// One benchmark case on the engine's side: the module, its weights and its inputs, read from the
// folder that tests/bench/run_bench.py writes for it and that tests/bench/torch_bench.py reads too:
//   case.json            {"name": "seed_multihead", "module": "multihead", "emb_dim": 512, "heads": 8,
//                         "in_channels": 3, "weights": "weights.safetensors",
//                         "x": "x.npy", "context": "context.npy" | null, "pad_mask": "pad_mask.npy" | null}
//   weights.safetensors  the module's state_dict, made by PyTorch's default init
//   x.npy                self, multihead, torch-mha [b, seq, emb]; cross modules [b, c, h, w]
//   context.npy          [b, seq, emb] (cross modules)
//   pad_mask.npy         bool [b, seq_k], true = padding (input_ids.eq(0), or key_padding_mask)
#pragma once

#include "model/config.h"
#include "model/forward.h"
#include "model/weights.h"

#include <string>
#include <vector>

namespace attn::bench {

struct BenchCase {
    std::string name;
    ModuleConfig config;
    Weights weights;
    ModuleInputs inputs;
    std::vector<std::string> warnings;  // unused tensors in the weights file
};

// Throws attn::Error (FileError, ShapeError, ConfigError) naming the file and what is wrong.
BenchCase load_case(const std::string& dir);

}  // namespace attn::bench
