// The CLI's exports of the Attention panel's views (core/maps/view_export.h), the same files the
// app writes:
//   --query N (with --export-maps DIR): token queries (text models, the seed's self-attention
//     modules, attentions files) -> the head view of query N for every layer x head and the mean,
//     <map>_q<N>_<token>_lines.png (or .svg) and lines.json; patch models (ViT) -> query N's row
//     over the picture for every layer x head and the mean, and queries.json. The seed's cross
//     modules have pixel queries: refused.
//   --export-panes DIR --pane-a NAME [--pane-b NAME]: two maps (named as their files are:
//     l3_b0_h5, b0_mean_t2, l11_b0_rollout) and their difference, pane_a_*.png, pane_b_*.png,
//     diff_*_minus_*.png and panes.json. Pane B comes from the same pass, from the scene under other
//     settings (--b-mask-fill, --b-scale; the seed's modules), or from --b-attentions FILE.
#pragma once

#include "maps/map_model.h"
#include "maps/map_painter.h"
#include "run_command.h"

#include <CLI/CLI.hpp>

#include <string>

namespace attn::cli {

void add_view_options(CLI::App* run, RunOptions& o);
// Options given without what they go with, before anything runs (ConfigError).
void check_view_options(const RunOptions& o);

// --query N and --pane-a/--pane-b against the maps, before anything is written: a query or a map
// that does not exist is one ConfigError, not a folder half written.
void check_view_targets(const RunOptions& o, const MapModel& maps);

// --query N into --export-maps DIR (nothing without --query).
void export_query_views(const RunOptions& o, const MapModel& maps, MapPainter& painter);

// --export-maps DIR of a layered model (a real model's pass, an attention file): every map, the
// model view of each batch item with --export-grid, the head views with --query N. Reports the
// count on stderr.
void export_layered_maps(const RunOptions& o, const MapModel& maps, const MapExportOptions& options);

// --export-panes: A from `maps_a`, B from --b-attentions when given, else from `maps_b`.
void export_cli_panes(const RunOptions& o, const MapModel& maps_a, const MapModel& maps_b, const std::string& label_a,
                      const std::string& label_b);

// "mask fill -inf, scale module": what a pane under settings was computed with.
std::string settings_label(const std::string& mask_fill, const std::string& scale);

}  // namespace attn::cli
