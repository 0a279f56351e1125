// attnscope-hf-run: drives the BERT and ViT families of core/models for the live comparison with
// PyTorch (tests/torch/hf_compare.py) and the benchmark (tests/torch/hf_bench.py). It stands in
// for `attnscope-cli run --model DIR --dump` until the CLI takes models.
//
//   attnscope-hf-run --model DIR [--text S]... [--texts-json F] [--input-ids F.npy --attention-mask F.npy]
//                    [--pixel-values F.npy | --image F...] [--dump OUT] [--steps LAYER] [--threads N] [--bench K]
//
// --dump OUT writes attentions.npy [layers, b, heads, L, L], last_hidden_state.npy [b, L, hidden],
// value_norms.npy [layers, b, heads, L], input_ids.npy and attention_mask.npy (BERT),
// pixel_values.npy (ViT) and inputs.json (tokens, warnings, load warnings, patch grid);
// --steps LAYER also every step of that layer's trace and of the embeddings and pooling traces
// (step_<trace>_<name>.npy, trace.json). --bench K times K passes after one warm-up and prints
// {"times_s": [...], "cpu_s": [...], "peak_rss_kib": N, "load_s": S}.
// Exit status: 0, or 2 with one line on stderr for bad input.
#include "errors.h"
#include "io/npy.h"
#include "model/memory_budget.h"
#include "models/bert/bert_model.h"
#include "models/hf/hf_config.h"
#include "models/vit/vit_model.h"

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using namespace attn;

int64_t peak_rss_kib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
    return -1;
}

// CPU time of the whole process (every thread): on a shared machine, what a pass cost while it
// ran, whatever time it spent waiting for a core.
double process_cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Stacks same-shaped tensors along a new first dim.
Tensor stack(const std::vector<const Tensor*>& parts) {
    Shape shape = parts.front()->shape;
    shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
    Tensor out = Tensor::uninitialized(shape);
    size_t at = 0;
    for (const Tensor* t : parts) {
        std::copy(t->data.begin(), t->data.end(), out.data.begin() + static_cast<std::ptrdiff_t>(at));
        at += t->data.size();
    }
    return out;
}

void write_trace_steps(const std::string& out, const std::string& label, const Trace& trace, nlohmann::json& j) {
    nlohmann::json steps = nlohmann::json::array();
    for (const TraceStep& s : trace.steps) {
        write_npy(out + "/step_" + label + "_" + s.name + ".npy", s.tensor());
        steps.push_back({{"name", s.name}, {"code", s.code}, {"shape", s.shape.to_string()}, {"change", s.change}});
    }
    j[label] = {{"module", trace.module}, {"steps", steps}};
}

int run(int argc, char** argv) {
    CLI::App app{"attnscope-hf-run: BERT / ViT folders through the engine"};
    std::string model_dir, ids_path, mask_path, pixels_path, out, texts_json;
    std::vector<std::string> texts, images;
    int threads = 0, bench = 0, steps_layer = -1;
    app.add_option("--model", model_dir, "a Hugging Face folder")->required();
    app.add_option("--text", texts, "a sentence (BERT)");
    app.add_option("--texts-json", texts_json, "a JSON list of sentences (any character, NUL included)");
    app.add_option("--input-ids", ids_path, "int64 [b, L]");
    app.add_option("--attention-mask", mask_path, "int64 [b, L]");
    app.add_option("--pixel-values", pixels_path, "float32 [b, 3, H, W]");
    app.add_option("--image", images, "a picture (ViT), preprocessed per preprocessor_config.json");
    app.add_option("--dump", out, "output folder");
    app.add_option("--steps", steps_layer, "also write every trace step of this layer");
    app.add_option("--threads", threads, "threads for the products");
    app.add_option("--bench", bench, "time this many passes");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    keep_freed_memory_for_reuse();
    if (threads > 0) {
        Eigen::setNbThreads(threads);
#ifdef _OPENMP
        omp_set_num_threads(threads);
#endif
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> load_warnings;
    const std::string type = hf_model_type(model_dir);
    std::unique_ptr<Model> model;
    if (type == "vit")
        model = load_vit_folder(model_dir, &load_warnings);
    else
        model = load_bert_folder(model_dir, &load_warnings);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    if (!texts_json.empty()) {
        std::ifstream f(texts_json, std::ios::binary);
        const nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
        if (!j.is_array()) throw FileError(texts_json + " is not a JSON list of strings");
        for (const nlohmann::json& t : j)
            texts.push_back(t.get<std::string>());
    }
    ModelInputs in;
    if (!images.empty())
        in = model->prepare_images(images);
    else if (!pixels_path.empty())
        in = model->prepare_pixels(read_npy(pixels_path));
    else if (!ids_path.empty())
        in = model->prepare_ids(read_npy(ids_path), read_npy(mask_path));
    else
        in = model->prepare_text(texts);

    if (bench > 0) {
        model->run(in);  // warm-up
        nlohmann::json times = nlohmann::json::array(), cpu = nlohmann::json::array();
        for (int r = 0; r < bench; ++r) {
            const auto s = std::chrono::steady_clock::now();
            const double c0 = process_cpu_s();
            ModelPass pass = model->run(in);
            cpu.push_back(process_cpu_s() - c0);
            times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
        }
        std::cout << nlohmann::json{{"times_s", times},
                                    {"cpu_s", cpu},
                                    {"peak_rss_kib", peak_rss_kib()},
                                    {"load_s", load_s}}
                         .dump()
                  << std::endl;
        return 0;
    }

    ModelPass pass = model->run(in);
    if (out.empty()) return 0;
    ::mkdir(out.c_str(), 0755);
    std::vector<const Tensor*> attn, norms_ptrs;
    std::vector<Tensor> norms;
    for (const LayerPass& l : pass.layers) {
        attn.push_back(l.attn.get());
        norms.push_back(l.value_norms());
    }
    for (const Tensor& n : norms)
        norms_ptrs.push_back(&n);
    write_npy(out + "/attentions.npy", stack(attn));
    write_npy(out + "/value_norms.npy", stack(norms_ptrs));
    write_npy(out + "/last_hidden_state.npy", *pass.last_hidden_state);
    if (in.pixel_values) {
        write_npy(out + "/pixel_values.npy", *in.pixel_values);
    } else {
        write_npy(out + "/input_ids.npy", in.input_ids);
        write_npy(out + "/attention_mask.npy", in.attention_mask);
    }
    nlohmann::json j{{"tokens", in.tokens},         {"warnings", in.warnings},     {"load_warnings", load_warnings},
                     {"patch_rows", in.patch_rows}, {"patch_cols", in.patch_cols}, {"prefix_tokens", in.prefix_tokens},
                     {"name", model->info().name}};
    std::ofstream(out + "/inputs.json") << j.dump(1) << "\n";
    if (steps_layer >= 0 && steps_layer < static_cast<int>(pass.layers.size())) {
        nlohmann::json t;
        write_trace_steps(out, "embeddings", pass.embeddings, t);
        write_trace_steps(out, "layer", pass.layers[static_cast<size_t>(steps_layer)].trace, t);
        write_trace_steps(out, "pooling", pass.pooling, t);
        std::ofstream(out + "/trace.json") << t.dump(1) << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const attn::Error& e) {
        std::cerr << "attnscope-hf-run: " << e.what() << "\n";
        return 2;
    }
}
