// The attention maps of a forward pass as PNG files, named after what they hold.
#pragma once

#include "model/trace.h"
#include "pipeline/scene.h"
#include "render/colormap.h"

#include <string>
#include <vector>

namespace attn {

struct MapExportOptions {
    Colormap colormap = Colormap::Viridis;
    float opacity = 0.6f;  // cross maps: weight of the colour over the image
    int cell_px = 32;      // matrix maps: size of one (query, key) cell
};

// Cross modules: one map per (batch, head, token) over the image, b<i>_h<head>_t<j>_<token>.png,
// and with several heads the mean over heads, b<i>_mean_t<j>_<token>.png. Padding keys carry no
// weight and get no map. Self-attention modules: one matrix per (batch, head), b<i>_h<head>.png,
// one cell per (query, key), padding columns hatched. Also writes maps.json listing every file
// with its batch, head and token. Returns the paths written.
std::vector<std::string> export_attention_maps(const Scene& scene, const Trace& trace, const std::string& dir,
                                               const MapExportOptions& options = {});

}  // namespace attn
