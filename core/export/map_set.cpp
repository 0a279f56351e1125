#include "export/map_set.h"

#include "errors.h"
#include "export/attention_maps.h"
#include "export/dump.h"
#include "export/png.h"
#include "io/atomic_file.h"
#include "render/downsample.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>

namespace attn {

namespace {

bool is_pad(const Scene& scene, int64_t i, int64_t j) {
    if (!scene.inputs.pad_mask) return false;
    const Tensor& m = *scene.inputs.pad_mask;
    return m.data[static_cast<size_t>(i * m.dim(1) + j)] != 0.0f;
}

// One (batch, head) matrix as it is drawn: all of it when its cells fit kMatrixMapSide at 1 px
// (each with its grid line), else the mean of the cells under each drawn cell, a drawn column
// padding only when all of its keys are.
struct DrawnMatrix {
    const float* values = nullptr;  // [rows, cols]: the weights themselves, or `reduced`
    int64_t rows = 0, cols = 0;
    Downsampled reduced;
    std::vector<bool> key_is_pad;
    int cell_px = 1;
};

DrawnMatrix fit_matrix(const float* weights, int64_t Lq, int64_t Lk, const std::vector<bool>& key_is_pad,
                       int cell_px) {
    const int64_t most = (kMatrixMapSide - 1) / 2;  // cells a side at 1 px and a grid line each
    const int64_t longest = std::max(Lq, Lk);
    DrawnMatrix d;
    if (longest <= most) {
        d.values = weights;
        d.rows = Lq;
        d.cols = Lk;
        d.key_is_pad = key_is_pad;
        d.cell_px = static_cast<int>(std::clamp<int64_t>((kMatrixMapSide - 1) / longest - 1, 1, cell_px));
        return d;
    }
    d.rows = std::max<int64_t>(1, Lq * most / longest);
    d.cols = std::max<int64_t>(1, Lk * most / longest);
    d.reduced = area_mean(weights, Lq, Lk, d.rows, d.cols);
    d.values = d.reduced.values.data();
    d.key_is_pad.resize(static_cast<size_t>(d.cols));
    for (int64_t c = 0; c < d.cols; ++c) {
        bool all = true;
        for (int64_t k = c * Lk / d.cols; k < (c + 1) * Lk / d.cols && all; ++k)
            all = key_is_pad[static_cast<size_t>(k)];
        d.key_is_pad[static_cast<size_t>(c)] = all;
    }
    return d;
}

}  // namespace

std::vector<std::string> export_attention_maps(const Scene& scene, const Trace& trace, const std::string& dir,
                                               const MapExportOptions& options) {
    make_directories(dir);
    const ModuleConfig& m = scene.module;
    const Tensor& attn = trace.attn();
    const bool multi = has_heads(m.kind);
    const int64_t b = attn.dim(0), H = multi ? attn.dim(1) : 1, Lq = attn.dim(-2), Lk = attn.dim(-1);
    std::vector<std::string> written;
    nlohmann::json index = nlohmann::json::array();

    auto save = [&](const std::string& file, const RgbImage& img, nlohmann::json entry) {
        const std::string path = (std::filesystem::path(dir) / file).string();
        write_png(path, img);
        written.push_back(path);
        entry["file"] = file;
        entry["width"] = img.width;
        entry["height"] = img.height;
        index.push_back(std::move(entry));
    };
    // attn[i, hd, q, k] in either layout ([b, heads, Lq, Lk] or [b, Lq, Lk]).
    auto at = [&](int64_t i, int64_t hd, int64_t q, int64_t k) {
        return attn.data[static_cast<size_t>(((i * H + hd) * Lq + q) * Lk + k)];
    };

    if (is_cross(m.kind)) {
        const int64_t gh = scene.inputs.x.dim(2), gw = scene.inputs.x.dim(3);
        std::vector<float> map(static_cast<size_t>(Lq));
        for (int64_t i = 0; i < b; ++i) {
            const Tensor* background =
                i < static_cast<int64_t>(scene.images.size()) && scene.images[static_cast<size_t>(i)]
                    ? &scene.images[static_cast<size_t>(i)]->rgb
                    : nullptr;
            for (int64_t t = 0; t < Lk; ++t) {
                if (is_pad(scene, i, t)) continue;
                const std::string label = scene.key_label(i, t);
                const std::string stem = "b" + std::to_string(i) + "_";
                const std::string tail = "_t" + std::to_string(t) + "_" + file_safe_token(label) + ".png";
                std::vector<float> mean(static_cast<size_t>(Lq), 0.0f);
                for (int64_t hd = 0; hd < H; ++hd) {
                    for (int64_t p = 0; p < Lq; ++p) {
                        map[p] = at(i, hd, p, t);
                        mean[p] += map[p] / static_cast<float>(H);
                    }
                    save(stem + "h" + std::to_string(hd) + tail,
                         render_cross_map(map.data(), gh, gw, background, options.colormap, options.opacity),
                         {{"batch", i}, {"head", hd}, {"token_index", t}, {"token", label}});
                }
                if (H > 1)
                    save(stem + "mean" + tail,
                         render_cross_map(mean.data(), gh, gw, background, options.colormap, options.opacity),
                         {{"batch", i}, {"head", "mean"}, {"token_index", t}, {"token", label}});
            }
        }
    } else {
        for (int64_t i = 0; i < b; ++i) {
            std::vector<bool> key_is_pad(static_cast<size_t>(Lk));
            std::vector<std::string> keys, queries;
            for (int64_t k = 0; k < Lk; ++k) {
                key_is_pad[k] = is_pad(scene, i, k);
                keys.push_back(scene.key_label(i, k));
            }
            for (int64_t q = 0; q < Lq; ++q)
                queries.push_back(scene.query_label(i, q));
            for (int64_t hd = 0; hd < H; ++hd) {
                // One head's [Lq, Lk] block of att_weights is contiguous.
                const DrawnMatrix d = fit_matrix(&attn.data[static_cast<size_t>((i * H + hd) * Lq * Lk)], Lq, Lk,
                                                 key_is_pad, options.cell_px);
                nlohmann::json entry = {{"batch", i}, {"head", hd}, {"queries", queries}, {"keys", keys},
                                        {"cell_px", d.cell_px}};
                if (d.rows != Lq || d.cols != Lk)
                    entry["cells_drawn"] = {d.rows, d.cols};  // each the mean of the cells under it
                save("b" + std::to_string(i) + "_h" + std::to_string(hd) + ".png",
                     render_matrix_map(d.values, d.rows, d.cols, d.key_is_pad, options.colormap, d.cell_px),
                     std::move(entry));
            }
        }
    }
    const std::string path = (std::filesystem::path(dir) / "maps.json").string();
    const std::string text = index.dump(2) + "\n";
    write_file_atomically(path, text.data(), text.size());
    written.push_back(path);
    return written;
}

}  // namespace attn
