#include "model_run.h"

#include "maps/attentions_file.h"

#include "analysis/head_stats.h"
#include "analysis/model_analysis.h"
#include "analysis/sentence_similarity.h"
#include "analysis/token_layout.h"
#include "errors.h"
#include "models/model_cache.h"
#include "models/registry.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace attn::gui {

namespace {

namespace fs = std::filesystem;

// The files a model is read from, each with its size and time: a folder whose weights were
// replaced is loaded again, one left alone is not. Only the folder's own files (the ones
// load_model reads: config.json, the weights, the vocabulary); a folder that cannot be listed
// gives an empty fingerprint, and load_model says what is wrong with it.
std::string fingerprint(const std::string& folder) {
    std::vector<std::string> parts;
    std::error_code ec;
    for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code fe;
        if (!it->is_regular_file(fe)) continue;
        const auto size = it->file_size(fe);
        const auto time = fs::last_write_time(it->path(), fe).time_since_epoch().count();
        parts.push_back(it->path().filename().string() + ":" + std::to_string(size) + ":" + std::to_string(time));
    }
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const std::string& p : parts)
        out += p + ";";
    return out;
}

std::string folder_of(const std::string& name) {
    return name == "use-lite" ? use_lite_dir() : name;
}

}  // namespace

std::string model_request_name(const std::string& name_or_path) {
    if (name_or_path.empty() || name_or_path == "use-lite") return name_or_path;
    std::error_code ec;
    const fs::path p = fs::absolute(name_or_path, ec);
    if (ec) return name_or_path;
    std::string normal = p.lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/')
        normal.pop_back();
    return normal;
}

std::string model_display_name(const std::string& name_or_path) {
    if (name_or_path == "use-lite" || name_or_path.empty()) return name_or_path;
    fs::path p(name_or_path);
    if (p.filename().empty()) p = p.parent_path();
    // An HF cache snapshot (models--org--name/snapshots/<hash>) is named by its repository.
    const fs::path up = p.parent_path();
    if (up.filename() == "snapshots") {
        std::string repo = up.parent_path().filename().string();
        if (repo.rfind("models--", 0) == 0) {
            repo = repo.substr(8);
            const size_t dashes = repo.find("--");
            if (dashes != std::string::npos) repo.replace(dashes, 2, "/");
            return repo;
        }
    }
    return p.filename().string();
}

std::shared_ptr<const Model> LoadedModels::get(const std::string& name_or_path, const ForwardControl* control) {
    const std::string key = name_or_path + "\n" + fingerprint(folder_of(name_or_path));
    if (model_ && key == key_) return model_;
    std::vector<std::string> warnings;
    std::shared_ptr<const Model> loaded = load_model(name_or_path, &warnings, control);
    ++loads_;
    // Only now is the old model let go: a failed or cancelled load leaves it held.
    model_ = std::move(loaded);
    key_ = key;
    warnings_ = std::move(warnings);
    return model_;
}

std::vector<HeadFilter> parse_head_filters(const std::string& text) {
    // Every separator becomes a comma, then each piece is one condition.
    std::string t = text;
    for (const char* sep : {"&&", ";", " and ", " AND "})
        for (size_t at = t.find(sep); at != std::string::npos; at = t.find(sep, at))
            t.replace(at, std::string(sep).size(), ",");
    std::vector<HeadFilter> out;
    std::stringstream pieces(t);
    for (std::string piece; std::getline(pieces, piece, ',');) {
        const size_t a = piece.find_first_not_of(" \t"), b = piece.find_last_not_of(" \t");
        if (a == std::string::npos) continue;
        out.push_back(parse_head_filter(piece.substr(a, b - a + 1)));
    }
    return out;
}

