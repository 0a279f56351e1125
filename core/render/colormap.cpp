#include "render/colormap.h"

#include "errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace attn {

std::string colormap_name(Colormap cmap) {
    switch (cmap) {
        case Colormap::Viridis:
            return "viridis";
        case Colormap::Magma:
            return "magma";
        case Colormap::Inferno:
            return "inferno";
        case Colormap::Turbo:
            return "turbo";
        case Colormap::Grey:
            return "grey";
        case Colormap::Coolwarm:
            return "coolwarm";
    }
    throw InternalError("colormap_name: unknown Colormap value " + std::to_string(static_cast<int>(cmap)));
}

Colormap parse_colormap(const std::string& name) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (Colormap c : kAllColormaps)
        if (lower == colormap_name(c)) return c;
    if (lower == "gray") return Colormap::Grey;
    throw ConfigError("unknown colormap '" + name +
                      "'; known colormaps: viridis, magma, inferno, turbo, grey, coolwarm");
}

const ColormapTable& colormap_table(Colormap cmap) {
    switch (cmap) {
        case Colormap::Viridis:
            return colormap_data::k_viridis;
        case Colormap::Magma:
            return colormap_data::k_magma;
        case Colormap::Inferno:
            return colormap_data::k_inferno;
        case Colormap::Turbo:
            return colormap_data::k_turbo;
        case Colormap::Grey:
            return colormap_data::k_grey;
        case Colormap::Coolwarm:
            return colormap_data::k_coolwarm;
    }
    throw InternalError("colormap_table: unknown Colormap value " + std::to_string(static_cast<int>(cmap)));
}

std::array<uint8_t, 3> colormap_rgb(Colormap cmap, float t) {
    if (std::isnan(t)) return kNanColour;
    const ColormapTable& table = colormap_table(cmap);
    const float pos = std::clamp(t, 0.0f, 1.0f) * 255.0f;
    const int i = std::min(static_cast<int>(pos), 254);  // left entry; t = 1 interpolates to 255
    const float f = pos - static_cast<float>(i);
    std::array<uint8_t, 3> rgb{};
    for (int c = 0; c < 3; ++c) {
        const float a = table[static_cast<size_t>(i)][static_cast<size_t>(c)];
        const float b = table[static_cast<size_t>(i) + 1][static_cast<size_t>(c)];
        rgb[static_cast<size_t>(c)] = static_cast<uint8_t>(std::lround(a + (b - a) * f));
    }
    return rgb;
}

}  // namespace attn
