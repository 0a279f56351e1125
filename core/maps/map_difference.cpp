#include "maps/map_difference.h"

#include "errors.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace attn {

MapDifference map_difference(const MapModel& a, const MapKey& raw_a, const MapModel& b, const MapKey& raw_b,
                             const std::string& label_a, const std::string& label_b) {
    const MapKey ka = a.canonical(raw_a), kb = b.canonical(raw_b);
    const auto [rows, cols] = a.size(ka);
    const auto [rows_b, cols_b] = b.size(kb);
    const bool spatial = a.spatial(ka);
    if (rows != rows_b || cols != cols_b || spatial != b.spatial(kb))
        throw ShapeError(label_a + " " + shape_string({rows, cols}) + (spatial ? " (over the picture)" : "") + " and " +
                         label_b + " " + shape_string({rows_b, cols_b}) + (b.spatial(kb) ? " (over the picture)" : "") +
                         " cannot be subtracted: the two maps must have the same size");
    const MapValues va = a.values(ka), vb = b.values(kb);

    MapDifference d;
    AttentionSet& s = d.set;
    s.model = label_a + " - " + label_b;
    s.signed_values = true;
    s.has_head_axis = false;
    s.batches = 1;
    s.heads = 1;
    auto diff =
        std::make_shared<Tensor>(Tensor::uninitialized(spatial ? Shape{1, rows * cols, 1} : Shape{1, rows, cols}));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const float x = va.at(r, c) - vb.at(r, c);  // NaN on either side stays NaN
            diff->data[static_cast<size_t>(r * cols + c)] = x;
            if (std::isnan(x))
                ++d.nan_cells;
            else if (std::isfinite(x))
                d.max_abs = std::max(d.max_abs, std::abs(x));
        }
    s.layers.push_back(diff);
    if (spatial) {
        // The grid's cells are the queries of a pixel grid, the difference its one key column.
        s.query_kind = QueryKind::PixelGrid;
        s.grid_rows = rows;
        s.grid_cols = cols;
        s.queries = rows * cols;
        s.keys = 1;
        s.key_labels = {{label_a + " - " + label_b}};
        s.key_is_pad = {{false}};
        d.key = {0, 0, 0, 0, MapQuantity::Weights};
    } else {
        s.queries = rows;
        s.keys = cols;
        const AttentionSet& sa = a.set();
        const auto ba = static_cast<size_t>(ka.batch);
        s.query_labels = {sa.query_labels.size() > ba ? sa.query_labels[ba] : std::vector<std::string>{}};
        s.key_labels = {sa.key_labels.size() > ba ? sa.key_labels[ba] : std::vector<std::string>{}};
        s.query_labels[0].resize(static_cast<size_t>(rows));
        s.key_labels[0].resize(static_cast<size_t>(cols));
        std::vector<bool> pad(static_cast<size_t>(cols));
        for (int64_t k = 0; k < cols; ++k)
            pad[static_cast<size_t>(k)] =
                (k < a.keys() && a.is_pad(ka.batch, k)) || (k < b.keys() && b.is_pad(kb.batch, k));
        s.key_is_pad = {pad};
        d.key = {0, 0, -1, 0, MapQuantity::Weights};
    }
    s.images.resize(1);
    return d;
}

}  // namespace attn
