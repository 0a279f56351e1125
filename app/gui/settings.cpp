#include "settings.h"

#include "errors.h"
#include "export/dump.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
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
    read_field(
        j, key, out, [](const T&) { return true; }, warnings);
}

// Parses a named choice (module, colormap...), keeping the default when it is unknown.
template <typename T, typename Parse>
void read_choice(const json& j, const char* key, T& out, Parse parse, std::vector<std::string>* warnings) {
    std::string text;
    bool ok = true;
    read_field(
        j, key, text,
        [&](const std::string& s) {
            try {
                out = parse(s);
            } catch (const Error&) {
                ok = false;
            }
            return ok;
        },
        warnings);
}

bool in_range(int v, int lo, int hi) {
    return v >= lo && v <= hi;
}

constexpr auto kReplaceInvalid = json::error_handler_t::replace;

}  // namespace

std::string replace_invalid_utf8(const std::string& text, size_t* replaced) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const auto b = static_cast<unsigned char>(text[i]);
        size_t len = 0;
        char32_t cp = 0, min = 0;
        if (b < 0x80) {
            len = 1;
            cp = b;
        } else if (b >= 0xC2 && b <= 0xDF) {
            len = 2, cp = b & 0x1F, min = 0x80;
        } else if (b >= 0xE0 && b <= 0xEF) {
            len = 3, cp = b & 0x0F, min = 0x800;
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4, cp = b & 0x07, min = 0x10000;
        }
        bool ok = len > 0 && i + len <= text.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            ok = (c & 0xC0) == 0x80;
            cp = (cp << 6) | (c & 0x3F);
        }
        ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        if (ok) {
            out.append(text, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++*replaced;
            ++i;
        }
    }
    return out;
}

bool operator==(const ComputeSettings& a, const ComputeSettings& b) {
    const auto same_scale = [](const ScaleChoice& x, const ScaleChoice& y) {
        return x.kind == y.kind && (x.kind != ScaleChoice::Kind::Number || x.value == y.value);
    };
    return a.sentences == b.sentences && a.max_len == b.max_len && a.image_path == b.image_path &&
           a.grid_h == b.grid_h && a.grid_w == b.grid_w && a.full_resolution == b.full_resolution &&
           a.module == b.module && a.emb_dim == b.emb_dim && a.heads == b.heads && a.seed == b.seed &&
           same_scale(a.scale, b.scale) && a.mask_fill == b.mask_fill && a.weights_path == b.weights_path &&
           a.model == b.model;
}

bool operator==(const ViewSettings& a, const ViewSettings& b) {
    return a.colormap == b.colormap && a.shared_normalisation == b.shared_normalisation && a.opacity == b.opacity &&
           a.batch == b.batch && a.head == b.head && a.token == b.token && a.step == b.step && a.layer == b.layer &&
           a.norms == b.norms && a.rollout == b.rollout && a.fusion == b.fusion && a.explore_tab == b.explore_tab &&
           a.stats_sort == b.stats_sort && a.stats_descending == b.stats_descending &&
           a.stats_filter == b.stats_filter && a.diagram_open == b.diagram_open && a.anim_progress == b.anim_progress &&
           a.inspect_cell == b.inspect_cell && a.temperature == b.temperature && a.mask_lab_open == b.mask_lab_open &&
           a.compare_open == b.compare_open && a.compare_b_mask_fill == b.compare_b_mask_fill &&
           a.compare_b_scale == b.compare_b_scale;
}

bool operator==(const Settings& a, const Settings& b) {
    return a.compute() == b.compute() && a.view() == b.view() && a.classroom() == b.classroom();
}

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
    j["model"] = s.model;
    j["layer"] = s.layer;
    j["norms"] = s.norms;
    j["rollout"] = s.rollout;
    j["fusion"] = s.fusion;
    j["explore_tab"] = s.explore_tab;
    j["stats_sort"] = s.stats_sort;
    j["stats_descending"] = s.stats_descending;
    j["stats_filter"] = s.stats_filter;
    j["diagram_open"] = s.diagram_open;
    j["anim_progress"] = s.anim_progress;
    j["inspect_cell"] = s.inspect_cell;
    j["temperature"] = s.temperature;
    j["mask_lab_open"] = s.mask_lab_open;
    j["compare_open"] = s.compare_open;
    j["compare_b_mask_fill"] = s.compare_b_mask_fill;
    j["compare_b_scale"] = s.compare_b_scale;
    classroom_to_json(s.classroom(), j);
    return j;
}

std::string settings_json_text(const Settings& s, int indent) {
    return settings_to_json(s).dump(indent, ' ', false, kReplaceInvalid);
}