std::vector<size_t> head_order(const HeadStatsTable& table, const std::string& sort_key, bool descending,
                               const std::vector<HeadFilter>& filters) {
    std::vector<size_t> order;
    if (const std::optional<HeadStat> stat = head_stat_from_name(sort_key)) {
        order = sort_heads(table, *stat, descending);
    } else {
        order.resize(table.rows.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        auto of = [&](size_t i) -> int64_t {
            const HeadStats& h = table.rows[i];
            if (sort_key == "head") return h.head * (table.layers + 1) + h.layer;
            if (sort_key == "query_rows") return h.rows;
            return h.layer * (table.heads + 1) + h.head;  // "layer", and anything else
        };
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t x, size_t y) { return descending ? of(x) > of(y) : of(x) < of(y); });
    }
    return filter_heads(table, filters, &order);
}

std::shared_ptr<const ModelRun> run_model(const ModelRequest& request, LoadedModels& models, ForwardControl& control) {
    auto run = std::make_shared<ModelRun>();
    run->requested = request.model;
    if (control.progress) control.progress("loading " + model_display_name(request.model), 0.0f);
    run->model = models.get(request.model, &control);
    run->warnings = models.warnings();
    run->info = run->model->info();
    const Model& model = *run->model;
    if (model.info().takes_text) {
        if (request.sentences.empty()) throw ConfigError(run->info.name + ": type at least one sentence");
        run->inputs = model.prepare_text(request.sentences);
    } else {
        if (request.image_path.empty()) throw ConfigError(run->info.name + " takes a picture: choose one");
        run->inputs = model.prepare_images({request.image_path});
    }
    for (const std::string& w : run->inputs.warnings)
        run->warnings.push_back(w);

    control.held_bytes = model.weight_bytes();
    run->pass = model.run(run->inputs, &control);
    checkpoint(&control, "head statistics", 1.0f);
    run->head_stats = compute_head_stats(layer_attentions(run->pass), token_layout_of(run->inputs));
    if (run->info.takes_text) {
        run->similarity = cosine_similarity_matrix(sentence_embeddings(run->pass, run->inputs, run->info));
        run->similarity_source = run->pass.sentence_embedding
                                     ? "use-lite's own sentence embeddings (512 numbers, unit length)"
                                     : "the mean of last_hidden_state over each sentence's real tokens "
                                       "(mean pooling, as sentence-transformers does)";
    }
    return run;
}

bool names_attentions_file(const std::string& request) {
    std::error_code ec;
    return !request.empty() && request != "use-lite" && std::filesystem::is_regular_file(request, ec);
}

std::shared_ptr<const ModelRun> open_attentions_file(const std::string& path, AttentionSet& set) {
    auto run = std::make_shared<ModelRun>();
    run->requested = path;
    set = read_attentions_file(path, &run->warnings);

    ModelInfo& info = run->info;
    info.family = ModelFamily::SavedAttention;
    info.name = set.model;
    info.path = path;
    info.layers = static_cast<int64_t>(set.layers.size());
    info.heads = set.heads;
    info.takes_text = set.query_kind != QueryKind::Patches;

    // The inputs as the panels read them: labels per key position, attention_mask [b, Lk]
    // (1 = token), and for patch tokens the grid and the pictures.
    ModelInputs& in = run->inputs;
    in.tokens = set.key_labels;
    in.attention_mask = Tensor({set.batches, set.keys}, 0.0f, DType::Int64);
    for (int64_t b = 0; b < set.batches; ++b)
        for (int64_t k = 0; k < set.keys; ++k)
            in.attention_mask.data[static_cast<size_t>(b * set.keys + k)] = set.is_pad(b, k) ? 0.0f : 1.0f;
    in.images = set.images;
    if (set.query_kind == QueryKind::Patches) {
        in.patch_rows = set.grid_rows;
        in.patch_cols = set.grid_cols;
        in.prefix_tokens = set.prefix_tokens;
    }
    // attn: [b, H, Lq, Lk] per layer, shared with the set, not copied. No steps (empty traces).
    run->pass.layers.resize(set.layers.size());
    for (size_t l = 0; l < set.layers.size(); ++l)
        run->pass.layers[l].attn = set.layers[l];
    run->head_stats = compute_head_stats(set.layers, token_layout_of_set(set));
    return run;
}

}  // namespace attn::gui
