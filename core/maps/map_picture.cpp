#include "maps/map_picture.h"

#include "errors.h"
#include "render/downsample.h"

#include <algorithm>
#include <cmath>

namespace attn {

namespace {

constexpr int64_t kMinAloneSide = 256;  // a spatial map without a picture: at least this long side
constexpr int64_t kMaxPictureSide = 16384;

// The cell size of a matrix picture: the requested one while the picture stays within its
// longest side (each cell with its grid line), smaller for long sentences, at least 1 px.
int matrix_cell_px(const MapModel& model, int64_t longest, int requested) {
    const int64_t side = model.set().layered ? kLayeredMatrixSide : kMatrixMapSide;
    return static_cast<int>(std::clamp<int64_t>((side - 1) / std::max<int64_t>(1, longest) - 1, 1, requested));
}

// One matrix as it is drawn (MatrixCells without its cell size).
MatrixCells fit_matrix(const MapModel& model, const MapKey& key) {
    const int64_t side = model.set().layered ? kLayeredMatrixSide : kMatrixMapSide;
    const int64_t most = (side - 1) / 2;  // cells a side at 1 px and a grid line each
    const MapValues v = model.values(key);
    const int64_t Lq = v.rows, Lk = v.cols, longest = std::max(Lq, Lk);
    std::vector<bool> pad(static_cast<size_t>(Lk));
    for (int64_t k = 0; k < Lk; ++k)
        pad[static_cast<size_t>(k)] = model.is_pad(key.batch, k);
    MatrixCells d;
    std::vector<float> scratch;
    const float* dense = v.dense(scratch);
    if (longest <= most) {
        d.values.assign(dense, dense + Lq * Lk);
        d.rows = Lq;
        d.cols = Lk;
        d.key_is_pad = std::move(pad);
        return d;
    }
    d.reduced = true;
    d.rows = std::max<int64_t>(1, Lq * most / longest);
    d.cols = std::max<int64_t>(1, Lk * most / longest);
    d.values = area_mean(dense, Lq, Lk, d.rows, d.cols).values;
    d.key_is_pad.resize(static_cast<size_t>(d.cols));
    for (int64_t c = 0; c < d.cols; ++c) {
        bool all = true;
        for (int64_t k = c * Lk / d.cols; k < (c + 1) * Lk / d.cols && all; ++k)
            all = pad[static_cast<size_t>(k)];
        d.key_is_pad[static_cast<size_t>(c)] = all;
    }
    return d;
}

void put(RgbImage& img, int64_t x, int64_t y, const std::array<uint8_t, 3>& rgb) {
    uint8_t* p = img.pixels.data() + (y * img.width + x) * 3;
    p[0] = rgb[0];
    p[1] = rgb[1];
    p[2] = rgb[2];
}

FieldPaint field_of(const MapModel& model, const MapKey& key, const MapStyle& style) {
    FieldPaint f;
    const MapRange r = model.range(key, style);
    f.lo = r.lo;
    f.hi = r.hi;
    f.colormap = style.colormap;
    return f;
}

}  // namespace

ExportTheme dark_theme() {
    return ExportTheme{};
}

ExportTheme light_theme() {
    ExportTheme t;
    t.background = {255, 255, 255};
    t.grid_line = {64, 64, 64};
    t.pad_hatch = {128, 128, 128};
    t.nan_cross = {24, 24, 24};
    t.text = {24, 24, 24};
    return t;
}

ExportTheme parse_theme(const std::string& name) {
    if (name == "dark") return dark_theme();
    if (name == "light") return light_theme();
    throw ConfigError("theme \"" + name + "\" is not dark or light");
}

std::pair<int, int> natural_size(const MapModel& model, const MapKey& raw, int cell_px) {
    const MapKey key = model.canonical(raw);
    const auto [rows, cols] = model.size(key);
    if (model.spatial(key)) {
        if (const Image* picture = model.picture(key.batch)) return {picture->width, picture->height};
        const int64_t longest = std::max(rows, cols);
        const int64_t cell = std::max<int64_t>(1, (kMinAloneSide + longest - 1) / longest);
        return {static_cast<int>(cols * cell), static_cast<int>(rows * cell)};
    }
    const int64_t side = model.set().layered ? kLayeredMatrixSide : kMatrixMapSide;
    const int64_t longest = std::max(rows, cols), most = (side - 1) / 2;
    if (longest > most) {
        const int64_t drawn_rows = std::max<int64_t>(1, rows * most / longest);
        const int64_t drawn_cols = std::max<int64_t>(1, cols * most / longest);
        return {static_cast<int>(drawn_cols * 2 + 1), static_cast<int>(drawn_rows * 2 + 1)};
    }
    const int64_t pitch = matrix_cell_px(model, longest, cell_px) + 1;
    return {static_cast<int>(cols * pitch + 1), static_cast<int>(rows * pitch + 1)};
}

MapField map_field(const MapModel& model, const MapKey& raw, const MapStyle& style, int width, int height) {
    const MapKey key = model.canonical(raw);
    if (width <= 0 || height <= 0) std::tie(width, height) = natural_size(model, key);
    MapField out;
    out.paint = field_of(model, key, style);
    out.paint.width = width;
    out.paint.height = height;
    if (model.spatial(key)) {
        out.values = model.values(key);
        out.paint.values = out.values.dense(out.storage);
        out.paint.rows = out.values.rows;
        out.paint.cols = out.values.cols;
        const Image* picture = model.picture(key.batch);
        out.paint.background = picture ? &picture->rgb : nullptr;
        out.paint.bilinear = picture != nullptr;
        if (out.paint.background)
            out.paint.opacity = std::clamp(std::isfinite(style.opacity) ? style.opacity : 1.0f, 0.0f, 1.0f);
        return out;
    }
    // A matrix: at most one cell per pixel, the preview of a large one standing in for its weights.
    const Downsampled* preview = model.preview(key);
    const auto [Lq, Lk] = model.size(key);
    const int64_t from_rows = preview ? preview->rows : Lq, from_cols = preview ? preview->cols : Lk;
    const int64_t rows = std::min<int64_t>(from_rows, height), cols = std::min<int64_t>(from_cols, width);
    std::vector<float> scratch;
    const float* from = nullptr;
    if (preview) {
        from = preview->values.data();
    } else {
        out.values = model.values(key);
        from = out.values.dense(scratch);
    }
    if (rows == from_rows && cols == from_cols) {
        if (from == scratch.data())
            out.storage = std::move(scratch);
        else if (preview)
            out.storage = preview->values;
        out.paint.values = out.storage.empty() ? from : out.storage.data();
    } else {
        static const std::vector<int64_t> kOneCellEach;
        out.storage = area_mean(from, from_rows, from_cols, rows, cols, preview ? preview->row_cells : kOneCellEach,
                                preview ? preview->col_cells : kOneCellEach)
                          .values;
        out.paint.values = out.storage.data();
    }
    out.paint.rows = rows;
    out.paint.cols = cols;
    return out;
}

MatrixCells matrix_cells(const MapModel& model, const MapKey& raw, int cell_px) {
    if (cell_px < 1) throw ConfigError("cell size must be at least 1 px, got " + std::to_string(cell_px));
    const MapKey key = model.canonical(raw);
    MatrixCells d = fit_matrix(model, key);
    d.cell_px = d.reduced ? 1 : matrix_cell_px(model, std::max(d.rows, d.cols), cell_px);
    return d;
}

MapPicture draw_map(const MapModel& model, const MapKey& raw, const MapStyle& style, MapPainter& painter, int cell_px,
                    const ExportTheme& theme) {
    const MapKey key = model.canonical(raw);
    MapPicture out;
    if (model.spatial(key)) {
        MapField field = map_field(model, key, style);
        out.image = painter.paint(field.paint);
        return out;
    }
    const MatrixCells d = matrix_cells(model, key, cell_px);
    FieldPaint f = field_of(model, key, style);
    f.values = d.values.data();
    f.rows = d.rows;
    f.cols = d.cols;
    f.width = static_cast<int>(d.cols);
    f.height = static_cast<int>(d.rows);
    std::vector<bool> nan(d.values.size());
    for (size_t i = 0; i < d.values.size(); ++i)
        nan[i] = std::isnan(d.values[i]);
    out.image = frame_matrix_cells(painter.paint(f), d.key_is_pad, nan, d.cell_px, theme);
    out.details["cell_px"] = d.cell_px;
    if (d.reduced) out.details["cells_drawn"] = {d.rows, d.cols};  // each the mean of the cells under it
    return out;
}

std::vector<std::vector<GridTile>> grid_tiles(const MapModel& model, int batch, int layer, int cell_px) {
    std::vector<std::vector<GridTile>> rows;
    for (const auto& keys : model.grid(batch, layer)) {
        rows.emplace_back();
        for (const MapKey& key : keys) {
            GridTile tile;
            tile.key = key;
            tile.spatial = model.spatial(key);
            if (tile.spatial) {
                // Half the picture's size: a grid of many maps stays a picture one can open.
                const auto [w, h] = natural_size(model, key);
                tile.width = std::max(1, w / 2);
                tile.height = std::max(1, h / 2);
            } else {
                // Thumbnails of about 256 px for a real model's many matrices.
                const auto [Lq, Lk] = model.size(key);
                tile.cell_px =
                    model.set().layered ? static_cast<int>(std::max<int64_t>(1, 255 / std::max(Lq, Lk) - 1)) : cell_px;
            }
            rows.back().push_back(tile);
        }
    }
    return rows;
}

RgbImage draw_tile(const MapModel& model, const GridTile& tile, const MapStyle& style, MapPainter& painter,
                   const ExportTheme& theme) {
    if (!tile.spatial) return draw_map(model, tile.key, style, painter, tile.cell_px, theme).image;
    MapField field = map_field(model, tile.key, style, tile.width, tile.height);
    return painter.paint(field.paint);
}

RgbImage frame_matrix_cells(const RgbImage& cells, const std::vector<bool>& key_is_pad, const std::vector<bool>& nan,
                            int cell_px, const ExportTheme& theme) {
    const int64_t rows = cells.height, cols = cells.width;
    if (rows < 1 || cols < 1 || cells.pixels.size() != static_cast<size_t>(rows * cols * 3))
        throw ShapeError("attention matrix: " + std::to_string(cols) + " x " + std::to_string(rows) +
                         " cells do not match their pixels");
    if (!key_is_pad.empty() && static_cast<int64_t>(key_is_pad.size()) != cols)
        throw ShapeError("attention matrix: key_is_pad has " + std::to_string(key_is_pad.size()) +
                         " entries, expected seq_k = " + std::to_string(cols));
    if (cell_px < 1) throw ConfigError("cell size must be at least 1 px, got " + std::to_string(cell_px));
    const int64_t pitch = int64_t{cell_px} + 1;  // a cell and the grid line after it
    if (rows > (kMaxPictureSide - 1) / pitch || cols > (kMaxPictureSide - 1) / pitch)
        throw ConfigError("attention matrix [" + std::to_string(rows) + ", " + std::to_string(cols) + "] with " +
                          std::to_string(cell_px) + " px cells would be larger than " +
                          std::to_string(kMaxPictureSide) + " px a side; choose smaller cells");
    RgbImage out;
    out.width = static_cast<int>(cols * pitch + 1);
    out.height = static_cast<int>(rows * pitch + 1);
    out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
    // Grid lines everywhere first; cells are painted inside them.
    for (int64_t y = 0; y < out.height; ++y)
        for (int64_t x = 0; x < out.width; ++x)
            put(out, x, y, theme.grid_line);
    // Hatch lines run diagonally through the whole column (in picture coordinates, so they go on
    // from one cell to the next), one every `spacing` px.
    const int64_t spacing = hatch_spacing(cell_px);
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
            const uint8_t* c = cells.pixels.data() + (i * cols + j) * 3;
            const std::array<uint8_t, 3> fill = {c[0], c[1], c[2]};
            const bool pad = !key_is_pad.empty() && key_is_pad[static_cast<size_t>(j)];
            const bool is_nan = !nan.empty() && nan[static_cast<size_t>(i * cols + j)];
            const int64_t x0 = j * pitch + 1, y0 = i * pitch + 1;
            for (int64_t dy = 0; dy < cell_px; ++dy)
                for (int64_t dx = 0; dx < cell_px; ++dx) {
                    const int64_t x = x0 + dx, y = y0 + dy;
                    if (pad && (x + y) % spacing == 0)
                        put(out, x, y, theme.pad_hatch);
                    else if (is_nan && cell_px >= 3 && (dx == dy || dx == cell_px - 1 - dy))
                        put(out, x, y, theme.nan_cross);
                    else
                        put(out, x, y, fill);
                }
        }
    return out;
}

