// The colormap pass against the CPU path (core/render/colormap, core/export/attention_maps):
// rendered through the real shaders into an FBO, read back with PACK_ALIGNMENT 1, compared per
// channel. Tolerances:
//   1/255 for the colormap alone: the GPU interpolates the table in float (or fixed point) and
//         rounds once when writing RGBA8; colormap_rgb rounds once too, from a t computed with a
//         different division, so the two may land on either side of a .5.
//   2/255 with a background: the CPU rounds the colour before blending and blends the picture at
//         full precision; the GPU blends the unrounded colour over an 8-bit picture texture.
#include "gl_test_support.h"
#include "map_renderer.h"
#include "shader_sources.h"

#include "maps/cpu_render.h"
#include "render/colormap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace attn::gl {
namespace {

// values: [h, w] ramp from below lo to above hi, with a NaN, +inf and -inf in it.
struct TestMap {
    int64_t h = 0, w = 0;
    std::vector<float> values;
};

TestMap ramp_map(int64_t h, int64_t w, float lo, float hi) {
    TestMap map{h, w, std::vector<float>(static_cast<size_t>(h * w))};
    const float span = hi - lo;
    for (int64_t i = 0; i < h * w; ++i)
        map.values[static_cast<size_t>(i)] =
            lo - 0.1f * span + 1.2f * span * static_cast<float>(i) / static_cast<float>(h * w - 1);
    // Three distinct cells for any map of 12 or more.
    const auto n = static_cast<size_t>(h * w);
    EXPECT_GE(n, 12u);
    map.values[n / 7] = std::numeric_limits<float>::quiet_NaN();
    map.values[n / 2] = std::numeric_limits<float>::infinity();
    map.values[5 * n / 6] = -std::numeric_limits<float>::infinity();
    return map;
}

// What colormap_rgb makes of each value with the renderer's normalisation.
RgbImage cpu_colormap(const TestMap& map, Colormap cmap, float lo, float hi) {
    RgbImage image{static_cast<int>(map.w), static_cast<int>(map.h), {}};
    for (float v : map.values) {
        const float t = hi > lo ? (v - lo) / (hi - lo) : (std::isnan(v) ? v : 0.5f);
        for (uint8_t c : colormap_rgb(cmap, t))
            image.pixels.push_back(c);
    }
    return image;
}

// A deterministic picture with every channel varying.
RgbImage test_picture(int width, int height) {
    RgbImage image{width, height, {}};
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            image.pixels.push_back(static_cast<uint8_t>((x * 37 + y * 11) % 256));
            image.pixels.push_back(static_cast<uint8_t>((x * 5 + y * 53 + 90) % 256));
            image.pixels.push_back(static_cast<uint8_t>(255 - (x * y * 7) % 256));
        }
    return image;
}

std::array<uint8_t, 3> pixel(const RgbImage& image, int x, int y) {
    const size_t at = (static_cast<size_t>(y) * static_cast<size_t>(image.width) + static_cast<size_t>(x)) * 3;
    return {image.pixels[at], image.pixels[at + 1], image.pixels[at + 2]};
}

class MapRendererTest : public ::testing::Test {
protected:
    void SetUp() override {
        testing::test_context();
        renderer = std::make_unique<MapRenderer>();
    }
    void TearDown() override { EXPECT_EQ(glGetError(), GLenum{GL_NO_ERROR}); }
    std::unique_ptr<MapRenderer> renderer;
};

TEST_F(MapRendererTest, ColormapMatchesCpuForEveryColormap) {
    const float lo = 0.2f, hi = 0.8f;
    const TestMap map = ramp_map(17, 13, lo, hi);  // 13 px RGB8 rows are 39 bytes: not 4-aligned
    const Texture map_texture = upload_map_texture(map.values.data(), map.h, map.w);
    for (Colormap cmap : kAllColormaps) {
        SCOPED_TRACE(colormap_name(cmap));
        const Texture colormap = upload_colormap_texture(cmap);
        MapRenderInputs inputs;
        inputs.map = &map_texture;
        inputs.colormap = &colormap;
        inputs.lo = lo;
        inputs.hi = hi;
        renderer->render(inputs, static_cast<int>(map.w), static_cast<int>(map.h));
        const testing::RgbDiff diff = testing::compare_rgb(renderer->read_rgb(), cpu_colormap(map, cmap, lo, hi));
        EXPECT_LE(diff.max_diff, 1) << diff.to_string();
    }
}

