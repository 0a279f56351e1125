#include "maps/view_export.h"

#include "analysis/head_stats.h"
#include "analysis/head_stats_table.h"
#include "errors.h"
#include "export/dump.h"
#include "export/png.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "maps/attentions_file.h"
#include "maps/labelled_picture.h"
#include "maps/map_difference.h"
#include "maps/svg_maps.h"
#include "maps/svg_side_by_side.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace attn {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path prepare(const std::string& dir) {
    const fs::path path = fs::absolute(dir);
    make_directories(path.string());
    return path;
}

std::string stem_of(const std::string& file) {
    const size_t dot = file.rfind('.');
    return dot == std::string::npos ? file : file.substr(0, dot);
}

json weight_json(float w) {
    if (std::isnan(w)) return "NaN";
    if (std::isinf(w)) return w < 0 ? "-inf" : "inf";
    return w;
}

// One map in the chosen format, written whole; returns its width and height.
// `svg_out` (SVG only, may be null) receives the document, for side_by_side.svg.
std::pair<int, int> write_one(const MapModel& model, MapPainter& painter, const MapKey& key, const MapStyle& style,
                              const MapExportOptions& options, const fs::path& path,
                              std::vector<SvgPart>* svg_out = nullptr) {
    if (options.format == ExportFormat::Svg) {
        const SvgPicture svg = svg_map(model, key, style, painter, options.cell_px, options.theme);
        write_file_atomically(path.string(), svg.text.data(), svg.text.size());
        if (svg_out) svg_out->push_back({svg.text, svg.width, svg.height});
        return {svg.width, svg.height};
    }
    const MapPicture picture = draw_map(model, key, style, painter, options.cell_px, options.theme);
    write_png(path.string(), picture.image);
    return {picture.image.width, picture.image.height};
}

// A map's values [rows, cols] as float32 .npy (the raw numbers behind a pane's picture).
void write_values_npy(const MapModel& model, const MapKey& key, const fs::path& path) {
    const MapValues v = model.values(key);
    Tensor t = Tensor::uninitialized({v.rows, v.cols});
    for (int64_t r = 0; r < v.rows; ++r)
        for (int64_t c = 0; c < v.cols; ++c)
            t.data[static_cast<size_t>(r * v.cols + c)] = v.at(r, c);
    write_npy(path.string(), t);
}

json range_json(const MapRange& r) {
    return json::array({weight_json(r.lo), weight_json(r.hi)});
}

json head_view_json(const HeadView& v, const std::string& file, const MapModel& model) {
    json e = model.entry(v.key);
    e.erase("queries");
    e.erase("keys");
    e["file"] = file;
    e["query_index"] = v.query;
    e["query"] = v.queries[static_cast<size_t>(v.query)];
    e["keys"] = v.keys;
    json weights = json::array();
    for (float w : v.weights)
        weights.push_back(weight_json(w));
    e["weights"] = weights;
    return e;
}

std::string write_head_view(const MapModel& model, const HeadView& v, const MapExportOptions& options,
                            const fs::path& dir) {
    const std::string file = head_view_file_name(model, v, export_format_name(options.format));
    if (options.format == ExportFormat::Svg) {
        const std::string svg = svg_head_view(v, options.theme);
        write_file_atomically((dir / file).string(), svg.data(), svg.size());
    } else {
        write_png((dir / file).string(), draw_head_view(v, options.theme).image);
    }
    return file;
}

// Every layer's heads then the mean (or the single head), for batch items `batch` (-1: all).
std::vector<MapKey> matrices_of(const MapModel& model, int batch) {
    std::vector<MapKey> keys;
    for (int64_t l = 0; l < model.layers(); ++l)
        for (int64_t b = 0; b < model.batches(); ++b) {
            if (batch >= 0 && b != batch) continue;
            for (int64_t h = 0; h < model.heads(); ++h)
                keys.push_back(
                    {static_cast<int>(b), static_cast<int>(h), -1, static_cast<int>(l), MapQuantity::Weights});
            if (model.has_fusions())
                keys.push_back({static_cast<int>(b), kMeanHead, -1, static_cast<int>(l), MapQuantity::Weights});
        }
    return keys;
}

