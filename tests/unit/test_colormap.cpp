// The colormap tables (the single source of truth the GPU shaders mirror) and the lookup.
#include "errors.h"
#include "render/colormap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace attn {
namespace {

using Rgb = std::array<uint8_t, 3>;

const auto& kAll = kAllColormaps;

TEST(Colormap, TablesMatchMatplotlib) {
    // Independent values: matplotlib 3.6.3,
    //   /usr/bin/python3 -c "import matplotlib as m, numpy as np;
    //       print((m.colormaps[name]([0.0, 0.5, 1.0])[:, :3] * 255).round())"
    // cmap(0.5) is entry 128 of 256.
    struct Case {
        Colormap cmap;
        Rgb first, mid, last;
    };
    for (const Case& c : {Case{Colormap::Viridis, {68, 1, 84}, {33, 145, 140}, {253, 231, 37}},
                          Case{Colormap::Magma, {0, 0, 4}, {183, 55, 121}, {252, 253, 191}},
                          Case{Colormap::Inferno, {0, 0, 4}, {188, 55, 84}, {252, 255, 164}},
                          Case{Colormap::Turbo, {48, 18, 59}, {164, 252, 60}, {122, 4, 3}},
                          Case{Colormap::Grey, {0, 0, 0}, {128, 128, 128}, {255, 255, 255}}}) {
        const ColormapTable& t = colormap_table(c.cmap);
        EXPECT_EQ(t[0], c.first) << colormap_name(c.cmap);
        EXPECT_EQ(t[128], c.mid) << colormap_name(c.cmap);
        EXPECT_EQ(t[255], c.last) << colormap_name(c.cmap);
    }
}

TEST(Colormap, CoolwarmIsMorelandsDivergingMap) {
    // Independent values: the table of Moreland, "Diverging Color Maps for Scientific
    // Visualization" (2009), at 0, 0.03125, 0.5, 0.96875 and 1 (entries 0, ~8, 127.5, ~247, 255).
    const ColormapTable& t = colormap_table(Colormap::Coolwarm);
    EXPECT_EQ(t[0], (Rgb{59, 76, 192}));
    EXPECT_EQ(t[255], (Rgb{180, 4, 38}));
    auto near = [](Rgb a, Rgb b) {
        for (size_t c = 0; c < 3; ++c)
            if (std::abs(int(a[c]) - int(b[c])) > 1) return false;
        return true;
    };
    EXPECT_TRUE(near(t[8], {68, 90, 204}));
    EXPECT_TRUE(near(t[247], {192, 40, 47}));
    EXPECT_TRUE(near(colormap_rgb(Colormap::Coolwarm, 0.5f), {221, 221, 221}));
    // Diverging: blue dominates below the middle, red above; the middle is the lightest.
    for (int i = 0; i < 127; ++i)
        EXPECT_GT(t[static_cast<size_t>(i)][2], t[static_cast<size_t>(i)][0]) << "entry " << i;
    for (int i = 129; i < 256; ++i)
        EXPECT_GT(t[static_cast<size_t>(i)][0], t[static_cast<size_t>(i)][2]) << "entry " << i;
    auto sum = [&](int i) { return int(t[size_t(i)][0]) + int(t[size_t(i)][1]) + int(t[size_t(i)][2]); };
    for (int i = 0; i < 256; ++i)
        EXPECT_LE(sum(i), sum(127) + 3) << "entry " << i;
}

TEST(Colormap, EndpointsAndEntriesAreTableEntries) {
    for (Colormap c : kAll) {
        const ColormapTable& t = colormap_table(c);
        EXPECT_EQ(colormap_rgb(c, 0.0f), t[0]) << colormap_name(c);
        EXPECT_EQ(colormap_rgb(c, 1.0f), t[255]) << colormap_name(c);
        for (int i = 0; i < 256; ++i)
            ASSERT_EQ(colormap_rgb(c, static_cast<float>(i) / 255.0f), t[static_cast<size_t>(i)])
                << colormap_name(c) << " entry " << i;
    }
}

TEST(Colormap, ClampsOutOfRange) {
    for (Colormap c : kAll) {
        const ColormapTable& t = colormap_table(c);
        EXPECT_EQ(colormap_rgb(c, -3.0f), t[0]);
        EXPECT_EQ(colormap_rgb(c, 7.0f), t[255]);
        EXPECT_EQ(colormap_rgb(c, -std::numeric_limits<float>::infinity()), t[0]);
        EXPECT_EQ(colormap_rgb(c, std::numeric_limits<float>::infinity()), t[255]);
    }
}

TEST(Colormap, InterpolatesBetweenEntries) {
    // Halfway between entries 10 and 11 of grey (10, 11): 10.5 rounds away from zero to 11.
    EXPECT_EQ(colormap_rgb(Colormap::Grey, 10.5f / 255.0f), (Rgb{11, 11, 11}));
    EXPECT_EQ(colormap_rgb(Colormap::Grey, 10.25f / 255.0f), (Rgb{10, 10, 10}));
    const ColormapTable& v = colormap_table(Colormap::Viridis);
    const Rgb mid = colormap_rgb(Colormap::Viridis, 100.5f / 255.0f);
    for (size_t c = 0; c < 3; ++c) {
        EXPECT_GE(mid[c], std::min(v[100][c], v[101][c]));
        EXPECT_LE(mid[c], std::max(v[100][c], v[101][c]));
    }
}

TEST(Colormap, ViridisMagmaInfernoGreyHaveMonotoneLuminance) {
    // Perceptually uniform maps get lighter all the way (Rec. 709 luma of the 8-bit entries;
    // rounding to 8 bits may leave two neighbours equal, so non-decreasing with a small slack).
    for (Colormap c : {Colormap::Viridis, Colormap::Magma, Colormap::Inferno, Colormap::Grey}) {
        const ColormapTable& t = colormap_table(c);
        auto luma = [&](int i) {
            const auto& e = t[static_cast<size_t>(i)];
            return 0.2126 * e[0] + 0.7152 * e[1] + 0.0722 * e[2];
        };
        for (int i = 1; i < 256; ++i)
            EXPECT_GE(luma(i), luma(i - 1) - 0.5) << colormap_name(c) << i;
        EXPECT_GT(luma(255) - luma(0), 150.0) << colormap_name(c);
    }
}

TEST(Colormap, NanHasItsOwnColour) {
    for (Colormap c : kAll) {
        EXPECT_EQ(colormap_rgb(c, std::numeric_limits<float>::quiet_NaN()), kNanColour);
        // No table entry is close to it, so NaN is never read as a weight.
        for (const auto& e : colormap_table(c)) {
            const int d =
                std::abs(e[0] - kNanColour[0]) + std::abs(e[1] - kNanColour[1]) + std::abs(e[2] - kNanColour[2]);
            EXPECT_GT(d, 120) << colormap_name(c);
        }
    }
}

TEST(Colormap, NamesRoundTripAndUnknownNamesAreListed) {
    for (Colormap c : kAll)
        EXPECT_EQ(parse_colormap(colormap_name(c)), c);
    EXPECT_EQ(parse_colormap("Viridis"), Colormap::Viridis);
    EXPECT_EQ(parse_colormap("gray"), Colormap::Grey);
    try {
        parse_colormap("jet");
        ADD_FAILURE() << "expected ConfigError";
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("'jet'"), std::string::npos) << msg;
        for (Colormap c : kAll)
            EXPECT_NE(msg.find(colormap_name(c)), std::string::npos) << msg;
    }
}

}  // namespace
}  // namespace attn
