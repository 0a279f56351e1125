#include "pipeline/scene.h"

#include "pipeline/scene_cache.h"

#include "errors.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "model/input_checks.h"
#include "model/memory_budget.h"
#include "model/random.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

namespace attn {

const std::vector<std::string>& seed_sentences() {
    static const std::vector<std::string> s = {"Tom chases Jerry!", "The cat sleeps", "Jerry sees the cat"};
    return s;
}

int64_t effective_max_len(const std::vector<std::string>& sentences, int64_t max_len) {
    if (max_len > 0) return max_len;
    return sentences.empty() || sentences == seed_sentences() ? kSeedMaxLen : 0;
}

TokenBatch scene_tokens(const std::vector<std::string>& sentences, int64_t max_len) {
    if (max_len < 0)
        throw ConfigError("max_len must be 0 (auto: the longest sentence) or positive, not " + std::to_string(max_len));
    const std::vector<std::string>& used = sentences.empty() ? seed_sentences() : sentences;
    return make_token_batch(used, effective_max_len(used, max_len));
}

namespace {

// The embedding gets a stream of its own so that changing the module does not change it.
constexpr uint64_t kEmbeddingStream = 0x656D626564646E67ull;

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "[0, 2, 5]": the index of element `flat` of a tensor of this shape.
std::string index_string(const Shape& shape, int64_t flat) {
    Shape index(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    return shape_string(index);
}

// The engine computes in float32, as the seed's modules do. PyTorch refuses a float64 or integer
// input to float32 weights ("mat1 and mat2 must have the same dtype"); attnscope converts it and
// says so in a warning that names the dtype, so a numpy default (float64) still runs.
Tensor read_float_npy(const std::string& path, const std::string& role, std::vector<std::string>& warnings) {
    std::string dtype;
    Tensor t = read_npy(path, &dtype);
    if (t.dtype == DType::Bool)
        throw ShapeError(path + ": " + role + " must hold float32 values (or float64, int32, int64, converted), not " +
                         dtype);
    if (dtype != "float32")
        warnings.push_back(path + ": " + role + " holds " + dtype + " values; converted to float32" +
                           (dtype == "float64" ? " (rounded)" : "") +
                           ", as the modules compute in float32 (PyTorch would refuse " + dtype +
                           " with float32 weights; save it with .astype(numpy.float32))");
    t.dtype = DType::F32;
    // NaN or infinity in an input would spread through every score of its row: say where it is.
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < t.numel(); ++i)
        if (!std::isfinite(t.data[static_cast<size_t>(i)])) {
            if (first < 0) first = i;
            ++bad;
        }
    if (bad > 0) {
        const float v = t.data[static_cast<size_t>(first)];
        throw ShapeError(path + ": " + role + " " + shape_string(t.shape) + " holds " +
                         (std::isnan(v) ? "NaN"
                          : v > 0       ? "inf"
                                        : "-inf") +
                         " at " + index_string(t.shape, first) +
                         (bad > 1 ? " (" + std::to_string(bad) + " values are NaN or infinite in all)" : "") +
                         "; attention needs finite inputs");
    }
    return t;
}

Tensor read_mask_npy(const std::string& path) {
    Tensor t = read_npy(path);
    if (t.dtype != DType::Bool) throw ShapeError(path + ": pad_mask must be bool or uint8 (true = padding)");
    return t;
}

// nn.MultiheadAttention's attn_mask: bool (uint8 is read as bool, as torch does) or float; its
// shape and values are checked once the inputs are known (check_attn_mask).
Tensor read_attn_mask_npy(const std::string& path) {
    Tensor t = read_npy(path);
    if (t.dtype == DType::Int64)
        throw ShapeError(path +
                         ": attn_mask must be bool, uint8 or float32, not an integer type (bool True = not "
                         "allowed to attend; a float is added to the scores)");
    return t;
}

// What the scene holds so far. Each large allocation is checked together with everything held
// before it, so that a scene that cannot fit is refused, with its size, before the allocation
// that would not fit: never left to the out-of-memory killer.
struct Held {
    double bytes = 0.0;
    // Refuses `more` bytes on top of what is held, without keeping them (a transient buffer).
    void check(double more, const std::string& what, const std::string& advice) const {
        require_memory(bytes + more, "this scene, with " + what + ",", advice);
    }
    void add(double more, const std::string& what, const std::string& advice) {
        check(more, what, advice);
        bytes += more;
    }
};

// Image::rgb holds 3 floats a pixel.
double picture_bytes(int64_t width, int64_t height) {
    return 3.0 * sizeof(float) * static_cast<double>(width) * static_cast<double>(height);
}

std::string pixels_text(int64_t width, int64_t height) {
    return std::to_string(width) + " x " + std::to_string(height) + " pixels";
}

// The images of the batch, area-averaged to one grid: x [b, 3, grid_h, grid_w]; `images` gets a
// pointer per batch item. Each distinct file is decoded and averaged once however many sentences
// share it: a copy per sentence of a 4096 x 4096 picture took 12.8 GB for 64 sentences.
Tensor image_batch(const SceneSpec& spec, int64_t b, std::vector<std::shared_ptr<const Image>>& images,
                   SceneCache* cache, const ForwardControl* control, Held& held) {
    const std::vector<std::string>& paths = spec.image_paths;
    if (paths.size() != 1 && static_cast<int64_t>(paths.size()) != b)
        throw ConfigError(std::to_string(paths.size()) + " images for " + std::to_string(b) +
                          " sentences: give one image for the whole batch or one per sentence");

    // 1. The distinct pictures; batch item i lays its maps over pictures[picture_of[i]].
    std::vector<std::shared_ptr<const Image>> pictures;
    std::vector<std::string> picture_paths;
    std::vector<size_t> picture_of(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
        const std::string& path = paths[paths.size() == 1 ? 0 : static_cast<size_t>(i)];
        const auto known = std::find(picture_paths.begin(), picture_paths.end(), path);
        picture_of[static_cast<size_t>(i)] = static_cast<size_t>(known - picture_paths.begin());
        if (known != picture_paths.end()) continue;

        const std::string name = std::filesystem::path(path).filename().string();
        checkpoint(control, "reading " + name, 0.0f);
        auto before_decode = [&](const ImageSize& size) {
            checkpoint(control, "decoding " + name, 0.0f);
            // While decoding, stb's interleaved samples (up to 6 bytes a pixel, 16-bit) sit beside the floats.
            held.check(picture_bytes(size.width, size.height) + 6.0 * size.width * size.height,
                       "the picture " + path + " (" + pixels_text(size.width, size.height) + ") being decoded",
                       "use fewer or smaller pictures");
        };
        std::shared_ptr<const Image> picture =
            cache ? cache->image(path, before_decode) : std::make_shared<const Image>(load_image(path, before_decode));
        held.add(picture_bytes(picture->width, picture->height),
                 "the picture " + path + " (" + pixels_text(picture->width, picture->height) + ")",
                 "use fewer or smaller pictures");
        pictures.push_back(std::move(picture));
        picture_paths.push_back(path);
    }

    int64_t gh = spec.grid_h, gw = spec.grid_w;
    if (spec.full_resolution) {
        gh = pictures[0]->height;
        gw = pictures[0]->width;
        for (size_t k = 1; k < pictures.size(); ++k)
            if (pictures[k]->height != gh || pictures[k]->width != gw)
                throw ConfigError("full resolution needs images of one size: " + picture_paths[0] + " is " +
                                  std::to_string(gw) + "x" + std::to_string(gh) + ", " + picture_paths[k] + " is " +
                                  std::to_string(pictures[k]->width) + "x" + std::to_string(pictures[k]->height));
    }

    // 2. Average each picture once and copy its grid into the rows of the items that share it.
    const int64_t per = 3 * gh * gw;
    // x, and the grid of the picture being averaged (a picture's size at full resolution).
    held.add(4.0 * static_cast<double>(b + 1) * static_cast<double>(per),
             "x [b, 3, grid_h, grid_w] = [" + std::to_string(b) + ", 3, " + std::to_string(gh) + ", " +
                 std::to_string(gw) + "]",
             "use a smaller grid or fewer sentences");
    Tensor x({b, 3, gh, gw});
    for (size_t k = 0; k < pictures.size(); ++k) {
        const std::string stage = "area averaging " + std::filesystem::path(picture_paths[k]).filename().string();
        checkpoint(control, stage, 0.0f);
        const Tensor grid = area_average(*pictures[k], gh, gw, [&] { checkpoint(control, stage, 0.0f); });
        for (int64_t i = 0; i < b; ++i)
            if (picture_of[static_cast<size_t>(i)] == k)
                std::copy(grid.data.begin(), grid.data.end(), x.ptr() + i * per);
    }
    images.clear();
    for (int64_t i = 0; i < b; ++i)
        images.push_back(pictures[picture_of[static_cast<size_t>(i)]]);
    return x;
}

double tensor_bytes(const Tensor& t) {
    return static_cast<double>(t.numel()) * sizeof(float);
}

}  // namespace

Tensor embed(const Tensor& table, const Tensor& input_ids, const std::vector<std::string>& vocab) {
    const int64_t V = table.dim(0), E = table.dim(1), n = input_ids.numel();
    Shape shape = input_ids.shape;
    shape.push_back(E);
    Tensor out(shape);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t id = static_cast<int64_t>(input_ids.data[i]);
        if (id < 0 || id >= V)
            throw ShapeError("token id " + std::to_string(id) +
                             (id < static_cast<int64_t>(vocab.size()) ? " (\"" + vocab[id] + "\")" : "") +
                             " is outside embedding.weight " + shape_string(table.shape) +
                             ": the batch has more distinct tokens than the embedding has rows");
        std::copy(table.ptr() + id * E, table.ptr() + (id + 1) * E, out.ptr() + i * E);
    }
    return out;
}

