// Attention weights -> pictures, for the CLI's --export-maps (and anything else that wants a
// PNG of a map). The colours come from render/colormap, the same tables the GPU shaders use.
#pragma once

#include "export/png.h"
#include "render/colormap.h"
#include "tensor/tensor.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attn {

// Cross-attention map of one (batch, head, token): the column of att_weights [b, heads, h*w,
// seq_len] for that token, seen as weights [grid_h, grid_w] (row-major, one row per grid row).
//  1. Normalised per map: min..max -> 0..1 over the finite weights; a constant map is all 0.5.
//  2. Upsampled bilinearly to the background's size, sampling at pixel centres (like
//     F.interpolate(..., mode="bilinear", align_corners=False)). The normalised weight is
//     interpolated and then colour-mapped, as a GPU shader sampling a linear R32F texture would,
//     so every pixel has a colour of the colormap.
//  3. Blended: out = (1 - opacity) * background + opacity * colour.
// background: F32 [3, H, W] in [0, 1] (Image::rgb), or null: then the map alone is drawn with
// nearest-neighbour cells, each cell an integer number of pixels square, at least 256 px on the
// long side, and opacity does not apply. NaN weights (rows that were padding throughout) get
// kNanColour. Throws ShapeError for a bad grid or background, ConfigError for opacity outside
// [0, 1].
RgbImage render_cross_map(const float* weights, int64_t grid_h, int64_t grid_w, const Tensor* background, Colormap cmap,
                          float opacity);

// Self / multi-head matrix of one (batch, head): weights [seq_q, seq_k] (row = query, column =
// key), mapped absolutely: 0 -> low end of the map, 1 -> high end, not normalised.
// Each cell is cell_px x cell_px, framed by 1 px dark grid lines (around the matrix too), so the
// picture is seq_k * (cell_px + 1) + 1 wide and seq_q * (cell_px + 1) + 1 high. Key columns with
// key_is_pad[j] true are hatched with mid-grey diagonal lines drawn over the cells, so padding
// is visible at a glance; key_is_pad may be empty (no padding). NaN cells get kNanColour with a
// dark cross. Throws ShapeError when key_is_pad has another length than seq_k, ConfigError for
// cell_px < 1 or a picture larger than 16384 px a side.
RgbImage render_matrix_map(const float* weights, int64_t seq_q, int64_t seq_k, const std::vector<bool>& key_is_pad,
                           Colormap cmap, int cell_px);

// The longest side of a matrix map export_attention_maps writes: a long sentence gets smaller
// cells, down to 1 px; past (kMatrixMapSide - 1) / 2 tokens a cell stands for the mean of several.
constexpr int64_t kMatrixMapSide = 4096;

// Colours used by render_matrix_map, for tests and legends.
constexpr std::array<uint8_t, 3> kGridLineColour = {24, 24, 24};
constexpr std::array<uint8_t, 3> kPadHatchColour = {128, 128, 128};
constexpr std::array<uint8_t, 3> kNanCrossColour = {24, 24, 24};

// A token made safe for a file name: ASCII letters and digits (lower-cased), '-' and '_' are
// kept, every other code point becomes u{hex} (lower-case hex, no padding), and the result is cut
// to at most 24 characters at a piece boundary. "jerry" -> "jerry", "!" -> "u21",
// "杰" -> "u6770". Bytes that are not valid UTF-8 become x{hex} each. Different tokens can give
// the same name ("u21" and "!"), so callers put the token's index in the file name too.
std::string file_safe_token(const std::string& token);

}  // namespace attn
