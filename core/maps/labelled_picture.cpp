#include "maps/labelled_picture.h"

#include "render/colormap.h"
#include "render/text_raster.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attn {

namespace {

constexpr float kLabelPx = 12.0f;
constexpr int kGap = kModelViewGap;  // between tiles, as tile_pictures
constexpr int kMargin = 6;           // around the labels

RgbImage blank(int width, int height, const std::array<uint8_t, 3>& colour) {
    RgbImage img;
    img.width = width;
    img.height = height;
    img.pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
    for (size_t i = 0; i < img.pixels.size(); ++i)
        img.pixels[i] = colour[i % 3];
    return img;
}

void paste(RgbImage& into, const RgbImage& from, int x0, int y0) {
    for (int y = 0; y < from.height; ++y) {
        if (y0 + y < 0 || y0 + y >= into.height) continue;
        for (int x = 0; x < from.width; ++x) {
            if (x0 + x < 0 || x0 + x >= into.width) continue;
            const size_t src = (static_cast<size_t>(y) * static_cast<size_t>(from.width) + static_cast<size_t>(x)) * 3;
            const size_t dst =
                (static_cast<size_t>(y0 + y) * static_cast<size_t>(into.width) + static_cast<size_t>(x0 + x)) * 3;
            std::copy(from.pixels.begin() + static_cast<std::ptrdiff_t>(src),
                      from.pixels.begin() + static_cast<std::ptrdiff_t>(src + 3),
                      into.pixels.begin() + static_cast<std::ptrdiff_t>(dst));
        }
    }
}

std::string number(float v) {
    if (v == 0.0f) return "0";  // never "-0"
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", static_cast<double>(v));
    return buf;
}

}  // namespace

std::string tile_label(const MapKey& key) {
    std::string what;
    if (key.quantity == MapQuantity::Rollout)
        what = "rollout";
    else if (key.head == kMeanHead)
        what = "mean";
    else if (key.head == kMaxHead)
        what = "max";
    else if (key.head == kMinHead)
        what = "min";
    else
        what = "h" + std::to_string(key.head);
    if (key.quantity == MapQuantity::Norms) what += ", norms";
    return what;
}

RgbImage label_model_view(const std::vector<std::vector<GridTile>>& tiles,
                          const std::vector<std::vector<RgbImage>>& pictures, const ExportTheme& theme) {
    const TextRaster& text = TextRaster::shared();
    const auto measure = [&](const std::string& s) {
        return text.ok() ? text.width(s, kLabelPx) : 7.0f * static_cast<float>(s.size());
    };
    // The header comes from the row with the most tiles (every layer's row has the same heads;
    // the rollout column may be only the last layer's).
    size_t widest = 0;
    for (size_t r = 0; r < tiles.size(); ++r)
        if (tiles[r].size() > tiles[widest].size()) widest = r;
    float left_w = 0.0f;
    for (const auto& row : tiles)
        if (!row.empty()) left_w = std::max(left_w, measure("layer " + std::to_string(row[0].key.layer)));
    const int left = kMargin + static_cast<int>(std::ceil(left_w)) + kMargin;
    const int header = kModelViewHeader;
    static_assert(kModelViewHeader == kMargin + static_cast<int>(kLabelPx) + kMargin);
    // Each column as wide as its widest tile and its label (small maps over a small picture would
    // otherwise run their labels into each other); a tile sits in the middle of its column.
    std::vector<int> column_w(tiles[widest].size(), 0);
    for (size_t c = 0; c < column_w.size(); ++c)
        column_w[c] = static_cast<int>(std::ceil(measure(tile_label(tiles[widest][c].key)))) + 2 * kGap;
    for (const auto& row : pictures)
        for (size_t c = 0; c < row.size() && c < column_w.size(); ++c)
            column_w[c] = std::max(column_w[c], row[c].width);
    int width = left, height = header;
    for (int w : column_w)
        width += w + kGap;
    for (const auto& row : pictures) {
        int h = 0;
        for (const RgbImage& p : row)
            h = std::max(h, p.height);
        height += h + kGap;
    }
    RgbImage out = blank(std::max(width, left + 1), std::max(height, header + 1), theme.background);
    const float ascent = text.ascent(kLabelPx);
    int x = left;
    for (size_t c = 0; c < column_w.size(); ++c) {
        const std::string label = tile_label(tiles[widest][c].key);
        text.draw(out, static_cast<float>(x) + (static_cast<float>(column_w[c]) - measure(label)) * 0.5f,
                  static_cast<float>(kMargin) + ascent, label, kLabelPx, theme.text);
        x += column_w[c] + kGap;
    }
    int y = header;
    for (size_t r = 0; r < pictures.size(); ++r) {
        int h = 0;
        x = left;
        for (size_t c = 0; c < pictures[r].size() && c < column_w.size(); ++c) {
            const RgbImage& p = pictures[r][c];
            paste(out, p, x + (column_w[c] - p.width) / 2, y);
            x += column_w[c] + kGap;
            h = std::max(h, p.height);
        }
        if (!tiles[r].empty())
            text.draw(out, static_cast<float>(kMargin),
                      static_cast<float>(y) + static_cast<float>(h) * 0.5f + ascent * 0.5f,
                      "layer " + std::to_string(tiles[r][0].key.layer), kLabelPx, theme.text);
        y += h + kGap;
    }
    return out;
}

