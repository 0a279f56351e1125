#include "mask_lab.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "model/attn_mask.h"
#include "pipeline/weights_file.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>

namespace attn::gui {

namespace {

// Every batch item's padding positions first, its tokens after them in order: a batch padded on
// the left, as decoder models pad. Returns the old position of each new one, per item.
std::vector<std::vector<int64_t>> left_padding_order(const Tensor& pad) {
    const int64_t b = pad.shape[0], s = pad.shape[1];
    std::vector<std::vector<int64_t>> order(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
        for (int64_t j = 0; j < s; ++j)
            if (pad.data[static_cast<size_t>(i * s + j)] != 0.0f) order[static_cast<size_t>(i)].push_back(j);
        for (int64_t j = 0; j < s; ++j)
            if (pad.data[static_cast<size_t>(i * s + j)] == 0.0f) order[static_cast<size_t>(i)].push_back(j);
    }
    return order;
}

// The rows of [b, L, ...] reordered per item.
Tensor reorder(const Tensor& t, const std::vector<std::vector<int64_t>>& order) {
    Tensor out = t;
    const int64_t b = t.shape[0], l = t.shape[1];
    const int64_t row = t.numel() / (b * l);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t p = 0; p < l; ++p) {
            const int64_t from = order[static_cast<size_t>(i)][static_cast<size_t>(p)];
            std::copy_n(&t.data[static_cast<size_t>((i * l + from) * row)], row,
                        &out.data[static_cast<size_t>((i * l + p) * row)]);
        }
    return out;
}

std::vector<MaskLabCase> case_list() {
    std::vector<MaskLabCase> cases(6);
    cases[0] = {"key_padding",
                "key_padding_mask alone",
                "mha(x, x, x, key_padding_mask=pad_mask)",
                "True = padding = masked: those keys get weight 0",
                false,
                true,
                false,
                false,
                MaskFill::Module,
                {},
                {}};
    cases[1] = {"attn_mask",
                "attn_mask alone",
                "mha(x, x, x, attn_mask=attn_mask)",
                "bool attn_mask: True = NOT allowed (the causal mask hides the future)",
                false,
                false,
                true,
                false,
                MaskFill::Module,
                {},
                {}};
    cases[2] = {"both",
                "both combined",
                "mha(x, x, x, key_padding_mask=pad_mask, attn_mask=attn_mask)",
                "merged by logical_or: masked where either says so",
                false,
                true,
                true,
                false,
                MaskFill::Module,
                {},
                {}};
    cases[3] = {"full_row_1e9",
                "a fully masked row, -1e9",
                "padded on the left + causal, masked_fill(..., -1e9)",
                "a padding query sees only padding keys: every score -1e9, so the row is uniform",
                true,
                true,
                true,
                false,
                MaskFill::NegBillion,
                {},
                {}};
    cases[4] = {"full_row_inf",
                "the same row, -inf",
                "padded on the left + causal, torch's -inf",
                "every score -inf: exp(-inf - max) = 0/0, the row is NaN, as torch gives",
                true,
                true,
                true,
                false,
                MaskFill::Module,
                {},
                {}};
    cases[5] = {"float_01",
                "attn_mask as float 0/1",
                "mha(x, x, x, attn_mask=attn_mask.float())",
                "a float mask is ADDED to the scores: 1.0 masks nothing",
                false,
                false,
                true,
                true,
                MaskFill::Module,
                {},
                {}};
    return cases;
}

std::string fill_name(MaskFill f) {
    return f == MaskFill::NegBillion ? "-1e9" : "-inf";
}

}  // namespace

MaskLabResult run_mask_lab(const MaskLabSpec& spec, const std::atomic<bool>* cancel) {
    SceneSpec ss = spec.scene;
    ss.module.kind = ModuleKind::TorchMHA;
    ss.module.scale = ScaleChoice{};
    ss.x_path.reset();
    ss.context_path.reset();
    ss.pad_mask_path.reset();
    ss.attn_mask_path.reset();
    ss.causal = false;
    if (!spec.attn_mask_path.empty()) ss.attn_mask_path = spec.attn_mask_path;
    MaskLabResult r;
    r.scene = build_scene(ss);
    const ModuleInputs& in = r.scene.inputs;
    const int64_t b = in.x.shape[0], L = in.x.shape[1];
    r.pad_mask = in.pad_mask ? *in.pad_mask : Tensor({b, L}, 0.0f, DType::Bool);
    r.attn_mask = in.attn_mask ? *in.attn_mask : causal_mask(L, L);
    const auto order = left_padding_order(r.pad_mask);
    r.x_left = reorder(in.x, order);
    r.pad_mask_left = reorder(r.pad_mask, order);
    for (int64_t i = 0; i < b; ++i) {
        std::vector<std::string> t, tl;
        for (int64_t p = 0; p < L; ++p) {
            t.push_back(r.scene.key_label(i, p));
            tl.push_back(r.scene.key_label(i, order[static_cast<size_t>(i)][static_cast<size_t>(p)]));
        }
        r.tokens.push_back(t);
        r.tokens_left.push_back(tl);
    }

    const bool bool_mask = r.attn_mask.dtype == DType::Bool;
    for (MaskLabCase c : case_list()) {
        if (cancel && cancel->load()) throw Cancelled("the mask lab was cancelled");
        if (c.attn_as_float01 && !bool_mask) continue;  // a float file mask is already added
        ModuleInputs m;
        m.x = c.left_padded ? r.x_left : in.x;
        if (c.uses_pad) m.pad_mask = c.left_padded ? r.pad_mask_left : r.pad_mask;
        if (c.uses_attn) {
            if (c.attn_as_float01) {
                Tensor f = r.attn_mask;
                f.dtype = DType::F32;  // True -> 1.0, False -> 0.0: the values stay
                m.attn_mask = f;
            } else if (in.attn_mask) {
                m.attn_mask = r.attn_mask;
            } else {
                m.causal = true;  // the engine's own preset, as --causal
            }
        }
        ModuleConfig config = r.scene.module;
        config.mask_fill = c.fill;
        const Trace t = forward(config, r.scene.weights, m);
        c.weights = t.attn();
        // The keys a row lost: what the mask made -inf or pushed to the fill.
        const TraceStep* masked = t.find("masked");
        const Tensor scores = masked ? masked->tensor() : Tensor(c.weights.shape, 0.0f);
        c.masked = Tensor(scores.shape, 0.0f, DType::Bool);
        for (size_t k = 0; k < scores.data.size(); ++k)
            c.masked.data[k] =
                (std::isinf(scores.data[k]) && scores.data[k] < 0) || scores.data[k] <= -1e8f ? 1.0f : 0.0f;
        r.cases.push_back(std::move(c));
    }
    return r;
}

