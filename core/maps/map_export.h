// The one exporter of attention maps, for the CLI (with the CPU painter) and the app (with the
// GL painter): the current map, every map (with maps.json), the grid of a batch item, as PNG or
// SVG. Files are named by MapModel::file_name and written whole or not at all.
#pragma once

#include "maps/map_model.h"
#include "maps/map_painter.h"
#include "maps/map_picture.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace attn {

// PNG pictures, or SVG documents made from the same model (maps/svg_maps.h): the same files
// with .svg for .png, listed the same way in maps.json.
enum class ExportFormat { Png, Svg };
ExportFormat parse_export_format(const std::string& name);  // "png" | "svg"; ConfigError otherwise
std::string export_format_name(ExportFormat format);        // "png", "svg": the files' extension

struct MapExportOptions {
    MapStyle style;
    int cell_px = kDefaultCellPx;  // matrices: size of one (query, key) cell
    ExportFormat format = ExportFormat::Png;
    ExportTheme theme;  // dark by default; light for print
};

// MapModel::file_name with the format's extension: b0_h3.png, b0_h3.svg.
std::string export_file_name(const MapModel& model, const MapKey& key, ExportFormat format);

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

// export_every_map a few maps at a time, for a window that paints them between its frames (99
// maps of the seed's default scene take seconds on a software GL): the same files, the same
// maps.json, the folder prepared when made. The model and painter must outlive it.
class EveryMapExport {
public:
    EveryMapExport(const MapModel& model, const MapExportOptions& options, const std::string& dir);
    // Writes maps, at least one, until `seconds` have passed or every map is written; true then.
    bool step(MapPainter& painter, double seconds);
    size_t done() const { return next_; }
    size_t total() const { return keys_.size(); }
    // Once step() said true: maps of an older export that this one did not write are removed, and
    // maps.json is written last, so a folder with maps.json is a whole export.
    ExportResult finish();

private:
    const MapModel& model_;
    MapExportOptions options_;
    std::filesystem::path dir_;
    std::vector<MapKey> keys_;
    size_t next_ = 0;
    ExportResult result_;
    nlohmann::json index_ = nlohmann::json::array();
    std::set<std::string> names_;
};

// MapModel::grid(batch, layer) tiled into one picture: cross maps at half the picture's size, one
// row per head (the mean first) and one column per token; matrices side by side; a real model's
// every layer x head when layer < 0 (the model view). b0_grid.png, l3_b0_grid.png, b0_model.png
// (or .svg: one document of every tile, each with its head as a caption).
ExportResult export_grid(const MapModel& model, MapPainter& painter, int batch, int layer,
                         const MapExportOptions& options, const std::string& dir);

}  // namespace attn
