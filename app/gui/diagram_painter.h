// Paints a step diagram (anim::Picture, diagram.h) with GL: every box one to three quads of
// gl::QuadRenderer (fill, hatching, outline), every label its glyphs from Dear ImGui's font atlas,
// into a texture of the painter's own. The 1280 x 720 canvas is scaled to fit the target and
// centred on the canvas's background colour. The window shows the texture (gl::image_upright);
// exports read it back, so a frame on a slide is the frame on screen, labels included.
// Needs a current GL context and Dear ImGui's fonts built.
#pragma once

#include "diagram.h"
#include "export/png.h"
#include "quad_renderer.h"

#include <vector>

namespace attn::gui {

class DiagramPainter {
public:
    const gl::Texture& paint(const anim::Picture& picture, int width, int height);
    // The last painted frame, top row first.
    RgbImage read_rgb() const { return renderer_.read_rgb(); }
    const gl::Texture& texture() const { return renderer_.texture(); }
    // How many quads the last frame took (for tests and the status of the view).
    size_t quads() const { return quads_.size(); }

private:
    void add_text(const anim::Label& label, float scale, float ox, float oy);

    gl::QuadRenderer renderer_;
    std::vector<gl::Quad> quads_;
};

}  // namespace attn::gui
