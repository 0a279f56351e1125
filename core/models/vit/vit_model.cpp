#include "models/vit/vit_model.h"

#include "errors.h"
#include "model/fused_attention.h"
#include "model/ops.h"
#include "model/recorder.h"
#include "models/hf/hf_folder.h"

#include <sys/stat.h>

#include <cmath>
#include <map>

namespace attn {

namespace {

using detail::hold;
using detail::named;

// The patches of pixel_values [b, C, H, W] as rows [b * rows * cols, C * ph * pw], each in the
// order of the conv weight's [C, ph, pw]: a Conv2d with stride = kernel is this product.
Tensor patch_rows(const Tensor& px, int64_t ph, int64_t pw) {
    const int64_t b = px.dim(0), C = px.dim(1), H = px.dim(2), W = px.dim(3);
    const int64_t rows = H / ph, cols = W / pw, width = C * ph * pw;
    Tensor out = Tensor::uninitialized({b * rows * cols, width});
    for (int64_t i = 0; i < b; ++i)
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t q = 0; q < cols; ++q) {
                float* dst = out.ptr() + ((i * rows + r) * cols + q) * width;
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t y = 0; y < ph; ++y) {
                        const float* src = px.ptr() + ((i * C + c) * H + r * ph + y) * W + q * pw;
                        std::copy(src, src + pw, dst + (c * ph + y) * pw);
                    }
            }
    return out;
}

// self.projection(pixel_values).flatten(2).transpose(1, 2): [b, patches, hidden]
Tensor patch_embeddings(const VitEmbeddingWeights& w, const Tensor& px, int64_t ph, int64_t pw) {
    const int64_t b = px.dim(0), patches = (px.dim(2) / ph) * (px.dim(3) / pw);
    Tensor y = dense(patch_rows(px, ph, pw), w.patch);
    return reshaped(std::move(y), {b, patches, w.patch.out_features()});
}

// torch.cat((cls_tokens, embeddings), dim=1) (+ self.position_embeddings when `positions`)
Tensor with_cls(const VitEmbeddingWeights& w, const Tensor& patches, bool positions) {
    const int64_t b = patches.dim(0), P = patches.dim(1), E = patches.dim(2), L = P + 1;
    Tensor y = Tensor::uninitialized({b, L, E});
    const float* pos = w.position.ptr();
    for (int64_t i = 0; i < b; ++i)
        for (int64_t t = 0; t < L; ++t) {
            const float* src = t == 0 ? w.cls_token.ptr() : patches.ptr() + (i * P + t - 1) * E;
            float* dst = y.ptr() + (i * L + t) * E;
            for (int64_t e = 0; e < E; ++e)
                dst[e] = positions ? src[e] + pos[t * E + e] : src[e];
        }
    return y;
}

std::shared_ptr<const EncoderLayerWeights> take_vit_layer(HfStateDict& sd, const HfConfig& c, int64_t i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    const int64_t E = c.hidden_size, I = c.intermediate_size;
    auto w = std::make_shared<EncoderLayerWeights>();
    w->norm1 = take_layer_norm(sd, p + "layernorm_before", E, c.layer_norm_eps);
    w->qkv = take_qkv(sd, p + "attention.attention.", E, c.qkv_bias);
    w->attn_output = take_dense(sd, p + "attention.output.dense", E, E);
    w->norm2 = take_layer_norm(sd, p + "layernorm_after", E, c.layer_norm_eps);
    w->intermediate = take_dense(sd, p + "intermediate.dense", I, E);
    w->output = take_dense(sd, p + "output.dense", E, I);
    return w;
}

}  // namespace

VitModel::VitModel(ModelInfo info, HfConfig config, VitEmbeddingWeights embeddings, HfEncoder encoder,
                   std::optional<VitPreprocessConfig> preprocess, std::string preprocess_error)
    : info_(std::move(info)),
      config_(std::move(config)),
      embeddings_(std::make_shared<const VitEmbeddingWeights>(std::move(embeddings))),
      encoder_(std::move(encoder)),
      preprocess_(std::move(preprocess)),
      preprocess_error_(std::move(preprocess_error)) {}

ModelInputs VitModel::prepare_images(const std::vector<std::string>& paths) const {
    if (!preprocess_) throw FileError(preprocess_error_);
    if (paths.empty()) throw ConfigError(info_.name + " takes pictures, and none were given");
    // Items that name the same file share one decoded picture.
    std::map<std::string, std::shared_ptr<const Image>> loaded;
    std::vector<std::shared_ptr<const Image>> images;
    std::vector<Tensor> pixels;
    for (const std::string& p : paths) {
        auto it = loaded.find(p);
        if (it == loaded.end()) it = loaded.emplace(p, std::make_shared<const Image>(load_image(p))).first;
        images.push_back(it->second);
        pixels.push_back(vit_pixel_values(*it->second, *preprocess_));  // [3, H, W]
    }
    const Shape one = pixels.front().shape;
    for (size_t i = 0; i < pixels.size(); ++i)
        if (pixels[i].shape != one)  // do_resize false: pictures keep their sizes
            throw ShapeError(paths[i] + " gives pixel_values " + shape_string(pixels[i].shape) + " and " + paths[0] +
                             " gives " + shape_string(one) +
                             ": preprocessor_config.json does not resize, so the "
                             "pictures of one batch must have one size");
    Shape batch = one;
    batch.insert(batch.begin(), static_cast<int64_t>(pixels.size()));
    Tensor px = Tensor::uninitialized(batch);
    for (size_t i = 0; i < pixels.size(); ++i)
        std::copy(pixels[i].data.begin(), pixels[i].data.end(),
                  px.data.begin() + static_cast<std::ptrdiff_t>(i * pixels[i].data.size()));
    ModelInputs in = prepare_pixels(px);
    in.images = std::move(images);
    return in;
}

