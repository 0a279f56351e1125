#include "compare_pass.h"

#include <cmath>

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
