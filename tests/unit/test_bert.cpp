// BERT from a Hugging Face folder (core/models/bert): loading, the pass and its trace, the
// invariants of its attention, and one message for every bad input. Numbers against PyTorch are
// checked live in tests/torch/hf_compare.py.
#include "errors.h"
#include "models/bert/bert_model.h"
#include "models/hf/hf_config.h"
#include "models/vit/vit_model.h"

#include "test_bert_folders.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

namespace attn {
namespace {

using test::TempFolder;
using test::TinyBert;

template <class E>
std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "another exception: " << e.what();
        return "";
    }
    ADD_FAILURE() << "nothing thrown";
    return "";
}

// One line holding every part.
template <class E>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
    const std::string msg = message_of<E>(f);
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const std::string& p : parts)
        EXPECT_NE(msg.find(p), std::string::npos) << "lacks \"" << p << "\": " << msg;
}

TEST(Bert, LoadsAFolderWithEitherPrefix) {
    for (const std::string prefix : {"bert.", ""}) {
        TempFolder dir;
        TinyBert b;
        b.prefix = prefix;
        std::vector<std::string> warnings;
        auto model = load_bert_folder(test::write_tiny_bert(dir.path / "m", b), &warnings);
        const ModelInfo& info = model->info();
        EXPECT_EQ(info.family, ModelFamily::Bert);
        EXPECT_EQ(info.name, "m");
        EXPECT_EQ(info.layers, 2);
        EXPECT_EQ(info.heads, 2);
        EXPECT_EQ(info.hidden, 16);
        EXPECT_EQ(info.intermediate, 24);
        EXPECT_EQ(info.max_positions, 12);
        EXPECT_TRUE(info.takes_text);
        ASSERT_EQ(warnings.size(), 1u);  // the pooler, named once
        EXPECT_NE(warnings[0].find("pooler.dense.weight"), std::string::npos) << warnings[0];
        EXPECT_EQ(hf_model_type(dir.path / "m"), "bert");
    }
}

TEST(Bert, OldLayerNormNamesAndBuffersLoadWithoutWarnings) {
    TempFolder dir;
    TinyBert b;
    b.pooler = false;
    auto tensors = test::tiny_bert_tensors(b);
    for (auto& [name, t] : tensors) {
        if (name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0 &&
            name.find("LayerNorm") != std::string::npos)
            name = name.substr(0, name.size() - 7) + ".gamma";
        else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0 &&
                 name.find("LayerNorm") != std::string::npos)
            name = name.substr(0, name.size() - 5) + ".beta";
    }
    tensors.emplace_back("bert.embeddings.position_ids", Tensor({1, 12}, 0.0f));
    const std::string folder = test::write_tiny_bert(dir.path / "m", b);
    write_safetensors(folder + "/model.safetensors", tensors);
    std::vector<std::string> warnings;
    EXPECT_NO_THROW(load_bert_folder(folder, &warnings));
    EXPECT_TRUE(warnings.empty()) << warnings.front();
}

