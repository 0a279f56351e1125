// The GL painter of the map model (core/maps/map_painter.h): a FieldPaint drawn through
// shaders/colormap.frag by MapRenderer. paint() reads the pixels back for export; the window's
// map views call render() and copy the target into a texture of their own, so what is exported is
// what the screen shows. Needs a current GL context.
#pragma once

#include "map_renderer.h"
#include "maps/map_painter.h"
#include "textures.h"

#include <list>
#include <map>

namespace attn::gl {

class GlPainter final : public MapPainter {
public:
    GlPainter() = default;

    // Draws the field into the renderer's target (renderer().texture()). Throws what check_field
    // throws, ConfigError for a size beyond GL_MAX_TEXTURE_SIZE.
    void render(const FieldPaint& field);
    // render(), then the target read back, top row first.
    RgbImage paint(const FieldPaint& field) override;

    MapRenderer& renderer() { return renderer_; }
    // Drops the uploaded pictures: the next pass has others (a freed picture's address may be
    // reused by a new one, so they are keyed only within a pass).
    void forget_pictures() { pictures_.clear(); }

private:
    const Texture& colormap(Colormap cmap);
    const Texture& picture(const Tensor& rgb);

    MapRenderer renderer_;
    std::map<Colormap, Texture> colormaps_;  // uploaded once
    struct Picture {
        const Tensor* source = nullptr;
        Texture texture;
    };
    std::list<Picture> pictures_;  // most recently used first, a few at most
};

}  // namespace attn::gl