Settings settings_from_json(const json& j, std::vector<std::string>* warnings) {
    Settings s;
    if (!j.is_object()) {
        if (warnings) warnings->push_back("session: not a JSON object; using the defaults");
        return s;
    }
    read_field(
        j, "sentences", s.sentences, [](const std::vector<std::string>& v) { return v.size() <= 4096; }, warnings);
    read_field(
        j, "max_len", s.max_len, [](int v) { return in_range(v, 0, 100000); }, warnings);
    read_field(j, "image_path", s.image_path, warnings);
    read_field(
        j, "grid_h", s.grid_h, [](int v) { return in_range(v, 1, 16384); }, warnings);
    read_field(
        j, "grid_w", s.grid_w, [](int v) { return in_range(v, 1, 16384); }, warnings);
    read_field(j, "full_resolution", s.full_resolution, warnings);
    read_choice(j, "module", s.module, parse_module_kind, warnings);
    read_field(
        j, "emb_dim", s.emb_dim, [](int v) { return in_range(v, 1, 65536); }, warnings);
    read_field(
        j, "heads", s.heads, [](int v) { return in_range(v, 1, 65536); }, warnings);
    read_field(j, "seed", s.seed, warnings);
    read_choice(j, "scale", s.scale, parse_scale, warnings);
    read_choice(j, "mask_fill", s.mask_fill, parse_mask_fill, warnings);
    read_field(j, "weights_path", s.weights_path, warnings);
    read_choice(j, "colormap", s.colormap, parse_colormap, warnings);
    read_field(j, "shared_normalisation", s.shared_normalisation, warnings);
    read_field(
        j, "opacity", s.opacity, [](float v) { return v >= 0.0f && v <= 1.0f; }, warnings);
    read_field(
        j, "batch", s.batch, [](int v) { return v >= 0; }, warnings);
    read_field(
        j, "head", s.head, [](int v) { return v >= -3; }, warnings);  // -1 mean, -2 max, -3 min
    read_field(
        j, "token", s.token, [](int v) { return v >= 0; }, warnings);
    read_field(
        j, "step", s.step, [](int v) { return v >= 0; }, warnings);
    // Real models (sessions saved before them have none of these: the defaults are the seed's).
    read_field(j, "model", s.model, warnings);
    read_field(
        j, "layer", s.layer, [](int v) { return in_range(v, 0, 4096); }, warnings);
    read_field(j, "norms", s.norms, warnings);
    read_field(j, "rollout", s.rollout, warnings);
    read_field(
        j, "fusion", s.fusion, [](int v) { return in_range(v, -3, -1); }, warnings);
    read_field(
        j, "explore_tab", s.explore_tab, [](int v) { return in_range(v, 0, 15); }, warnings);
    read_field(j, "stats_sort", s.stats_sort, warnings);
    read_field(j, "stats_descending", s.stats_descending, warnings);
    read_field(j, "stats_filter", s.stats_filter, warnings);
    read_field(j, "diagram_open", s.diagram_open, warnings);
    read_field(
        j, "anim_progress", s.anim_progress, [](float v) { return v >= 0.0f && v <= 1.0f; }, warnings);
    read_field(
        j, "inspect_cell", s.inspect_cell,
        [](const std::vector<int>& v) {
            return v.empty() || (v.size() == 4 && std::all_of(v.begin(), v.end(), [](int x) { return x >= 0; }));
        },
        warnings);
    read_field(
        j, "temperature", s.temperature, [](float v) { return v >= 0.01f && v <= 100.0f; }, warnings);
    read_field(j, "mask_lab_open", s.mask_lab_open, warnings);
    // "" or what parse_mask_fill / parse_scale read (a bad value keeps "" and warns).
    const auto parses = [](auto parse) {
        return [parse](const std::string& v) {
            if (v.empty()) return true;
            try {
                parse(v);
                return true;
            } catch (const Error&) {
                return false;
            }
        };
    };
    read_field(j, "compare_open", s.compare_open, warnings);
    read_field(j, "compare_b_mask_fill", s.compare_b_mask_fill, parses(parse_mask_fill), warnings);
    read_field(j, "compare_b_scale", s.compare_b_scale, parses(parse_scale), warnings);
    classroom_from_json(j, s.classroom(), warnings);
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
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        // JSON text is UTF-8; a stray byte (an editor's Latin-1, a cut multi-byte character) makes
        // the whole file unparsable. Read such bytes as U+FFFD and say so.
        size_t replaced = 0;
        const std::string repaired = replace_invalid_utf8(text, &replaced);
        if (replaced > 0) {
            j = json::parse(repaired, nullptr, /*allow_exceptions=*/false);
            if (!j.is_discarded() && warnings)
                warnings->push_back("session: " + std::to_string(replaced) +
                                    " byte(s) that are not UTF-8 were read as U+FFFD (shown as '?')");
        }
    }
    if (j.is_discarded()) {
        if (warnings) warnings->push_back(path + ": not a session file (not JSON); starting from the defaults");
        return Settings{};
    }
    Settings s = settings_from_json(j, warnings);
    // A session names files to read. One that is there but is not a plain file (a FIFO, a
    // terminal) would block the engine's reader for good, and the app could not even quit (the
    // worker is joined): it is dropped, with a warning. Missing files stay (a drive not mounted
    // yet); the engine says so.
    for (const auto& [key, path] :
         {std::pair{"image_path", &s.image_path}, std::pair{"weights_path", &s.weights_path}}) {
        std::error_code ec;
        if (path->empty() || !std::filesystem::exists(*path, ec) || std::filesystem::is_regular_file(*path, ec))
            continue;
        if (warnings)
            warnings->push_back(std::string("session: \"") + key + "\" " + *path +
                                " is not a regular file; not read (the default is used)");
        path->clear();
    }
    return s;
}

void save_session(const std::string& path, const Settings& s) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) make_directories(parent.string());
    const std::string text = settings_json_text(s, 2) + "\n";
    write_file_atomically(path, text.data(), text.size());
}

SceneSpec scene_spec(const ComputeSettings& s, const std::string& default_image,
                     std::shared_ptr<const TokenBatch> tokens) {
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
    spec.tokens = std::move(tokens);
    if (is_cross(s.module)) spec.image_paths.push_back(s.image_path.empty() ? default_image : s.image_path);
    spec.grid_h = s.grid_h;
    spec.grid_w = s.grid_w;
    spec.full_resolution = s.full_resolution;
    return spec;
}

}  // namespace attn::gui