double VitModel::weight_bytes() const {
    const VitEmbeddingWeights& e = *embeddings_;
    return encoder_.weight_bytes() + e.patch.bytes() +
           static_cast<double>(e.cls_token.numel() + e.position.numel() + e.final_norm.weight.numel() +
                               e.final_norm.bias.numel()) *
               sizeof(float);
}

void VitModel::check_pixels(const Tensor& px) const {
    const HfConfig& c = config_;
    if (px.rank() != 4 || px.dim(0) < 1 || px.dim(1) != c.num_channels || px.dim(2) != c.image_height ||
        px.dim(3) != c.image_width)
        throw ShapeError("pixel_values is " + shape_string(px.shape) + "; " + info_.name + " takes [b, " +
                         std::to_string(c.num_channels) + ", " + std::to_string(c.image_height) + ", " +
                         std::to_string(c.image_width) +
                         "] (config.json's image_size; pictures given with --image "
                         "are resized to it by the preprocessing)");
    if (px.dtype != DType::F32) throw ShapeError("pixel_values must hold floats (float32)");
    for (float v : px.data)
        if (!std::isfinite(v)) throw ShapeError("pixel_values holds NaN or infinity");
}

ModelInputs VitModel::prepare_pixels(const Tensor& pixel_values) const {
    check_pixels(pixel_values);
    ModelInputs in;
    const int64_t b = pixel_values.dim(0), P = patch_rows() * patch_cols(), L = P + 1;
    in.pixel_values = pixel_values;
    in.attention_mask = Tensor({b, L}, 1.0f, DType::Int64);
    in.patch_rows = patch_rows();
    in.patch_cols = patch_cols();
    in.prefix_tokens = 1;
    std::vector<std::string> labels = {"[CLS]"};
    for (int64_t p = 0; p < P; ++p)
        labels.push_back("p" + std::to_string(p));
    in.tokens.assign(static_cast<size_t>(b), labels);
    return in;
}

ModelPass VitModel::run(const ModelInputs& in, const ForwardControl* control) const {
    if (!in.pixel_values) throw ShapeError(info_.name + " takes pixel_values (pictures), and none were given");
    const Tensor& px = *in.pixel_values;
    check_pixels(px);
    const HfConfig& c = config_;
    const int64_t b = px.dim(0), P = patch_rows() * patch_cols(), L = P + 1, E = c.hidden_size;
    check_hf_pass_memory(encoder_, info_.name, b, L, control ? control->held_bytes : 0.0);
    const double rows = static_cast<double>(b * L);
    ThreadsForWork threads(static_cast<double>(encoder_.layers.size()) * 2.0 * rows *
                           (4.0 * E * E + 2.0 * E * c.intermediate_size + 2.0 * L * E));

    checkpoint(control, "embeddings", 0.0f);
    ModelPass pass;
    pass.embeddings.module = "ViTEmbeddings";
    detail::Recorder rec(pass.embeddings);
    auto w = embeddings_;
    const int64_t ph = c.patch_height, pw = c.patch_width, pr = patch_rows(), pc = patch_cols();
    TensorPtr pixels = hold(px);
    rec.held("pixel_values", "pixel_values  # ViTImageProcessor: resized, rescaled, normalised",
             named({"b", "channels", "height", "width"}, px.shape), "input", pixels);
    rec.lazy("patch_projection",
             "self.projection(pixel_values)  # Conv2d(kernel_size=stride=" + std::to_string(ph) + ")",
             named({"b", "hidden", "rows", "cols"}, {b, E, pr, pc}), "one hidden vector per patch", DType::F32,
             [w, pixels, ph, pw, pr, pc] {
                 const Tensor e = patch_embeddings(*w, *pixels, ph, pw);
                 return fold_hw(e, pr, pc);
             });
    rec.lazy("patch_embeddings", "embeddings = self.projection(pixel_values).flatten(2).transpose(1, 2)",
             named({"b", "patches", "hidden"}, {b, P, E}), "patches row-major, hidden last", DType::F32,
             [w, pixels, ph, pw] { return patch_embeddings(*w, *pixels, ph, pw); });
    rec.lazy("cls_concat", "embeddings = torch.cat((cls_tokens, embeddings), dim=1)",
             named({"b", "L", "hidden"}, {b, L, E}), "[CLS] in front: L = 1 + patches", DType::F32,
             [w, pixels, ph, pw] { return with_cls(*w, patch_embeddings(*w, *pixels, ph, pw), false); });
    TensorPtr h = hold(with_cls(*w, patch_embeddings(*w, px, ph, pw), true));
    rec.held("embeddings", "embeddings = embeddings + self.position_embeddings", named({"b", "L", "hidden"}, {b, L, E}),
             "position embeddings added: layer 0's input", h);
    pass.embeddings.output_data = h;

    pass.layers = run_hf_encoder(encoder_, h, nullptr, control, 0.05f, 1.0f);
    Tensor last = *pass.layers.back().trace.output_data;
    layer_norm_rows(last.ptr(), b * L, E, w->final_norm);
    pass.last_hidden_state = hold(std::move(last));
    pass.pooling.module = "ViTModel";
    detail::Recorder(pass.pooling)
        .held("layernorm", "sequence_output = self.layernorm(sequence_output)  # eps " + encoder_.eps_text,
              named({"b", "L", "hidden"}, {b, L, E}), "LayerNorm over hidden: last_hidden_state",
              pass.last_hidden_state);
    pass.pooling.output_data = pass.last_hidden_state;
    return pass;
}

