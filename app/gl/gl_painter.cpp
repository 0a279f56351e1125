#include "gl_painter.h"

#include <algorithm>

namespace attn::gl {

namespace {

constexpr size_t kMaxPictures = 4;  // the pictures of a batch: most passes share one

}  // namespace

const Texture& GlPainter::colormap(Colormap cmap) {
    auto it = colormaps_.find(cmap);
    if (it == colormaps_.end()) it = colormaps_.emplace(cmap, upload_colormap_texture(cmap)).first;
    return it->second;
}

const Texture& GlPainter::picture(const Tensor& rgb) {
    auto it = std::find_if(pictures_.begin(), pictures_.end(), [&](const Picture& p) { return p.source == &rgb; });
    if (it != pictures_.end()) {
        pictures_.splice(pictures_.begin(), pictures_, it);
        return pictures_.front().texture;
    }
    pictures_.push_front(Picture{&rgb, upload_picture_texture(rgb)});
    if (pictures_.size() > kMaxPictures) pictures_.pop_back();
    return pictures_.front().texture;
}

void GlPainter::render(const FieldPaint& field) {
    check_field(field);
    // The values as an R32F texture; only bound while render() runs, so a local one will do.
    const Texture values = upload_map_texture(field.values, field.rows, field.cols,
                                              field.bilinear ? MapFilter::Linear : MapFilter::Nearest);
    MapRenderInputs inputs;
    inputs.map = &values;
    inputs.colormap = &colormap(field.colormap);
    inputs.lo = field.lo;
    inputs.hi = field.hi;
    if (field.background) {
        inputs.background = &picture(*field.background);
        inputs.opacity = field.opacity;
    }
    renderer_.render(inputs, field.width, field.height);
}

RgbImage GlPainter::paint(const FieldPaint& field) {
    render(field);
    return renderer_.read_rgb();
}

}  // namespace attn::gl
