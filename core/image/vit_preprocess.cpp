#include "image/vit_preprocess.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

namespace attn {

namespace {

using nlohmann::json;

[[noreturn]] void bad_field(const std::string& name, const std::string& field, const std::string& what) {
    throw FileError(name + ": field \"" + field + "\" " + what);
}

// A value for a message: its JSON, cut short.
std::string shown(const json& v) {
    std::string s = v.dump();
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
}

// Python's truthiness for the do_* flags: null (None) is false, as in ViTImageProcessor.preprocess.
void read_flag(const json& j, const std::string& name, const char* field, bool& out) {
    const auto it = j.find(field);
    if (it == j.end()) return;
    if (it->is_null()) {
        out = false;
    } else if (it->is_boolean()) {
        out = it->get<bool>();
    } else {
        bad_field(name, field, "must be true or false, got " + shown(*it));
    }
}

int64_t read_side(const json& v, const std::string& name, const std::string& field) {
    if (!v.is_number_integer()) bad_field(name, field, "must be a whole number of pixels, got " + shown(v));
    // is_number_integer covers unsigned values above INT64_MAX too: compare as unsigned first.
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(kMaxImageSide))
        bad_field(name, field, "must be 1.." + std::to_string(kMaxImageSide) + ", got " + shown(v));
    const int64_t side = v.get<int64_t>();
    if (side < 1 || side > kMaxImageSide)
        bad_field(name, field, "must be 1.." + std::to_string(kMaxImageSide) + ", got " + shown(v));
    return side;
}

// get_size_dict: an int is a square, a list is [height, width], a dict must be one of
// transformers' key sets; ViTImageProcessor.resize then needs height and width.
void read_size(const json& j, const std::string& name, VitPreprocessConfig& c) {
    const auto it = j.find("size");
    if (it == j.end() || it->is_null()) return;
    const json& s = *it;
    if (s.is_number_integer()) {
        c.height = c.width = read_side(s, name, "size");
    } else if (s.is_array()) {
        if (s.size() != 2) bad_field(name, "size", "as a list must be [height, width], got " + shown(s));
        c.height = read_side(s[0], name, "size[0]");
        c.width = read_side(s[1], name, "size[1]");
    } else if (s.is_object()) {
        std::set<std::string> keys;
        for (const auto& [k, v] : s.items())
            keys.insert(k);
        static const std::set<std::set<std::string>> others = {
            {"shortest_edge"}, {"shortest_edge", "longest_edge"}, {"longest_edge"}, {"max_height", "max_width"}};
        if (keys == std::set<std::string>{"height", "width"}) {
            c.height = read_side(s["height"], name, "size.height");
            c.width = read_side(s["width"], name, "size.width");
        } else if (others.count(keys)) {
            throw ConfigError(name + ": size " + shown(s) +
                              " is not supported: ViTImageProcessor resizes to {\"height\": h, \"width\": w} "
                              "(transformers refuses this size for ViT too)");
        } else {
            bad_field(name, "size", "must be {\"height\": h, \"width\": w}, got " + shown(s));
        }
    } else {
        bad_field(name, "size", "must be {\"height\": h, \"width\": w}, an integer or [h, w], got " + shown(s));
    }
}

double read_finite(const json& v, const std::string& name, const std::string& field) {
    if (!v.is_number()) bad_field(name, field, "must be a number, got " + shown(v));
    const double d = v.get<double>();
    if (!std::isfinite(d)) bad_field(name, field, "must be finite, got " + shown(v));
    return d;
}

// image_mean / image_std: one number for every channel, or one per channel.
void read_per_channel(const json& j, const std::string& name, const char* field, std::array<double, 3>& out) {
    const auto it = j.find(field);
    if (it == j.end() || it->is_null()) return;
    if (it->is_number()) {
        out.fill(read_finite(*it, name, field));
    } else if (it->is_array()) {
        if (it->size() != 3)
            bad_field(name, field, "must have 3 values (one per RGB channel), got " + std::to_string(it->size()));
        for (size_t i = 0; i < 3; ++i)
            out[i] = read_finite((*it)[i], name, std::string(field) + "[" + std::to_string(i) + "]");
    } else {
        bad_field(name, field, "must be a number or a list of 3 numbers, got " + shown(*it));
    }
}

}  // namespace

VitPreprocessConfig parse_preprocessor_config_text(const std::string& text, const std::string& name) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw FileError(name + ": not valid JSON (" + e.what() + ")");
    }
    if (!j.is_object()) throw FileError(name + ": expected a JSON object, got " + shown(j));

    VitPreprocessConfig c;
    read_flag(j, name, "do_resize", c.do_resize);
    read_size(j, name, c);
    if (const auto it = j.find("resample"); it != j.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 5)
            bad_field(name, "resample",
                      "must be one of PIL's filters 0..5 (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, "
                      "5 hamming), got " +
                          shown(*it));
        c.resample = ResampleFilter(it->get<int>());
    }
    read_flag(j, name, "do_rescale", c.do_rescale);
    if (const auto it = j.find("rescale_factor"); it != j.end()) {
        if (it->is_null()) {
            if (c.do_rescale) bad_field(name, "rescale_factor", "is null but do_rescale is true");
        } else {
            c.rescale_factor = read_finite(*it, name, "rescale_factor");
        }
    }
    read_flag(j, name, "do_normalize", c.do_normalize);
    read_per_channel(j, name, "image_mean", c.image_mean);
    read_per_channel(j, name, "image_std", c.image_std);
    for (size_t i = 0; i < 3; ++i)
        if (c.image_std[i] == 0.0) bad_field(name, "image_std", "has a zero: normalising would divide by it");
    read_flag(j, name, "do_convert_rgb", c.do_convert_rgb);
    return c;
}

VitPreprocessConfig parse_preprocessor_config(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return parse_preprocessor_config_text(std::string(bytes.begin(), bytes.end()), path);
}

Tensor vit_pixel_values(const Rgb8Image& image, const VitPreprocessConfig& config) {
    const Rgb8Image resized =
        config.do_resize ? resize_like_pillow(image, int(config.width), int(config.height), config.resample) : image;
    const int64_t h = resized.height, w = resized.width, plane = h * w;
    Tensor out = Tensor::uninitialized({3, h, w});  // pixel_values: [3, H, W]
    float* dst = out.ptr();
    for (int64_t c = 0; c < 3; ++c) {
        // numpy: the mean and std become float32 arrays, like the image.
        const float mean = float(config.image_mean[size_t(c)]);
        const float stdev = float(config.image_std[size_t(c)]);
        for (int64_t i = 0; i < plane; ++i) {
            const uint8_t u = resized.pixels[size_t(i * 3 + c)];
            // rescale: upcast to float64, multiply, then downcast to float32.
            float v = config.do_rescale ? float(double(u) * config.rescale_factor) : float(u);
            if (config.do_normalize) v = (v - mean) / stdev;  // in float32, as numpy
            dst[c * plane + i] = v;
        }
    }
    return out;
}

Tensor vit_pixel_values(const Image& image, const VitPreprocessConfig& config) {
    return vit_pixel_values(rgb8_from_image(image), config);
}

}  // namespace attn
