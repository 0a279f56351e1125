// `attnscope-cli run`: one forward pass from the command line.
#pragma once

#include "maps/map_export.h"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace attn::cli {

struct RunOptions {
    std::string module = "cross-multihead";
    int64_t emb_dim = 512, heads = 8;
    uint64_t seed = 0;
    std::string weights, save_weights;
    std::vector<std::string> texts, images;
    int64_t max_len = 0;
    std::string grid = "40x40";
    std::string x, context, pad_mask;
    std::string attn_mask;  // torch-mha: nn.MultiheadAttention's attn_mask .npy
    bool causal = false;    // torch-mha: the causal attn_mask
    std::string mask_fill = "module", scale = "module";
    std::string dump_dir, steps, export_maps_dir, colormap = "viridis";
    std::string format = "png", theme = "dark";  // --export-maps: png or svg; dark or light (print)
    float opacity = 0.6f;
    bool shared_range = false, export_grid = false;
    bool json = false;
    // Real models (model_command.h): a folder or "use-lite", and what they take instead of text.
    std::string model;
    int64_t layer = -1;  // the layer whose trace is printed; -1 = the last
    std::string input_ids, attention_mask, pixel_values;
    bool module_given = false, sizes_given = false;  // options of the seed's modules given with --model
    // Attention a user saved from any model (attentions_command.h) instead of running one.
    std::string attentions;
    // The Attention panel's views (view_exports.h): one query's head views or maps over the
    // picture into --export-maps DIR, and two panes with their difference into --export-panes DIR.
    int64_t query = -1;
    std::string export_panes_dir, pane_a, pane_b;
    std::string b_mask_fill, b_scale, b_attentions;  // pane B under other settings, or from another file
    bool no_difference = false;
};

void add_run_command(CLI::App& app, RunOptions& options);

// The map export settings of --colormap, --opacity, --shared-range, --format, --theme, checked.
MapExportOptions export_options(const RunOptions& options);

// Returns the exit status; throws attn::Error on bad input.
int run_command(const RunOptions& options);

}  // namespace attn::cli
