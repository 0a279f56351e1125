#include "run_command.h"

#include "errors.h"
#include "export/dump.h"
#include "io/asset_dir.h"
#include "model_command.h"
#include "maps/map_export.h"
#include "pipeline/weights_file.h"
#include "trace_printer.h"
#include "attentions_command.h"
#include "view_exports.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

namespace attn::cli {

namespace {

// "40x40" -> (40, 40); "full" -> the image's own size.
void parse_grid(const std::string& text, SceneSpec& spec) {
    if (text == "full") {
        spec.full_resolution = true;
        return;
    }
    const size_t x = text.find('x');
    try {
        size_t used_h = 0, used_w = 0;
        if (x == std::string::npos) throw std::invalid_argument("no x");
        spec.grid_h = std::stoll(text.substr(0, x), &used_h);
        spec.grid_w = std::stoll(text.substr(x + 1), &used_w);
        if (used_h != x || used_w != text.size() - x - 1) throw std::invalid_argument("junk");
    } catch (const std::exception&) {
        throw ConfigError("grid \"" + text + "\" is not HxW (e.g. 40x40) or full");
    }
    if (spec.grid_h <= 0 || spec.grid_w <= 0) throw ConfigError("grid \"" + text + "\" must have positive sides");
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

}  // namespace

void add_run_command(CLI::App& app, RunOptions& o) {
    CLI::App* run = app.add_subcommand("run", "Run one module forward and show its trace");
    run->add_option("--module", o.module, "self | multihead | cross | cross-multihead | torch-mha")
        ->capture_default_str();
    run->add_option("--emb-dim", o.emb_dim, "Embedding size (emb_dim)")->capture_default_str();
    run->add_option("--heads", o.heads, "Number of heads (multihead, cross-multihead, torch-mha)")
        ->capture_default_str();
    run->add_option("--seed", o.seed, "Seed of the random weights and embedding")->capture_default_str();
    run->add_option("--weights", o.weights, "Load weights (.safetensors, state_dict names)");
    run->add_option("--text", o.texts, "A sentence of the batch (repeat for more); default: the seed's three");
    run->add_option("--max-len", o.max_len,
                    "Pad or cut sentences to this many tokens (default 0: auto, the longest sentence; the seed's "
                    "own batch pads to 5)");
    run->add_option("--image", o.images, "Image for the cross modules: one for the batch or one per sentence");
    run->add_option("--grid", o.grid, "HxW grid the image is area-averaged to, or full")->capture_default_str();
    run->add_option("--x", o.x, "Query-side tensor .npy: [b, seq, emb] or, for cross modules, [b, c, h, w]");
    run->add_option("--context", o.context, "Key/value tensor .npy [b, seq, emb] (cross modules, torch-mha)");
    run->add_option("--pad-mask", o.pad_mask, "Key padding mask .npy, bool or uint8 [b, seq], true = padding");
    run->add_option("--attn-mask", o.attn_mask,
                    "torch-mha: attn_mask .npy [L, S] or [b*heads, L, S]; bool/uint8 True = not allowed, float added "
                    "to the scores");
    run->add_flag("--causal", o.causal,
                  "torch-mha: the causal attn_mask (bool [L, S], True where key j comes after query i)");
    run->add_option("--mask-fill", o.mask_fill, "module | -1e9 | -inf")->capture_default_str();
    run->add_option("--scale", o.scale, "module | depth | emb | a number")->capture_default_str();
    run->add_option("--dump", o.dump_dir, "Write every step's tensor (.npy), trace.json, output.npy, attn.npy here");
    run->add_option("--steps", o.steps, "With --dump: only these, comma-separated (e.g. output,attn,q_heads)");
    run->add_option("--export-maps", o.export_maps_dir,
                    "Write the attention maps here (PNG, or SVG with --format svg)");
    run->add_option("--format", o.format, "With --export-maps: png | svg (vector, tokens as text)")
        ->capture_default_str();
    run->add_option("--theme", o.theme,
                    "With --export-maps: dark | light (a white page with dark text and grid, for print)")
        ->capture_default_str();
    run->add_option("--colormap", o.colormap, "viridis | magma | inferno | turbo | grey | coolwarm (diverging)")
        ->capture_default_str();
    run->add_option("--opacity", o.opacity, "Cross maps: opacity of the map over the image")->capture_default_str();
    run->add_flag("--shared-range", o.shared_range,
                  "One colour range over every map of the pass (default: cross maps their own, matrices 0..1)");
    run->add_flag(
        "--export-grid", o.export_grid,
        "With --export-maps: also each batch item's maps tiled into one picture (b0_grid.png or .svg), as the "
        "app's grid export");
    run->add_option("--save-weights", o.save_weights, "Save the module's weights (.safetensors)");
    run->add_flag("--json", o.json, "Print the trace as JSON instead of a table (with --model: every layer)");
    run->add_option("--model", o.model,
                    "A real model instead of a seed module: use-lite (attnscope-cli fetch use-lite), or a Hugging Face "
                    "BERT / ViT folder (attnscope-cli models lists them)");
    run->add_option("--layer", o.layer, "With --model: the layer whose steps are printed (default: the last)");
    run->add_option("--input-ids", o.input_ids, "With --model: int64 [b, L] .npy instead of --text (bypasses the tokenizer)");
    run->add_option("--attention-mask", o.attention_mask, "With --input-ids: int64 [b, L] .npy, 1 = token, 0 = padding");
    run->add_option("--pixel-values", o.pixel_values,
                    "With a ViT --model: float32 [b, 3, H, W] .npy instead of --image (bypasses the preprocessing)");
    add_view_options(run, o);
    run->final_callback([run, &o] {
        o.module_given = run->count("--module") > 0;
        o.sizes_given = run->count("--emb-dim") + run->count("--heads") + run->count("--seed") + run->count("--grid") +
                            run->count("--max-len") + run->count("--mask-fill") + run->count("--scale") +
                            run->count("--attn-mask") + run->count("--causal") + run->count("--steps") >
                        0;
    });
}

MapExportOptions export_options(const RunOptions& o) {
    MapExportOptions map_options;
    map_options.style.colormap = parse_colormap(o.colormap);
    if (!(o.opacity >= 0.0f && o.opacity <= 1.0f)) throw ConfigError("--opacity must be between 0 and 1");
    map_options.style.opacity = o.opacity;
    map_options.style.shared_range = o.shared_range;
    if (o.export_grid && o.export_maps_dir.empty()) throw ConfigError("--export-grid needs --export-maps DIR");
    map_options.format = parse_export_format(o.format);
    map_options.theme = parse_theme(o.theme);
    if (o.export_maps_dir.empty() && o.export_panes_dir.empty() && (o.format != "png" || o.theme != "dark"))
        throw ConfigError("--format and --theme need --export-maps DIR or --export-panes DIR");
    return map_options;
}

int run_command(const RunOptions& o) {
    check_view_options(o);
    if (!o.attentions.empty()) return run_attentions_command(o);
    if (!o.model.empty()) return run_model_command(o);
    for (const auto& [given, name] : {std::pair{!o.input_ids.empty(), "--input-ids"},
                                      std::pair{!o.attention_mask.empty(), "--attention-mask"},
                                      std::pair{!o.pixel_values.empty(), "--pixel-values"}, std::pair{o.layer >= 0, "--layer"}})
        if (given) throw ConfigError(std::string(name) + " goes with --model (a real model), not with the seed's modules");
    SceneSpec spec;
    spec.module.kind = parse_module_kind(o.module);
    spec.module.emb_dim = o.emb_dim;
    spec.module.heads = o.heads;
    spec.module.scale = parse_scale(o.scale);
    spec.module.mask_fill = parse_mask_fill(o.mask_fill);
    spec.seed = o.seed;
    if (!o.weights.empty()) spec.weights_path = o.weights;
    spec.sentences = o.texts;
    if (o.max_len < 0) throw ConfigError("--max-len must be 0 (auto) or positive");
    spec.max_len = o.max_len;
    spec.image_paths = o.images;
    parse_grid(o.grid, spec);
    if (!o.x.empty()) spec.x_path = o.x;
    if (!o.context.empty()) spec.context_path = o.context;
    if (!o.pad_mask.empty()) spec.pad_mask_path = o.pad_mask;
    if ((!o.attn_mask.empty() || o.causal) && spec.module.kind != ModuleKind::TorchMHA)
        throw ConfigError(std::string(o.causal ? "--causal" : "--attn-mask") +
                          " is for --module torch-mha only (nn.MultiheadAttention's attn_mask); --module " + o.module +
                          " masks padding keys with --pad-mask");
    if (!o.attn_mask.empty() && o.causal)
        throw ConfigError(
            "--attn-mask and --causal both given: --causal is itself an attn_mask (bool [L, S], True "
            "above the diagonal); give one");
    if (!o.attn_mask.empty()) spec.attn_mask_path = o.attn_mask;
    spec.causal = o.causal;
    if (is_cross(spec.module.kind) && spec.image_paths.empty() && !spec.x_path)
        spec.image_paths.push_back((std::filesystem::path(asset_dir()) / "images" / "chelsea.png").string());
    const MapExportOptions map_options = export_options(o);

    Scene scene = build_scene(spec);
    for (const std::string& w : scene.warnings)
        std::cerr << "attnscope-cli: warning: " << w << '\n';
    ForwardControl control;
    control.held_bytes = scene_bytes(scene);  // the scene stays in memory while the pass runs
    Trace trace = forward(scene.module, scene.weights, scene.inputs, &control);

    if (o.json)
        std::cout << trace_json(scene, trace).dump(2) << '\n';
    else
        print_trace(std::cout, scene, trace);

    // A --query or a pane that does not exist is refused before anything is written.
    if (o.query >= 0 || !o.export_panes_dir.empty()) check_view_targets(o, MapModel(attention_set_from_pass(scene, trace)));
    if (!o.dump_dir.empty()) {
        DumpOptions d;
        d.only = split_commas(o.steps);
        auto files = dump_trace(scene, trace, o.dump_dir, d);
        std::cerr << "attnscope-cli: wrote " << files.size() << " files to " << o.dump_dir << '\n';
    }
    if (!o.export_maps_dir.empty()) {
        const MapModel maps(attention_set_from_pass(scene, trace));
        CpuPainter painter;
        ExportResult result = export_every_map(maps, painter, map_options, o.export_maps_dir);
        if (o.export_grid)
            for (int b = 0; b < static_cast<int>(maps.batches()); ++b)
                for (std::string& f : export_grid(maps, painter, b, 0, map_options, o.export_maps_dir).files)
                    result.files.push_back(std::move(f));
        std::cerr << "attnscope-cli: wrote " << result.files.size() << " files to " << o.export_maps_dir << '\n';
        export_query_views(o, maps, painter);
    }
    if (!o.export_panes_dir.empty()) {
        // Pane B: the same pass, or the scene again under --b-mask-fill / --b-scale.
        const MapModel maps(attention_set_from_pass(scene, trace));
        std::optional<Scene> scene_b;
        std::optional<Trace> trace_b;
        std::string label_a = o.pane_a, label_b = o.pane_b.empty() ? o.pane_a : o.pane_b;
        if (!o.b_mask_fill.empty() || !o.b_scale.empty()) {
            SceneSpec spec_b = spec;
            if (!o.b_mask_fill.empty()) spec_b.module.mask_fill = parse_mask_fill(o.b_mask_fill);
            if (!o.b_scale.empty()) spec_b.module.scale = parse_scale(o.b_scale);
            scene_b.emplace(build_scene(spec_b));
            ForwardControl control_b;
            control_b.held_bytes = scene_bytes(scene) + scene_bytes(*scene_b);
            trace_b.emplace(forward(scene_b->module, scene_b->weights, scene_b->inputs, &control_b));
            label_a += " (" + settings_label(o.mask_fill, o.scale) + ")";
            label_b += " (" +
                       settings_label(o.b_mask_fill.empty() ? o.mask_fill : o.b_mask_fill,
                                      o.b_scale.empty() ? o.scale : o.b_scale) +
                       ")";
        }
        if (scene_b) {
            const MapModel maps_b(attention_set_from_pass(*scene_b, *trace_b));
            export_cli_panes(o, maps, maps_b, label_a, label_b);
        } else {
            export_cli_panes(o, maps, maps, label_a, label_b);
        }
    }
    if (!o.save_weights.empty()) {
        save_module_weights(scene, o.save_weights);
        std::cerr << "attnscope-cli: saved weights to " << o.save_weights << '\n';
    }
    return 0;
}

}  // namespace attn::cli
