// The one exporter of attention maps, for the CLI (with the CPU painter) and the app (with the
// GL painter): the current map, every map (with maps.json), the grid of a batch item. Files are
// named by MapModel::file_name and written whole or not at all.
#pragma once

#include "maps/map_model.h"
#include "maps/map_painter.h"
#include "maps/map_picture.h"

#include <string>
#include <vector>

namespace attn {

struct MapExportOptions {
    MapStyle style;
    int cell_px = kDefaultCellPx;  // matrices: size of one (query, key) cell
};

struct ExportResult {
    std::vector<std::string> files;  // written, maps.json included
    std::string summary;             // one line for a person: "Saved 70 maps to /tmp/x (listed in maps.json)"
};

// The map of `key` as <dir>/<file_name>. Creates dir.
ExportResult export_current_map(const MapModel& model, MapPainter& painter, const MapKey& key,
                                const MapExportOptions& options, const std::string& dir);

// Every map (MapModel::every_map) and maps.json listing each file with its batch, head, token,
// layer and size. Maps that an earlier export listed in dir/maps.json and this one did not write
// are removed, so the folder holds one consistent set (only plain map names are touched).
ExportResult export_every_map(const MapModel& model, MapPainter& painter, const MapExportOptions& options,
                              const std::string& dir);

// MapModel::grid(batch, layer) tiled into one picture: cross maps at half the picture's size, one
// row per head (the mean first) and one column per token; matrices side by side; a real model's
// every layer x head when layer < 0 (the model view). b0_grid.png, l3_b0_grid.png, b0_model.png.
ExportResult export_grid(const MapModel& model, MapPainter& painter, int batch, int layer,
                         const MapExportOptions& options, const std::string& dir);

}  // namespace attn
