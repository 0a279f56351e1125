#include "exporter.h"

#include "errors.h"
#include "export/attention_maps.h"
#include "export/dump.h"
#include "export/png.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace attn::gui {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_pad(const Scene& scene, int64_t i, int64_t j) {
    if (!scene.inputs.pad_mask) return false;
    const Tensor& m = *scene.inputs.pad_mask;
    return m.data[static_cast<size_t>(i * m.dim(1) + j)] != 0.0f;
}

// Every map of the pass, in the CLI's order: per batch item, per key token that is not padding
// (padding keys get no weight, hence no map), every head, then the mean over heads.
std::vector<MapKey> every_map(const Scene& scene, const MapViews& maps, int only_batch = -1) {
    std::vector<MapKey> keys;
    const int H = maps.heads();
    for (int i = 0; i < maps.batches(); ++i) {
        if (only_batch >= 0 && i != only_batch) continue;
        if (!maps.is_cross()) {
            for (int hd = 0; hd < H; ++hd)
                keys.push_back({i, hd, 0});
            continue;
        }
        for (int t = 0; t < maps.tokens(); ++t) {
            if (is_pad(scene, i, t)) continue;
            for (int hd = 0; hd < H; ++hd)
                keys.push_back({i, hd, t});
            if (H > 1) keys.push_back({i, -1, t});
        }
    }
    return keys;
}

json map_entry(const Scene& scene, bool cross, const MapKey& key, const std::string& file, const RgbImage& image) {
    json e;
    e["file"] = file;
    e["batch"] = key.batch;
    if (key.head < 0)
        e["head"] = "mean";
    else
        e["head"] = key.head;
    if (cross) {
        e["token_index"] = key.token;
        e["token"] = scene.key_label(key.batch, key.token);
    }
    e["width"] = image.width;
    e["height"] = image.height;
    return e;
}

// Removes the maps an earlier export listed in `dir`/maps.json that this one did not write, so
// the folder holds one consistent set. Only plain map names are touched (b<digits>_...png):
// maps.json is read from disk and must not be able to make us delete anything else.
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
        const bool plain = name.size() > 5 && name[0] == 'b' && name.find('/') == std::string::npos &&
                           name.find('\\') == std::string::npos && name.find("..") == std::string::npos &&
                           name.compare(name.size() - 4, 4, ".png") == 0;
        if (plain && !keep.count(name)) fs::remove(dir / name, ec);
    }
}

// Tiles pictures of equal size into rows x cols with a gap of dark pixels.
RgbImage tile(const std::vector<RgbImage>& cells, int cols) {
    ATTN_CHECK(!cells.empty() && cols > 0, "nothing to tile");
    constexpr int gap = 4;
    const int cw = cells[0].width, ch = cells[0].height;
    const int rows = (static_cast<int>(cells.size()) + cols - 1) / cols;
    RgbImage out;
    out.width = cols * cw + (cols + 1) * gap;
    out.height = rows * ch + (rows + 1) * gap;
    out.pixels.assign(static_cast<size_t>(out.width) * out.height * 3, 24);
    for (size_t n = 0; n < cells.size(); ++n) {
        const RgbImage& c = cells[n];
        ATTN_CHECK(c.width == cw && c.height == ch, "grid cells of different sizes");
        const int x0 = gap + static_cast<int>(n % cols) * (cw + gap),
                  y0 = gap + static_cast<int>(n / cols) * (ch + gap);
        for (int y = 0; y < ch; ++y)
            std::copy_n(&c.pixels[static_cast<size_t>(y) * cw * 3], static_cast<size_t>(cw) * 3,
                        &out.pixels[(static_cast<size_t>(y0 + y) * out.width + x0) * 3]);
    }
    return out;
}

}  // namespace

std::string map_file_name(const Scene& scene, bool cross, const MapKey& key) {
    std::string name = "b" + std::to_string(key.batch) + "_" + (key.head < 0 ? "mean" : "h" + std::to_string(key.head));
    if (cross) name += "_t" + std::to_string(key.token) + "_" + file_safe_token(scene.key_label(key.batch, key.token));
    return name + ".png";
}

