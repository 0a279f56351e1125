#include "export/dump.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "io/npy.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace attn {

namespace {


}  // namespace

void make_directories(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw FileError("cannot create folder " + dir + ": " + (ec ? ec.message() : "a file of that name exists"));
}

nlohmann::json steps_json(const Trace& trace) {
    nlohmann::json steps = nlohmann::json::array();
    for (size_t i = 0; i < trace.steps.size(); ++i) {
        const TraceStep& s = trace.steps[i];
        steps.push_back({{"index", i},
                         {"name", s.name},
                         {"code", s.code},
                         {"shape", s.shape.to_string()},
                         {"dims", s.shape.names},
                         {"sizes", s.shape.sizes},
                         {"change", s.change},
                         {"dtype", dtype_name(s.dtype)}});
    }
    return steps;
}

nlohmann::json trace_json(const Scene& scene, const Trace& trace) {
    using nlohmann::json;
    const ModuleConfig& m = scene.module;
    json j;
    j["module"] = module_name(m.kind);
    j["class"] = trace.module;
    j["emb_dim"] = m.emb_dim;
    j["heads"] = m.head_count();
    j["depth"] = m.depth();
    if (is_cross(m.kind)) j["in_channels"] = m.in_channels;
    j["scale"] = {{"choice", scale_name(m.scale)}, {"factor", trace.scale}};
    j["mask_fill"] = {{"choice", mask_fill_name(m.mask_fill)}, {"value", std::isinf(trace.fill) ? "-inf" : "-1e9"}};
    if (scene.tokens) {
        j["tokens"] = scene.tokens->tokens;
        j["vocab"] = scene.tokens->vocab;
    }
    j["warnings"] = scene.warnings;
    j["steps"] = steps_json(trace);
    j["output_shape"] = trace.output().shape;
    j["attn_shape"] = trace.attn().shape;
    return j;
}

std::vector<std::string> dump_trace(const Scene& scene, const Trace& trace, const std::string& dir,
                                    const DumpOptions& options) {
    make_directories(dir);
    std::vector<std::string> written;
    auto wanted = [&](const std::string& name) {
        return options.only.empty() || std::find(options.only.begin(), options.only.end(), name) != options.only.end();
    };
    auto put = [&](const std::string& file, const Tensor& t) {
        const std::string path = (std::filesystem::path(dir) / file).string();
        write_npy(path, t);
        written.push_back(path);
    };

    for (size_t i = 0; i < trace.steps.size(); ++i) {
        const TraceStep& s = trace.steps[i];
        if (!wanted(s.name)) continue;
        const std::string prefix = (i < 10 ? "0" : "") + std::to_string(i) + "_";
        put(prefix + s.name + ".npy", s.tensor());
    }
    if (wanted("output")) put("output.npy", trace.output());
    if (wanted("attn")) put("attn.npy", trace.attn());
    if (scene.tokens && wanted("input_ids")) put("input_ids.npy", scene.tokens->input_ids);
    if (scene.inputs.pad_mask && wanted("pad_mask")) put("pad_mask.npy", *scene.inputs.pad_mask);
    if (wanted("x")) put("x.npy", scene.inputs.x);
    if (scene.inputs.context && wanted("context")) put("context.npy", *scene.inputs.context);
    if (wanted("trace")) {
        const std::string path = (std::filesystem::path(dir) / "trace.json").string();
        const std::string text = trace_json(scene, trace).dump(2) + "\n";
        write_file_atomically(path, text.data(), text.size());
        written.push_back(path);
    }
    return written;
}

}  // namespace attn