TEST(Bert, PassShapesTraceAndInvariants) {
    TempFolder dir;
    auto model = load_bert_folder(test::write_tiny_bert(dir.path / "m"), nullptr);
    const ModelInputs in = model->prepare_text({"the cat sat on the mat.", "a dog", ""});
    ASSERT_EQ(in.input_ids.shape, (Shape{3, 9}));
    EXPECT_EQ(in.tokens[1],
              (std::vector<std::string>{"[CLS]", "a", "dog", "[SEP]", "[PAD]", "[PAD]", "[PAD]", "[PAD]", "[PAD]"}));
    const ModelPass pass = model->run(in);
    ASSERT_EQ(pass.layers.size(), 2u);
    EXPECT_EQ(pass.last_hidden_state->shape, (Shape{3, 9, 16}));
    for (const LayerPass& l : pass.layers) {
        const Tensor& a = *l.attn;
        ASSERT_EQ(a.shape, (Shape{3, 2, 9, 9}));
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t h = 0; h < 2; ++h)
                for (int64_t q = 0; q < 9; ++q) {
                    double sum = 0;
                    for (int64_t k = 0; k < 9; ++k) {
                        const float w = a.data[static_cast<size_t>(((i * 2 + h) * 9 + q) * 9 + k)];
                        sum += w;
                        if (in.attention_mask.data[static_cast<size_t>(i * 9 + k)] == 0.0f) {
                            EXPECT_EQ(w, 0.0f);
                        }
                    }
                    EXPECT_NEAR(sum, 1.0, 1e-5);
                }
        EXPECT_EQ(l.value_norms().shape, (Shape{3, 2, 9}));
    }
    // The trace: transformers' steps in order, the held ones shared with the pass.
    const Trace& t = pass.layers[1].trace;
    std::vector<std::string> names;
    for (const TraceStep& s : t.steps)
        names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"hidden_states",
                                               "q",
                                               "k",
                                               "v",
                                               "q_heads",
                                               "k_heads",
                                               "v_heads",
                                               "scores",
                                               "scaled",
                                               "masked",
                                               "softmax",
                                               "context",
                                               "merge_heads",
                                               "attn_output",
                                               "attn_residual",
                                               "attn_layer_norm",
                                               "ffn_intermediate",
                                               "ffn_output",
                                               "ffn_residual",
                                               "ffn_layer_norm"}));
    EXPECT_EQ(t.module, "BertLayer");
    EXPECT_EQ(t.steps[1].code, "query_layer = self.transpose_for_scores(self.query(hidden_states))");
    EXPECT_EQ(t.steps[1].shape.to_string(), "[b, L, hidden] = [3, 9, 16]");
    EXPECT_EQ(t.steps[4].shape.to_string(), "[b, heads, L, depth] = [3, 2, 9, 8]");
    test::expect_same_tensor(t.find("hidden_states")->tensor(), *pass.layers[0].trace.output_data);
    test::expect_same_tensor(t.find("softmax")->tensor(), *pass.layers[1].attn);
    // Lazy steps replay the layer: its output again, and softmax of the masked scores.
    const Tensor replayed = t.find("ffn_residual")->tensor();
    const Tensor out = t.find("ffn_layer_norm")->tensor();
    EXPECT_EQ(replayed.shape, out.shape);
    const Tensor masked = t.find("masked")->tensor();
    const Tensor probs = t.find("softmax")->tensor();
    for (int64_t r = 0; r < 3 * 2 * 9; ++r) {
        float mx = -INFINITY;
        for (int64_t k = 0; k < 9; ++k)
            mx = std::max(mx, masked.data[static_cast<size_t>(r * 9 + k)]);
        double z = 0;
        for (int64_t k = 0; k < 9; ++k)
            z += std::exp(static_cast<double>(masked.data[static_cast<size_t>(r * 9 + k)]) - mx);
        for (int64_t k = 0; k < 9; ++k)
            EXPECT_NEAR(std::exp(static_cast<double>(masked.data[static_cast<size_t>(r * 9 + k)]) - mx) / z,
                        probs.data[static_cast<size_t>(r * 9 + k)], 1e-6);
    }
    EXPECT_EQ(pass.embeddings.steps.back().name, "extended_attention_mask");
    EXPECT_EQ(pass.embeddings.find("extended_attention_mask")->tensor().data[4 + 9],
              std::numeric_limits<float>::lowest());  // sentence 2's first padding
}

TEST(Bert, PaddingDoesNotChangeTheTokens) {
    // Padded keys get weight 0, so a sentence padded in a batch gives what it gives alone.
    TempFolder dir;
    auto model = load_bert_folder(test::write_tiny_bert(dir.path / "m"), nullptr);
    const ModelPass alone = model->run(model->prepare_text({"a dog"}));
    const ModelPass padded = model->run(model->prepare_text({"a dog", "the cat sat on the mat."}));
    const Tensor& x = *alone.last_hidden_state;
    const Tensor& y = *padded.last_hidden_state;  // [2, 9, 16]
    for (int64_t t = 0; t < 4; ++t)
        for (int64_t e = 0; e < 16; ++e)
            EXPECT_NEAR(x.data[static_cast<size_t>(t * 16 + e)], y.data[static_cast<size_t>(t * 16 + e)], 1e-5);
}

