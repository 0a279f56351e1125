#include "textures.h"

#include "errors.h"
#include "state_guard.h"

#include <cstring>
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace attn::gl {

namespace {

void check_size(int64_t width, int64_t height, const char* what) {
    GLint max_size = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max_size);
    if (width < 1 || height < 1 || width > max_size || height > max_size)
        throw ConfigError(std::string(what) + ": [h, w] = [" + std::to_string(height) + ", " + std::to_string(width) +
                          "] must be 1.." + std::to_string(max_size) + " (GL_MAX_TEXTURE_SIZE) on each side");
}

// The client-side format and type that go with the internal formats we use.
std::pair<GLenum, GLenum> client_format(GLenum internal_format) {
    switch (internal_format) {
        case GL_R32F:
            return {GL_RED, GL_FLOAT};
        case GL_RGB8:
            return {GL_RGB, GL_UNSIGNED_BYTE};
        case GL_RGBA8:
            return {GL_RGBA, GL_UNSIGNED_BYTE};
        default:
            throw InternalError("textures: no client format for internal format " + std::to_string(internal_format));
    }
}

// Creates the texture and fills it from `pixels` (tightly packed, row 0 first), or leaves it
// undefined when pixels is null.
Texture make_texture(GLenum internal_format, int width, int height, GLenum filter, const void* pixels) {
    Texture texture = Texture::allocate(internal_format, width, height, filter);
    if (pixels != nullptr) {
        const PixelTransferGuard transfer;  // alignment 1: RGB8 rows of odd width are not padded
        const auto [format, type] = client_format(internal_format);
        glBindTexture(GL_TEXTURE_2D, texture.id());
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, format, type, pixels);
    }
    return texture;
}

}  // namespace

Texture::~Texture() {
    if (id_ != 0) glDeleteTextures(1, &id_);
}

Texture::Texture(Texture&& other) noexcept
    : id_(std::exchange(other.id_, 0)),
      width_(std::exchange(other.width_, 0)),
      height_(std::exchange(other.height_, 0)),
      internal_format_(std::exchange(other.internal_format_, 0)) {}

Texture& Texture::operator=(Texture&& other) noexcept {
    if (this != &other) {
        if (id_ != 0) glDeleteTextures(1, &id_);
        id_ = std::exchange(other.id_, 0);
        width_ = std::exchange(other.width_, 0);
        height_ = std::exchange(other.height_, 0);
        internal_format_ = std::exchange(other.internal_format_, 0);
    }
    return *this;
}

Texture Texture::allocate(GLenum internal_format, int width, int height, GLenum filter) {
    check_size(width, height, "texture");
    const auto [format, type] = client_format(internal_format);
    const PixelTransferGuard transfer;  // also restores the active unit's 2D binding
    Texture texture;
    glGenTextures(1, &texture.id_);
    ATTN_CHECK(texture.id_ != 0, "glGenTextures failed");
    texture.width_ = width;
    texture.height_ = height;
    texture.internal_format_ = internal_format;
    glBindTexture(GL_TEXTURE_2D, texture.id_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, static_cast<GLint>(filter));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, static_cast<GLint>(filter));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
    glTexImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(internal_format), width, height, 0, format, type, nullptr);
    return texture;
}

Texture upload_map_texture(const float* values, int64_t h, int64_t w, MapFilter filter) {
    check_size(w, h, "attention map texture");
    ATTN_CHECK(values != nullptr, "upload_map_texture: values is null");
    return make_texture(GL_R32F, static_cast<int>(w), static_cast<int>(h),
                        filter == MapFilter::Linear ? GL_LINEAR : GL_NEAREST, values);
}

void update_map_texture(Texture& texture, const float* values, int64_t h, int64_t w) {
    ATTN_CHECK(values != nullptr, "update_map_texture: values is null");
    if (!texture || texture.internal_format() != GL_R32F || texture.width() != w || texture.height() != h) {
        GLint filter = GL_NEAREST;
        if (texture) {
            const PixelTransferGuard transfer;
            glBindTexture(GL_TEXTURE_2D, texture.id());
            glGetTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, &filter);
        }
        texture = upload_map_texture(values, h, w, filter == GL_LINEAR ? MapFilter::Linear : MapFilter::Nearest);
        return;
    }
    const PixelTransferGuard transfer;
    glBindTexture(GL_TEXTURE_2D, texture.id());
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, texture.width(), texture.height(), GL_RED, GL_FLOAT, values);
}