int parse_index(const std::string& part, size_t from, const std::string& text) {
    if (part.size() <= from) throw ConfigError("map name \"" + text + "\": \"" + part + "\" needs a number");
    size_t used = 0;
    int v = 0;
    try {
        v = std::stoi(part.substr(from), &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != part.size() - from || v < 0)
        throw ConfigError("map name \"" + text + "\": \"" + part + "\" is not " + part.substr(0, from) +
                          " and a number");
    return v;
}

}  // namespace

ExportResult export_panes(const PaneMap& a, const PaneMap& b, MapPainter& painter, const MapExportOptions& options,
                          const std::string& dir_text, bool difference) {
    if (!a.model || !b.model) throw InternalError("export_panes: a pane has no map model");
    const fs::path dir = prepare(dir_text);
    ExportResult result;
    json panes = json::object();
    std::vector<SvgPart> svg_row;  // side_by_side.svg
    const auto write_pane = [&](const PaneMap& p, const std::string& prefix) {
        const MapKey key = p.model->canonical(p.key);
        const std::string file = prefix + export_file_name(*p.model, key, options.format);
        const auto [w, h] = write_one(*p.model, painter, key, options.style, options, dir / file, &svg_row);
        json e = p.model->entry(key);
        e["file"] = file;
        e["width"] = w;
        e["height"] = h;
        e["model"] = p.model->set().model;
        e["label"] = p.label;
        e["range"] = range_json(p.model->range(key, options.style));
        const std::string npy = prefix + stem_of(export_file_name(*p.model, key, options.format)) + ".npy";
        write_values_npy(*p.model, key, dir / npy);
        e["values"] = npy;
        result.files.push_back((dir / file).string());
        result.files.push_back((dir / npy).string());
        return std::pair{e, stem_of(export_file_name(*p.model, key, options.format))};
    };
    const auto [entry_a, stem_a] = write_pane(a, "pane_a_");
    const auto [entry_b, stem_b] = write_pane(b, "pane_b_");
    panes["a"] = entry_a;
    panes["b"] = entry_b;
    std::string note;
    std::vector<RgbImage> row;  // side_by_side.png: what the panel shows, in one picture
    if (options.format == ExportFormat::Png)
        for (const PaneMap* p : {&a, &b})
            row.push_back(with_caption(
                draw_map(*p->model, p->model->canonical(p->key), options.style, painter, options.cell_px, options.theme)
                    .image,
                p->label, options.theme));
    if (difference) {
        try {
            const MapDifference d = map_difference(*a.model, a.key, *b.model, b.key, a.label, b.label);
            const MapModel diff(d.set);
            MapStyle style = options.style;
            style.colormap = kDifferenceColormap;
            style.shared_range = false;
            const std::string stem = "diff_" + stem_a + "_minus_" + stem_b;
            const std::string file = stem + "." + export_format_name(options.format);
            const MapRange range = diff.range(d.key, style);
            json e;
            e["file"] = file;
            if (options.format == ExportFormat::Svg) {
                const auto [w, h] = write_one(diff, painter, d.key, style, options, dir / file, &svg_row);
                e["width"] = w;
                e["height"] = h;
            } else {
                // The PNG carries its own colorbar: a difference means nothing without its scale.
                const MapPicture map = draw_map(diff, d.key, style, painter, options.cell_px, options.theme);
                const RgbImage picture =
                    with_colorbar(map.image, kDifferenceColormap, range, a.label + " - " + b.label, options.theme);
                write_png((dir / file).string(), picture);
                row.push_back(picture);
                e["width"] = picture.width;
                e["height"] = picture.height;
                e["map_width"] = map.image.width;
                e["map_height"] = map.image.height;
                e["map_x"] = kColorbarMapX;  // where the map sits in the picture
                e["map_y"] = kColorbarMapY;
            }
            write_values_npy(diff, d.key, dir / (stem + ".npy"));
            e["values"] = stem + ".npy";
            result.files.push_back((dir / (stem + ".npy")).string());
            e["what"] = a.label + " - " + b.label;
            e["colormap"] = colormap_name(kDifferenceColormap);
            e["range"] = range_json(range);
            e["max_abs"] = d.max_abs;
            e["nan_cells"] = d.nan_cells;
            panes["difference"] = e;
            result.files.push_back((dir / file).string());
        } catch (const ShapeError& e) {
            note = "; no difference: " + std::string(e.what());
        }
    }
    if (!row.empty()) {
        write_png((dir / "side_by_side.png").string(), side_by_side(row, options.theme));
        panes["side_by_side"] = "side_by_side.png";
        result.files.push_back((dir / "side_by_side.png").string());
    }
    if (!svg_row.empty()) {
        const std::string svg = svg_side_by_side(svg_row, options.theme, kSideBySideGap);
        write_file_atomically((dir / "side_by_side.svg").string(), svg.data(), svg.size());
        panes["side_by_side"] = "side_by_side.svg";
        result.files.push_back((dir / "side_by_side.svg").string());
    }
    const std::string text = panes.dump(1, ' ', false, json::error_handler_t::replace);
    write_file_atomically((dir / "panes.json").string(), text.data(), text.size());
    result.files.push_back((dir / "panes.json").string());
    const auto pictures = std::count_if(result.files.begin(), result.files.end(), [](const std::string& f) {
        return f.size() > 4 && f.compare(f.size() - 4, 4, ".npy") != 0 && f.compare(f.size() - 5, 5, ".json") != 0;
    });
    result.summary = "Saved " + std::to_string(pictures) + " pictures of the panes and their values (.npy) to " +
                     dir.string() + " (listed in panes.json)" + note;
    return result;
}

