#include "compare_pass.h"

#include <cmath>
#include <cstdio>

namespace attn::gui {

MaskFill effective_fill(ModuleKind module, MaskFill fill) {
    if (fill != MaskFill::Module) return fill;
    return module == ModuleKind::TorchMHA ? MaskFill::NegInf : MaskFill::NegBillion;
}

MaskFill other_fill(ModuleKind module, MaskFill fill) {
    return effective_fill(module, fill) == MaskFill::NegInf ? MaskFill::NegBillion : MaskFill::NegInf;
}

MaskFill pane_b_fill(const ComputeSettings& a, const ViewSettings& v) {
    if (v.compare_b_mask_fill.empty()) return other_fill(a.module, a.mask_fill);
    try {
        return parse_mask_fill(v.compare_b_mask_fill);
    } catch (const Error&) {  // the session reader refuses such a value; kept safe anyway
        return other_fill(a.module, a.mask_fill);
    }
}

ScaleChoice pane_b_scale(const ComputeSettings& a, const ViewSettings& v) {
    if (v.compare_b_scale.empty()) return a.scale;
    try {
        return parse_scale(v.compare_b_scale);
    } catch (const Error&) {
        return a.scale;
    }
}

ComputeSettings pane_b_settings(const ComputeSettings& a, const ViewSettings& v) {
    ComputeSettings b = a;
    b.mask_fill = pane_b_fill(a, v);
    b.scale = pane_b_scale(a, v);
    return b;
}

std::string pane_settings_label(const ComputeSettings& s) {
    return "mask fill " + mask_fill_name(s.mask_fill) + ", scale " + scale_name(s.scale);
}

PaneDifference pane_difference(const MapModel& a, const MapModel& b, const MapKey& key) {
    PaneDifference d;
    MapKey ka, kb;
    try {
        ka = a.canonical(key);
        kb = b.canonical(key);
    } catch (const Error&) {
        return d;  // B's pass has fewer heads or items than A's (an older scene): nothing to subtract
    }
    const auto [ar, ac] = a.size(ka);
    const auto [br, bc] = b.size(kb);
    if (ar != br || ac != bc) return d;
    d.rows = ar;
    d.cols = ac;
    d.same_size = true;
    d.values.resize(static_cast<size_t>(ar * ac));
    const MapValues va = a.values(ka), vb = b.values(kb);
    for (int64_t r = 0; r < ar; ++r)
        for (int64_t c = 0; c < ac; ++c) {
            const float x = va.at(r, c) - vb.at(r, c);  // NaN - y and x - NaN are NaN
            d.values[static_cast<size_t>(r * ac + c)] = x;
            if (std::isnan(x))
                ++d.nan_cells;
            else if (std::isfinite(x))
                d.max_abs = std::max(d.max_abs, std::fabs(x));
        }
    return d;
}

namespace {

std::string exact(float v) {  // as the other hovers (views::format_exact)
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

}  // namespace

std::vector<std::string> hover_lines(const MapModel& a, const MapModel* b, const PaneDifference& d, const MapKey& key,
                                     int row, int col, const std::string& label_a, const std::string& label_b) {
    std::vector<std::string> lines;
    if (a.spatial(key))
        lines.push_back("pixel (" + std::to_string(row) + ", " + std::to_string(col) + ") of the grid, key token " +
                        std::to_string(key.token));
    else
        lines.push_back("query " + std::to_string(row) + ", key " + std::to_string(col) +
                        (a.is_pad(key.batch, col) ? " (padding)" : ""));
    lines.push_back("A (" + label_a + "): " + exact(a.value(key, row, col)));
    if (b) lines.push_back("B (" + label_b + "): " + exact(b->value(key, row, col)));
    if (b && d.same_size && row < d.rows && col < d.cols)
        lines.push_back("A - B: " + exact(d.values[static_cast<size_t>(row * d.cols + col)]));
    if (a.all_keys_padding(key.batch))
        lines.push_back("Every key of this sentence is padding: -1e9 gives a uniform row, -inf NaN.");
    return lines;
}

void ComparePass::ask(const ComputeSettings& b, const SceneSpec& spec) {
    if (asked_ && *asked_ == b) return;
    if (!worker_) worker_ = std::make_unique<EngineWorker>(pass_);
    const uint64_t generation = worker_->submit(spec);
    sent_.emplace_back(generation, b);
    asked_ = b;
}

bool ComparePass::take_results() {
    if (!worker_) return false;
    std::optional<EngineResult> r = worker_->take_result();
    if (!r) return false;
    // Its settings: the entry of its generation (older ones were replaced and never finish).
    std::optional<ComputeSettings> settings;
    while (!sent_.empty() && sent_.front().first <= r->generation) {
        if (sent_.front().first == r->generation) settings = sent_.front().second;
        sent_.pop_front();
    }
    if (!settings) return false;
    if (!r->ok()) {
        error_ = r->error.empty() ? "pane B's pass failed" : r->error;
        // A failed pass of the newest settings is not asked again until they change.
        return false;
    }
    error_.clear();
    result_ = std::move(r);
    result_settings_ = std::move(settings);
    ++result_id_;
    return true;
}

const EngineResult* ComparePass::result_for(const ComputeSettings& b) const {
    if (!result_ || !result_settings_ || *result_settings_ != b) return nullptr;
    return &*result_;
}

bool ComparePass::busy() const {
    return worker_ && (worker_->busy() || worker_->has_result());
}

}  // namespace attn::gui
