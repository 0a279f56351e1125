#include "maps/map_export.h"

#include "errors.h"
#include "export/dump.h"
#include "export/png.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
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
        const bool plain = name.size() > 5 && (name[0] == 'b' || name[0] == 'l') &&
                           name.find('/') == std::string::npos && name.find('\\') == std::string::npos &&
                           name.find("..") == std::string::npos && name.compare(name.size() - 4, 4, ".png") == 0;
        if (plain && !keep.count(name)) fs::remove(dir / name, ec);
    }
}

json entry_of(const MapModel& model, const MapKey& key, const std::string& file, const MapPicture& picture) {
    json e = model.entry(key);
    e["file"] = file;
    e["width"] = picture.image.width;
    e["height"] = picture.image.height;
    for (const auto& [name, value] : picture.details.items())
        e[name] = value;
    return e;
}

}  // namespace

ExportResult export_current_map(const MapModel& model, MapPainter& painter, const MapKey& key,
                                const MapExportOptions& options, const std::string& dir_text) {
    const fs::path dir = prepare_dir(dir_text);
    const std::string file = model.file_name(key);
    write_png((dir / file).string(), draw_map(model, key, options.style, painter, options.cell_px).image);
    ExportResult result;
    result.files.push_back((dir / file).string());
    result.summary = "Saved the current map to " + result.files.back();
    return result;
}

ExportResult export_every_map(const MapModel& model, MapPainter& painter, const MapExportOptions& options,
                              const std::string& dir_text) {
    const fs::path dir = prepare_dir(dir_text);
    ExportResult result;
    json index = json::array();
    std::set<std::string> names;
    for (const MapKey& key : model.every_map()) {
        const std::string file = model.file_name(key);
        const MapPicture picture = draw_map(model, key, options.style, painter, options.cell_px);
        write_png((dir / file).string(), picture.image);
        result.files.push_back((dir / file).string());
        names.insert(file);
        index.push_back(entry_of(model, key, file, picture));
    }
    remove_stale_maps(dir, names);
    const std::string text = index.dump(2) + "\n";
    write_file_atomically((dir / "maps.json").string(), text.data(), text.size());
    result.files.push_back((dir / "maps.json").string());
    result.summary = "Saved " + std::to_string(names.size()) + " maps to " + dir.string() + " (listed in maps.json)";
    return result;
}

ExportResult export_grid(const MapModel& model, MapPainter& painter, int batch, int layer,
                         const MapExportOptions& options, const std::string& dir_text) {
    const std::vector<std::vector<MapKey>> keys = model.grid(batch, layer);
    if (keys.empty()) throw ConfigError("batch item " + std::to_string(batch) + " has no maps to put in a grid");
    const fs::path dir = prepare_dir(dir_text);
    std::vector<std::vector<RgbImage>> rows;
    for (const auto& row : keys) {
        rows.emplace_back();
        for (const MapKey& key : row) {
            if (model.spatial(key)) {
                // Half the picture's size: a grid of many maps stays a picture one can open.
                const auto [w, h] = natural_size(model, key);
                MapField field = map_field(model, key, options.style, std::max(1, w / 2), std::max(1, h / 2));
                rows.back().push_back(painter.paint(field.paint));
            } else {
                // Thumbnails of about 256 px for a real model's many matrices.
                const auto [Lq, Lk] = model.size(key);
                const int cell = model.set().layered
                                     ? static_cast<int>(std::max<int64_t>(1, 255 / std::max(Lq, Lk) - 1))
                                     : options.cell_px;
                rows.back().push_back(draw_map(model, key, options.style, painter, cell).image);
            }
        }
    }
    std::string file = (model.set().layered && layer >= 0 ? "l" + std::to_string(layer) + "_" : std::string()) + "b" +
                       std::to_string(batch) + (model.set().layered && layer < 0 ? "_model.png" : "_grid.png");
    write_png((dir / file).string(), tile_pictures(rows));
    ExportResult result;
    result.files.push_back((dir / file).string());
    result.summary = "Saved the grid of batch item " + std::to_string(batch) + " to " + result.files.back();
    return result;
}

}  // namespace attn