ExportResult export_head_view(const MapModel& model, const MapKey& key, int64_t query, const MapExportOptions& options,
                              const std::string& dir_text) {
    const fs::path dir = prepare(dir_text);
    const HeadView v = head_view(model, key, query);
    ExportResult result;
    result.files.push_back((dir / write_head_view(model, v, options, dir)).string());
    result.summary = "Saved the head view of '" + v.queries[static_cast<size_t>(query)] + "' to " + result.files[0];
    return result;
}

ExportResult export_every_head_view(const MapModel& model, int64_t query, const MapExportOptions& options,
                                    const std::string& dir_text, int batch) {
    const fs::path dir = prepare(dir_text);
    ExportResult result;
    json index = json::array();
    for (const MapKey& key : matrices_of(model, batch)) {
        const HeadView v = head_view(model, key, query);
        const std::string file = write_head_view(model, v, options, dir);
        index.push_back(head_view_json(v, file, model));
        result.files.push_back((dir / file).string());
    }
    const std::string text = index.dump(1, ' ', false, json::error_handler_t::replace);
    write_file_atomically((dir / "lines.json").string(), text.data(), text.size());
    result.files.push_back((dir / "lines.json").string());
    result.summary = "Saved " + std::to_string(index.size()) + " head views of query " + std::to_string(query) +
                     " to " + dir.string() + " (listed in lines.json)";
    return result;
}

