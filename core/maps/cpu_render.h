// Two maps drawn straight from raw weights on the CPU, through CpuPainter and the matrix framing
// of map_picture.h: the reference the GL tests compare the GPU with, and a way to draw weights
// that are not a pass.
#pragma once

#include "maps/map_picture.h"
#include "render/colormap.h"
#include "tensor/tensor.h"

#include <cstdint>
#include <vector>

namespace attn {

// A cross-attention map: weights [grid_h, grid_w] (row-major), normalised to its own min..max
// (a constant map is all 0.5), upsampled bilinearly to the background's size and blended:
// out = (1 - opacity) * background + opacity * colour. background: F32 [3, H, W] in [0, 1], or
// null: then nearest cells, each an integer number of pixels square, at least 256 px on the long
// side, and opacity does not apply. NaN weights get kNanColour. ShapeError for a bad grid or
// background, ConfigError for opacity outside [0, 1].
RgbImage render_cross_map(const float* weights, int64_t grid_h, int64_t grid_w, const Tensor* background, Colormap cmap,
                          float opacity);

// A matrix: weights [seq_q, seq_k] mapped absolutely (0 -> low end, 1 -> high end), one
// cell_px square per cell framed by 1 px grid lines (seq_k * (cell_px + 1) + 1 wide), key columns
// with key_is_pad[j] hatched (key_is_pad may be empty), NaN cells in kNanColour with a dark cross.
// ShapeError when key_is_pad has another length than seq_k, ConfigError for cell_px < 1 or a
// picture larger than 16384 px a side.
RgbImage render_matrix_map(const float* weights, int64_t seq_q, int64_t seq_k, const std::vector<bool>& key_is_pad,
                           Colormap cmap, int cell_px);

}  // namespace attn
