// `attnscope-cli run --model PATH|use-lite`: a real model on sentences or pictures, every layer;
// and `attnscope-cli models`: what real models can be opened here.
#pragma once

#include "run_command.h"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace attn::cli {

// Returns the exit status; throws attn::Error on bad input.
int run_model_command(const RunOptions& options);

struct ModelsOptions {
    std::vector<std::string> model_dirs;
    bool json = false;
};

void add_models_command(CLI::App& app, ModelsOptions& options);
int models_command(const ModelsOptions& options);

}  // namespace attn::cli
