// `attnscope-cli run --attentions FILE`: attention a user saved from any model (GPT-2, RoBERTa,
// LLaMA, CLIP...: transformers' output_attentions), read with core/maps/attentions_file.h. It prints
// what the file holds, and dumps, exports maps and the views' pictures as for a model the engine runs.
// Nothing is run, so there are no steps to print and no norm-based attention.
#pragma once

#include "run_command.h"

namespace attn::cli {

// Returns the exit status; throws attn::Error on bad input (one message naming the file).
int run_attentions_command(const RunOptions& options);

}  // namespace attn::cli