Scene build_scene(const SceneSpec& spec, SceneCache* cache, const ForwardControl* control) {
    spec.module.validate();
    Held held;
    Scene scene;
    scene.module = spec.module;
    const bool cross = is_cross(spec.module.kind);

    // --- the weights file, read once: module parameters and perhaps an embedding -------------
    std::optional<SafetensorsFile> weights_file;
    if (spec.weights_path) weights_file = read_safetensors(*spec.weights_path);

    // --- the text side ---------------------------------------------------------------------
    const bool text_for_x = !cross && !spec.x_path;
    const bool text_for_context = cross && !spec.context_path;
    if (text_for_x || text_for_context) {
        scene.tokens = spec.tokens ? *spec.tokens : scene_tokens(spec.sentences, spec.max_len);
        for (const std::string& w : scene.tokens->warnings)
            scene.warnings.push_back(w);

        const int64_t E = spec.module.emb_dim;
        std::optional<Tensor> table;
        if (weights_file)
            for (const auto& [name, t] : weights_file->tensors)
                if (lower(name) == "embedding.weight") {
                    if (t.rank() != 2 || t.dim(1) != E)
                        throw ShapeError(*spec.weights_path + ": tensor \"" + name + "\" has shape " +
                                         shape_string(t.shape) + ", expected [vocab, " + std::to_string(E) + "]");
                    table = t;
                }
        const double tokens = static_cast<double>(scene.tokens->input_ids.numel());
        held.add(
            (tokens + static_cast<double>(scene.tokens->vocab.size())) * static_cast<double>(E) * sizeof(float),
            "embedding " + std::to_string(scene.tokens->input_ids.numel()) + " tokens at emb_dim " + std::to_string(E),
            "use a smaller emb_dim or shorter sentences");
        if (!table) {
            // nn.Embedding's default: N(0, 1), one row per vocabulary entry (row 0 is <pad>).
            table = Tensor({static_cast<int64_t>(scene.tokens->vocab.size()), E});
            Random rng(spec.seed ^ kEmbeddingStream);
            for (float& v : table->data)
                v = rng.normal();
        }
        scene.embedding = *table;
        Tensor embedded = embed(*table, scene.tokens->input_ids, scene.tokens->vocab);
        if (text_for_x)
            scene.inputs.x = std::move(embedded);
        else
            scene.inputs.context = std::move(embedded);
        scene.inputs.pad_mask = scene.tokens->pad_mask;
        scene.queries_are_tokens = text_for_x;
        scene.keys_are_tokens = true;
    }

    // --- tensors given directly --------------------------------------------------------------
    if (spec.x_path) scene.inputs.x = read_float_npy(*spec.x_path, "x", scene.warnings);
    if (spec.context_path) {
        if (!cross && spec.module.kind != ModuleKind::TorchMHA)
            throw ConfigError(module_class_name(spec.module.kind) +
                              " takes no context: its keys and values come from x");
        scene.inputs.context = read_float_npy(*spec.context_path, "context", scene.warnings);
        scene.keys_are_tokens = false;
        // The sentences' mask flags queries; a key_padding_mask must flag the context's keys.
        if (!cross) scene.inputs.pad_mask.reset();
    }
    if (spec.pad_mask_path) scene.inputs.pad_mask = read_mask_npy(*spec.pad_mask_path);
    if (spec.attn_mask_path) scene.inputs.attn_mask = read_attn_mask_npy(*spec.attn_mask_path);
    scene.inputs.causal = spec.causal;
    check_attn_mask(spec.module, scene.inputs,
                    spec.attn_mask_path ? *spec.attn_mask_path + ": attn_mask" : "attn_mask");

    // --- the image side ----------------------------------------------------------------------
    if (cross && !spec.x_path) {
        const int64_t b = scene.inputs.context ? scene.inputs.context->dim(0) : 1;
        if (spec.image_paths.empty())
            throw ConfigError(module_class_name(spec.module.kind) + " needs an image or an x tensor [b, c, h, w]");
        scene.inputs.x = image_batch(spec, b, scene.images, cache, control, held);
    } else if (!spec.image_paths.empty()) {
        scene.warnings.push_back(module_class_name(spec.module.kind) +
                                 " attends over tokens only: the image is not used");
    }

    if (cross) {
        if (scene.inputs.x.rank() != 4)
            throw ShapeError("x has shape " + shape_string(scene.inputs.x.shape) + ", " +
                             module_class_name(spec.module.kind) + " expects [b, c, h, w]");
        scene.module.in_channels = scene.inputs.x.dim(1);
    }
    scene.module.validate();

    // --- the weights ---------------------------------------------------------------------------
    checkpoint(control, "weights", 0.0f);
    if (weights_file)
        scene.weights = weights_from_tensors(scene.module, weights_file->tensors, *spec.weights_path, &scene.warnings);
    else
        scene.weights = cache ? cache->random_weights(scene.module, spec.seed) : init_weights(scene.module, spec.seed);
    return scene;
}

