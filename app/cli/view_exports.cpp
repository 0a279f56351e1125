#include "view_exports.h"

#include "errors.h"
#include "maps/attentions_file.h"
#include "maps/map_export.h"
#include "maps/view_export.h"

#include <iostream>
#include <optional>

namespace attn::cli {

void add_view_options(CLI::App* run, RunOptions& o) {
    run->add_option("--attentions", o.attentions,
                    "Attention saved from any model instead of running one: a .safetensors file with attentions "
                    "[layers, b, heads, Lq, Lk] and its tokens (app/python/attnscope_save.py writes it)");
    run->add_option("--query", o.query,
                    "With --export-maps: also query N's head views (token queries) or its maps over the picture "
                    "(ViT patches), every layer and head");
    run->add_option("--export-panes", o.export_panes_dir,
                    "Write two maps side by side and their difference A - B here (with --pane-a, --pane-b)");
    run->add_option("--pane-a", o.pane_a,
                    "With --export-panes: map A, named as its file (l3_b0_h5, b0_mean_t2, l11_b0_rollout)");
    run->add_option("--pane-b", o.pane_b, "With --export-panes: map B (default: A's name, under --b-* settings)");
    run->add_option("--b-mask-fill", o.b_mask_fill, "With --export-panes: pane B's mask fill (module | -1e9 | -inf)");
    run->add_option("--b-scale", o.b_scale, "With --export-panes: pane B's scale (module | depth | emb | a number)");
    run->add_option("--b-attentions", o.b_attentions, "With --export-panes: pane B from this attentions file");
    run->add_flag("--no-difference", o.no_difference, "With --export-panes: the two panes only");
}

void check_view_options(const RunOptions& o) {
    if (o.query >= 0 && o.export_maps_dir.empty()) throw ConfigError("--query needs --export-maps DIR");
    if (o.query < -1) throw ConfigError("--query must be 0 or more");
    const bool pane_options = !o.pane_a.empty() || !o.pane_b.empty() || !o.b_mask_fill.empty() || !o.b_scale.empty() ||
                              !o.b_attentions.empty() || o.no_difference;
    if (pane_options && o.export_panes_dir.empty())
        throw ConfigError(
            "--pane-a, --pane-b, --b-mask-fill, --b-scale, --b-attentions and --no-difference need "
            "--export-panes DIR");
    if (!o.export_panes_dir.empty() && o.pane_a.empty())
        throw ConfigError(
            "--export-panes needs --pane-a NAME (a map's file name: l3_b0_h5, b0_mean_t2, l11_b0_rollout)");
    if (!o.b_attentions.empty() && (!o.b_mask_fill.empty() || !o.b_scale.empty()))
        throw ConfigError("--b-attentions brings pane B's weights: --b-mask-fill and --b-scale cannot change them");
    if (!o.attentions.empty() && (!o.b_mask_fill.empty() || !o.b_scale.empty()))
        throw ConfigError(
            "--b-mask-fill and --b-scale recompute the seed's modules; an attentions file has only its "
            "weights (compare two files with --b-attentions)");
    if (!o.pane_a.empty()) parse_map_name(o.pane_a);
    if (!o.pane_b.empty()) parse_map_name(o.pane_b);
}

void check_view_targets(const RunOptions& o, const MapModel& maps) {
    if (o.query >= 0) {
        if (maps.set().query_kind == QueryKind::PixelGrid)
            throw ConfigError("--query: " + maps.set().model +
                              " has pixel queries (each pixel spreads its attention over the tokens); --query is for "
                              "token and patch queries");
        if (o.query >= maps.queries())
            throw ConfigError("--query " + std::to_string(o.query) + " does not exist (" +
                              std::to_string(maps.queries()) + " queries: 0.." + std::to_string(maps.queries() - 1) +
                              ")");
    }
    if (o.export_panes_dir.empty()) return;
    maps.canonical(parse_map_name(o.pane_a));
    // Pane B from another file is checked against that file when it is read.
    if (o.b_attentions.empty() && !o.pane_b.empty()) maps.canonical(parse_map_name(o.pane_b));
}

void export_layered_maps(const RunOptions& o, const MapModel& maps, const MapExportOptions& options) {
    CpuPainter painter;
    ExportResult result = export_every_map(maps, painter, options, o.export_maps_dir);
    if (o.export_grid)
        for (int b = 0; b < static_cast<int>(maps.batches()); ++b)
            for (std::string& f : export_grid(maps, painter, b, -1, options, o.export_maps_dir).files)
                result.files.push_back(std::move(f));
    std::cerr << "attnscope-cli: wrote " << result.files.size() << " files to " << o.export_maps_dir << '\n';
    export_query_views(o, maps, painter);
}

void export_query_views(const RunOptions& o, const MapModel& maps, MapPainter& painter) {
    if (o.query < 0) return;
    const MapExportOptions options = export_options(o);
    const ExportResult r = attn::export_query_views(maps, painter, o.query, options, o.export_maps_dir);
    std::cerr << "attnscope-cli: " << r.summary << '\n';
}

void export_cli_panes(const RunOptions& o, const MapModel& maps_a, const MapModel& maps_b, const std::string& label_a,
                      const std::string& label_b) {
    MapExportOptions options = export_options(o);
    std::optional<MapModel> from_file;
    std::string b_label = label_b;
    if (!o.b_attentions.empty()) {
        std::vector<std::string> warnings;
        from_file.emplace(read_attentions_file(o.b_attentions, &warnings));
        for (const std::string& w : warnings)
            std::cerr << "attnscope-cli: warning: " << w << '\n';
        b_label += " (" + from_file->set().model + ")";
    }
    const MapModel& b = from_file ? *from_file : maps_b;
    PaneMap pa{&maps_a, maps_a.canonical(parse_map_name(o.pane_a)), label_a};
    PaneMap pb{&b, b.canonical(parse_map_name(o.pane_b.empty() ? o.pane_a : o.pane_b)), b_label};
    CpuPainter painter;
    const ExportResult r = export_panes(pa, pb, painter, options, o.export_panes_dir, !o.no_difference);
    std::cerr << "attnscope-cli: " << r.summary << '\n';
}

std::string settings_label(const std::string& mask_fill, const std::string& scale) {
    return "mask fill " + mask_fill + ", scale " + scale;
}

}  // namespace attn::cli
