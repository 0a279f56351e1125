// GL textures (RAII) and the uploads the map renderer needs.
//
// Orientation: every upload sends row 0 (the TOP row of a map or picture) first, so row 0 sits at
// texture coordinate v = 0. fullscreen.vert samples with v = 0 at the top of the viewport; see
// map_renderer.h for what that means for the rendered texture.
#pragma once

#include "export/png.h"
#include "image/image.h"
#include "render/colormap.h"

#include <glad/gl.h>

#include <cstdint>

namespace attn::gl {

// One GL_TEXTURE_2D (RAII, move-only).
class Texture {
public:
    Texture() = default;
    ~Texture();
    Texture(Texture&& other) noexcept;
    Texture& operator=(Texture&& other) noexcept;
    Texture(const Texture&) = delete;
    Texture& operator=(const Texture&) = delete;

    // A new texture of `internal_format` with storage for width x height texels, contents
    // undefined; `filter` for both min and mag (no mipmaps), clamp to edge on both axes.
    // ConfigError when a side is < 1 or larger than GL_MAX_TEXTURE_SIZE.
    static Texture allocate(GLenum internal_format, int width, int height, GLenum filter);

    GLuint id() const { return id_; }
    int width() const { return width_; }
    int height() const { return height_; }
    GLenum internal_format() const { return internal_format_; }
    explicit operator bool() const { return id_ != 0; }

private:
    GLuint id_ = 0;
    int width_ = 0, height_ = 0;
    GLenum internal_format_ = 0;
};

enum class MapFilter {
    Nearest,  // one solid cell per value: a map drawn at any size shows its grid
    Linear,   // bilinear between cell centres, like the CPU export over a picture
};

// values: F32 [h, w], row-major, row 0 on top -> an R32F texture of w x h texels. NaN and +-inf
// are kept as they are (the shader draws NaN in kNanColour). ConfigError for a bad size.
Texture upload_map_texture(const float* values, int64_t h, int64_t w, MapFilter filter = MapFilter::Nearest);

// Replaces the values of a map texture; reallocates when the size changed.
void update_map_texture(Texture& texture, const float* values, int64_t h, int64_t w);

// colormap_table(cmap) -> a 256 x 1 RGB8 texture, GL_LINEAR, clamp to edge. The shader samples
// entry i at (i + 0.5) / 256, so t = i / 255 hits entry i exactly and values in between
// interpolate like colormap_rgb.
Texture upload_colormap_texture(Colormap cmap);

// An RGB8 picture (RgbImage: [height, width, 3], top row first) -> an RGB8 texture, GL_LINEAR.
Texture upload_rgb_texture(const RgbImage& image);

// An Image (F32 [3, height, width] in [0, 1], channels first) -> an RGB8 texture, GL_LINEAR.
// Values are clamped to [0, 1] and rounded to 8 bits. ShapeError when rgb is not [3, height, width].
Texture upload_image_texture(const Image& image);
// The same from a picture tensor F32 [3, H, W] in [0, 1].
Texture upload_picture_texture(const Tensor& rgb);

// An RGBA8 texture to render into (GL_LINEAR, so it scales smoothly when shown).
Texture allocate_render_texture(int width, int height);

// Binds `framebuffer` as the draw target over its whole width x height for a plain overwrite:
// no scissor, depth, stencil, culling or sRGB conversion left by whoever drew before (Dear ImGui
// leaves a scissor), every channel written, polygons filled. Blending is the caller's choice. The
// caller's RenderStateGuard restores what was bound.
void bind_target_for_overwrite(GLuint framebuffer, int width, int height);

// The RGB8 pixels of `framebuffer`'s colour attachment 0, width x height, as an RgbImage (top row
// first: GL hands the bottom row first). Leaves the read binding and pixel-store state as it was.
RgbImage read_framebuffer_rgb(GLuint framebuffer, int width, int height);

}  // namespace attn::gl
