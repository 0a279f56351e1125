#include "model/step_slice.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attn {

namespace {

int64_t flat_index(const Tensor& t, const std::vector<int64_t>& idx) {
    int64_t flat = 0;
    for (size_t d = 0; d < idx.size(); ++d)
        flat = flat * t.shape[d] + idx[d];
    return flat;
}

// Value at `idx`; -1 in a dimension averages over it, summed in double in index order.
float value_at(const Tensor& t, std::vector<int64_t> idx) {
    for (size_t d = 0; d < idx.size(); ++d)
        if (idx[d] < 0) {
            double sum = 0.0;
            for (int64_t k = 0; k < t.shape[d]; ++k) {
                idx[d] = k;
                sum += value_at(t, idx);
            }
            return static_cast<float>(sum / static_cast<double>(t.shape[d]));
        }
    return t.data[static_cast<size_t>(flat_index(t, idx))];
}

const std::string& dim_name(const TraceStep& step, int d) {
    static const std::string none;
    return d >= 0 && d < static_cast<int>(step.shape.names.size()) ? step.shape.names[static_cast<size_t>(d)] : none;
}

// Every cell's value (up to max_side^2 of them), read through the tensor's strides; only a second
// averaged dimension (which no choice makes) goes the slow way of value_at.
void fill_values(StepSlice& s, const Tensor& t) {
    s.values.resize(static_cast<size_t>(s.rows) * static_cast<size_t>(s.cols));
    const int rank = t.rank();
    std::vector<int64_t> stride(static_cast<size_t>(rank), 1);
    for (int d = rank - 2; d >= 0; --d)
        stride[static_cast<size_t>(d)] = stride[static_cast<size_t>(d + 1)] * t.shape[static_cast<size_t>(d + 1)];
    const std::vector<int64_t> first = s.index_of(0, 0);
    int64_t base = 0;
    int mean_dim = -1, means = 0;
    for (int d = 0; d < rank; ++d) {
        if (first[static_cast<size_t>(d)] < 0) {
            mean_dim = d;
            ++means;
        } else {
            base += first[static_cast<size_t>(d)] * stride[static_cast<size_t>(d)];
        }
    }
    for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
            float& out = s.values[static_cast<size_t>(r) * static_cast<size_t>(s.cols) + static_cast<size_t>(c)];
            if (means > 1) {
                out = value_at(t, s.index_of(r, c));
                continue;
            }
            int64_t at = base;
            if (s.folded) {
                const int64_t pixel = static_cast<int64_t>(r) * s.row_stride * s.grid_w + int64_t{c} * s.col_stride;
                at += pixel * stride[static_cast<size_t>(s.fold_dim)];
            } else {
                if (s.row_dim >= 0)
                    at += static_cast<int64_t>(r) * s.row_stride * stride[static_cast<size_t>(s.row_dim)];
                if (s.col_dim >= 0)
                    at += static_cast<int64_t>(c) * s.col_stride * stride[static_cast<size_t>(s.col_dim)];
            }
            if (mean_dim < 0) {
                out = t.data[static_cast<size_t>(at)];
                continue;
            }
            const int64_t n = t.shape[static_cast<size_t>(mean_dim)];
            double sum = 0.0;
            for (int64_t k = 0; k < n; ++k)
                sum += t.data[static_cast<size_t>(at + k * stride[static_cast<size_t>(mean_dim)])];
            out = static_cast<float>(sum / static_cast<double>(n));
        }
}

void find_range(StepSlice& s, const TraceStep& step, float fill) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo, mn = lo, mx = -lo;
    const bool masked_step = step.name == "masked";
    for (float v : s.values) {
        if (std::isnan(v)) ++s.nan_count;
        if (!std::isfinite(v)) continue;
        mn = std::min(mn, v);
        mx = std::max(mx, v);
        if (masked_step && v == fill) {
            s.fill_left_out = true;
            continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    s.has_finite = mn <= mx;
    s.min = s.has_finite ? mn : 0.0f;
    s.max = s.has_finite ? mx : 0.0f;
    s.lo = lo <= hi ? lo : s.min;
    s.hi = lo <= hi ? hi : s.max;
    s.range_lo = step.dtype == DType::Bool ? 0.0f : s.lo;
    s.range_hi = step.dtype == DType::Bool ? 1.0f : s.hi;
}

}  // namespace

