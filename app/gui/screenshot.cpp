#include "screenshot.h"

#include "export/png.h"
#include "state_guard.h"

#include <glad/gl.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace attn::gui {

void save_screenshot(const std::string& path, int fb_w, int fb_h) {
    RgbImage shot;
    shot.width = fb_w;
    shot.height = fb_h;
    shot.pixels.resize(static_cast<size_t>(fb_w) * fb_h * 3);
    std::vector<uint8_t> rows(shot.pixels.size());
    {
        gl::PixelTransferGuard pack;  // GL_PACK_ALIGNMENT 1: rows of 3 * width bytes
        glReadBuffer(GL_BACK);
        glReadPixels(0, 0, fb_w, fb_h, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
    }
    // GL's rows go bottom up; a PNG's top down.
    const size_t stride = static_cast<size_t>(fb_w) * 3;
    for (int y = 0; y < fb_h; ++y)
        std::copy_n(&rows[static_cast<size_t>(fb_h - 1 - y) * stride], stride,
                    &shot.pixels[static_cast<size_t>(y) * stride]);
    write_png(path, shot);
}

}  // namespace attn::gui