std::unique_ptr<Model> load_vit_folder(const std::string& dir, std::vector<std::string>* warnings,
                                       const ForwardControl* control) {
    std::vector<std::string> notes;
    HfConfig c = read_hf_config(dir);
    if (c.model_type != "vit")
        throw ConfigError(dir + " holds a " + c.model_type + " model (config.json), not a ViT one");
    const Activation act = parse_activation(c.hidden_act, c.path);
    for (const std::string& d : c.defaulted)
        notes.push_back(c.path + " has no " + d);
    HfStateDict sd = HfStateDict::read(dir, "vit.", {"embeddings.", "encoder.", "layernorm."}, control);
    if (sd.layers_found() != c.num_hidden_layers)
        throw ConfigError(c.path + " says num_hidden_layers " + std::to_string(c.num_hidden_layers) + " but " +
                          sd.file() + " holds " + std::to_string(sd.layers_found()) + " layers (encoder.layer.N)");
    const int64_t E = c.hidden_size, C = c.num_channels, ph = c.patch_height, pw = c.patch_width;
    const int64_t P = (c.image_height / ph) * (c.image_width / pw);
    VitEmbeddingWeights emb;
    emb.cls_token = sd.take("embeddings.cls_token", {1, 1, E});
    emb.position = sd.take("embeddings.position_embeddings", {1, P + 1, E});
    Tensor patch = sd.take("embeddings.patch_embeddings.projection.weight", {E, C, ph, pw});
    patch.shape = {E, C * ph * pw};  // the conv over one patch is a product with this matrix
    emb.patch = Dense(patch, sd.take("embeddings.patch_embeddings.projection.bias", {E}));
    emb.final_norm = take_layer_norm(sd, "layernorm", E, c.layer_norm_eps);

    HfEncoder encoder;
    encoder.spec = EncoderSpec{E, c.num_attention_heads, c.intermediate_size, act, NormPlacement::Pre};
    encoder.eps_text = eps_text(c.layer_norm_eps);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i)
        encoder.layers.push_back(take_vit_layer(sd, c, i));
    const std::string unused = sd.unused_warning();
    if (!unused.empty()) notes.push_back(unused);
    // A folder whose preprocessing cannot be read still runs on pixel_values given directly.
    std::optional<VitPreprocessConfig> preprocess;
    std::string preprocess_error;
    const std::string pre_path = hf_file(dir, "preprocessor_config.json");
    struct stat st {};
    if (::stat(pre_path.c_str(), &st) != 0) {
        preprocess_error = dir +
                           " has no preprocessor_config.json: its pictures cannot be preprocessed "
                           "(pixel_values can still be given)";
        notes.push_back(preprocess_error);
    } else {
        try {
            preprocess = parse_preprocessor_config(pre_path);
        } catch (const Error& e) {
            preprocess_error = e.what();
            notes.push_back(preprocess_error + " (pixel_values can still be given)");
        }
    }

    ModelInfo info;
    info.family = ModelFamily::Vit;
    info.name = hf_display_name(dir);
    info.path = dir;
    info.layers = c.num_hidden_layers;
    info.heads = c.num_attention_heads;
    info.hidden = E;
    info.intermediate = c.intermediate_size;
    info.max_positions = P + 1;
    info.takes_text = false;
    info.image_height = c.image_height;
    info.image_width = c.image_width;
    info.patch_size = ph;
    if (warnings)
        for (std::string& n : notes)
            warnings->push_back(std::move(n));
    return std::make_unique<VitModel>(std::move(info), std::move(c), std::move(emb), std::move(encoder),
                                      std::move(preprocess), std::move(preprocess_error));
}

}  // namespace attn