bool operator==(const SliceChoice& a, const SliceChoice& b) {
    return a.batch == b.batch && a.head == b.head && a.other == b.other && a.fold == b.fold &&
           a.fold_index == b.fold_index && a.grid_h == b.grid_h && a.grid_w == b.grid_w;
}

std::vector<int64_t> StepSlice::index_of(int r, int c) const {
    std::vector<int64_t> idx = base;
    const int rank = std::max({static_cast<int>(base.size()), row_dim + 1, col_dim + 1, fold_dim + 1, fold_other + 1});
    idx.resize(static_cast<size_t>(rank), 0);
    if (folded) {
        idx[static_cast<size_t>(fold_dim)] = static_cast<int64_t>(r) * row_stride * grid_w + int64_t{c} * col_stride;
        idx[static_cast<size_t>(fold_other)] = fold_index;
    } else {
        if (row_dim >= 0) idx[static_cast<size_t>(row_dim)] = static_cast<int64_t>(r) * row_stride;
        if (col_dim >= 0) idx[static_cast<size_t>(col_dim)] = static_cast<int64_t>(c) * col_stride;
    }
    return idx;
}

int foldable_dimension(const TraceStep& step, const Tensor& t, int64_t grid_h, int64_t grid_w) {
    const int rank = t.rank();
    if (rank < 2 || grid_h <= 0 || grid_w <= 0) return -1;
    int found = -1;
    for (int d = rank - 2; d < rank; ++d)
        if (dim_name(step, d) == "h*w" && grid_h * grid_w == t.shape[static_cast<size_t>(d)]) found = d;
    return found;
}

StepSlice make_step_slice(const TraceStep& step, const Tensor& t, float fill, const SliceChoice& choice, int max_side) {
    StepSlice sl;
    const int rank = t.rank();
    if (rank == 0 || t.numel() == 0) return sl;
    max_side = std::max(1, max_side);
    // Leading dimensions: all but the last two.
    for (int d = 0; d < std::max(0, rank - 2); ++d) {
        const std::string& name = dim_name(step, d);
        const int64_t size = t.shape[static_cast<size_t>(d)];
        int64_t index = 0;
        if (name == "b") {
            index = std::clamp<int64_t>(choice.batch, 0, size - 1);
        } else if (name == "heads") {
            index = choice.head < 0 ? -1 : std::clamp<int64_t>(choice.head, 0, size - 1);
        } else {
            const auto it = choice.other.find(name);
            index = std::clamp<int64_t>(it == choice.other.end() ? 0 : it->second, 0, size - 1);
        }
        sl.base.push_back(index);
    }
    if (rank >= 2) {
        sl.row_dim = rank - 2;
        sl.col_dim = rank - 1;
    } else {
        sl.col_dim = 0;
    }
    const int hw = foldable_dimension(step, t, choice.grid_h, choice.grid_w);
    if (choice.fold && hw >= 0) {
        sl.folded = true;
        sl.fold_dim = hw;
        sl.fold_other = hw == rank - 1 ? rank - 2 : rank - 1;
        sl.fold_index = std::clamp<int64_t>(choice.fold_index, 0, t.shape[static_cast<size_t>(sl.fold_other)] - 1);
        sl.grid_w = choice.grid_w;
    }
    const int64_t full_rows =
        sl.folded ? choice.grid_h : (sl.row_dim >= 0 ? t.shape[static_cast<size_t>(sl.row_dim)] : 1);
    const int64_t full_cols = sl.folded ? choice.grid_w : t.shape[static_cast<size_t>(sl.col_dim)];
    sl.row_stride = static_cast<int>((full_rows + max_side - 1) / max_side);
    sl.col_stride = static_cast<int>((full_cols + max_side - 1) / max_side);
    sl.rows = static_cast<int>((full_rows + sl.row_stride - 1) / sl.row_stride);
    sl.cols = static_cast<int>((full_cols + sl.col_stride - 1) / sl.col_stride);
    fill_values(sl, t);
    find_range(sl, step, fill);
    return sl;
}

}  // namespace attn