ExportResult export_maps(AppContext& ctx, ExportKind kind, const std::string& dir_text) {
    if (!ctx.scene || !ctx.trace || !ctx.maps)
        throw InternalError("nothing to export yet: the first pass has not finished");
    const Scene& scene = *ctx.scene;
    MapViews& maps = *ctx.maps;
    const bool cross = maps.is_cross();
    const MapStyle style = ctx.map_style();
    const fs::path dir = fs::absolute(dir_text);
    make_directories(dir.string());
    ExportResult result;

    switch (kind) {
        case ExportKind::CurrentMap: {
            MapKey key = ctx.current_map();
            if (!cross) key.token = 0;
            const std::string file = map_file_name(scene, cross, key);
            write_png((dir / file).string(), maps.pixels(key, style));
            result.files.push_back((dir / file).string());
            result.summary = "Saved the current map to " + result.files.back();
            break;
        }
        case ExportKind::EveryMap: {
            json index = json::array();
            std::set<std::string> names;
            for (const MapKey& key : every_map(scene, maps)) {
                const std::string file = map_file_name(scene, cross, key);
                const RgbImage image = maps.pixels(key, style);
                write_png((dir / file).string(), image);
                result.files.push_back((dir / file).string());
                names.insert(file);
                json e = map_entry(scene, cross, key, file, image);
                if (!cross) {
                    json queries = json::array(), keys = json::array();
                    for (int q = 0; q < maps.rows(); ++q)
                        queries.push_back(scene.query_label(key.batch, q));
                    for (int k = 0; k < maps.cols(); ++k)
                        keys.push_back(scene.key_label(key.batch, k));
                    e["queries"] = queries;
                    e["keys"] = keys;
                }
                index.push_back(std::move(e));
            }
            remove_stale_maps(dir, names);
            const std::string text = index.dump(2) + "\n";
            write_file_atomically((dir / "maps.json").string(), text.data(), text.size());
            result.files.push_back((dir / "maps.json").string());
            result.summary =
                "Saved " + std::to_string(names.size()) + " maps to " + dir.string() + " (listed in maps.json)";
            break;
        }
        case ExportKind::Grid: {
            // One row per head (the mean first), one column per token: the cross maps of the batch
            // item on screen, at half the picture's size. Self modules: the heads side by side.
            const int batch = std::clamp(ctx.settings.batch, 0, std::max(0, maps.batches() - 1));
            const std::vector<MapKey> keys = every_map(scene, maps, batch);
            ATTN_CHECK(!keys.empty(), "no maps to tile");
            int w = 0, h = 0;
            if (cross && static_cast<size_t>(batch) < scene.images.size() && scene.images[static_cast<size_t>(batch)]) {
                w = std::max(1, scene.images[static_cast<size_t>(batch)]->width / 2);
                h = std::max(1, scene.images[static_cast<size_t>(batch)]->height / 2);
            }
            std::vector<RgbImage> cells;
            for (const MapKey& key : keys)
                cells.push_back(maps.pixels(key, style, w, h));
            // every_map lists a token's heads together (h0 .. h7, mean); the grid wants a token per
            // column and, as the Attention panel shows it, the mean on the top row.
            int cols = static_cast<int>(cells.size());
            if (cross) {
                const bool mean = maps.heads() > 1;
                const int per_token = maps.heads() + (mean ? 1 : 0);
                const int tokens = static_cast<int>(cells.size()) / per_token;
                std::vector<RgbImage> by_row;
                for (int r = 0; r < per_token; ++r) {
                    const int k = mean ? (r == 0 ? per_token - 1 : r - 1) : r;
                    for (int t = 0; t < tokens; ++t)
                        by_row.push_back(std::move(cells[static_cast<size_t>(t * per_token + k)]));
                }
                cells = std::move(by_row);
                cols = tokens;
            }
            const std::string file = "b" + std::to_string(batch) + "_grid.png";
            write_png((dir / file).string(), tile(cells, cols));
            result.files.push_back((dir / file).string());
            result.summary = "Saved the grid of batch item " + std::to_string(batch) + " to " + result.files.back();
            break;
        }
        case ExportKind::Tensors: {
            const fs::path sub = dir / "tensors";
            result.files = dump_trace(scene, *ctx.trace, sub.string());
            result.summary =
                "Saved " + std::to_string(result.files.size()) + " tensors (.npy) and trace.json to " + sub.string();
            break;
        }
    }
    return result;
}

}  // namespace attn::gui