double scene_bytes(const Scene& scene) {
    double bytes = tensor_bytes(scene.inputs.x);
    if (scene.inputs.context) bytes += tensor_bytes(*scene.inputs.context);
    if (scene.inputs.pad_mask) bytes += tensor_bytes(*scene.inputs.pad_mask);
    if (scene.inputs.attn_mask) bytes += tensor_bytes(*scene.inputs.attn_mask);
    if (scene.embedding) bytes += tensor_bytes(*scene.embedding);
    for (const auto& [name, t] : scene.weights.params)
        bytes += tensor_bytes(t);
    // Each distinct picture once: the batch items that share one share the pointer.
    std::vector<const Image*> counted;
    for (const auto& picture : scene.images)
        if (picture && std::find(counted.begin(), counted.end(), picture.get()) == counted.end()) {
            counted.push_back(picture.get());
            bytes += tensor_bytes(picture->rgb);
        }
    return bytes;
}

std::string Scene::key_label(int64_t i, int64_t j) const {
    if (keys_are_tokens && tokens && i < static_cast<int64_t>(tokens->tokens.size())) {
        const auto& row = tokens->tokens[static_cast<size_t>(i)];
        return j < static_cast<int64_t>(row.size()) ? row[static_cast<size_t>(j)] : "<pad>";
    }
    return "t" + std::to_string(j);
}

std::string Scene::query_label(int64_t i, int64_t j) const {
    if (is_cross(module.kind)) return "pixel " + std::to_string(j);
    if (!queries_are_tokens || !tokens) return "t" + std::to_string(j);
    const auto& row = tokens->tokens[static_cast<size_t>(i)];
    return j < static_cast<int64_t>(row.size()) ? row[static_cast<size_t>(j)] : "<pad>";
}

}  // namespace attn
