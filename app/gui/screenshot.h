// --screenshot: the window's back buffer, read back once the first pass is drawn, as a PNG.
#pragma once

#include <string>

namespace attn::gui {

// Reads the fb_width x fb_height back buffer (GL_PACK_ALIGNMENT 1, rows turned top first) and
// writes it to `path`, whole or not at all. Throws FileError.
void save_screenshot(const std::string& path, int fb_width, int fb_height);

}  // namespace attn::gui