ExportResult export_query_maps(const MapModel& model, MapPainter& painter, int64_t query,
                               const MapExportOptions& options, const std::string& dir_text, int batch) {
    if (model.set().query_kind != QueryKind::Patches)
        throw ConfigError("maps of one query over the picture are for patch models (ViT); " + model.set().model +
                          (model.set().query_kind == QueryKind::Tokens
                               ? " has token queries: its --query exports head views"
                               : " has pixel queries"));
    if (query < 0 || query >= model.queries())
        throw ConfigError("query " + std::to_string(query) + " does not exist (" + std::to_string(model.queries()) +
                          " tokens: 0.." + std::to_string(model.queries() - 1) + ")");
    const fs::path dir = prepare(dir_text);
    ExportResult result;
    json index = json::array();
    for (MapKey key : matrices_of(model, batch)) {
        key.token = static_cast<int>(query);
        const std::string file = export_file_name(model, key, options.format);
        const auto [w, h] = write_one(model, painter, key, options.style, options, dir / file);
        json e = model.entry(key);
        e["file"] = file;
        e["width"] = w;
        e["height"] = h;
        index.push_back(e);
        result.files.push_back((dir / file).string());
    }
    const std::string text = index.dump(1, ' ', false, json::error_handler_t::replace);
    write_file_atomically((dir / "queries.json").string(), text.data(), text.size());
    result.files.push_back((dir / "queries.json").string());
    result.summary = "Saved " + std::to_string(index.size()) + " maps of query " + std::to_string(query) + " to " +
                     dir.string() + " (listed in queries.json)";
    return result;
}

ExportResult export_query_views(const MapModel& model, MapPainter& painter, int64_t query,
                                const MapExportOptions& options, const std::string& dir, int batch) {
    if (model.set().query_kind == QueryKind::Patches)
        return export_query_maps(model, painter, query, options, dir, batch);
    return export_every_head_view(model, query, options, dir, batch);
}

ExportResult export_head_stats(const AttentionSet& set, const std::string& dir_text) {
    const fs::path dir = prepare(dir_text);
    const HeadStatsTable table = compute_head_stats(set.layers, token_layout_of_set(set));
    ExportResult result;
    const auto text = [&](const std::string& name, const std::string& content) {
        write_file_atomically((dir / name).string(), content.data(), content.size());
        result.files.push_back((dir / name).string());
    };
    text("head_stats.json", head_stats_json(table).dump(2) + "\n");
    text("head_stats.csv", head_stats_csv(table));
    result.summary = "Saved the statistics of " + std::to_string(table.rows.size()) + " heads to " + dir.string() +
                     " (head_stats.json, head_stats.csv)";
    return result;
}

MapKey parse_map_name(const std::string& text) {
    std::string name = text;
    for (const char* ext : {".png", ".svg"})
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ext) == 0) name = name.substr(0, name.size() - 4);
    std::vector<std::string> parts;
    std::stringstream ss(name);
    for (std::string part; std::getline(ss, part, '_');)
        parts.push_back(part);
    MapKey key;
    size_t i = 0;
    const auto at = [&](size_t j) -> const std::string& {
        static const std::string kNone;
        return j < parts.size() ? parts[j] : kNone;
    };
    if (!at(i).empty() && at(i)[0] == 'l') key.layer = parse_index(at(i++), 1, text);
    if (at(i).empty() || at(i)[0] != 'b')
        throw ConfigError("map name \"" + text + "\" is not [l<layer>_]b<batch>_<head>[_t<token>] (e.g. l3_b0_h5, " +
                          "b0_mean_t2, l11_b0_rollout)");
    key.batch = parse_index(at(i++), 1, text);
    const std::string& head = at(i++);
    if (head == "mean")
        key.head = kMeanHead;
    else if (head == "max")
        key.head = kMaxHead;
    else if (head == "min")
        key.head = kMinHead;
    else if (head == "rollout") {
        key.head = kMeanHead;
        key.quantity = MapQuantity::Rollout;
    } else if (!head.empty() && head[0] == 'h')
        key.head = parse_index(head, 1, text);
    else
        throw ConfigError("map name \"" + text + "\": \"" + head + "\" is not h<N>, mean, max, min or rollout");
    if (at(i) == "norms") {
        key.quantity = MapQuantity::Norms;
        ++i;
    }
    if (!at(i).empty() && at(i)[0] == 't') key.token = parse_index(at(i++), 1, text);
    // What follows a token is its label in a file name: not part of the key.
    if (i < parts.size() && key.token < 0)
        throw ConfigError("map name \"" + text + "\": \"" + at(i) + "\" is not understood (after the head comes " +
                          "norms or t<token>)");
    return key;
}

}  // namespace attn
