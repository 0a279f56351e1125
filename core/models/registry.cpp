#include "models/registry.h"

#include "errors.h"
#include "models/bert/bert_model.h"
#include "models/hf/hf_config.h"
#include "models/hf/hf_folder.h"
#include "models/model_cache.h"
#include "models/use_lite/use_lite.h"
#include "models/vit/vit_model.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace attn {

namespace {

namespace fs = std::filesystem;

// What a model_type users often have is, and why the engine cannot run it yet.
std::string why_not(const std::string& type) {
    if (type == "roberta" || type == "xlm-roberta" || type == "camembert")
        return " (its byte-level BPE / SentencePiece tokenizer and position offset are not implemented)";
    if (type == "gpt2" || type == "llama" || type == "mistral" || type == "gpt_neox")
        return " (a causal decoder: not implemented; save its attentions with attnscope_save.py and open them with "
               "--attentions)";
    if (type == "clip" || type == "clip_vision_model") return " (two towers with their own tokenizer: not implemented)";
    return "";
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
}

bool is_model_folder(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "config.json", ec);
}

// An HF folder as a catalog entry, or the reason it cannot be used.
void add_folder(const fs::path& dir, const std::string& name, ModelSearch& out) {
    try {
        const HfConfig config = read_hf_config(dir.string());
        find_hf_checkpoint(dir.string());  // throws when there is neither checkpoint file
        ModelEntry e;
        e.family = config.model_type == "vit" ? ModelFamily::Vit : ModelFamily::Bert;
        e.name = name;
        e.path = dir.string();
        e.layers = config.num_hidden_layers;
        e.heads = config.num_attention_heads;
        e.hidden = config.hidden_size;
        out.usable.push_back(std::move(e));
    } catch (const Error& e) {
        out.skipped.push_back(name + ": " + e.what());
    }
}

// "models--sentence-transformers--all-MiniLM-L6-v2" -> "sentence-transformers/all-MiniLM-L6-v2".
std::string hub_name(const std::string& folder) {
    std::string rest = folder.substr(std::string("models--").size()), out;
    for (size_t i = 0; i < rest.size(); ++i) {
        if (rest.compare(i, 2, "--") == 0) {
            out += '/';
            ++i;
        } else {
            out += rest[i];
        }
    }
    return out;
}

void scan_hub(const fs::path& hub, ModelSearch& out) {
    std::error_code ec;
    if (!fs::is_directory(hub, ec)) return;
    std::vector<fs::path> repos;
    for (const auto& entry : fs::directory_iterator(hub, ec))
        if (entry.is_directory(ec) && entry.path().filename().string().rfind("models--", 0) == 0)
            repos.push_back(entry.path());
    std::sort(repos.begin(), repos.end());
    for (const fs::path& repo : repos) {
        const std::string name = hub_name(repo.filename().string());
        // The snapshot refs/main names, else every snapshot there is.
        std::string main_ref;
        std::ifstream ref(repo / "refs" / "main");
        std::getline(ref, main_ref);
        std::vector<fs::path> snapshots;
        if (!main_ref.empty() && fs::is_directory(repo / "snapshots" / main_ref, ec)) {
            snapshots.push_back(repo / "snapshots" / main_ref);
        } else {
            for (const auto& s : fs::directory_iterator(repo / "snapshots", ec))
                if (s.is_directory(ec)) snapshots.push_back(s.path());
            std::sort(snapshots.begin(), snapshots.end());
        }
        for (const fs::path& snap : snapshots)
            if (is_model_folder(snap))
                add_folder(snap, snapshots.size() > 1 ? name + "@" + snap.filename().string().substr(0, 8) : name, out);
    }
}

}  // namespace

std::unique_ptr<Model> load_model(const std::string& name_or_path, std::vector<std::string>* warnings,
                                  const ForwardControl* control) {
    if (name_or_path == "use-lite") return load_use_lite(use_lite_dir());
    std::error_code ec;
    std::string folder = name_or_path;
    if (!fs::is_directory(folder, ec)) {
        // A name `attnscope-cli models` prints for the HF cache ("ORG/NAME", "NAME@1a2b3c4d").
        ModelSearch hub;
        scan_hub(hf_hub_cache_dir(), hub);
        for (const ModelEntry& e : hub.usable)
            if (e.name == name_or_path) folder = e.path;
        if (folder == name_or_path)
            throw FileError(name_or_path + ": no such model folder, nor a model of the Hugging Face cache " +
                            hf_hub_cache_dir() + " (give use-lite, a folder with config.json, or a name " +
                            "`attnscope-cli models` lists)");
    }
    const std::string type = hf_model_type(folder);
    if (type == "bert") return load_bert_folder(folder, warnings, control);
    if (type == "vit") return load_vit_folder(folder, warnings, control);
    throw ConfigError(hf_config_path(folder) + ": model_type \"" + type +
                      "\" is not supported (supported: " + supported_model_types() + ")" + why_not(type));
}

std::string hf_hub_cache_dir() {
    if (const std::string hub = env("HF_HUB_CACHE"); !hub.empty()) return hub;
    if (const std::string home = env("HF_HOME"); !home.empty()) return (fs::path(home) / "hub").string();
    return (fs::path(env("HOME")) / ".cache" / "huggingface" / "hub").string();
}

ModelSearch find_models(const std::vector<std::string>& model_dirs) {
    ModelSearch out;
    const std::string lite = use_lite_dir();
    std::error_code ec;
    if (fs::is_directory(lite, ec)) {
        try {
            const auto model = load_use_lite(lite);
            const ModelInfo& info = model->info();
            out.usable.push_back({info.family, "use-lite", "use-lite", info.layers, info.heads, info.hidden});
        } catch (const Error& e) {
            out.skipped.push_back(std::string("use-lite: ") + e.what());
        }
    }
    scan_hub(hf_hub_cache_dir(), out);
    for (const std::string& dir : model_dirs) {
        const fs::path path = fs::absolute(dir, ec);
        if (is_model_folder(path)) {
            add_folder(path, path.filename().string(), out);
            continue;
        }
        if (!fs::is_directory(path, ec)) {
            out.skipped.push_back(dir + ": not a folder");
            continue;
        }
        std::vector<fs::path> subs;
        for (const auto& s : fs::directory_iterator(path, ec))
            if (s.is_directory(ec) && is_model_folder(s.path())) subs.push_back(s.path());
        std::sort(subs.begin(), subs.end());
        if (subs.empty()) out.skipped.push_back(dir + ": no config.json in it or in the folders under it");
        for (const fs::path& s : subs)
            add_folder(s, s.filename().string(), out);
    }
    return out;
}

}  // namespace attn
