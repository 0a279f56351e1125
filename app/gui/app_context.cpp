#include "app_context.h"

#include "errors.h"
#include "model/config.h"
#include "model/input_checks.h"
#include "model/memory_budget.h"
#include "model_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <sstream>

namespace attn::gui {

namespace {

// Messages kept for the Messages popup; older ones are dropped.
constexpr size_t kMaxMessages = 200;

void post(std::vector<Message>& messages, Message::Kind kind, std::string text, double now) {
    // The same message again (a panel failing every frame, a repeated click) is not a new line.
    if (!messages.empty() && messages.back().kind == kind && messages.back().text == text) {
        messages.back().shown_at = now;
        return;
    }
    Message m;
    m.kind = kind;
    m.text = std::move(text);
    m.shown_at = now;
    messages.push_back(std::move(m));
    if (messages.size() > kMaxMessages) messages.erase(messages.begin());
}

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string gib(double bytes) {
    std::ostringstream s;
    s.precision(1);
    s << std::fixed << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB";
    return s.str();
}

}  // namespace

AppContext::AppContext() : clock(steady_seconds), memory_limit(memory_limit_bytes()) {}

void AppContext::info(std::string text) {
    post(messages, Message::Kind::Info, std::move(text), clock());
}

void AppContext::error(std::string text) {
    post(messages, Message::Kind::Error, std::move(text), clock());
}

const TokenPreview& AppContext::tokens() const {
    TokenPreview& p = token_preview_;
    if (p.max_len == settings.max_len && p.sentences == settings.sentences) return p;
    p.sentences = settings.sentences;
    p.max_len = settings.max_len;
    p.batch.reset();
    p.error.clear();
    try {
        p.batch = std::make_shared<const TokenBatch>(scene_tokens(settings.sentences, settings.max_len));
    } catch (const Error& e) {
        p.error = e.what();
    }
    return p;
}

SceneSpec AppContext::scene_spec() const {
    // Text the tokenizer refused goes to the engine untokenized: its message is the engine's.
    return gui::scene_spec(settings, default_image(), tokens().batch);
}

PassRequest AppContext::pass_request() const {
    PassRequest request;
    if (settings.model.empty()) {
        request.scene = scene_spec();
        return request;
    }
    ModelRequest m;
    m.model = model_request_name(settings.model);
    m.sentences = settings.sentences;
    m.image_path = settings.image_path.empty() ? default_image() : settings.image_path;
    request.model = std::move(m);
    return request;
}

bool AppContext::showing_saved_attention() const {
    return model_run && model_run->info.family == ModelFamily::SavedAttention && model_run->requested == settings.model;
}

void AppContext::show_layer_trace() {
    if (!model_run || model_run->pass.layers.empty()) return;
    const int layers = static_cast<int>(model_run->pass.layers.size());
    settings.layer = std::clamp(settings.layer, 0, layers - 1);
    const Trace* shown = &model_run->pass.layers[static_cast<size_t>(settings.layer)].trace;
    if (trace.get() != shown) trace = std::shared_ptr<const Trace>(model_run, shown);  // shares the run
}

std::string AppContext::default_image() const {
    return (std::filesystem::path(asset_dir) / "images" / "chelsea.png").string();
}

std::vector<std::string> AppContext::bundled_images() const {
    std::vector<std::string> found;
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::path(asset_dir) / "images";
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string ext = entry.path().extension().string();
        if (entry.is_regular_file(ec) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg"))
            found.push_back(entry.path().string());
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::vector<int> head_divisors(int emb_dim) {
    std::vector<int> d;
    for (int i = 1; i <= emb_dim && emb_dim > 0; ++i)
        if (emb_dim % i == 0) d.push_back(i);
    return d;
}

std::string AppContext::blocked_reason() const {
    const Settings& s = settings;
    // A real model brings its own sizes; what it refuses (a sentence too long, a text model given
    // no sentence) it says itself, from the worker.
    if (!s.model.empty()) return s.sentences.size() > 4096 ? "at most 4096 sentences in a batch" : "";
    if (s.emb_dim < 1) return "emb_dim must be at least 1";
    if (has_heads(s.module)) {
        if (s.heads < 1) return "heads must be at least 1";
        if (s.emb_dim % s.heads != 0) {
            std::string list;
            for (int d : head_divisors(s.emb_dim))
                list += (list.empty() ? "" : ", ") + std::to_string(d);
            return "heads " + std::to_string(s.heads) + " does not divide emb_dim " + std::to_string(s.emb_dim) +
                   " (each head gets emb_dim / heads features); choose one of " + list;
        }
    }
    if (s.sentences.empty()) return "the batch needs at least one sentence";
    if (is_cross(s.module) && !s.full_resolution && (s.grid_h < 1 || s.grid_w < 1))
        return "the grid must be at least 1 x 1";

    // Refuse what would not fit in memory rather than let the system kill the app: what the
    // engine will hold (the same estimate it checks itself), the decoded picture (12 bytes a
    // pixel) once a pass has read it, and a step the Pipeline panel makes on demand with its
    // display copy (each at most kMaxPipelineStepValues floats).
    const double b = static_cast<double>(s.sentences.size());
    // Keys: the tokens per sentence after padding, from the same tokens the engine will get.
    const TokenPreview& preview = tokens();
    double keys = s.max_len > 0 ? s.max_len : 1.0;
    if (preview.batch) keys = std::max(1.0, static_cast<double>(preview.batch->input_ids.dim(1)));
    double queries = keys, picture = 0.0;
    if (is_cross(s.module)) {
        if (scene && !scene->images.empty() && scene->images[0])
            picture = static_cast<double>(scene->images[0]->width) * scene->images[0]->height;
        queries = s.full_resolution ? picture : static_cast<double>(s.grid_h) * s.grid_w;
    }
    ModuleConfig config;
    config.kind = s.module;
    config.emb_dim = s.emb_dim;
    config.heads = std::max(1, s.heads);
    const double pipeline_step = 4.0 * static_cast<double>(kMaxPipelineStepValues);
    const double bytes = pass_bytes(config, b, queries, keys, 3.0) + 12.0 * picture + 2.0 * pipeline_step;
    const double budget = memory_limit;
    if (budget > 0.0 && bytes > budget)
        return "this pass would need about " + gib(bytes) + " of memory (" + gib(budget) +
               " allowed): use a smaller grid, emb_dim or max_len, or fewer sentences";
    return "";
}

MapKey AppContext::current_map() const {
    MapKey key;
    key.batch = settings.batch;
    key.head = settings.head;
    key.token = settings.token;
    if (model_run && map_model && !map_model->empty()) {
        key.layer = std::clamp(settings.layer, 0, static_cast<int>(map_model->layers()) - 1);
        if (settings.rollout && map_model->has_rollout())
            key.quantity = MapQuantity::Rollout;
        else if (settings.norms && map_model->has_norms())
            key.quantity = MapQuantity::Norms;
        // Text: the whole [L, L] matrix; patches: the row of one query over the picture.
        key.token = map_model->set().query_kind == QueryKind::Patches
                        ? std::clamp(settings.token, 0, static_cast<int>(map_model->queries()) - 1)
                        : -1;
    }
    return key;
}

MapStyle AppContext::map_style() const {
    MapStyle style;
    style.colormap = settings.colormap;
    style.shared_range = settings.shared_normalisation;
    style.opacity = settings.opacity;
    return style;
}

}  // namespace attn::gui