// t = i / 255 must land on texel centre i: no blending with the neighbours at all.
TEST_F(MapRendererTest, TableEntriesAreHitExactly) {
    TestMap map{16, 16, std::vector<float>(256)};
    for (int i = 0; i < 256; ++i)
        map.values[static_cast<size_t>(i)] = static_cast<float>(i) / 255.0f;
    const Texture map_texture = upload_map_texture(map.values.data(), map.h, map.w);
    for (Colormap cmap : kAllColormaps) {
        SCOPED_TRACE(colormap_name(cmap));
        const Texture colormap = upload_colormap_texture(cmap);
        RgbImage want{16, 16, {}};
        for (const auto& entry : colormap_table(cmap))
            want.pixels.insert(want.pixels.end(), entry.begin(), entry.end());
        MapRenderInputs inputs;
        inputs.map = &map_texture;
        inputs.colormap = &colormap;
        renderer->render(inputs, 16, 16);
        const testing::RgbDiff diff = testing::compare_rgb(renderer->read_rgb(), want);
        EXPECT_EQ(diff.max_diff, 0) << diff.to_string();
    }
}

TEST_F(MapRendererTest, ConstantRangeDrawsTheMiddleOfTheColormap) {
    const TestMap map = ramp_map(3, 4, 0.0f, 1.0f);
    const Texture map_texture = upload_map_texture(map.values.data(), map.h, map.w);
    const Texture colormap = upload_colormap_texture(Colormap::Turbo);
    MapRenderInputs inputs;
    inputs.map = &map_texture;
    inputs.colormap = &colormap;
    inputs.lo = inputs.hi = 0.5f;
    renderer->render(inputs, 4, 3);
    const testing::RgbDiff diff =
        testing::compare_rgb(renderer->read_rgb(), cpu_colormap(map, Colormap::Turbo, 0.5f, 0.5f));
    EXPECT_LE(diff.max_diff, 1) << diff.to_string();
}

TEST_F(MapRendererTest, BlendOverBackgroundMatchesCpuBlend) {
    const float lo = -1.0f, hi = 3.0f;
    const TestMap map = ramp_map(17, 13, lo, hi);
    const Texture map_texture = upload_map_texture(map.values.data(), map.h, map.w);
    const RgbImage picture = test_picture(13, 17);
    const Texture background = upload_rgb_texture(picture);
    for (Colormap cmap : kAllColormaps) {
        const Texture colormap = upload_colormap_texture(cmap);
        const RgbImage colours = cpu_colormap(map, cmap, lo, hi);
        for (float opacity : {0.0f, 0.35f, 0.7f, 1.0f}) {
            SCOPED_TRACE(colormap_name(cmap) + ", opacity " + std::to_string(opacity));
            // out = (1 - a) * picture + a * colour, rounded once (as render_cross_map does).
            RgbImage want = colours;
            for (size_t i = 0; i < want.pixels.size(); ++i)
                want.pixels[i] = static_cast<uint8_t>(std::lround((1.0f - opacity) * picture.pixels[i] +
                                                                  opacity * static_cast<float>(colours.pixels[i])));
            MapRenderInputs inputs;
            inputs.map = &map_texture;
            inputs.colormap = &colormap;
            inputs.lo = lo;
            inputs.hi = hi;
            inputs.background = &background;
            inputs.opacity = opacity;
            renderer->render(inputs, 13, 17);
            const testing::RgbDiff diff = testing::compare_rgb(renderer->read_rgb(), want);
            EXPECT_LE(diff.max_diff, 2) << diff.to_string();
        }
    }
}

// The window and the exported PNG agree: a 5 x 7 map with linear filtering, stretched over a
// 31 x 23 picture, against core's render_cross_map (per-map min..max, bilinear with
// align_corners=False, blend). Bilinear interpolation of a normalised value adds its own rounding,
// so this shares the 2/255 of the blend test.
TEST_F(MapRendererTest, OverlayMatchesCpuExport) {
    const int64_t grid_h = 5, grid_w = 7;
    const int W = 31, H = 23;
    std::vector<float> weights(static_cast<size_t>(grid_h * grid_w));
    for (size_t i = 0; i < weights.size(); ++i)
        weights[i] = 0.01f * static_cast<float>((i * 7) % 17);
    const float lo = *std::min_element(weights.begin(), weights.end());
    const float hi = *std::max_element(weights.begin(), weights.end());
    const RgbImage picture = test_picture(W, H);
    Tensor bg({3, H, W});  // F32 [3, H, W] in [0, 1], exactly the 8-bit picture
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
            for (int c = 0; c < 3; ++c)
                bg.data[static_cast<size_t>((c * H + y) * W + x)] =
                    pixel(picture, x, y)[static_cast<size_t>(c)] / 255.0f;

    const Texture map_texture = upload_map_texture(weights.data(), grid_h, grid_w, MapFilter::Linear);
    const Texture background = upload_rgb_texture(picture);
    for (Colormap cmap : kAllColormaps) {
        SCOPED_TRACE(colormap_name(cmap));
        const Texture colormap = upload_colormap_texture(cmap);
        MapRenderInputs inputs;
        inputs.map = &map_texture;
        inputs.colormap = &colormap;
        inputs.lo = lo;
        inputs.hi = hi;
        inputs.background = &background;
        inputs.opacity = 0.6f;
        renderer->render(inputs, W, H);
        const RgbImage want = render_cross_map(weights.data(), grid_h, grid_w, &bg, cmap, 0.6f);
        const testing::RgbDiff diff = testing::compare_rgb(renderer->read_rgb(), want);
        EXPECT_LE(diff.max_diff, 2) << diff.to_string();
    }
}

