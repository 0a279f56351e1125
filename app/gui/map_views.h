// The attention maps of the current pass as GPU textures, ready for ImGui::Image. Which maps exist,
// their values, ranges, padding and sizes come from the pass's map model (core/maps/map_model.h);
// this class only paints them with the GL painter (app/gl/gl_painter.h) and keeps the textures.
//
// Normalisation (MapModel::range): cross maps each their own [min, max], matrices the absolute
// 0..1, or one range over every map of the pass with MapStyle::shared_range. A constant map is drawn
// in the middle colour of the colormap, NaN in kNanColour.
//
// Drawing: cross maps are sampled bilinearly over the picture (like the CPU export), or with
// nearest cells when the batch item has no picture; matrices always with nearest cells, a matrix
// drawn at fewer pixels than it has cells area-averaged first (from the model's previews of large
// matrices), so a 10,000-token matrix costs what its pixels cost.
// Textures are kept in one least-recently-used cache by (key, style, size) and dropped by
// set_pass(); textures dropped while a frame is being built are deleted only at the next frame
// (ImGui may still draw them).
#pragma once

#include "export/png.h"
#include "maps/map_model.h"
#include "maps/map_painter.h"
#include "model/trace.h"
#include "pipeline/scene.h"
#include "render/colormap.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attn::gl {
class Texture;
}

namespace attn::gui {

class MapViews {
public:
    MapViews();  // needs a current GL context
    ~MapViews();

    // A new pass: drops every texture of the old one. `model` is the pass's map model, made off
    // this thread (EngineResult::maps); without it, it is made here. A real model's pass has no
    // scene; its trace is the layer shown, and a new trace with the same model keeps the textures.
    void set_pass(std::shared_ptr<const Scene> scene, std::shared_ptr<const Trace> trace,
                  std::shared_ptr<const MapModel> model = nullptr);
    // The pass's map model (null before the first set_pass).
    const MapModel* model() const;
    std::shared_ptr<const MapModel> shared_model() const;  // the same, for work that outlives a pass

    // The map as a texture of width x height pixels (0 x 0: natural_size()). Cached until the pass,
    // the style or the size changes.
    const gl::Texture& texture(const MapKey& key, const MapStyle& style, int width = 0, int height = 0);
    // The same pixels, read back top row first. 0 x 0: the picture an export writes (a matrix with
    // its cells framed by grid lines, core/maps/map_picture.h's draw_map).
    RgbImage pixels(const MapKey& key, const MapStyle& style, int width = 0, int height = 0);
    // The GL painter, for exports through the map model's exporter (core/maps/map_export.h).
    MapPainter& painter();

    // The range the map is coloured with under `style` (for the colorbar and hover text).
    MapRange range(const MapKey& key, const MapStyle& style) const;
    // The raw weight at grid cell / matrix cell (row, col) of the map; NaN stays NaN.
    float value(const MapKey& key, int row, int col) const;
    // Rows and columns of a map: [h, w] for cross maps, [seq_q, seq_k] for matrices.
    int rows() const;
    int cols() const;
    int heads() const;  // 1 for the single-head modules
    int batches() const;
    int tokens() const;  // key positions (seq)
    bool is_cross() const;

    // The pass shown now (null before the first set_pass). Panels compare it with
    // AppContext::trace so that they never draw a map of an older pass.
    const Trace* trace() const;
    const Scene* scene() const;
    // Key position `token` of batch item `batch` is padding (pad_mask true): it gets no weight.
    bool is_pad(int batch, int token) const;
    // The padding keys of a batch item as runs [first, last), in order.
    const std::vector<std::pair<int, int>>& padding_runs(int batch) const;
    // Every key of the batch item is padding (an empty sentence).
    bool all_keys_padding(int batch) const;

    // A horizontal colorbar: the colormap from its low end (left) to its high end (right), drawn
    // through the same shader as the maps.
    const gl::Texture& colorbar(Colormap cmap, int width, int height);
    // Any [rows, cols] array of values (a tensor slice of the pipeline panel) drawn like a map:
    // nearest cells, no picture. `slot` names the entry; it is drawn again only when `version`,
    // the range, the colormap or the size changes. NaN -> kNanColour, ±inf -> the two ends.
    const gl::Texture& array_texture(const std::string& slot, uint64_t version, const float* values, int rows, int cols,
                                     MapRange range, Colormap cmap, int width, int height);

    // Rebuilds the map shaders from their source folder (gl::MapRenderer::reload_from_source):
    // true when reloaded, false when this build has no folder to reload from. Throws the
    // gl::ShaderError of a shader that does not build; the previous program stays in use.
    bool reload_shaders();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace attn::gui