RgbImage with_colorbar(const RgbImage& map, Colormap cmap, const MapRange& range, const std::string& caption,
                       const ExportTheme& theme) {
    const TextRaster& text = TextRaster::shared();
    const auto measure = [&](const std::string& s) {
        return text.ok() ? text.width(s, kLabelPx) : 7.0f * static_cast<float>(s.size());
    };
    const std::string hi = number(range.hi), mid = number(0.5f * (range.lo + range.hi)), lo = number(range.lo);
    const float labels_w = std::max({measure(hi), measure(mid), measure(lo)});
    constexpr int kBarW = kColorbarWidth, kBarGap = kColorbarGap;
    const int top = kColorbarMapY;
    static_assert(kColorbarMapX == kMargin && kColorbarMapY == kMargin + static_cast<int>(kLabelPx) + kMargin);
    const int bar_h = std::max(map.height, 64);
    const int width =
        std::max(kMargin + map.width + kBarGap + kBarW + kMargin + static_cast<int>(std::ceil(labels_w)) + kMargin,
                 kMargin * 2 + static_cast<int>(std::ceil(measure(caption))));
    RgbImage out = blank(width, top + bar_h + kMargin, theme.background);
    const float ascent = text.ascent(kLabelPx);
    text.draw(out, static_cast<float>(kMargin), static_cast<float>(kMargin) + ascent, caption, kLabelPx, theme.text);
    paste(out, map, kMargin, top);
    // The bar: its top row is range.hi, its bottom row range.lo.
    const int bar_x = kMargin + map.width + kBarGap;
    RgbImage bar = blank(kBarW, bar_h, theme.background);
    for (int y = 0; y < bar_h; ++y) {
        const float t = bar_h > 1 ? 1.0f - static_cast<float>(y) / static_cast<float>(bar_h - 1) : 0.5f;
        const auto rgb = colormap_rgb(cmap, t);
        for (int x = 0; x < kBarW; ++x)
            std::copy(rgb.begin(), rgb.end(),
                      bar.pixels.begin() + static_cast<std::ptrdiff_t>((static_cast<size_t>(y) * kBarW + x) * 3));
    }
    paste(out, bar, bar_x, top);
    const float label_x = static_cast<float>(bar_x + kBarW + kMargin);
    text.draw(out, label_x, static_cast<float>(top) + ascent, hi, kLabelPx, theme.text);
    text.draw(out, label_x, static_cast<float>(top) + static_cast<float>(bar_h) * 0.5f + ascent * 0.5f, mid, kLabelPx,
              theme.text);
    text.draw(out, label_x, static_cast<float>(top + bar_h), lo, kLabelPx, theme.text);
    return out;
}

RgbImage with_caption(const RgbImage& picture, const std::string& caption, const ExportTheme& theme) {
    const TextRaster& text = TextRaster::shared();
    const float caption_w = text.ok() ? text.width(caption, kLabelPx) : 7.0f * static_cast<float>(caption.size());
    const int width =
        std::max(kColorbarMapX + picture.width + kMargin, kMargin * 2 + static_cast<int>(std::ceil(caption_w)));
    RgbImage out = blank(width, kColorbarMapY + picture.height + kMargin, theme.background);
    text.draw(out, static_cast<float>(kMargin), static_cast<float>(kMargin) + text.ascent(kLabelPx), caption, kLabelPx,
              theme.text);
    paste(out, picture, kColorbarMapX, kColorbarMapY);
    return out;
}

RgbImage side_by_side(const std::vector<RgbImage>& pictures, const ExportTheme& theme) {
    int width = 0, height = 1;
    for (const RgbImage& p : pictures) {
        width += (width > 0 ? kSideBySideGap : 0) + p.width;
        height = std::max(height, p.height);
    }
    RgbImage out = blank(std::max(width, 1), height, theme.background);
    int x = 0;
    for (const RgbImage& p : pictures) {
        paste(out, p, x, 0);
        x += p.width + kSideBySideGap;
    }
    return out;
}

}  // namespace attn
