// The head statistics as a table: each statistic's name and one-line definition (the app's
// tooltip, the header of head_stats.json), JSON and CSV, and the sorting and filters the app's
// table offers ("heads whose previous-token share is over 0.5").
#pragma once

#include "analysis/head_stats.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace attn {

struct HeadStatDefinition {
    HeadStat stat;
    std::string key;         // "previous_share": the JSON and CSV column, and the name filters use
    std::string label;       // "previous-token share": a table header
    std::string unit;        // "nats", "tokens", "patches"; empty for shares and weights
    std::string definition;  // one line a user reads
};

// Every statistic in HeadStat's order. `patches`: mean distance is defined in patches.
const std::vector<HeadStatDefinition>& head_stat_definitions(bool patches = false);
const HeadStatDefinition& head_stat_definition(HeadStat stat, bool patches = false);

// The statistic a key or label names ("entropy", "cls_share", "previous-token share"); nullopt
// for anything else.
std::optional<HeadStat> head_stat_from_name(const std::string& name);

// The CLI's head_stats.json:
//   {"layers": 12, "heads": 12, "batch_item": "all", "distance_unit": "tokens",
//    "rows": "each statistic is the mean over ...",
//    "definitions": {"entropy": "...", ...},
//    "head_stats": [{"layer": 0, "head": 0, "entropy": 2.31, ..., "query_rows": 120}, ...]}
// An absent statistic (NaN) is null.
nlohmann::json head_stats_json(const HeadStatsTable& table);

// One header line (layer,head,entropy,...,query_rows), then one line per layer x head, layer-major;
// an absent statistic is an empty field. Numbers with 9 significant digits.
std::string head_stats_csv(const HeadStatsTable& table);

// Indices into table.rows, sorted by `stat` (descending: largest first); absent values last,
// ties in layer x head order.
std::vector<size_t> sort_heads(const HeadStatsTable& table, HeadStat stat, bool descending = true);

enum class Comparison { Less, LessEqual, Greater, GreaterEqual };

struct HeadFilter {
    HeadStat stat = HeadStat::PreviousShare;
    Comparison comparison = Comparison::Greater;
    double value = 0.5;
    bool passes(const HeadStats& head) const;  // an absent value never passes
};

// "previous_share > 0.5", "entropy<=1", "cls share >= 0.3": a statistic's key or label, one of
// < <= > >=, a number. ConfigError naming the text and what is accepted.
HeadFilter parse_head_filter(const std::string& text);

// The indices of `order` (default: every row in layer x head order) whose head passes every filter.
std::vector<size_t> filter_heads(const HeadStatsTable& table, const std::vector<HeadFilter>& filters,
                                 const std::vector<size_t>* order = nullptr);

}  // namespace attn