Texture upload_colormap_texture(Colormap cmap) {
    const ColormapTable& table = colormap_table(cmap);
    static_assert(sizeof(ColormapTable) == 256 * 3, "ColormapTable must be 256 tightly packed RGB8 entries");
    return make_texture(GL_RGB8, 256, 1, GL_LINEAR, table.data());
}

Texture upload_rgb_texture(const RgbImage& image) {
    check_size(image.width, image.height, "picture texture");
    if (image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3)
        throw ShapeError("picture texture: " + std::to_string(image.pixels.size()) + " bytes for " +
                         std::to_string(image.width) + " x " + std::to_string(image.height) + " RGB8, expected " +
                         std::to_string(static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3));
    return make_texture(GL_RGB8, image.width, image.height, GL_LINEAR, image.pixels.data());
}

Texture upload_image_texture(const Image& image) {
    const Tensor& rgb = image.rgb;
    if (rgb.rank() != 3 || rgb.shape[0] != 3 || rgb.shape[1] != image.height || rgb.shape[2] != image.width ||
        rgb.numel() != shape_numel(rgb.shape))
        throw ShapeError("picture texture: image tensor is " + shape_string(rgb.shape) + ", expected [3, " +
                         std::to_string(image.height) + ", " + std::to_string(image.width) + "]");
    return upload_picture_texture(rgb);
}

Texture upload_picture_texture(const Tensor& rgb) {
    if (rgb.rank() != 3 || rgb.shape[0] != 3 || rgb.numel() != shape_numel(rgb.shape) || rgb.numel() == 0)
        throw ShapeError("picture texture: image tensor is " + shape_string(rgb.shape) + ", expected [3, H, W]");
    RgbImage packed;
    packed.width = static_cast<int>(rgb.shape[2]);
    packed.height = static_cast<int>(rgb.shape[1]);
    const size_t plane = static_cast<size_t>(packed.width) * static_cast<size_t>(packed.height);
    packed.pixels.resize(plane * 3);
    // Channels first [3, H, W] -> interleaved [H, W, 3].
    for (size_t i = 0; i < plane; ++i)
        for (size_t c = 0; c < 3; ++c) {
            const float v = rgb.data[c * plane + i];
            const float clamped = v > 0.0f ? std::min(v, 1.0f) : 0.0f;  // NaN -> 0
            packed.pixels[i * 3 + c] = static_cast<uint8_t>(std::lround(clamped * 255.0f));
        }
    return upload_rgb_texture(packed);
}

Texture allocate_render_texture(int width, int height) {
    return Texture::allocate(GL_RGBA8, width, height, GL_LINEAR);
}

void bind_target_for_overwrite(GLuint framebuffer, int width, int height) {
    glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
    glViewport(0, 0, width, height);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_CULL_FACE);
    glDisable(GL_FRAMEBUFFER_SRGB);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glPolygonMode(GL_FRONT_AND_BACK, GL_FILL);
}

RgbImage read_framebuffer_rgb(GLuint framebuffer, int width, int height) {
    RgbImage image;
    image.width = width;
    image.height = height;
    const size_t row = static_cast<size_t>(width) * 3;
    std::vector<uint8_t> bottom_up(row * static_cast<size_t>(height));
    {
        const PixelTransferGuard transfer;  // PACK_ALIGNMENT 1: RGB8 rows are not padded
        GLint read_framebuffer = 0;
        glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &read_framebuffer);
        glBindFramebuffer(GL_READ_FRAMEBUFFER, framebuffer);
        glReadBuffer(GL_COLOR_ATTACHMENT0);
        glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, bottom_up.data());
        glBindFramebuffer(GL_READ_FRAMEBUFFER, static_cast<GLuint>(read_framebuffer));
    }
    image.pixels.resize(bottom_up.size());
    for (int y = 0; y < height; ++y)
        std::memcpy(image.pixels.data() + static_cast<size_t>(y) * row,
                    bottom_up.data() + static_cast<size_t>(height - 1 - y) * row, row);
    return image;
}

}  // namespace attn::gl
