// Saving what the window shows, through the map model's one exporter (core/maps/map_export.h)
// with the GL painter, so that a file is what the Attention panel draws and has the same name,
// size and pixels (within the GPU's rounding) as attnscope-cli's --export-maps:
//   cross modules   b0_h3_t2_jerry.png (batch, head, token), b0_mean_t2_jerry.png (mean over heads)
//   self modules    b0_h3.png (batch, head)
// plus maps.json listing every file with its batch, head, token and size. The raw tensors go
// to tensors/ as .npy (dump_trace). Every file is written whole or not at all. A real model's maps
// carry the layer (l3_b0_h5.png), and its exports are those of attnscope-cli run --model.
#pragma once

#include "app_context.h"
#include "analysis/head_stats.h"
#include "maps/map_export.h"
#include "maps/view_export.h"

#include <string>

namespace attn::gui {

enum class ExportKind {
    CurrentMap,  // the map on screen (Ctrl+Shift+E)
    EveryMap,    // every map of the pass, with maps.json (Ctrl+E)
    Grid,        // the batch item's maps tiled into one picture: heads (and mean) x tokens; a real
                 // model's every layer x head, the model view (b0_model.png)
    Tensors,     // every step's tensor as .npy, trace.json, output.npy, attn.npy (tensors/); a real
                 // model's attentions, norms, rollout, hidden states and inputs (dump_model_pass)
    HeadStats,   // a real model's head statistics: head_stats.json (the CLI's --dump format) and .csv
};

// The map style and theme of the window's exports (the export theme of the File menu).
MapExportOptions export_options(const AppContext& ctx);

// Writes into `dir` (created when missing). Throws attn::Error (FileError...) with a message for
// the window; InternalError when there is no pass yet. Needs the GL context current.
ExportResult export_maps(AppContext& ctx, ExportKind kind, const std::string& dir);

// The views of one query of a real model (core/maps/view_export.h, export_query_views): a text
// model's head views of `query` for every layer x head and the mean (<map>_q<N>_<token>_lines.png
// and lines.json), a ViT's rows of `query` over the picture (queries.json). The files of
// attnscope-cli run --model ... --export-maps DIR --query N.
ExportResult export_query(AppContext& ctx, int64_t query, const std::string& dir);

// The side-by-side panes `a` and `b` of the map model shown and their difference (export_panes),
// each pane labelled with its map's file stem (l0_b0_h3): the files of attnscope-cli run --model
// ... --export-panes DIR --pane-a l0_b0_h3 --pane-b l1_b0_h1.
ExportResult export_compare(AppContext& ctx, const MapKey& a, const MapKey& b, const std::string& dir);
// Two panes of any map models (the seed's A and its B under other settings, compare_pass.h) and
// their difference, in the style shown: attnscope-cli run ... --export-panes DIR --b-mask-fill ...
ExportResult export_pane_maps(AppContext& ctx, const PaneMap& a, const PaneMap& b, const std::string& dir);

// A head statistics table as head_stats.json (the format of attnscope-cli run --model --dump) and
// head_stats.csv, or head_stats_b1.json / .csv for one batch item's table.
ExportResult export_head_stats(const HeadStatsTable& table, const std::string& dir);

}  // namespace attn::gui