TEST(Bert, IdsGivenDirectly) {
    TempFolder dir;
    auto model = load_bert_folder(test::write_tiny_bert(dir.path / "m"), nullptr);
    Tensor ids({2, 3}, 0.0f, DType::Int64), mask({2, 3}, 1.0f, DType::Int64);
    ids.data = {2, 6, 3, 2, 19, 3};  // id 19: past vocab.txt, inside the embeddings
    const ModelInputs in = model->prepare_ids(ids, mask);
    EXPECT_EQ(in.tokens[0], (std::vector<std::string>{"[CLS]", "cat", "[SEP]"}));
    EXPECT_EQ(in.tokens[1][1], "[UNK]");
    EXPECT_NO_THROW(model->run(in));

    expect_error<ShapeError>([&] { model->prepare_ids(Tensor({3}, 0.0f, DType::Int64), mask); },
                             {"input_ids is [3]", "[b, L]"});
    expect_error<ShapeError>(
        [&] {
            model->prepare_ids(ids, Tensor({2, 4}, 1.0f, DType::Int64));
        },
        {"attention_mask is [2, 4]", "[2, 3]"});
    Tensor bad = ids;
    bad.data[4] = 20;
    expect_error<ShapeError>([&] { model->prepare_ids(bad, mask); }, {"input_ids[1, 1] is 20", "vocabulary of 20"});
    Tensor half = mask;
    half.data[0] = 0.5f;
    half.dtype = DType::Int64;
    expect_error<ShapeError>([&] { model->prepare_ids(ids, half); }, {"attention_mask[0, 0]", "1 (token) or 0"});
    Tensor floats = ids;
    floats.dtype = DType::F32;
    expect_error<ShapeError>([&] { model->prepare_ids(floats, mask); }, {"input_ids", "int64"});
    Tensor long_ids({1, 13}, 5.0f, DType::Int64), long_mask({1, 13}, 1.0f, DType::Int64);
    expect_error<ShapeError>([&] { model->prepare_ids(long_ids, long_mask); },
                             {"13 positions", "12 position embeddings"});
    expect_error<ConfigError>([&] { model->prepare_pixels(Tensor({1, 3, 4, 4})); }, {"takes sentences"});
}

TEST(Bert, LongSentencesAreCutWithAWarning) {
    TempFolder dir;
    auto model = load_bert_folder(test::write_tiny_bert(dir.path / "m"), nullptr);
    const ModelInputs in = model->prepare_text({"the cat sat on the mat the cat sat on the mat", "a dog"});
    EXPECT_EQ(in.input_ids.dim(1), 12);
    EXPECT_EQ(in.tokens[0].back(), "[SEP]");
    ASSERT_EQ(in.warnings.size(), 1u);
    EXPECT_NE(in.warnings[0].find("sentence 1 has 14 tokens"), std::string::npos) << in.warnings[0];
}

TEST(Bert, ProgressAndCancelWhileReading) {
    TempFolder dir;
    const std::string folder = test::write_tiny_bert(dir.path / "m");
    std::vector<std::string> stages;
    ForwardControl control;
    control.progress = [&](const std::string& stage, float) { stages.push_back(stage); };
    load_bert_folder(folder, nullptr, &control);
    ASSERT_FALSE(stages.empty());
    EXPECT_EQ(stages.front(), "reading model.safetensors");
    std::atomic<bool> cancel{true};
    control.cancel = &cancel;
    EXPECT_THROW(load_bert_folder(folder, nullptr, &control), Cancelled);
}

// Every way a folder can be wrong: one message naming the file and the problem.
class BertBadFolder : public ::testing::Test {
protected:
    TempFolder dir;
    std::string folder;
    void SetUp() override { folder = test::write_tiny_bert(dir.path / "m"); }
    void edit_config(const std::function<void(nlohmann::json&)>& f) {
        nlohmann::json c = test::tiny_bert_config(TinyBert{});
        f(c);
        test::write_json(folder + "/config.json", c);
    }
    void edit_tensors(const std::function<void(std::vector<NamedTensor>&)>& f) {
        auto t = test::tiny_bert_tensors(TinyBert{});
        f(t);
        write_safetensors(folder + "/model.safetensors", t);
    }
    void load() { load_bert_folder(folder, nullptr); }
};

TEST_F(BertBadFolder, NoConfigOrNotJson) {
    std::filesystem::remove(folder + "/config.json");
    expect_error<FileError>([&] { load(); }, {"config.json"});
    std::ofstream(folder + "/config.json") << "{\"model_type\": ";
    expect_error<FileError>([&] { load(); }, {"config.json", "not JSON"});
    std::ofstream(folder + "/config.json") << "[1]";
    expect_error<FileError>([&] { hf_model_type(folder); }, {"config.json", "not a JSON object"});
}

