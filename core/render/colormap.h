// Colormaps: attention weight -> colour. These 256-entry tables are the single source of truth:
// the CPU renderer (export/attention_maps) reads them here and the GPU shaders upload the same
// arrays as 256 x 1 textures, so a map looks the same in the window and in an exported PNG.
// The tables are matplotlib's, sampled by make_colormap_tables.py into colormap_tables.cpp, and
// coolwarm, computed there from Moreland's published definition: the diverging map of differences
// (blue below the middle, light grey at it, red above), drawn over a range symmetric about 0 so
// that 0 is the middle.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace attn {

enum class Colormap { Viridis, Magma, Inferno, Turbo, Grey, Coolwarm };
constexpr Colormap kAllColormaps[] = {Colormap::Viridis, Colormap::Magma, Colormap::Inferno,
                                      Colormap::Turbo,   Colormap::Grey,  Colormap::Coolwarm};

// "viridis", "magma", "inferno", "turbo", "grey", "coolwarm".
std::string colormap_name(Colormap cmap);
// Accepts the names above in any case, and "gray" for grey. ConfigError on anything else,
// listing the known names.
Colormap parse_colormap(const std::string& name);

using ColormapTable = std::array<std::array<uint8_t, 3>, 256>;
const ColormapTable& colormap_table(Colormap cmap);

// The colour of a NaN weight (a row that was padding throughout, masked with -inf): magenta,
// RGB (255, 0, 255). No entry of the five maps is near it, so it is never mistaken for a weight.
constexpr std::array<uint8_t, 3> kNanColour = {255, 0, 255};

// t in [0, 1] -> RGB by linear interpolation between the 256 entries (entry i sits at t = i/255,
// so t = 0 and t = 1 give the first and last entries exactly). t is clamped to [0, 1]
// (-inf -> first entry, +inf -> last); NaN -> kNanColour.
std::array<uint8_t, 3> colormap_rgb(Colormap cmap, float t);

// The tables themselves, defined in the generated colormap_tables.cpp.
namespace colormap_data {
extern const ColormapTable k_viridis;
extern const ColormapTable k_magma;
extern const ColormapTable k_inferno;
extern const ColormapTable k_turbo;
extern const ColormapTable k_grey;
extern const ColormapTable k_coolwarm;
}  // namespace colormap_data

}  // namespace attn
