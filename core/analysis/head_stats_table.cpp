#include "analysis/head_stats_table.h"

#include "errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace attn {

namespace {

const char* kRowsLine =
    "each statistic is the mean over the real query rows of every batch item pooled (padded query rows left out), "
    "using the weights over the real keys";

std::vector<HeadStatDefinition> make_definitions(bool patches) {
    std::vector<HeadStatDefinition> d = {
        {HeadStat::Entropy, "entropy", "entropy", "nats",
         "-Σ α·ln α of a query's weights over its real keys: 0 = all on one key, ln(n) = spread evenly over n keys"},
        {HeadStat::EntropyNormalised, "entropy_normalised", "normalised entropy", "",
         "entropy / ln(number of real keys): 0 = all on one key, 1 = spread evenly (rows with a single key left out)"},
        {HeadStat::ClsShare, "cls_share", "share on [CLS]", "",
         "weight a query puts on the key labelled [CLS] (sentences without one left out; absent if none has one)"},
        {HeadStat::SepShare, "sep_share", "share on [SEP]", "",
         "weight a query puts on the keys labelled [SEP] (sentences without one left out; absent if none has one)"},
        {HeadStat::PreviousShare, "previous_share", "previous-token share", "",
         "weight the query at position i puts on the token just before it, i-1 (rows where i-1 is a real token)"},
        {HeadStat::NextShare, "next_share", "next-token share", "",
         "weight the query at position i puts on the token just after it, i+1 (rows where i+1 is a real token)"},
        {HeadStat::SelfShare, "self_share", "self share", "", "weight the query at position i puts on itself, key i"},
        {HeadStat::MeanDistance, "mean_distance", "mean attention distance", "tokens",
         "Σ_j α_ij·|i - j|: how many tokens away a query looks, on average over its weights"},
        {HeadStat::MaxWeight, "max_weight", "max weight", "",
         "the largest weight in a query's row: 1 = all on one key, 1/n = spread evenly"},
    };
    if (patches) {
        d[static_cast<size_t>(HeadStat::MeanDistance)].unit = "patches";
        d[static_cast<size_t>(HeadStat::MeanDistance)].definition =
            "how many patches away a patch looks: Σ_j α_ij·d(i, j) over the patch keys, d the straight-line distance "
            "between the two patches on the grid, weights renormalised over the patches ([CLS] and other prefix tokens "
            "left out as queries and keys)";
    }
    return d;
}

std::string normalised_name(const std::string& s) {
    std::string out;
    for (char ch : s) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if (std::isspace(c) || ch == '-' || ch == '_')
            out += '_';
        else if (ch != '[' && ch != ']')
            out += static_cast<char>(std::tolower(c));
    }
    return out;
}

std::string trimmed(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
        ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
        --b;
    return s.substr(a, b - a);
}

