// The step diagrams' quad pass (app/gl/quad_renderer.h) through the real shaders, read back:
// boxes land on the pixels they cover (top-left origin, rows not flipped), in their colours, drawn
// in order with straight alpha; an outline leaves its inside alone; hatching covers part of its
// box; a glyph takes the atlas's alpha; a box moved by half a pixel changes its edge pixels by
// about half (the anti-aliasing that makes motion smooth); the GL state Dear ImGui relies on is
// as it was.
#include "gl_test_support.h"
#include "quad_renderer.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

namespace attn::gl {
namespace {

constexpr float kBlack[4] = {0.0f, 0.0f, 0.0f, 1.0f};

std::array<int, 3> pixel(const RgbImage& im, int x, int y) {
    const size_t i = (static_cast<size_t>(y) * static_cast<size_t>(im.width) + static_cast<size_t>(x)) * 3;
    return {im.pixels[i], im.pixels[i + 1], im.pixels[i + 2]};
}

// Blends round 127.5 either way: within one level.
void expect_near(const std::array<int, 3>& got, const std::array<int, 3>& want) {
    for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(got[c], want[c], 1) << "channel " << c;
}

Quad box(float x0, float y0, float x1, float y1, float r, float g, float b, float a = 1.0f) {
    Quad q;
    q.x0 = x0, q.y0 = y0, q.x1 = x1, q.y1 = y1;
    q.r = r, q.g = g, q.b = b, q.a = a;
    return q;
}

TEST(QuadRenderer, BoxesCoverTheirPixelsTopLeftOriginInOrder) {
    testing::test_context();
    QuadRenderer renderer;
    std::vector<Quad> quads = {box(2, 3, 12, 8, 1, 0, 0),          // red, 10 x 5 at (2, 3)
                               box(8, 5, 20, 10, 0, 0, 1, 0.5f)};  // half blue over it
    renderer.render(quads, 32, 16, kBlack, 0);
    const RgbImage im = renderer.read_rgb();
    ASSERT_EQ(im.width, 32);
    ASSERT_EQ(im.height, 16);
    EXPECT_EQ(pixel(im, 2, 3), (std::array<int, 3>{255, 0, 0}));  // the top-left pixel of the red box
    expect_near(pixel(im, 11, 7), {128, 0, 128});                 // red under half blue
    EXPECT_EQ(pixel(im, 5, 4), (std::array<int, 3>{255, 0, 0}));
    expect_near(pixel(im, 15, 9), {0, 0, 128});                  // half blue over black
    EXPECT_EQ(pixel(im, 1, 3), (std::array<int, 3>{0, 0, 0}));   // left of the box
    EXPECT_EQ(pixel(im, 2, 2), (std::array<int, 3>{0, 0, 0}));   // above it: rows are not flipped
    EXPECT_EQ(pixel(im, 12, 4), (std::array<int, 3>{0, 0, 0}));  // right of it (x1 is exclusive)
    EXPECT_EQ(pixel(im, 30, 14), (std::array<int, 3>{0, 0, 0}));
}

TEST(QuadRenderer, FrameHatchAndGlyph) {
    testing::test_context();
    QuadRenderer renderer;
    Quad frame = box(2, 2, 14, 14, 0, 1, 0);
    frame.kind = QuadKind::Frame;
    frame.line = 2.0f;
    Quad hatch = box(18, 2, 30, 14, 1, 1, 1);
    hatch.kind = QuadKind::Hatch;
    hatch.line = 6.0f;
    hatch.hatch_line = 2.0f;
    renderer.render({frame, hatch}, 32, 16, kBlack, 0);
    const RgbImage im = renderer.read_rgb();
    EXPECT_EQ(pixel(im, 2, 8), (std::array<int, 3>{0, 255, 0}));  // the outline
    EXPECT_EQ(pixel(im, 3, 8), (std::array<int, 3>{0, 255, 0}));
    EXPECT_EQ(pixel(im, 8, 8), (std::array<int, 3>{0, 0, 0}));  // its inside
    int lit = 0, dark = 0;
    for (int y = 2; y < 14; ++y)
        for (int x = 18; x < 30; ++x)
            (pixel(im, x, y)[0] > 200 ? lit : pixel(im, x, y)[0] < 40 ? dark : lit) += 1;
    // Lines 2 px wide every 6 px along the diagonal: about a third of the box, never all of it.
    EXPECT_GT(lit, 144 / 6);
    EXPECT_GT(dark, 144 / 3);

    // A glyph from a 2 x 1 atlas whose left texel is opaque and right one transparent.
    GLuint atlas = 0;
    glGenTextures(1, &atlas);
    glBindTexture(GL_TEXTURE_2D, atlas);
    const uint8_t texels[8] = {255, 255, 255, 255, 255, 255, 255, 0};
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 2, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, texels);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glBindTexture(GL_TEXTURE_2D, 0);
    Quad glyph = box(0, 0, 16, 8, 1, 1, 0);
    glyph.kind = QuadKind::Glyph;
    glyph.u0 = 0.0f, glyph.v0 = 0.0f, glyph.u1 = 1.0f, glyph.v1 = 1.0f;
    renderer.render({glyph}, 16, 8, kBlack, atlas);
    const RgbImage g = renderer.read_rgb();
    EXPECT_EQ(pixel(g, 3, 4), (std::array<int, 3>{255, 255, 0}));  // the opaque texel
    EXPECT_EQ(pixel(g, 12, 4), (std::array<int, 3>{0, 0, 0}));     // the transparent one
    glDeleteTextures(1, &atlas);
}

TEST(QuadRenderer, HalfAPixelOfMotionIsHalfAnEdgePixel) {
    testing::test_context();
    QuadRenderer renderer;
    renderer.render({box(4.0f, 0, 10.5f, 4, 1, 1, 1)}, 16, 4, kBlack, 0);
    const RgbImage im = renderer.read_rgb();
    EXPECT_EQ(pixel(im, 9, 1)[0], 255);
    EXPECT_NEAR(pixel(im, 10, 1)[0], 128, 2);  // the pixel the edge halves
    EXPECT_EQ(pixel(im, 11, 1)[0], 0);
}

TEST(QuadRenderer, LeavesTheGlStateAsItFoundIt) {
    testing::test_context();
    QuadRenderer renderer;
    GLuint vao = 0, buffer = 0;
    glGenVertexArrays(1, &vao);
    glGenBuffers(1, &buffer);
    glBindVertexArray(vao);
    glBindBuffer(GL_ARRAY_BUFFER, buffer);
    glEnable(GL_SCISSOR_TEST);
    glDisable(GL_BLEND);
    glBlendFuncSeparate(GL_ONE, GL_ZERO, GL_ONE, GL_ZERO);
    glViewport(1, 2, 30, 40);
    glClearColor(0.25f, 0.5f, 0.75f, 1.0f);
    renderer.render({box(0, 0, 4, 4, 1, 0, 0)}, 8, 8, kBlack, 0);
    GLint v[4] = {0, 0, 0, 0}, bound_vao = 0, bound_buffer = 0, src = 0, dst = 0, fb = -1;
    glGetIntegerv(GL_VIEWPORT, v);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &bound_vao);
    glGetIntegerv(GL_ARRAY_BUFFER_BINDING, &bound_buffer);
    glGetIntegerv(GL_BLEND_SRC_RGB, &src);
    glGetIntegerv(GL_BLEND_DST_RGB, &dst);
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &fb);
    GLfloat clear[4] = {0, 0, 0, 0};
    glGetFloatv(GL_COLOR_CLEAR_VALUE, clear);
    EXPECT_EQ(v[0], 1);
    EXPECT_EQ(v[3], 40);
    EXPECT_EQ(static_cast<GLuint>(bound_vao), vao);
    EXPECT_EQ(static_cast<GLuint>(bound_buffer), buffer);
    EXPECT_EQ(src, GL_ONE);
    EXPECT_EQ(dst, GL_ZERO);
    EXPECT_EQ(fb, 0);
    EXPECT_TRUE(glIsEnabled(GL_SCISSOR_TEST));
    EXPECT_FALSE(glIsEnabled(GL_BLEND));
    EXPECT_FLOAT_EQ(clear[1], 0.5f);
    glDisable(GL_SCISSOR_TEST);
    glBindVertexArray(0);
    glDeleteBuffers(1, &buffer);
    glDeleteVertexArrays(1, &vao);
    EXPECT_THROW(renderer.render({}, 0, 8, kBlack, 0), ConfigError);
}

}  // namespace
}  // namespace attn::gl