int hatch_spacing(int cell_px) {
    return std::max(4, cell_px / 3);
}

RgbImage tile_pictures(const std::vector<std::vector<RgbImage>>& rows, const ExportTheme& theme) {
    constexpr int gap = 4;
    ATTN_CHECK(!rows.empty() && !rows[0].empty(), "nothing to tile");
    const int cw = rows[0][0].width, ch = rows[0][0].height;
    size_t most = 0;
    for (const auto& row : rows)
        most = std::max(most, row.size());
    const int cols = static_cast<int>(most), n_rows = static_cast<int>(rows.size());
    RgbImage out;
    out.width = cols * cw + (cols + 1) * gap;
    out.height = n_rows * ch + (n_rows + 1) * gap;
    out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
    for (size_t p = 0; p < out.pixels.size(); p += 3)
        std::copy(theme.background.begin(), theme.background.end(),
                  out.pixels.begin() + static_cast<std::ptrdiff_t>(p));
    for (int r = 0; r < n_rows; ++r)
        for (size_t n = 0; n < rows[static_cast<size_t>(r)].size(); ++n) {
            const RgbImage& c = rows[static_cast<size_t>(r)][n];
            ATTN_CHECK(c.width == cw && c.height == ch, "grid cells of different sizes");
            const int x0 = gap + static_cast<int>(n) * (cw + gap), y0 = gap + r * (ch + gap);
            for (int y = 0; y < ch; ++y)
                std::copy_n(&c.pixels[static_cast<size_t>(y) * cw * 3], static_cast<size_t>(cw) * 3,
                            &out.pixels[(static_cast<size_t>(y0 + y) * out.width + x0) * 3]);
        }
    return out;
}

}  // namespace attn
