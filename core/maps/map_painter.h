// The one painter interface. A painter colours a field of values: each value v becomes
// t = (v - lo) / (hi - lo) clamped to [0, 1] (hi <= lo: 0.5, the middle colour), then the colour
// of t in the colormap (NaN: kNanColour), optionally blended over a picture:
//   out = (1 - opacity) * picture + opacity * colour.
// The field is stretched over width x height pixels, sampled at pixel centres, with nearest cells
// or bilinearly (like F.interpolate(..., mode="bilinear", align_corners=False); a NaN neighbour
// makes the pixel NaN, so a NaN cell is never hidden). The picture is sampled bilinearly too.
//
// CpuPainter is here; the GL painter (app/gl/gl_painter.h) draws the same through
// shaders/colormap.frag, so an exported file is the same from the CLI and the app within the
// GPU's rounding (2/255).
#pragma once

#include "export/png.h"
#include "tensor/tensor.h"
#include "render/colormap.h"

#include <cstdint>

namespace attn {

struct FieldPaint {
    const float* values = nullptr;  // [rows, cols], row-major
    int64_t rows = 0, cols = 0;
    float lo = 0.0f, hi = 1.0f;
    Colormap colormap = Colormap::Viridis;
    bool bilinear = false;               // else nearest cells
    const Tensor* background = nullptr;  // the picture under the field, F32 [3, H, W] in [0, 1], or null
    float opacity = 1.0f;                // of the colour over the picture, in [0, 1]
    int width = 0, height = 0;           // pixels of the result
};

class MapPainter {
public:
    virtual ~MapPainter() = default;
    // RGB8 [height, width], top row first. ConfigError / ShapeError for a field that cannot be
    // drawn (no values, a size of 0 or over 16384 px a side, an opacity outside [0, 1]).
    virtual RgbImage paint(const FieldPaint& field) = 0;
};

class CpuPainter final : public MapPainter {
public:
    RgbImage paint(const FieldPaint& field) override;
};

// The checks every painter makes first.
void check_field(const FieldPaint& field);

// Where v sits on the colormap for the range [lo, hi], as every painter computes it: t in [0, 1]
// (hi <= lo: 0.5; ±inf to the ends; NaN stays NaN). The GL painter does the same in
// shaders/colormap.frag; the SVG export colours its cells with value_colour.
float colour_position(float v, float lo, float hi);
// colormap_rgb(colormap, colour_position(v, lo, hi)): a cell's colour, NaN kNanColour.
std::array<uint8_t, 3> value_colour(float v, float lo, float hi, Colormap colormap);

}  // namespace attn
