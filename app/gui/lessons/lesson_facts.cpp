#include "lessons/lesson_facts.h"

#include "lessons/lesson.h"

#include <algorithm>
#include <cstdlib>

namespace attn::gui {

namespace {

using nlohmann::json;

const std::vector<std::string> kShownFacts = {"batch_size", "seq_len", "padding", "depth", "step_name", "shape"};

// Splits "shape.q_heads.1" at its dots.
std::vector<std::string> parts_of(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return parts;
}

bool is_index(const std::string& s) {
    return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool numbers(const json& a, const json& b) {
    return a.is_number() && b.is_number();
}

}  // namespace

json lesson_facts(const AppContext& ctx, bool pass_current) {
    const Settings& s = ctx.settings;
    json facts = settings_to_json(s);
    facts["batch_size"] = s.sentences.size();
    if (s.heads > 0 && s.emb_dim % s.heads == 0) facts["depth"] = s.emb_dim / s.heads;
    const TokenPreview& tokens = ctx.tokens();
    if (tokens.batch && tokens.batch->pad_mask.rank() == 2) {
        const Tensor& mask = tokens.batch->pad_mask;
        facts["seq_len"] = mask.dim(1);
        facts["padding"] = std::count_if(mask.data.begin(), mask.data.end(), [](float v) { return v != 0.0f; });
    }
    if (pass_current && ctx.trace) {
        json shapes = json::object();
        for (const TraceStep& step : ctx.trace->steps)
            if (!shapes.contains(step.name)) shapes[step.name] = step.shape.sizes;
        facts["shape"] = std::move(shapes);
        if (s.step >= 0 && s.step < static_cast<int>(ctx.trace->steps.size()))
            facts["step_name"] = ctx.trace->steps[static_cast<size_t>(s.step)].name;
    }
    return facts;
}

json fact_at(const json& facts, const std::string& path) {
    const json* at = &facts;
    for (const std::string& part : parts_of(path)) {
        if (at->is_object() && at->contains(part)) {
            at = &(*at)[part];
        } else if (at->is_array() && is_index(part) && std::strtoul(part.c_str(), nullptr, 10) < at->size()) {
            at = &(*at)[std::strtoul(part.c_str(), nullptr, 10)];
        } else {
            return nullptr;
        }
    }
    return *at;
}

std::vector<std::string> fact_roots() {
    std::vector<std::string> roots = scene_keys();
    roots.insert(roots.end(), kShownFacts.begin(), kShownFacts.end());
    for (const char* classroom : {"ui_scale", "theme", "export_theme", "language"})
        roots.emplace_back(classroom);
    return roots;
}

bool is_fact_path(const std::string& path) {
    const std::vector<std::string> parts = parts_of(path);
    if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) return false;
    const std::vector<std::string> roots = fact_roots();
    if (std::find(roots.begin(), roots.end(), parts[0]) == roots.end()) return false;
    return parts[0] != "shape" || parts.size() >= 2;  // "shape" alone is every step: name one
}

namespace {

// Calls `part(text, is_fact)` for the pieces of `text`: plain text, and the paths in braces.
template <typename Part>
void split_braces(const std::string& text, Part part) {
    size_t i = 0;
    std::string plain;
    while (i < text.size()) {
        if (text.compare(i, 2, "{{") == 0) {
            plain += '{';
            i += 2;
            continue;
        }
        const size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
        if (close == std::string::npos) {
            plain += text[i++];
            continue;
        }
        part(plain, false);
        plain.clear();
        part(text.substr(i + 1, close - i - 1), true);
        i = close + 1;
    }
    part(plain, false);
}

std::string shown_value(const json& v) {
    if (v.is_null()) return "\u2026";  // not shown yet
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array()) {  // [3, 4, 5, 128], as the seed writes shapes
        std::string out = "[";
        for (size_t i = 0; i < v.size(); ++i)
            out += (i ? ", " : "") + shown_value(v[i]);
        return out + "]";
    }
    return v.dump();
}

}  // namespace

std::string with_facts(const std::string& text, const json& facts) {
    std::string out;
    split_braces(text, [&](const std::string& piece, bool is_fact) {
        out += is_fact ? shown_value(fact_at(facts, piece)) : piece;
    });
    return out;
}

std::vector<std::string> fact_placeholders(const std::string& text) {
    std::vector<std::string> paths;
    split_braces(text, [&](const std::string& piece, bool is_fact) {
        if (is_fact) paths.push_back(piece);
    });
    return paths;
}

bool condition_holds(const Condition& c, const json& facts, const json& baseline) {
    const json v = fact_at(facts, c.fact);
    if (v.is_null()) return false;  // not shown (yet)
    using Op = Condition::Op;
    switch (c.op) {
        case Op::Is:
            return v == c.value;
        case Op::IsNot:
            return v != c.value;
        case Op::AtLeast:
            return numbers(v, c.value) && v.get<double>() >= c.value.get<double>();
        case Op::AtMost:
            return numbers(v, c.value) && v.get<double>() <= c.value.get<double>();
        case Op::Has:
            if (v.is_array()) return std::find(v.begin(), v.end(), c.value) != v.end();
            if (v.is_string() && c.value.is_string())
                return v.get<std::string>().find(c.value.get<std::string>()) != std::string::npos;
            return false;
        case Op::Changed:
            return !baseline.is_null() && v != baseline;
    }
    return false;
}

}  // namespace attn::gui