void export_mask_lab(const MaskLabResult& r, const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw FileError(dir + ": cannot make the folder (" + ec.message() + ")");
    const auto path = [&](const std::string& name) { return (fs::path(dir) / name).string(); };
    save_module_weights(r.scene, path("weights.safetensors"));
    write_npy(path("x.npy"), r.scene.inputs.x);
    write_npy(path("x_left.npy"), r.x_left);
    write_npy(path("pad_mask.npy"), r.pad_mask);
    write_npy(path("pad_mask_left.npy"), r.pad_mask_left);
    write_npy(path("attn_mask.npy"), r.attn_mask);
    nlohmann::json j;
    j["emb_dim"] = r.scene.module.emb_dim;
    j["heads"] = r.scene.module.heads;
    j["tokens"] = r.tokens;
    j["tokens_left"] = r.tokens_left;
    j["cases"] = nlohmann::json::array();
    for (const MaskLabCase& c : r.cases) {
        write_npy(path(c.id + "_weights.npy"), c.weights);
        write_npy(path(c.id + "_masked.npy"), c.masked);
        j["cases"].push_back({{"id", c.id},
                              {"title", c.title},
                              {"x", c.left_padded ? "x_left.npy" : "x.npy"},
                              {"pad_mask", c.uses_pad ? (c.left_padded ? "pad_mask_left.npy" : "pad_mask.npy") : ""},
                              {"attn_mask", c.uses_attn ? "attn_mask.npy" : ""},
                              {"attn_mask_as", c.attn_as_float01 ? "float01" : "as_is"},
                              {"fill", fill_name(c.fill)},
                              {"weights", c.id + "_weights.npy"}});
    }
    const std::string text = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
    write_file_atomically(path("cases.json"), text.data(), text.size());
}

MaskLabWorker::MaskLabWorker() : thread_([this] { run(); }) {}

MaskLabWorker::~MaskLabWorker() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        cancel_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

uint64_t MaskLabWorker::submit(const MaskLabSpec& spec) {
    std::lock_guard<std::mutex> lock(mutex_);
    queued_ = spec;
    queued_generation_ = next_generation_++;
    cancel_ = true;  // the running one is out of date
    wake_.notify_all();
    return queued_generation_;
}

std::optional<MaskLabResult> MaskLabWorker::take_result() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::optional<MaskLabResult> out = std::move(finished_);
    finished_.reset();
    return out;
}

bool MaskLabWorker::busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_ || queued_.has_value();
}

bool MaskLabWorker::wait_idle(double timeout_seconds) {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_for(lock, std::chrono::duration<double>(timeout_seconds),
                          [&] { return !running_ && !queued_.has_value(); });
}

void MaskLabWorker::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] { return stopping_ || queued_.has_value(); });
        if (stopping_) return;
        const MaskLabSpec spec = std::move(*queued_);
        const uint64_t generation = queued_generation_;
        queued_.reset();
        running_ = true;
        cancel_ = false;
        lock.unlock();
        MaskLabResult result;
        try {
            result = run_mask_lab(spec, &cancel_);
        } catch (const Cancelled&) {
            result.error = "cancelled";
        } catch (const std::bad_alloc&) {
            result.error = "not enough memory for the mask lab's passes";
        } catch (const std::exception& e) {
            result.error = e.what();
        }
        result.generation = generation;
        lock.lock();
        running_ = false;
        // A result of a replaced request is dropped; the newer one is already queued.
        if (!queued_.has_value() && result.error != "cancelled") finished_ = std::move(result);
        if (!queued_.has_value()) idle_.notify_all();
    }
}

}  // namespace attn::gui