TEST_F(BertBadFolder, UnsupportedModelType) {
    edit_config([](nlohmann::json& c) { c["model_type"] = "roberta"; });
    expect_error<ConfigError>([&] { load(); }, {"config.json", "\"roberta\"", "bert, vit"});
    edit_config([](nlohmann::json& c) { c.erase("model_type"); });
    expect_error<ConfigError>([&] { load(); }, {"model_type is missing", "bert, vit"});
    edit_config([](nlohmann::json& c) { c["model_type"] = "vit"; });
    expect_error<ConfigError>([&] { load_bert_folder(folder, nullptr); }, {"vit model", "not a BERT"});
}

TEST_F(BertBadFolder, ConfigAgainstTensors) {
    edit_config([](nlohmann::json& c) { c["num_attention_heads"] = 3; });
    expect_error<ConfigError>([&] { load(); }, {"num_attention_heads 3 does not divide hidden_size 16"});
    edit_config([](nlohmann::json& c) { c["num_hidden_layers"] = 4; });
    expect_error<ConfigError>([&] { load(); }, {"num_hidden_layers 4", "holds 2 layers"});
    edit_config([](nlohmann::json& c) {
        c["hidden_size"] = 32;
        c["num_attention_heads"] = 4;
    });
    expect_error<ShapeError>([&] { load(); },
                             {"embeddings.word_embeddings.weight is [20, 16]", "config.json makes it [20, 32]"});
    edit_config([](nlohmann::json& c) { c["hidden_act"] = "mish"; });
    expect_error<ConfigError>([&] { load(); }, {"hidden_act \"mish\"", "gelu"});
    edit_config([](nlohmann::json& c) { c["position_embedding_type"] = "relative_key"; });
    expect_error<ConfigError>([&] { load(); }, {"relative_key", "absolute"});
    edit_config([](nlohmann::json& c) { c["hidden_size"] = "16"; });
    expect_error<FileError>([&] { load(); }, {"hidden_size is \"16\"", "whole number"});
}

TEST_F(BertBadFolder, MissingOrMisshapenTensor) {
    edit_tensors([](std::vector<NamedTensor>& t) {
        t.erase(
            std::remove_if(t.begin(), t.end(),
                           [](const NamedTensor& n) { return n.first == "bert.encoder.layer.1.output.dense.bias"; }),
            t.end());
    });
    expect_error<ShapeError>([&] { load(); },
                             {"model.safetensors has no tensor encoder.layer.1.output.dense.bias", "[16]"});
    edit_tensors([](std::vector<NamedTensor>& t) {
        for (auto& [n, x] : t)
            if (n == "bert.encoder.layer.0.attention.self.key.weight") x = Tensor({16, 8});
    });
    expect_error<ShapeError>([&] { load(); },
                             {"encoder.layer.0.attention.self.key.weight is [16, 8]", "config.json makes it [16, 16]"});
}

TEST_F(BertBadFolder, NoVocabOrCheckpoint) {
    std::filesystem::remove(folder + "/vocab.txt");
    expect_error<FileError>([&] { load(); }, {"no vocab.txt"});
    test::write_tiny_bert(folder);
    std::filesystem::remove(folder + "/model.safetensors");
    expect_error<FileError>([&] { load(); }, {"no model.safetensors and no pytorch_model.bin"});
    std::ofstream(folder + "/model.safetensors") << "not a checkpoint";
    expect_error<FileError>([&] { load(); }, {"model.safetensors", "not a safetensors file"});
}

TEST_F(BertBadFolder, IntegerWeights) {
    // A weight stored as integers is refused by name; an integer position_ids buffer is skipped.
    std::vector<uint8_t> bytes = encode_safetensors(test::tiny_bert_tensors(TinyBert{}));
    const size_t at = std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()).find("\"F32\"");
    ASSERT_NE(at, std::string::npos);
    // The first tensor's F32 becomes I32 (same width, so the offsets still fit).
    bytes[at + 1] = 'I';
    std::ofstream(folder + "/model.safetensors", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    expect_error<FileError>([&] { load(); }, {"is I32", "F32, F16, BF16"});
}

}  // namespace
}  // namespace attn
