#include "maps/map_export.h"

#include "errors.h"
#include "export/dump.h"
#include "export/png.h"
#include "io/atomic_file.h"
#include "maps/labelled_picture.h"
#include "maps/svg_maps.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

namespace attn {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path prepare_dir(const std::string& dir) {
    const fs::path path = fs::absolute(dir);
    make_directories(path.string());
    return path;
}

// Removes the maps an earlier export listed in dir/maps.json that this one did not write. Only
// plain map names are touched (a letter, no folder, .png): maps.json is read from disk and must
// not be able to make us delete anything else.
void remove_stale_maps(const fs::path& dir, const std::set<std::string>& keep) {
    std::error_code ec;
    const fs::path index = dir / "maps.json";
    if (!fs::exists(index, ec)) return;
    std::vector<uint8_t> bytes;
    try {
        bytes = read_file_bytes(index.string());
    } catch (const Error&) {
        return;
    }
    const json old = json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (!old.is_array()) return;
    for (const json& e : old) {
        if (!e.is_object() || !e.contains("file") || !e["file"].is_string()) continue;
        const std::string name = e["file"].get<std::string>();
        const bool plain =
            name.size() > 5 && (name[0] == 'b' || name[0] == 'l') && name.find('/') == std::string::npos &&
            name.find('\\') == std::string::npos && name.find("..") == std::string::npos &&
            (name.compare(name.size() - 4, 4, ".png") == 0 || name.compare(name.size() - 4, 4, ".svg") == 0);
        if (plain && !keep.count(name)) fs::remove(dir / name, ec);
    }
}

// What was written for one map: its size and details, for maps.json.
struct Written {
    int width = 0, height = 0;
    json details = json::object();
};

// One map in the chosen format, written to `path` whole or not at all.
Written write_map(const MapModel& model, MapPainter& painter, const MapKey& key, const MapExportOptions& options,
                  const std::string& path) {
    Written out;
    if (options.format == ExportFormat::Svg) {
        const SvgPicture svg = svg_map(model, key, options.style, painter, options.cell_px, options.theme);
        write_file_atomically(path, svg.text.data(), svg.text.size());
        out.width = svg.width;
        out.height = svg.height;
        out.details = svg.details;
        return out;
    }
    const MapPicture picture = draw_map(model, key, options.style, painter, options.cell_px, options.theme);
    write_png(path, picture.image);
    out.width = picture.image.width;
    out.height = picture.image.height;
    out.details = picture.details;
    return out;
}

json entry_of(const MapModel& model, const MapKey& key, const std::string& file, const Written& written) {
    json e = model.entry(key);
    e["file"] = file;
    e["width"] = written.width;
    e["height"] = written.height;
    for (const auto& [name, value] : written.details.items())
        e[name] = value;
    return e;
}

}  // namespace

ExportFormat parse_export_format(const std::string& name) {
    if (name == "png") return ExportFormat::Png;
    if (name == "svg") return ExportFormat::Svg;
    throw ConfigError("export format \"" + name + "\" is not png or svg");
}

std::string export_format_name(ExportFormat format) {
    return format == ExportFormat::Svg ? "svg" : "png";
}

std::string export_file_name(const MapModel& model, const MapKey& key, ExportFormat format) {
    std::string name = model.file_name(key);  // ends in .png
    return name.substr(0, name.size() - 3) + export_format_name(format);
}

ExportResult export_current_map(const MapModel& model, MapPainter& painter, const MapKey& key,
                                const MapExportOptions& options, const std::string& dir_text) {
    const fs::path dir = prepare_dir(dir_text);
    const std::string file = export_file_name(model, key, options.format);
    write_map(model, painter, key, options, (dir / file).string());
    ExportResult result;
    result.files.push_back((dir / file).string());
    result.summary = "Saved the current map to " + result.files.back();
    return result;
}

EveryMapExport::EveryMapExport(const MapModel& model, const MapExportOptions& options, const std::string& dir)
    : model_(model), options_(options), dir_(prepare_dir(dir)), keys_(model.every_map()) {}

bool EveryMapExport::step(MapPainter& painter, double seconds) {
    const auto start = std::chrono::steady_clock::now();
    do {
        if (next_ >= keys_.size()) return true;
        const MapKey& key = keys_[next_];
        const std::string file = export_file_name(model_, key, options_.format);
        const Written written = write_map(model_, painter, key, options_, (dir_ / file).string());
        result_.files.push_back((dir_ / file).string());
        names_.insert(file);
        index_.push_back(entry_of(model_, key, file, written));
        ++next_;
    } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
    return next_ >= keys_.size();
}

ExportResult EveryMapExport::finish() {
    if (next_ < keys_.size())
        throw InternalError("EveryMapExport::finish with " + std::to_string(keys_.size() - next_) + " maps unwritten");
    remove_stale_maps(dir_, names_);
    const std::string text = index_.dump(2) + "\n";
    write_file_atomically((dir_ / "maps.json").string(), text.data(), text.size());
    ExportResult result = result_;
    result.files.push_back((dir_ / "maps.json").string());
    result.summary = "Saved " + std::to_string(names_.size()) + " maps to " + dir_.string() + " (listed in maps.json)";
    return result;
}

ExportResult export_every_map(const MapModel& model, MapPainter& painter, const MapExportOptions& options,
                              const std::string& dir_text) {
    EveryMapExport job(model, options, dir_text);
    while (!job.step(painter, 1e9)) {
    }
    return job.finish();
}

ExportResult export_grid(const MapModel& model, MapPainter& painter, int batch, int layer,
                         const MapExportOptions& options, const std::string& dir_text) {
    const std::vector<std::vector<GridTile>> tiles = grid_tiles(model, batch, layer, options.cell_px);
    if (tiles.empty()) throw ConfigError("batch item " + std::to_string(batch) + " has no maps to put in a grid");
    const fs::path dir = prepare_dir(dir_text);
    std::string file = (model.set().layered && layer >= 0 ? "l" + std::to_string(layer) + "_" : std::string()) + "b" +
                       std::to_string(batch) + (model.set().layered && layer < 0 ? "_model." : "_grid.") +
                       export_format_name(options.format);
    if (options.format == ExportFormat::Svg) {
        const SvgPicture svg = svg_grid(model, tiles, options.style, painter, options.theme);
        write_file_atomically((dir / file).string(), svg.text.data(), svg.text.size());
    } else {
        std::vector<std::vector<RgbImage>> rows;
        for (const auto& row : tiles) {
            rows.emplace_back();
            for (const GridTile& tile : row)
                rows.back().push_back(draw_tile(model, tile, options.style, painter, options.theme));
        }
        // The model view is labelled (layers down the left, heads across the top): one picture of
        // 12 x 12 unlabelled thumbnails cannot be read.
        write_png((dir / file).string(), model.set().layered && layer < 0 ? label_model_view(tiles, rows, options.theme)
                                                                          : tile_pictures(rows, options.theme));
    }
    ExportResult result;
    result.files.push_back((dir / file).string());
    result.summary = "Saved the grid of batch item " + std::to_string(batch) + " to " + result.files.back();
    return result;
}

}  // namespace attn
