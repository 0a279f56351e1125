// The head view as a picture (BertViz's head view, as the app draws it beside a text model's
// matrix): the query tokens down the left, the key tokens down the right, and a line from one
// query to every key whose opacity is that cell's value over the map's range. An SVG document,
// so that the tokens stay text and each line keeps its exact value (data-value, a <title>) for
// papers and for tests. The app's "Save head view" and attnscope-cli's --head-view write this same
// document, under the same name.
#pragma once

#include "maps/map_model.h"
#include "maps/map_picture.h"

#include <string>

namespace attn {

// "l0_b0_h3_q5_head_view.svg": the map's file name (the layer, batch item, head) and the query.
std::string head_view_file_name(const MapModel& model, const MapKey& key, int query);

// The document for `key` (a whole [queries, keys] matrix of a text model) and `query`.
// ConfigError when the map is not a matrix or `query` is outside it.
std::string head_view_svg(const MapModel& model, const MapKey& key, int query, const MapStyle& style,
                          const ExportTheme& theme = ExportTheme{});

// Writes head_view_svg into `dir` (created) as head_view_file_name, whole or not at all; returns
// the file's path.
std::string export_head_view(const MapModel& model, const MapKey& key, int query, const MapStyle& style,
                             const std::string& dir, const ExportTheme& theme = ExportTheme{});

}  // namespace attn
