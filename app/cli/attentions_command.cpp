#include "attentions_command.h"

#include "errors.h"
#include "maps/attentions_file.h"
#include "maps/map_export.h"
#include "view_exports.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace attn::cli {

namespace {

// Options that run a model make no sense with a file of its results: say so instead of ignoring them.
void refuse_run_options(const RunOptions& o) {
    std::vector<std::string> given;
    if (!o.model.empty()) given.push_back("--model");
    if (o.module_given) given.push_back("--module");
    if (!o.weights.empty()) given.push_back("--weights");
    if (!o.texts.empty()) given.push_back("--text");
    if (!o.images.empty()) given.push_back("--image");
    if (!o.x.empty() || !o.context.empty() || !o.pad_mask.empty()) given.push_back("--x/--context/--pad-mask");
    if (!o.input_ids.empty() || !o.attention_mask.empty() || !o.pixel_values.empty())
        given.push_back("--input-ids/--attention-mask/--pixel-values");
    if (!o.save_weights.empty()) given.push_back("--save-weights");
    if (o.layer >= 0) given.push_back("--layer");
    if (o.sizes_given)
        given.push_back("--emb-dim/--heads/--seed/--grid/--max-len/--mask-fill/--scale/--attn-mask/--causal/--steps");
    if (given.empty()) return;
    std::string list;
    for (const std::string& g : given)
        list += (list.empty() ? "" : ", ") + g;
    throw ConfigError(list + " run a model; --attentions " + o.attentions +
                      " already holds the weights (its tokens, mask and picture come from the file)");
}

const char* kind_name(QueryKind kind) {
    switch (kind) {
        case QueryKind::Tokens:
            return "tokens";
        case QueryKind::PixelGrid:
            return "pixel grid";
        case QueryKind::Patches:
            return "patches";
    }
    return "?";
}

nlohmann::json summary_json(const AttentionSet& s, const std::string& path) {
    nlohmann::json j;
    j["file"] = path;
    j["model"] = s.model;
    j["shape"] = {static_cast<int64_t>(s.layers.size()), s.batches, s.heads, s.queries, s.keys};
    j["queries"] = kind_name(s.query_kind);
    if (s.query_kind == QueryKind::Patches) {
        j["patch_grid"] = {s.grid_rows, s.grid_cols};
        j["prefix_tokens"] = s.prefix_tokens;
    }
    j["tokens"] = s.key_labels;
    if (s.queries != s.keys) j["query_tokens"] = s.query_labels;
    nlohmann::json pad = nlohmann::json::array();
    for (int64_t b = 0; b < s.batches; ++b) {
        int64_t n = 0;
        for (int64_t k = 0; k < s.keys; ++k)
            n += s.is_pad(b, k);
        pad.push_back(n);
    }
    j["padding_keys"] = pad;
    return j;
}

void print_summary(std::ostream& out, const AttentionSet& s, const std::string& path) {
    out << s.model << ": attentions [layers, b, heads, Lq, Lk] = [" << s.layers.size() << ", " << s.batches << ", "
        << s.heads << ", " << s.queries << ", " << s.keys << "] from " << path << "\n";
    if (s.query_kind == QueryKind::Patches)
        out << "  patches: " << s.grid_rows << " x " << s.grid_cols << " after " << s.prefix_tokens
            << " prefix token(s)" << (s.images.empty() || !s.images[0] ? "" : ", drawn over the picture") << "\n";
    out << "  (saved attention: no steps to show, no norm-based attention)\n\n";
    if (s.query_kind == QueryKind::Patches) return;
    for (int64_t b = 0; b < s.batches; ++b) {
        out << "  [" << b << "]";
        for (int64_t k = 0; k < s.keys; ++k)
            out << ' ' << s.key_labels[static_cast<size_t>(b)][static_cast<size_t>(k)]
                << (s.is_pad(b, k) ? "(pad)" : "");
        out << '\n';
        if (s.queries != s.keys) {
            out << "   queries:";
            for (const std::string& q : s.query_labels[static_cast<size_t>(b)])
                out << ' ' << q;
            out << '\n';
        }
    }
}

}  // namespace

int run_attentions_command(const RunOptions& o) {
    refuse_run_options(o);
    const MapExportOptions options = export_options(o);  // bad --colormap, --format... first
    std::vector<std::string> warnings;
    const MapModel maps(read_attentions_file(o.attentions, &warnings));
    check_view_targets(o, maps);
    for (const std::string& w : warnings)
        std::cerr << "attnscope-cli: warning: " << w << '\n';
    const AttentionSet& s = maps.set();
    if (o.json)
        std::cout << summary_json(s, o.attentions).dump(2) << '\n';
    else
        print_summary(std::cout, s, o.attentions);

    if (!o.dump_dir.empty()) {
        const auto files = dump_attention_set(s, o.dump_dir);
        std::cerr << "attnscope-cli: wrote " << files.size() << " files to " << o.dump_dir << '\n';
    }
    if (!o.export_maps_dir.empty()) {
        export_layered_maps(o, maps, options);
    }
    if (!o.export_panes_dir.empty()) export_cli_panes(o, maps, maps, o.pane_a, o.pane_b.empty() ? o.pane_a : o.pane_b);
    return 0;
}

}  // namespace attn::cli
