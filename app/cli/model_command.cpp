#include "model_command.h"

#include "errors.h"
#include "export/model_dump.h"
#include "trace_printer.h"
#include "io/asset_dir.h"
#include "io/npy.h"
#include "maps/map_export.h"
#include "model/memory_budget.h"
#include "models/registry.h"
#include "pipeline/scene.h"
#include "view_exports.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>

namespace attn::cli {

namespace {

// A stage's steps under its title, unless it has none.
void print_stage(std::ostream& out, const std::string& title, const Trace& trace) {
    if (trace.steps.empty()) return;
    out << title << '\n';
    print_steps(out, trace, "code");
    out << '\n';
}

void print_model_trace(std::ostream& out, const ModelInfo& info, const ModelInputs& in, const ModelPass& pass,
                       int layer) {
    out << info.name << " (" << family_name(info.family) << "): " << info.layers << " layers, " << info.heads
        << " heads, hidden " << info.hidden << "\n  " << info.path << "\n\n";
    if (!in.tokens.empty() && in.patch_rows == 0) {
        out << "tokens (" << in.tokens.size() << " x " << in.tokens[0].size() << ", padded on the right):\n";
        for (size_t i = 0; i < in.tokens.size(); ++i) {
            out << "  [" << i << "]";
            for (const std::string& t : in.tokens[i])
                out << ' ' << t;
            out << '\n';
        }
        out << '\n';
    } else if (in.patch_rows > 0) {
        out << "patches: " << in.patch_rows << " x " << in.patch_cols << " after " << in.prefix_tokens
            << " prefix token(s)\n\n";
    }
    print_stage(out, "embeddings", pass.embeddings);
    print_stage(out, "layer " + std::to_string(layer) + " of " + std::to_string(pass.layers.size()) +
                         " (--layer N for another)",
                pass.layers[static_cast<size_t>(layer)].trace);
    print_stage(out, "after the last layer", pass.pooling);
}

Tensor read_int64_npy(const std::string& path, const std::string& role) {
    Tensor t = read_npy(path);
    if (t.dtype != DType::Int64 || t.rank() != 2)
        throw ShapeError(path + ": " + role + " must be int64 [b, L], got " + dtype_name(t.dtype) + " " +
                         shape_string(t.shape));
    return t;
}

// Options of the seed's modules make no sense with a real model: say so instead of ignoring them.
void refuse_module_options(const RunOptions& o) {
    std::vector<std::string> given;
    if (o.module_given) given.push_back("--module");
    if (!o.weights.empty()) given.push_back("--weights");
    if (!o.x.empty()) given.push_back("--x");
    if (!o.context.empty()) given.push_back("--context");
    if (!o.pad_mask.empty()) given.push_back("--pad-mask");
    if (!o.save_weights.empty()) given.push_back("--save-weights");
    if (o.sizes_given) given.push_back("--emb-dim/--heads/--seed/--grid/--max-len/--mask-fill/--scale/--attn-mask/--causal/--steps");
    if (!given.empty()) {
        std::string list;
        for (const std::string& g : given)
            list += (list.empty() ? "" : ", ") + g;
        throw ConfigError(list + " belong to the seed's modules, not to --model (a real model brings its own " +
                          "weights; give --text, --input-ids/--attention-mask, --image or --pixel-values)");
    }
}

}  // namespace

int run_model_command(const RunOptions& o) {
    refuse_module_options(o);
    std::vector<std::string> warnings;
    const std::unique_ptr<Model> model = load_model(o.model, &warnings);
    const ModelInfo& info = model->info();
    export_options(o);  // bad --colormap, --format... before the pass, not after it
    if (o.layer < -1 || o.layer >= info.layers)
        throw ConfigError("--layer " + std::to_string(o.layer) + ": " + info.name + " has layers 0.." +
                          std::to_string(info.layers - 1));
    ModelInputs in;
    if (!o.input_ids.empty() || !o.attention_mask.empty()) {
        if (o.input_ids.empty() || o.attention_mask.empty())
            throw ConfigError("--input-ids and --attention-mask go together (int64 [b, L] each, 1 = token)");
        in = model->prepare_ids(read_int64_npy(o.input_ids, "input_ids"),
                                read_int64_npy(o.attention_mask, "attention_mask"));
    } else if (!o.pixel_values.empty()) {
        in = model->prepare_pixels(read_npy(o.pixel_values));
    } else if (!o.images.empty()) {
        in = model->prepare_images(o.images);
    } else if (!o.texts.empty()) {
        in = model->prepare_text(o.texts);
    } else if (info.takes_text) {
        in = model->prepare_text(seed_sentences());
    } else {
        in = model->prepare_images({(std::filesystem::path(asset_dir()) / "images" / "chelsea.png").string()});
    }
    for (const std::string& w : warnings)
        std::cerr << "attnscope-cli: warning: " << w << '\n';
    for (const std::string& w : in.warnings)
        std::cerr << "attnscope-cli: warning: " << w << '\n';
    ForwardControl control;
    control.held_bytes = model->weight_bytes();
    const ModelPass pass = model->run(in, &control);
    const int layer = o.layer < 0 ? static_cast<int>(pass.layers.size()) - 1 : static_cast<int>(o.layer);

    if (o.json)
        std::cout << model_trace_json(info, in, pass).dump(2) << '\n';
    else
        print_model_trace(std::cout, info, in, pass, layer);

    // A --query or a pane that does not exist is refused before anything is written.
    if (o.query >= 0 || !o.export_panes_dir.empty()) check_view_targets(o, MapModel(attention_set_from_model(info, in, pass)));
    if (!o.dump_dir.empty()) {
        const auto files = dump_model_pass(info, in, pass, o.dump_dir);
        std::cerr << "attnscope-cli: wrote " << files.size() << " files to " << o.dump_dir << '\n';
    }
    if (!o.export_maps_dir.empty()) {
        const MapModel maps(attention_set_from_model(info, in, pass));
        export_layered_maps(o, maps, export_options(o));
    }
    if (!o.export_panes_dir.empty()) {
        if (!o.b_mask_fill.empty() || !o.b_scale.empty())
            throw ConfigError(
                "--b-mask-fill and --b-scale are for the seed's modules; a real model's pane B is another "
                "map of the same pass (--pane-b)");
        const MapModel maps(attention_set_from_model(info, in, pass));
        export_cli_panes(o, maps, maps, o.pane_a, o.pane_b.empty() ? o.pane_a : o.pane_b);
    }
    return 0;
}

void add_models_command(CLI::App& app, ModelsOptions& o) {
    CLI::App* models = app.add_subcommand("models", "List the real models that can be opened with run --model");
    models->add_option("--model-dir", o.model_dirs,
                       "Also look here: a model folder, or a folder of model folders (repeat for more)");
    models->add_flag("--json", o.json, "Print JSON instead of a table");
}

int models_command(const ModelsOptions& o) {
    const ModelSearch found = find_models(o.model_dirs);
    if (o.json) {
        nlohmann::json j;
        j["models"] = nlohmann::json::array();
        for (const ModelEntry& e : found.usable)
            j["models"].push_back({{"family", family_name(e.family)}, {"name", e.name}, {"path", e.path},
                                   {"layers", e.layers}, {"heads", e.heads}, {"hidden", e.hidden}});
        j["skipped"] = found.skipped;
        j["hf_hub_cache"] = hf_hub_cache_dir();
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    if (found.usable.empty())
        std::cout << "no real models found (run `attnscope-cli fetch use-lite`, or give --model-dir; the Hugging "
                     "Face cache looked at is "
                  << hf_hub_cache_dir() << ")\n";
    size_t name_w = 4;
    for (const ModelEntry& e : found.usable)
        name_w = std::max(name_w, e.name.size());
    if (!found.usable.empty())
        std::cout << std::left << std::setw(10) << "family" << std::setw(static_cast<int>(name_w) + 2) << "name"
                  << std::setw(8) << "layers" << std::setw(7) << "heads" << std::setw(8) << "hidden"
                  << "path (give it to run --model)\n";
    for (const ModelEntry& e : found.usable)
        std::cout << std::left << std::setw(10) << family_name(e.family) << std::setw(static_cast<int>(name_w) + 2)
                  << e.name << std::setw(8) << e.layers << std::setw(7) << e.heads << std::setw(8) << e.hidden
                  << e.path << '\n';
    for (const std::string& s : found.skipped)
        std::cout << "skipped " << s << '\n';
    return 0;
}

}  // namespace attn::cli
