// The engine's side of the TensorFlow.js comparison (oracle.js): runs attnscope's use-lite
// tokenizer and model on the sentences of a JSON file and writes what it computed.
//
//   use_lite_probe where
//       prints the folder `attnscope-cli fetch use-lite` fills (use_lite_dir())
//   use_lite_probe tokenize VOCAB.json SENTENCES.json OUT.json
//       OUT.json: one list of ids per sentence
//   use_lite_probe time MODEL_DIR "SENTENCE" PASSES
//       prints the pieces and the median and fastest time of prepare_text + run over PASSES passes
//   use_lite_probe run MODEL_DIR SENTENCES.json OUT_DIR
//       OUT_DIR: input_ids.npy, attention_mask.npy [b, L] (int64), attentions.npy
//       [layers, b, heads, L, L], last_hidden_state.npy [b, L, 512], sentence_embedding.npy
//       [b, 512], value_norms.npy [layers, b, heads, L], tokens.json, warnings.json
//
// Exit status 0, or 2 with the error on stderr.
#include "errors.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "models/model_cache.h"
#include "models/use_lite/use_lite.h"
#include "text/sentencepiece.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> read_sentences(const std::string& path) {
    const std::vector<uint8_t> bytes = attn::read_file_bytes(path);
    return nlohmann::json::parse(bytes.begin(), bytes.end()).get<std::vector<std::string>>();
}

void write_text(const std::string& path, const std::string& text) {
    attn::write_file_atomically(path, text.data(), text.size());
}

int tokenize(const std::string& vocab, const std::string& sentences, const std::string& out) {
    const auto tokenizer = attn::SentencePieceTokenizer::from_vocab_json(vocab);
    nlohmann::json ids = nlohmann::json::array();
    const auto texts = read_sentences(sentences);
    for (size_t i = 0; i < texts.size(); ++i)
        ids.push_back(tokenizer.encode(texts[i], "sentence " + std::to_string(i + 1)));
    write_text(out, ids.dump());
    return 0;
}

// [layers, ...] from one tensor per layer of the same shape.
attn::Tensor stack(const std::vector<attn::Tensor>& parts) {
    attn::Shape shape = parts.at(0).shape;
    shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
    attn::Tensor out(shape);
    size_t at = 0;
    for (const attn::Tensor& p : parts) {
        std::memcpy(out.ptr() + at, p.ptr(), p.data.size() * sizeof(float));
        at += p.data.size();
    }
    return out;
}

int run(const std::string& model_dir, const std::string& sentences, const std::string& out) {
    const auto model = attn::load_use_lite(model_dir);
    const attn::ModelInputs in = model->prepare_text(read_sentences(sentences));
    const attn::ModelPass pass = model->run(in);
    std::vector<attn::Tensor> attentions, norms;
    for (const attn::LayerPass& layer : pass.layers) {
        attentions.push_back(*layer.attn);
        norms.push_back(layer.value_norms());
    }
    attn::write_npy(out + "/input_ids.npy", in.input_ids);
    attn::write_npy(out + "/attention_mask.npy", in.attention_mask);
    attn::write_npy(out + "/attentions.npy", stack(attentions));
    attn::write_npy(out + "/value_norms.npy", stack(norms));
    attn::write_npy(out + "/last_hidden_state.npy", *pass.last_hidden_state);
    attn::write_npy(out + "/sentence_embedding.npy", *pass.sentence_embedding);
    write_text(out + "/tokens.json", nlohmann::json(in.tokens).dump());
    write_text(out + "/warnings.json", nlohmann::json(in.warnings).dump());
    return 0;
}

int time_passes(const std::string& model_dir, const std::string& sentence, int passes) {
    const auto model = attn::load_use_lite(model_dir);
    std::vector<double> ms;
    int64_t pieces = 0;
    for (int i = 0; i < passes; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const attn::ModelInputs in = model->prepare_text({sentence});
        const attn::ModelPass pass = model->run(in);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        pieces = in.input_ids.dim(1);
    }
    std::sort(ms.begin(), ms.end());
    std::cout << pieces << " pieces: median " << ms[ms.size() / 2] << " ms, fastest " << ms.front() << " ms over "
              << passes << " passes\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc == 2 && std::string(argv[1]) == "where") {
            std::cout << attn::use_lite_dir() << "\n";
            return 0;
        }
        if (argc == 5 && std::string(argv[1]) == "tokenize") return tokenize(argv[2], argv[3], argv[4]);
        if (argc == 5 && std::string(argv[1]) == "time") return time_passes(argv[2], argv[3], std::stoi(argv[4]));
        if (argc == 5 && std::string(argv[1]) == "run") return run(argv[2], argv[3], argv[4]);
        std::cerr << "usage: use_lite_probe where | tokenize VOCAB SENTENCES OUT | run MODEL_DIR SENTENCES OUT_DIR | "
                     "time MODEL_DIR SENTENCE PASSES\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "use_lite_probe: " << e.what() << "\n";
        return 2;
    }
}
