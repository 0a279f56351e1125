// Exports of the Attention panel's views beyond single maps, for the CLI (CPU painter) and the
// app (GL painter) alike:
//   - the side-by-side panes and their difference:
//       pane_a_<A's map file>, pane_b_<B's map file>, diff_<A stem>_minus_<B stem>.png, each
//       with its values as .npy, and (PNG) side_by_side.png: both panes under their labels and
//       the difference with its colorbar in one row
//     (the difference in coolwarm over [-m, m], m = max |A - B|; its picture framed like a
//     matrix or drawn on the grid) and panes.json with each pane's model, map entry and range;
//   - the head view of one query (head_view.h) for one map or every layer x head (and the mean),
//     <map stem>_q<N>_<token>_lines.png / .svg, listed in lines.json with every weight;
//   - the rows of one query over the picture for patch models (ViT), every layer x head and the
//     mean, named as MapModel::file_name names them (l3_b0_h5_t7_p6.png), listed in queries.json;
//   - the head statistics table as head_stats.json and head_stats.csv.
// Every file is written whole or not at all.
#pragma once

#include "maps/head_view.h"
#include "maps/map_export.h"

#include <string>

namespace attn {

struct PaneMap {
    const MapModel* model = nullptr;
    MapKey key;
    std::string label;  // "A", "-inf", "rollout": what the pane is, for panes.json and the difference's name
};

// The colormap differences are drawn with, whatever the panes use.
constexpr Colormap kDifferenceColormap = Colormap::Coolwarm;

// Both panes in options' style, and their difference when `difference` and they have one size
// (else the summary says why there is none). Creates dir.
ExportResult export_panes(const PaneMap& a, const PaneMap& b, MapPainter& painter, const MapExportOptions& options,
                          const std::string& dir, bool difference = true);

// The head view of `query` for the matrix of `key` (PNG or SVG by options.format; the theme
// colours it).
ExportResult export_head_view(const MapModel& model, const MapKey& key, int64_t query, const MapExportOptions& options,
                              const std::string& dir);

// The head views of `query` for every layer, every head and the mean of every batch item (or
// only `batch`), with lines.json. ConfigError for the seed's cross modules (pixel queries).
ExportResult export_every_head_view(const MapModel& model, int64_t query, const MapExportOptions& options,
                                    const std::string& dir, int batch = -1);

// Patch models: the row of `query` over the picture, every layer x head and the mean, with
// queries.json. ConfigError for models whose queries are not patches.
ExportResult export_query_maps(const MapModel& model, MapPainter& painter, int64_t query,
                               const MapExportOptions& options, const std::string& dir, int batch = -1);

// What a click on a query exports, whatever the model: head views (export_every_head_view) for
// token queries, the query's maps over the picture (export_query_maps) for patch models;
// ConfigError for the seed's cross modules (pixel queries).
ExportResult export_query_views(const MapModel& model, MapPainter& painter, int64_t query,
                                const MapExportOptions& options, const std::string& dir, int batch = -1);

// The statistics table of every layer x head of `set` (core/analysis/head_stats.h, pooled over
// the batch) as head_stats.json and head_stats.csv in dir: what the app's table shows, and what
// attnscope-cli run --dump writes.
ExportResult export_head_stats(const AttentionSet& set, const std::string& dir);

// A map named the way file names name it: [l<L>_]b<B>_(h<H>|mean|max|min|rollout)[_norms][_t<T>]
// ("l3_b0_h5", "b0_mean_t2", "l11_b0_rollout"; a copied file name's stem, label and .png
// included, is read too). ConfigError naming the text otherwise.
MapKey parse_map_name(const std::string& text);

}  // namespace attn
