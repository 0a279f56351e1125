#include "exporter.h"

#include "errors.h"
#include "export/dump.h"

#include <algorithm>
#include <filesystem>

namespace attn::gui {

ExportResult export_maps(AppContext& ctx, ExportKind kind, const std::string& dir_text) {
    if (!ctx.scene || !ctx.trace || !ctx.maps || !ctx.maps->model())
        throw InternalError("nothing to export yet: the first pass has not finished");
    const MapModel& model = *ctx.maps->model();
    MapPainter& painter = ctx.maps->painter();
    MapExportOptions options;
    options.style = ctx.map_style();
    // File > Exports for print: the light theme of the CLI's --theme light.
    options.theme = ctx.settings.export_theme == WindowTheme::Light ? light_theme() : dark_theme();
    switch (kind) {
        case ExportKind::CurrentMap:
            return export_current_map(model, painter, ctx.current_map(), options, dir_text);
        case ExportKind::EveryMap:
            return export_every_map(model, painter, options, dir_text);
        case ExportKind::Grid: {
            const int batch = std::clamp(ctx.settings.batch, 0, std::max(0, static_cast<int>(model.batches()) - 1));
            return export_grid(model, painter, batch, 0, options, dir_text);
        }
        case ExportKind::Tensors: {
            const std::filesystem::path sub = std::filesystem::absolute(dir_text) / "tensors";
            ExportResult result;
            result.files = dump_trace(*ctx.scene, *ctx.trace, sub.string());
            result.summary =
                "Saved " + std::to_string(result.files.size()) + " tensors (.npy) and trace.json to " + sub.string();
            return result;
        }
    }
    throw InternalError("unknown export");
}

}  // namespace attn::gui