std::string csv_number(double v) {
    if (std::isnan(v)) return "";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

const std::vector<HeadStatDefinition>& head_stat_definitions(bool patches) {
    static const std::vector<HeadStatDefinition> tokens = make_definitions(false);
    static const std::vector<HeadStatDefinition> grid = make_definitions(true);
    return patches ? grid : tokens;
}

const HeadStatDefinition& head_stat_definition(HeadStat stat, bool patches) {
    return head_stat_definitions(patches).at(static_cast<size_t>(stat));
}

std::optional<HeadStat> head_stat_from_name(const std::string& name) {
    const std::string wanted = normalised_name(trimmed(name));
    for (const HeadStatDefinition& d : head_stat_definitions())
        if (wanted == normalised_name(d.key) || wanted == normalised_name(d.label)) return d.stat;
    return std::nullopt;
}

nlohmann::json head_stats_json(const HeadStatsTable& table) {
    nlohmann::json out;
    out["layers"] = table.layers;
    out["heads"] = table.heads;
    out["batch_item"] = table.batch_item < 0 ? nlohmann::json("all") : nlohmann::json(table.batch_item);
    out["distance_unit"] = table.patches ? "patches" : "tokens";
    out["rows"] = kRowsLine;
    nlohmann::json definitions = nlohmann::json::object();
    for (const HeadStatDefinition& d : head_stat_definitions(table.patches))
        definitions[d.key] = d.definition;
    out["definitions"] = definitions;
    nlohmann::json heads = nlohmann::json::array();
    for (const HeadStats& h : table.rows) {
        nlohmann::json row;
        row["layer"] = h.layer;
        row["head"] = h.head;
        for (const HeadStatDefinition& d : head_stat_definitions(table.patches)) {
            const double v = h.value(d.stat);
            row[d.key] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
        }
        row["query_rows"] = h.rows;
        heads.push_back(row);
    }
    // Named "heads" beside the count "heads" would clash: the array is "head_stats".
    out["head_stats"] = heads;
    return out;
}

std::string head_stats_csv(const HeadStatsTable& table) {
    std::string out = "layer,head";
    for (const HeadStatDefinition& d : head_stat_definitions(table.patches))
        out += "," + d.key;
    out += ",query_rows\n";
    for (const HeadStats& h : table.rows) {
        out += std::to_string(h.layer) + "," + std::to_string(h.head);
        for (const HeadStatDefinition& d : head_stat_definitions(table.patches))
            out += "," + csv_number(h.value(d.stat));
        out += "," + std::to_string(h.rows) + "\n";
    }
    return out;
}

std::vector<size_t> sort_heads(const HeadStatsTable& table, HeadStat stat, bool descending) {
    std::vector<size_t> order(table.rows.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const double va = table.rows[a].value(stat), vb = table.rows[b].value(stat);
        if (std::isnan(va) || std::isnan(vb)) return !std::isnan(va) && std::isnan(vb);
        return descending ? va > vb : va < vb;
    });
    return order;
}

bool HeadFilter::passes(const HeadStats& head) const {
    const double v = head.value(stat);
    if (std::isnan(v)) return false;
    switch (comparison) {
        case Comparison::Less:
            return v < value;
        case Comparison::LessEqual:
            return v <= value;
        case Comparison::Greater:
            return v > value;
        case Comparison::GreaterEqual:
            return v >= value;
    }
    return false;
}

HeadFilter parse_head_filter(const std::string& text) {
    const std::string accepted =
        "a statistic (entropy, entropy_normalised, cls_share, sep_share, previous_share, "
        "next_share, self_share, mean_distance, max_weight), one of < <= > >=, and a number, "
        "as \"previous_share > 0.5\"";
    const size_t at = text.find_first_of("<>");
    if (at == std::string::npos)
        throw ConfigError("head filter \"" + text + "\" has no comparison: expected " + accepted);
    HeadFilter f;
    const bool with_equal = at + 1 < text.size() && text[at + 1] == '=';
    if (text[at] == '<')
        f.comparison = with_equal ? Comparison::LessEqual : Comparison::Less;
    else
        f.comparison = with_equal ? Comparison::GreaterEqual : Comparison::Greater;
    const std::optional<HeadStat> stat = head_stat_from_name(text.substr(0, at));
    if (!stat)
        throw ConfigError("head filter \"" + text + "\": \"" + trimmed(text.substr(0, at)) +
                          "\" is not a statistic; expected " + accepted);
    f.stat = *stat;
    const std::string number = trimmed(text.substr(at + (with_equal ? 2 : 1)));
    char* end = nullptr;
    f.value = number.empty() ? 0.0 : std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || std::isnan(f.value))
        throw ConfigError("head filter \"" + text + "\": \"" + number + "\" is not a number; expected " + accepted);
    return f;
}

std::vector<size_t> filter_heads(const HeadStatsTable& table, const std::vector<HeadFilter>& filters,
                                 const std::vector<size_t>* order) {
    std::vector<size_t> out;
    const size_t n = order ? order->size() : table.rows.size();
    for (size_t i = 0; i < n; ++i) {
        const size_t index = order ? (*order)[i] : i;
        if (index >= table.rows.size()) continue;
        if (std::all_of(filters.begin(), filters.end(),
                        [&](const HeadFilter& f) { return f.passes(table.rows[index]); }))
            out.push_back(index);
    }
    return out;
}

}  // namespace attn
