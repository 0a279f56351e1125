#include "settings.h"

#include "errors.h"
#include "export/dump.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace attn::gui {

namespace {

using nlohmann::json;

// Reads j[key] into `out` when it is there, of the right type and allowed; otherwise keeps the
// default and says why.
template <typename T, typename Check>
void read_field(const json& j, const char* key, T& out, Check allowed, std::vector<std::string>* warnings) {
    if (!j.contains(key)) return;
    try {
        T v = j.at(key).get<T>();
        if (allowed(v)) {
            out = v;
            return;
        }
    } catch (const json::exception&) {
    }
    if (warnings) warnings->push_back(std::string("session: \"") + key + "\" is not valid; using the default");
}

template <typename T>
void read_field(const json& j, const char* key, T& out, std::vector<std::string>* warnings) {
    read_field(j, key, out, [](const T&) { return true; }, warnings);
}

// Parses a named choice (module, colormap...), keeping the default when it is unknown.
template <typename T, typename Parse>
void read_choice(const json& j, const char* key, T& out, Parse parse, std::vector<std::string>* warnings) {
    std::string text;
    bool ok = true;
    read_field(j, key, text, [&](const std::string& s) {
        try {
            out = parse(s);
        } catch (const Error&) {
            ok = false;
        }
        return ok;
    }, warnings);
}

bool in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

}  // namespace

json settings_to_json(const Settings& s) {
    json j;
    j["sentences"] = s.sentences;
    j["max_len"] = s.max_len;
    j["image_path"] = s.image_path;
    j["grid_h"] = s.grid_h;
    j["grid_w"] = s.grid_w;
    j["full_resolution"] = s.full_resolution;
    j["module"] = module_name(s.module);
    j["emb_dim"] = s.emb_dim;
    j["heads"] = s.heads;
    j["seed"] = s.seed;
    j["scale"] = scale_name(s.scale);
    j["mask_fill"] = mask_fill_name(s.mask_fill);
    j["weights_path"] = s.weights_path;
    j["colormap"] = colormap_name(s.colormap);
    j["shared_normalisation"] = s.shared_normalisation;
    j["opacity"] = s.opacity;
    j["batch"] = s.batch;
    j["head"] = s.head;
    j["token"] = s.token;
    j["step"] = s.step;
    return j;
}

std::string compute_key(const Settings& s) {
    json j = settings_to_json(s);
    for (const char* view : {"colormap", "shared_normalisation", "opacity", "batch", "head", "token", "step"})
        j.erase(view);
    return j.dump();
}

Settings settings_from_json(const json& j, std::vector<std::string>* warnings) {
    Settings s;
    if (!j.is_object()) {
        if (warnings) warnings->push_back("session: not a JSON object; using the defaults");
        return s;
    }
    read_field(j, "sentences", s.sentences, [](const std::vector<std::string>& v) { return v.size() <= 4096; },
               warnings);
    read_field(j, "max_len", s.max_len, [](int v) { return in_range(v, 0, 100000); }, warnings);
    read_field(j, "image_path", s.image_path, warnings);
    read_field(j, "grid_h", s.grid_h, [](int v) { return in_range(v, 1, 16384); }, warnings);
    read_field(j, "grid_w", s.grid_w, [](int v) { return in_range(v, 1, 16384); }, warnings);
    read_field(j, "full_resolution", s.full_resolution, warnings);
    read_choice(j, "module", s.module, parse_module_kind, warnings);
    read_field(j, "emb_dim", s.emb_dim, [](int v) { return in_range(v, 1, 65536); }, warnings);
    read_field(j, "heads", s.heads, [](int v) { return in_range(v, 1, 65536); }, warnings);
    read_field(j, "seed", s.seed, warnings);
    read_choice(j, "scale", s.scale, parse_scale, warnings);
    read_choice(j, "mask_fill", s.mask_fill, parse_mask_fill, warnings);
    read_field(j, "weights_path", s.weights_path, warnings);
    read_choice(j, "colormap", s.colormap, parse_colormap, warnings);
    read_field(j, "shared_normalisation", s.shared_normalisation, warnings);
    read_field(j, "opacity", s.opacity, [](float v) { return v >= 0.0f && v <= 1.0f; }, warnings);
    read_field(j, "batch", s.batch, [](int v) { return v >= 0; }, warnings);
    read_field(j, "head", s.head, [](int v) { return v >= -1; }, warnings);
    read_field(j, "token", s.token, [](int v) { return v >= 0; }, warnings);
    read_field(j, "step", s.step, [](int v) { return v >= 0; }, warnings);
    return s;
}

std::string default_session_path() {
    namespace fs = std::filesystem;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        return (fs::path(xdg) / "attnscope" / "session.json").string();
    if (const char* home = std::getenv("HOME"); home && *home)
        return (fs::path(home) / ".config" / "attnscope" / "session.json").string();
    return "attnscope-session.json";
}

Settings load_session(const std::string& path, std::vector<std::string>* warnings) {
    if (!std::filesystem::exists(path)) return Settings{};
    std::ifstream in(path);
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        if (warnings) warnings->push_back(path + ": not a session file (not JSON); starting from the defaults");
        return Settings{};
    }
    return settings_from_json(j, warnings);
}

void save_session(const std::string& path, const Settings& s) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) make_directories(parent.string());
    const std::string text = settings_to_json(s).dump(2) + "\n";
    write_file_atomically(path, text.data(), text.size());
}

SceneSpec scene_spec(const Settings& s, const std::string& default_image) {
    SceneSpec spec;
    spec.module.kind = s.module;
    spec.module.emb_dim = s.emb_dim;
    spec.module.heads = s.heads;
    spec.module.scale = s.scale;
    spec.module.mask_fill = s.mask_fill;
    spec.seed = s.seed;
    if (!s.weights_path.empty()) spec.weights_path = s.weights_path;
    spec.sentences = s.sentences;
    spec.max_len = s.max_len;
    if (is_cross(s.module)) spec.image_paths.push_back(s.image_path.empty() ? default_image : s.image_path);
    spec.grid_h = s.grid_h;
    spec.grid_w = s.grid_w;
    spec.full_resolution = s.full_resolution;
    return spec;
}

}  // namespace attn::gui
