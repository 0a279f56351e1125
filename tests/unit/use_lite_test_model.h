// A small use-lite with random weights, written to a folder as `attnscope-cli fetch` leaves the
// real one (model.json + shards in the TensorFlow.js layout, vocab.json, LICENSE, the fetch
// marker), under the real model's tensor names. Its sizes differ from the real ones (emb 8,
// hidden 12, 2 heads, FFN 20, 6 positions) so that nothing can be hard-coded; and a reference of
// its forward pass written from the equations of ../shared/models/use-lite.md, in double, one
// sentence at a time.
#pragma once

#include "model/random.h"
#include "models/model_cache.h"
#include "tfjs_test_files.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace attn::test {

struct TinyUseLite {
    static constexpr int64_t kEmb = 8, kHidden = 12, kHeads = 2, kFfn = 20, kPositions = 6, kRows = 14;
    static constexpr int64_t kDepth0 = 4, kDepth1 = 6;  // layer 0: 2 x 4 = emb; layer 1: 2 x 6 = hidden
    std::map<std::string, Tensor> t;                    // by the real model's names
    std::vector<std::pair<std::string, double>> vocab;

    static std::string A() { return "module_apply_default/Encoder_en/KonaTransformer/Encode/"; }
    static std::string TS() { return A() + "TransformerStack/"; }
    static std::string M() { return "module/Encoder_en/KonaTransformer/Encode/"; }
    static std::string layer(const std::string& prefix, int l) {
        return prefix + "Layer_" + std::to_string(l) + "/TransformerLayer/";
    }

