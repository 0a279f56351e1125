#include "pipeline/scene_cache.h"

#include <filesystem>
#include <system_error>

namespace attn {

namespace {

constexpr size_t kImagesKept = 4;  // one per sentence of a small batch, and the last one tried

std::string config_key(const ModuleConfig& c, uint64_t seed) {
    return module_name(c.kind) + "/" + std::to_string(c.emb_dim) + "/" + std::to_string(c.head_count()) + "/" +
           std::to_string(c.in_channels) + "/" + std::to_string(seed);
}

}  // namespace

std::shared_ptr<const Image> SceneCache::image(const std::string& path, const BeforeDecode& before_decode) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    const int64_t mtime = ec ? 0 : std::filesystem::last_write_time(path, ec).time_since_epoch().count();
    for (auto it = images_.begin(); it != images_.end(); ++it) {
        if (!ec && it->path == path && it->size == size && it->mtime == mtime) {
            images_.splice(images_.begin(), images_, it);
            return images_.front().image;
        }
    }
    // A missing or broken file throws here, naming it.
    auto img = std::make_shared<const Image>(load_image(path, before_decode));
    if (!ec) {
        // The file's older picture would only take room.
        images_.remove_if([&](const CachedImage& c) { return c.path == path; });
        images_.push_front({path, size, mtime, img});
        if (images_.size() > kImagesKept) images_.pop_back();
    }
    return img;
}

Weights SceneCache::random_weights(const ModuleConfig& config, uint64_t seed) {
    const std::string key = config_key(config, seed);
    if (key != weights_key_) {
        weights_ = init_weights(config, seed);
        weights_key_ = key;
    }
    return weights_;
}

}  // namespace attn