// Top row of the map = top row of read_rgb(), at the map's size and stretched; and in GL terms
// the target is upright (the map's top row is the highest GL row), which is what ImGui's flipped
// uv (image_upright) assumes.
TEST_F(MapRendererTest, ReadbackIsNotUpsideDown) {
    const std::vector<float> values = {0.0f, 0.0f, 0.0f,   // top row -> first entry
                                       1.0f, 1.0f, 1.0f};  // bottom row -> last entry
    const Texture map_texture = upload_map_texture(values.data(), 2, 3);
    const Texture colormap = upload_colormap_texture(Colormap::Viridis);
    const auto top = colormap_rgb(Colormap::Viridis, 0.0f);
    const auto bottom = colormap_rgb(Colormap::Viridis, 1.0f);
    MapRenderInputs inputs;
    inputs.map = &map_texture;
    inputs.colormap = &colormap;
    for (auto [width, height] : {std::pair{3, 2}, std::pair{30, 20}}) {
        SCOPED_TRACE(std::to_string(width) + " x " + std::to_string(height));
        renderer->render(inputs, width, height);
        const RgbImage image = renderer->read_rgb();
        ASSERT_EQ(image.width, width);
        ASSERT_EQ(image.height, height);
        for (int x = 0; x < width; ++x) {
            EXPECT_EQ(pixel(image, x, 0), top) << "x " << x;
            EXPECT_EQ(pixel(image, x, height - 1), bottom) << "x " << x;
        }
        // Raw GL: row 0 of glReadPixels is the bottom of the target.
        GLuint fbo = 0;
        glGenFramebuffers(1, &fbo);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
        glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, renderer->texture().id(), 0);
        std::array<uint8_t, 4> gl_bottom{}, gl_top{};
        glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, gl_bottom.data());
        glReadPixels(0, height - 1, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, gl_top.data());
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        glDeleteFramebuffers(1, &fbo);
        EXPECT_EQ((std::array<uint8_t, 3>{gl_top[0], gl_top[1], gl_top[2]}), top);
        EXPECT_EQ((std::array<uint8_t, 3>{gl_bottom[0], gl_bottom[1], gl_bottom[2]}), bottom);
        EXPECT_EQ(gl_top[3], 255);
    }
}

GLint get_int(GLenum name) {
    GLint value = 0;
    glGetIntegerv(name, &value);
    return value;
}

