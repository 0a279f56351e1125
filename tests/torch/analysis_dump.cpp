// The C++ half of the analysis check (tests/torch/analysis_reference.py): reads one case the
// numpy reference wrote, runs every aggregation of core/analysis/ on it and writes the results
// for the reference to compare.
//
//   attnscope_analysis_dump CASE_DIR OUT_DIR
//
// CASE_DIR: attentions.npy [layers, b, H, Lq, Lk], value_norms.npy [layers, b, H, Lk], case.json
// ({"tokens": [[...], ...] or null, "patch_rows", "patch_cols", "prefix_tokens"}), and optionally
// attention_mask.npy int64 [b, Lk], value_vectors.npy [b, H, Lk, D] (layer 0's f_h(x_j)) and
// last_hidden_state.npy [b, Lk, hidden]. Exit 0, or 2 with one line on stderr.
#include "analysis/attention_norms.h"
#include "analysis/head_fusion.h"
#include "analysis/head_stats.h"
#include "analysis/head_stats_table.h"
#include "analysis/rollout.h"
#include "analysis/sentence_similarity.h"
#include "errors.h"
#include "io/atomic_file.h"
#include "io/npy.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

using namespace attn;

namespace {

// [layers, ...] -> one tensor per layer.
std::vector<TensorPtr> split_layers(const Tensor& stacked) {
    std::vector<TensorPtr> out;
    const int64_t layers = stacked.dim(0), per = stacked.numel() / std::max<int64_t>(layers, 1);
    for (int64_t l = 0; l < layers; ++l) {
        auto t = std::make_shared<Tensor>(Shape(stacked.shape.begin() + 1, stacked.shape.end()));
        std::copy(stacked.data.begin() + l * per, stacked.data.begin() + (l + 1) * per, t->data.begin());
        out.push_back(t);
    }
    return out;
}

// The per-layer tensors stacked again: [layers, ...].
Tensor stack(const std::vector<Tensor>& layers) {
    Shape shape = layers.at(0).shape;
    shape.insert(shape.begin(), static_cast<int64_t>(layers.size()));
    Tensor out(shape);
    size_t at = 0;
    for (const Tensor& t : layers) {
        std::copy(t.data.begin(), t.data.end(), out.data.begin() + static_cast<std::ptrdiff_t>(at));
        at += t.data.size();
    }
    return out;
}

void write_text(const std::string& path, const std::string& text) {
    write_file_atomically(path, text.data(), text.size());
}

int run(const std::string& in, const std::string& out) {
    namespace fs = std::filesystem;
    const Tensor attentions = read_npy(in + "/attentions.npy");
    const std::vector<TensorPtr> layers = split_layers(attentions);
    const std::vector<TensorPtr> norms = split_layers(read_npy(in + "/value_norms.npy"));
    const std::vector<uint8_t> bytes = read_file_bytes(in + "/case.json");
    const nlohmann::json spec = nlohmann::json::parse(bytes.begin(), bytes.end());

    TokenLayout layout;
    if (fs::exists(in + "/attention_mask.npy")) layout.attention_mask = read_npy(in + "/attention_mask.npy");
    if (!spec["tokens"].is_null()) layout.tokens = spec["tokens"].get<std::vector<std::vector<std::string>>>();
    layout.patch_rows = spec.value("patch_rows", 0);
    layout.patch_cols = spec.value("patch_cols", 0);
    layout.prefix_tokens = spec.value("prefix_tokens", 0);

    const HeadFusion fusions[] = {HeadFusion::Mean, HeadFusion::Max, HeadFusion::Min};
    for (HeadFusion f : fusions) {
        std::vector<Tensor> fused;
        for (const TensorPtr& a : layers)
            fused.push_back(fuse_heads(*a, f));
        write_npy(out + "/fusion_" + head_fusion_name(f) + ".npy", stack(fused));
    }

    std::vector<Tensor> weighted;
    for (size_t l = 0; l < layers.size(); ++l)
        weighted.push_back(attention_norms(*layers[l], *norms[l]));
    write_npy(out + "/attention_norms.npy", stack(weighted));
    if (fs::exists(in + "/value_vectors.npy"))
        write_npy(out + "/norms_head_sum.npy",
                  attention_norms_head_sum(*layers[0], value_gram_of(read_npy(in + "/value_vectors.npy"))));

    const bool square = attentions.dim(3) == attentions.dim(4);
    if (square) {
        write_npy(out + "/rollout_by_layer.npy", stack(rollout_by_layer(layers, layout)));
        write_npy(out + "/rollout.npy", rollout(layers, layout));
        const int64_t middle = static_cast<int64_t>(layers.size()) / 2;
        write_npy(out + "/rollout_middle.npy", rollout(layers, layout, middle));
    }

    const HeadStatsTable table = compute_head_stats(layers, layout);
    write_text(out + "/head_stats.json", head_stats_json(table).dump(1));
    write_text(out + "/head_stats.csv", head_stats_csv(table));
    const int64_t last = attentions.dim(1) - 1;
    write_text(out + "/head_stats_last_item.json", head_stats_json(compute_head_stats(layers, layout, last)).dump(1));

    if (fs::exists(in + "/last_hidden_state.npy")) {
        if (!layout.attention_mask) throw ShapeError("the case has last_hidden_state.npy but no attention_mask.npy");
        const Tensor pooled = mean_pooling(read_npy(in + "/last_hidden_state.npy"), *layout.attention_mask);
        write_npy(out + "/mean_pooling.npy", pooled);
        write_npy(out + "/cosine.npy", cosine_similarity_matrix(pooled));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: attnscope_analysis_dump CASE_DIR OUT_DIR\n";
        return 2;
    }
    try {
        return run(argv[1], argv[2]);
    } catch (const std::exception& e) {
        std::cerr << "attnscope_analysis_dump: " << e.what() << "\n";
        return 2;
    }
}
