// The attention maps of the current pass as GPU textures, rendered through shaders/colormap.frag
// by gl::MapRenderer, ready for ImGui::Image, and the same pixels read back for export.
//
// Which map: for the cross modules (batch, head, token) -> the [h, w] grid of weights that
// token gets from every pixel, over the batch item's picture; head -1 is the mean over heads.
// For the self-attention modules (batch, head) -> the [seq_q, seq_k] matrix (token ignored);
// head -1 is the mean over heads there too (PyTorch's average_attn_weights=True).
//
// Normalisation (range()):
//   cross maps: each map its own [min, max] of its finite weights, or with shared_normalisation one
//     [min, max] over every map of the pass (all batch items, heads and non-padding tokens), so
//     maps can be compared with each other. Per map is the CPU export's choice.
//   matrices: the absolute range [0, 1] (a softmax weight is a probability, and one scale shows
//     how peaked each row is; it is the CPU export's choice too), or with shared_normalisation one
//     [min, max] over every matrix of the pass.
// A constant map (hi <= lo) is drawn in the middle colour of the colormap, NaN in kNanColour.
//
// Drawing: cross maps are sampled bilinearly over the picture (like the CPU export), or with
// nearest cells when the batch item has no picture; matrices always with nearest cells. A matrix
// drawn at fewer pixels than it has cells is area-averaged first (render/downsample.h: each pixel
// the mean of the weights under it), from the MapOverview's previews when it has them, so a
// 10,000-token matrix costs what its pixels cost.
// Textures are cached by (key, style, size) and dropped by set_pass(); textures dropped while a
// frame is being built are deleted only at the next frame (ImGui may still draw them).
#pragma once

#include "export/png.h"
#include "model/trace.h"
#include "pipeline/scene.h"
#include "render/colormap.h"
#include "render/map_overview.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attn::gl {
class Texture;
}

namespace attn::gui {

struct MapKey {
    int batch = 0, head = 0, token = 0;  // head -1 = mean over heads
};

struct MapStyle {
    Colormap colormap = Colormap::Viridis;
    bool shared_normalisation = false;  // one [min, max] over every map of the pass
    float opacity = 0.6f;               // cross maps over the picture
};

struct MapRange {
    float lo = 0.0f, hi = 1.0f;  // the values at the two ends of the colormap
};

class MapViews {
public:
    MapViews();  // needs a current GL context
    ~MapViews();

    // A new pass: drops every texture of the old one. `overview` is make_map_overview of the same
    // pass, made off this thread (EngineResult::overview); without it, it is made here.
    void set_pass(std::shared_ptr<const Scene> scene, std::shared_ptr<const Trace> trace,
                  std::shared_ptr<const MapOverview> overview = nullptr);

    // The map as a texture of `width` x `height` pixels (0 x 0: the map's natural size — the
    // picture's size for cross maps; cells of 24 px for matrices, smaller ones for long sentences,
    // at most 4096 px a side, a pixel then the mean of the cells under it). Cached until the pass, the
    // style or the size changes.
    const gl::Texture& texture(const MapKey& key, const MapStyle& style, int width = 0, int height = 0);
    // The same pixels, read back top row first, for export.
    RgbImage pixels(const MapKey& key, const MapStyle& style, int width = 0, int height = 0);

    // The range the map is coloured with under `style` (for the colorbar and hover text).
    MapRange range(const MapKey& key, const MapStyle& style) const;
    // The raw weight at grid cell / matrix cell (row, col) of the map; NaN stays NaN.
    float value(const MapKey& key, int row, int col) const;
    // Rows and columns of a map: [h, w] for cross maps, [seq_q, seq_k] for matrices.
    int rows() const;
    int cols() const;
    int heads() const;     // 1 for the single-head modules
    int batches() const;
    int tokens() const;    // key positions (seq)
    bool is_cross() const;

    // The pass shown now (null before the first set_pass). Panels compare it with
    // AppContext::trace so that they never draw a map of an older pass.
    const Trace* trace() const;
    const Scene* scene() const;
    // Key position `token` of batch item `batch` is padding (pad_mask true): it gets no weight.
    bool is_pad(int batch, int token) const;
    // The padding keys of a batch item as runs [first, last), in order; made once per pass and
    // batch item, so that drawing never walks every key.
    const std::vector<std::pair<int, int>>& padding_runs(int batch) const;
    // Every key of the batch item is padding (an empty sentence).
    bool all_keys_padding(int batch) const;

    // A horizontal colorbar: the colormap from its low end (left) to its high end (right), drawn
    // through the same shader as the maps.
    const gl::Texture& colorbar(Colormap cmap, int width, int height);
    // Any [rows, cols] array of values (a tensor slice of the pipeline panel) drawn like a map:
    // nearest cells, no picture. `slot` names the cache entry; the values are uploaded again only
    // when `version` changes. NaN -> kNanColour, -inf and +inf -> the two ends of the colormap.
    const gl::Texture& array_texture(const std::string& slot, uint64_t version, const float* values, int rows,
                                     int cols, MapRange range, Colormap cmap, int width, int height);

    // Rebuilds the map shaders from their source folder (gl::MapRenderer::reload_from_source):
    // true when reloaded, false when this build has no folder to reload from. Throws the
    // gl::ShaderError of a shader that does not build; the previous program stays in use.
    // The window calls it on F5.
    bool reload_shaders();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace attn::gui