// What ImGui (or anything else) had set survives a render and a readback.
TEST_F(MapRendererTest, GlStateIsRestored) {
    // Someone else's framebuffer, viewport, program, texture units, blend and scissor.
    Texture theirs = allocate_render_texture(40, 30);
    GLuint their_fbo = 0, their_vao = 0;
    glGenFramebuffers(1, &their_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, their_fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, theirs.id(), 0);
    glGenVertexArrays(1, &their_vao);
    glBindVertexArray(their_vao);
    const Program their_program = build_program("theirs", "fullscreen.vert", embedded_shader("fullscreen.vert"),
                                                "colormap.frag", embedded_shader("colormap.frag"));
    glUseProgram(their_program.id());
    glViewport(3, 5, 7, 11);
    glEnable(GL_BLEND);
    glEnable(GL_SCISSOR_TEST);
    glScissor(1, 1, 2, 2);
    Texture unit0 = allocate_render_texture(2, 2);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, unit0.id());
    glActiveTexture(GL_TEXTURE3);
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 8);

    const TestMap map = ramp_map(6, 9, 0.0f, 1.0f);
    const Texture map_texture = upload_map_texture(map.values.data(), map.h, map.w);
    const Texture colormap = upload_colormap_texture(Colormap::Magma);
    MapRenderInputs inputs;
    inputs.map = &map_texture;
    inputs.colormap = &colormap;
    renderer->render(inputs, 9, 6);
    const RgbImage image = renderer->read_rgb();

    std::array<GLint, 4> viewport{};
    glGetIntegerv(GL_VIEWPORT, viewport.data());
    EXPECT_EQ(viewport, (std::array<GLint, 4>{3, 5, 7, 11}));
    EXPECT_EQ(get_int(GL_DRAW_FRAMEBUFFER_BINDING), static_cast<GLint>(their_fbo));
    EXPECT_EQ(get_int(GL_READ_FRAMEBUFFER_BINDING), static_cast<GLint>(their_fbo));
    EXPECT_EQ(get_int(GL_CURRENT_PROGRAM), static_cast<GLint>(their_program.id()));
    EXPECT_EQ(get_int(GL_VERTEX_ARRAY_BINDING), static_cast<GLint>(their_vao));
    EXPECT_EQ(get_int(GL_ACTIVE_TEXTURE), GL_TEXTURE3);
    glActiveTexture(GL_TEXTURE0);
    EXPECT_EQ(get_int(GL_TEXTURE_BINDING_2D), static_cast<GLint>(unit0.id()));
    glActiveTexture(GL_TEXTURE1);
    EXPECT_EQ(get_int(GL_TEXTURE_BINDING_2D), 0);
    EXPECT_TRUE(glIsEnabled(GL_BLEND));
    EXPECT_TRUE(glIsEnabled(GL_SCISSOR_TEST));
    EXPECT_EQ(get_int(GL_PACK_ALIGNMENT), 4);
    EXPECT_EQ(get_int(GL_UNPACK_ALIGNMENT), 8);
    // And the scissor and blend that were on did not leak into our pass.
    const testing::RgbDiff diff = testing::compare_rgb(image, cpu_colormap(map, Colormap::Magma, 0.0f, 1.0f));
    EXPECT_LE(diff.max_diff, 1) << diff.to_string();

    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_BLEND);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glUseProgram(0);
    glBindVertexArray(0);
    glDeleteVertexArrays(1, &their_vao);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &their_fbo);
    glViewport(0, 0, testing::kTestWindowSide, testing::kTestWindowSide);
}

TEST_F(MapRendererTest, BadInputsAreTypedErrors) {
    const float value = 0.5f;
    const Texture map_texture = upload_map_texture(&value, 1, 1);
    const Texture colormap = upload_colormap_texture(Colormap::Grey);
    MapRenderInputs inputs;
    inputs.colormap = &colormap;
    EXPECT_THROW(renderer->render(inputs, 4, 4), ConfigError);  // no map
    inputs.map = &map_texture;
    inputs.opacity = 1.5f;
    EXPECT_THROW(renderer->render(inputs, 4, 4), ConfigError);
    inputs.opacity = 1.0f;
    EXPECT_THROW(renderer->render(inputs, 0, 4), ConfigError);
    EXPECT_THROW(upload_map_texture(&value, 0, 1), ConfigError);
    EXPECT_THROW(upload_rgb_texture(RgbImage{2, 2, std::vector<uint8_t>(5)}), ShapeError);
}

// Hot reload: a shader edited on disk replaces the running one; a broken edit throws and leaves
// the previous program in place.
TEST_F(MapRendererTest, ReloadFromAFolderAndSurviveABrokenShader) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("attnscope_gl_reload_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, std::string_view text) {
        std::ofstream out(dir / name, std::ios::binary);
        out << text;
    };
    write("fullscreen.vert", embedded_shader("fullscreen.vert"));
    write("colormap.frag",
          "#version 330 core\nin vec2 v_uv;\nout vec4 frag_colour;\n"
          "void main() { frag_colour = vec4(1.0, 0.0, 0.0, 1.0); }\n");

    const float value = 0.25f;
    const Texture map_texture = upload_map_texture(&value, 1, 1);
    const Texture colormap = upload_colormap_texture(Colormap::Viridis);
    MapRenderInputs inputs;
    inputs.map = &map_texture;
    inputs.colormap = &colormap;
    const std::array<uint8_t, 3> red = {255, 0, 0};

    renderer->reload(dir);
    renderer->render(inputs, 2, 2);
    EXPECT_EQ(pixel(renderer->read_rgb(), 1, 1), red);

    write("colormap.frag", "#version 330 core\nvoid main() { this is not glsl }\n");
    EXPECT_THROW(renderer->reload(dir), ShaderError);
    renderer->render(inputs, 2, 2);
    EXPECT_EQ(pixel(renderer->read_rgb(), 1, 1), red) << "the broken reload replaced the working program";

    renderer->reload(std::filesystem::path(ATTNSCOPE_SOURCE_DIR) / "shaders");
    renderer->render(inputs, 2, 2);
    EXPECT_EQ(pixel(renderer->read_rgb(), 1, 1), colormap_rgb(Colormap::Viridis, 0.25f));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attn::gl
