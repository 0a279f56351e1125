#include "exporter.h"

#include "errors.h"
#include "analysis/head_stats_table.h"
#include "export/dump.h"
#include "export/model_dump.h"
#include "io/atomic_file.h"
#include "model_run.h"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace attn::gui {

ExportResult export_head_stats(const HeadStatsTable& table, const std::string& dir_text) {
    const std::filesystem::path dir = std::filesystem::absolute(dir_text);
    make_directories(dir.string());
    const std::string stem =
        table.batch_item < 0 ? std::string("head_stats") : "head_stats_b" + std::to_string(table.batch_item);
    ExportResult result;
    const std::string json = head_stats_json(table).dump(2) + "\n";
    const std::string csv = head_stats_csv(table);
    for (const auto& [ext, text] : {std::pair{".json", &json}, std::pair{".csv", &csv}}) {
        const std::string path = (dir / (stem + ext)).string();
        write_file_atomically(path, text->data(), text->size());
        result.files.push_back(path);
    }
    result.summary = "Saved the head statistics of " + std::to_string(table.layers) + " layers x " +
                     std::to_string(table.heads) + " heads to " + (dir / (stem + ".json")).string() + " and .csv";
    return result;
}

MapExportOptions export_options(const AppContext& ctx) {
    MapExportOptions options;
    options.style = ctx.map_style();
    // File > Exports for print: the light theme of the CLI's --theme light.
    options.theme = ctx.settings.export_theme == WindowTheme::Light ? light_theme() : dark_theme();
    return options;
}

namespace {

const MapModel& shown_model(AppContext& ctx) {
    if (!ctx.has_pass() || !ctx.maps || !ctx.maps->model())
        throw InternalError("nothing to export yet: the first pass has not finished");
    return *ctx.maps->model();
}

std::string stem_of(const MapModel& model, const MapKey& key) {
    const std::string name = model.file_name(key);  // "l0_b0_h3.png"
    return name.substr(0, name.size() - 4);
}

}  // namespace

ExportResult export_query(AppContext& ctx, int64_t query, const std::string& dir) {
    const MapModel& model = shown_model(ctx);
    return export_query_views(model, ctx.maps->painter(), query, export_options(ctx), dir);
}

ExportResult export_compare(AppContext& ctx, const MapKey& a, const MapKey& b, const std::string& dir) {
    const MapModel& model = shown_model(ctx);
    const PaneMap pa{&model, model.canonical(a), stem_of(model, a)};
    const PaneMap pb{&model, model.canonical(b), stem_of(model, b)};
    return export_pane_maps(ctx, pa, pb, dir);
}

ExportResult export_pane_maps(AppContext& ctx, const PaneMap& a, const PaneMap& b, const std::string& dir) {
    if (!ctx.maps) throw InternalError("nothing to export yet: the first pass has not finished");
    return export_panes(a, b, ctx.maps->painter(), export_options(ctx), dir, /*difference=*/true);
}

ExportResult export_maps(AppContext& ctx, ExportKind kind, const std::string& dir_text) {
    if (!ctx.has_pass() || !ctx.maps || !ctx.maps->model())
        throw InternalError("nothing to export yet: the first pass has not finished");
    const MapModel& model = *ctx.maps->model();
    MapPainter& painter = ctx.maps->painter();
    const MapExportOptions options = export_options(ctx);
    switch (kind) {
        case ExportKind::CurrentMap:
            return export_current_map(model, painter, ctx.current_map(), options, dir_text);
        case ExportKind::EveryMap:
            return export_every_map(model, painter, options, dir_text);
        case ExportKind::Grid: {
            const int batch = std::clamp(ctx.settings.batch, 0, std::max(0, static_cast<int>(model.batches()) - 1));
            // A real model's grid is the model view: every layer (layer -1), as --export-grid.
            return export_grid(model, painter, batch, ctx.real_model() ? -1 : 0, options, dir_text);
        }
        case ExportKind::Tensors: {
            const std::filesystem::path sub = std::filesystem::absolute(dir_text) / "tensors";
            ExportResult result;
            if (ctx.real_model()) {
                const ModelRun& run = *ctx.model_run;
                result.files = dump_model_pass(run.info, run.inputs, run.pass, sub.string());
                result.summary = "Saved " + std::to_string(result.files.size()) +
                                 " files (attentions, norms, rollout, hidden states, inputs, head_stats.json) to " +
                                 sub.string();
                return result;
            }
            result.files = dump_trace(*ctx.scene, *ctx.trace, sub.string());
            result.summary =
                "Saved " + std::to_string(result.files.size()) + " tensors (.npy) and trace.json to " + sub.string();
            return result;
        }
        case ExportKind::HeadStats:
            if (!ctx.real_model())
                throw ConfigError("head statistics are made for real models (use-lite, BERT and ViT folders)");
            return export_head_stats(ctx.model_run->head_stats, dir_text);
    }
    throw InternalError("unknown export");
}

}  // namespace attn::gui
