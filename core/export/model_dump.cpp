#include "export/model_dump.h"

#include "analysis/head_stats.h"
#include "analysis/head_stats_table.h"
#include "analysis/model_analysis.h"
#include "analysis/rollout.h"
#include "analysis/token_layout.h"
#include "export/dump.h"
#include "io/atomic_file.h"
#include "io/npy.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace attn {


nlohmann::json model_trace_json(const ModelInfo& info, const ModelInputs& inputs, const ModelPass& pass) {
    nlohmann::json j;
    j["model"] = info.name;
    j["family"] = family_name(info.family);
    j["path"] = info.path;
    j["layers"] = info.layers;
    j["heads"] = info.heads;
    j["hidden"] = info.hidden;
    j["tokens"] = inputs.tokens;
    j["warnings"] = inputs.warnings;
    j["embeddings"] = steps_json(pass.embeddings);
    nlohmann::json layers = nlohmann::json::array();
    for (size_t l = 0; l < pass.layers.size(); ++l)
        layers.push_back({{"layer", l}, {"steps", steps_json(pass.layers[l].trace)}});
    j["layer_steps"] = layers;
    j["pooling"] = steps_json(pass.pooling);
    if (pass.last_hidden_state) j["last_hidden_state_shape"] = pass.last_hidden_state->shape;
    return j;
}

std::vector<std::string> dump_model_pass(const ModelInfo& info, const ModelInputs& inputs, const ModelPass& pass,
                                         const std::string& dir) {
    make_directories(dir);
    namespace fs = std::filesystem;
    std::vector<std::string> written;
    auto npy = [&](const std::string& name, const Tensor& t) {
        const std::string path = (fs::path(dir) / name).string();
        write_npy(path, t);
        written.push_back(path);
    };
    auto text = [&](const std::string& name, const nlohmann::json& j) {
        const std::string path = (fs::path(dir) / name).string();
        const std::string s = j.dump(2) + "\n";
        write_file_atomically(path, s.data(), s.size());
        written.push_back(path);
    };
    const std::vector<TensorPtr> layers = layer_attentions(pass);
    const TokenLayout layout = token_layout_of(inputs);
    npy("attentions.npy", stack_layers(layers));
    npy("attention_norms.npy", model_attention_norms(pass));
    npy("rollout.npy", rollout(layers, layout));
    if (pass.last_hidden_state) npy("last_hidden_state.npy", *pass.last_hidden_state);
    if (inputs.input_ids.numel() > 0) npy("input_ids.npy", inputs.input_ids);
    npy("attention_mask.npy", inputs.attention_mask);
    if (inputs.pixel_values) npy("pixel_values.npy", *inputs.pixel_values);
    if (pass.sentence_embedding) npy("sentence_embedding.npy", *pass.sentence_embedding);
    const HeadStatsTable stats = compute_head_stats(layers, layout);
    text("head_stats.json", head_stats_json(stats));
    {  // the statistics table as CSV too, for a spreadsheet
        const std::string path = (fs::path(dir) / "head_stats.csv").string(), csv = head_stats_csv(stats);
        write_file_atomically(path, csv.data(), csv.size());
        written.push_back(path);
    }
    text("trace.json", model_trace_json(info, inputs, pass));
    return written;
}

}  // namespace attn