    explicit TinyUseLite(uint64_t seed) {
        Random rng(seed);
        auto random = [&](Shape s, float scale) {
            Tensor x(std::move(s));
            for (float& v : x.data)
                v = scale * rng.normal();
            return x;
        };
        auto scalar = [](float v) {
            Tensor x(Shape{});
            x.data = {v};
            return x;
        };
        auto count = [](int64_t v) {
            Tensor x(Shape{}, 0.0f, DType::Int64);
            x.data = {static_cast<float>(v)};
            return x;
        };
        t["module/Embeddings_en"] = random({kRows, kEmb}, 1.0f);
        Tensor inv({1, kEmb / 2});
        for (int64_t c = 0; c < kEmb / 2; ++c)
            inv.data[c] = static_cast<float>(std::exp(-std::log(1e4) * c / (kEmb / 2 - 1)));
        t[TS() + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1"] = inv;
        const int64_t in[2] = {kEmb, kHidden}, depth[2] = {kDepth0, kDepth1};
        for (int l = 0; l < 2; ++l) {
            const std::string a = layer(A(), l), s = layer(TS(), l), m = layer(M(), l);
            const int64_t E = kHeads * depth[l];
            const std::string ln = "layer_prepostprocess/layer_norm/layer_norm_";
            t[a + ln + "scale/ConcatPartitions/concat"] = random({in[l]}, 0.3f);
            for (float& v : t[a + ln + "scale/ConcatPartitions/concat"].data)
                v += 1.0f;
            t[a + ln + "bias/ConcatPartitions/concat"] = random({in[l]}, 0.2f);
            t[m + "MultiheadAttention/qkv_transform_single/kernel/part_0"] = random({1, 1, in[l], 3 * E}, 0.6f);
            t[a + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"] = random({3 * E}, 0.3f);
            t[m + "MultiheadAttention/output_transform_single/kernel/part_0"] = random({1, 1, E, kHidden}, 0.4f);
            t[a + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"] = random({kHidden}, 0.2f);
            t[s + "MultiheadAttention/mul/y"] = scalar(static_cast<float>(1.0 / std::sqrt(depth[l])));
            t[s + "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3"] = count(depth[l]);
            t[s + "MultiheadAttention/combine_heads/combine_last_two_dimensions/Reshape/shape/2"] = count(E);
            if (l == 0) {
                t[a + "dense/kernel/ConcatPartitions/concat"] = random({kEmb, kHidden}, 0.4f);
                t[a + "dense/bias/ConcatPartitions/concat"] = random({kHidden}, 0.2f);
            }
            t[a + "FFN/" + ln + "scale/ConcatPartitions/concat"] = random({kHidden}, 0.3f);
            t[a + "FFN/" + ln + "bias/ConcatPartitions/concat"] = random({kHidden}, 0.2f);
            t[s + "FFN/conv1/Tensordot/Reshape_1"] = random({kHidden, kFfn}, 0.4f);
            t[a + "FFN/conv1/bias/ConcatPartitions/concat"] = random({kFfn}, 0.2f);
            t[s + "FFN/conv2/Tensordot/Reshape_1"] = random({kFfn, kHidden}, 0.3f);
            t[a + "FFN/conv2/bias/ConcatPartitions/concat"] = random({kHidden}, 0.2f);
        }
        // As in the real file: one head count (Layer_1's), one epsilon and one padding bias.
        t[layer(TS(), 1) + "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2"] = count(kHeads);
        t[layer(TS(), 1) + "FFN/layer_prepostprocess/layer_norm/Cast/x"] = scalar(1e-6f);
        t[layer(TS(), 1) + "MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y"] =
            scalar(-1e9f);
        t["module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y"] = scalar(1e-12f);
        t["module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y"] = count(kPositions);
        t["module/Encoder_en/hidden_layers/tanh_layer_0/weights"] = random({kHidden, kHidden}, 0.4f);
        t["module/Encoder_en/hidden_layers/tanh_layer_0/bias"] = random({kHidden}, 0.2f);
        // Pieces: the reserved six, then single letters and a few words.
        vocab = {{"\xEF\xBF\xBD", 0}, {"<s>", 0}, {"</s>", 0}, {"e1", 0}, {"e2", 0}, {"e3", 0}};
        for (const char* p : {"\xE2\x96\x81", "a", "b", "c",
                              "\xE2\x96\x81"
                              "ab",
                              "\xE2\x96\x81"
                              "c"})
            vocab.emplace_back(p, -2.0 - 0.1 * static_cast<double>(vocab.size()));
    }

    // The folder, complete with the fetch marker. `skip` leaves one tensor out of the manifest.
    void write(const std::filesystem::path& dir, const std::string& skip = "") const {
        std::vector<TfjsEntry> entries;
        for (const auto& [name, tensor] : t)
            if (name != skip) entries.push_back({name, tensor, tensor.dtype == DType::Int64 ? "int32" : "float32"});
        write_tfjs_folder(dir, entries, 1000);
        nlohmann::json v = nlohmann::json::array();
        for (const auto& [piece, score] : vocab)
            v.push_back({piece, score});
        std::ofstream(dir / "vocab.json") << v.dump();
        std::ofstream(dir / "LICENSE") << "Apache License 2.0 (test copy)\n";
        FetchRecord record{"use-lite", use_lite_package().npm_spec, use_lite_package().sha256, {}};
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.path().filename() != kFetchMarker)
                record.files.emplace_back(e.path().filename().string(), std::filesystem::file_size(e.path()));
        write_fetch_record(dir.string(), record);
    }

    // ---- the reference: one sentence of ids, in double ----
    using Mat = std::vector<std::vector<double>>;
    struct Result {
        std::vector<Mat> att[2];        // [layer][head] -> [n, n]
        Mat hidden;                     // [n, hidden]
        std::vector<double> embedding;  // [hidden]
    };

    const Tensor& get(const std::string& name) const { return t.at(name); }

    static Mat matmul(const Mat& x, const Tensor& w, const Tensor& b) {  // w [.., in, out]
        const int64_t in = w.dim(-2), out = w.dim(-1);
        Mat y(x.size(), std::vector<double>(static_cast<size_t>(out)));
        for (size_t r = 0; r < x.size(); ++r)
            for (int64_t o = 0; o < out; ++o) {
                double s = b.data[o];
                for (int64_t k = 0; k < in; ++k)
                    s += x[r][k] * w.data[k * out + o];
                y[r][o] = s;
            }
        return y;
    }
    static Mat layer_norm(const Mat& x, const Tensor& g, const Tensor& b, double eps) {
        Mat y = x;
        for (size_t r = 0; r < x.size(); ++r) {
            const double n = static_cast<double>(x[r].size());
            double mean = 0, var = 0;
            for (double v : x[r])
                mean += v / n;
            for (double v : x[r])
                var += (v - mean) * (v - mean) / n;
            for (size_t c = 0; c < x[r].size(); ++c)
                y[r][c] = (x[r][c] - mean) / std::sqrt(var + eps) * g.data[c] + b.data[c];
        }
        return y;
    }

    Result reference(const std::vector<int64_t>& ids) const {
        const size_t n = ids.size();
        const Tensor& E = get("module/Embeddings_en");
        const Tensor& inv = get(TS() + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1");
        Mat x(n, std::vector<double>(kEmb));
        for (size_t p = 0; p < n; ++p)
            for (int64_t c = 0; c < kEmb; ++c) {
                const double e = E.data[ids[p] * kEmb + c];
                const double arg = static_cast<double>(p) * inv.data[c % (kEmb / 2)];
                x[p][c] = 2 * e + (c < kEmb / 2 ? std::sin(arg) : std::cos(arg));  // e + (e + t)
            }
        Result r;
        const int64_t depth[2] = {kDepth0, kDepth1};
        for (int l = 0; l < 2; ++l) {
            const std::string a = layer(A(), l), s = layer(TS(), l), m = layer(M(), l);
            const std::string ln = "layer_prepostprocess/layer_norm/layer_norm_";
            const Mat h = layer_norm(x, get(a + ln + "scale/ConcatPartitions/concat"),
                                     get(a + ln + "bias/ConcatPartitions/concat"), 1e-6);
            const Mat qkv = matmul(h, get(m + "MultiheadAttention/qkv_transform_single/kernel/part_0"),
                                   get(a + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"));
            const int64_t D = depth[l], W = kHeads * D;
            const double scale = get(s + "MultiheadAttention/mul/y").data[0];
            Mat ctx(n, std::vector<double>(static_cast<size_t>(W)));
            for (int64_t hd = 0; hd < kHeads; ++hd) {
                Mat a_h(n, std::vector<double>(n));
                for (size_t i = 0; i < n; ++i) {
                    double mx = -1e300;
                    for (size_t j = 0; j < n; ++j) {
                        double dot = 0;
                        for (int64_t d = 0; d < D; ++d)
                            dot += qkv[i][hd * D + d] * scale * qkv[j][W + hd * D + d];
                        a_h[i][j] = dot;
                        mx = std::max(mx, dot);
                    }
                    double sum = 0;
                    for (size_t j = 0; j < n; ++j)
                        sum += a_h[i][j] = std::exp(a_h[i][j] - mx);
                    for (size_t j = 0; j < n; ++j)
                        a_h[i][j] /= sum;
                    for (int64_t d = 0; d < D; ++d)
                        for (size_t j = 0; j < n; ++j)
                            ctx[i][hd * D + d] += a_h[i][j] * qkv[j][2 * W + hd * D + d];
                }
                r.att[l].push_back(a_h);
            }
            const Mat o = matmul(ctx, get(m + "MultiheadAttention/output_transform_single/kernel/part_0"),
                                 get(a + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"));
            const Mat res = l == 0 ? matmul(x, get(a + "dense/kernel/ConcatPartitions/concat"),
                                            get(a + "dense/bias/ConcatPartitions/concat"))
                                   : x;
            Mat y(n, std::vector<double>(kHidden));
            for (size_t i = 0; i < n; ++i)
                for (int64_t c = 0; c < kHidden; ++c)
                    y[i][c] = o[i][c] + res[i][c];
            const Mat f = layer_norm(y, get(a + "FFN/" + ln + "scale/ConcatPartitions/concat"),
                                     get(a + "FFN/" + ln + "bias/ConcatPartitions/concat"), 1e-6);
            Mat f1 =
                matmul(f, get(s + "FFN/conv1/Tensordot/Reshape_1"), get(a + "FFN/conv1/bias/ConcatPartitions/concat"));
            for (auto& row : f1)
                for (double& v : row)
                    v = std::max(v, 0.0);
            const Mat f2 =
                matmul(f1, get(s + "FFN/conv2/Tensordot/Reshape_1"), get(a + "FFN/conv2/bias/ConcatPartitions/concat"));
            for (size_t i = 0; i < n; ++i)
                for (int64_t c = 0; c < kHidden; ++c)
                    y[i][c] += f2[i][c];
            x = y;
        }
        r.hidden = x;
        Mat mean(1, std::vector<double>(kHidden));
        for (size_t i = 0; i < n; ++i)
            for (int64_t c = 0; c < kHidden; ++c)
                mean[0][c] += x[i][c] / static_cast<double>(n);
        Mat y = matmul(mean, get("module/Encoder_en/hidden_layers/tanh_layer_0/weights"),
                       get("module/Encoder_en/hidden_layers/tanh_layer_0/bias"));
        double norm = 0;
        for (double& v : y[0]) {
            v = std::tanh(v);
            norm += v * v;
        }
        for (double v : y[0])
            r.embedding.push_back(v / std::sqrt(norm));
        return r;
    }
};

}  // namespace attn::test
