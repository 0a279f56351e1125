// What is slow to make and rarely changes between two passes of an interactive session: decoded
// pictures and seeded random weights. The app's worker keeps one, so that typing a token does not
// decode the picture or draw 4 x emb_dim^2 random numbers again. Not thread-safe: one per thread.
#pragma once

#include "image/image.h"
#include "model/weights.h"

#include <cstdint>
#include <list>
#include <memory>
#include <string>

namespace attn {

class SceneCache {
public:
    // load_image(path, before_decode), or the picture decoded before when the file's size and time
    // are unchanged (then before_decode is not called). Shared, never copied: a 4096 x 4096
    // picture is 200 MB of floats.
    std::shared_ptr<const Image> image(const std::string& path, const BeforeDecode& before_decode = nullptr);
    // init_weights(config, seed), or the weights made before for the same config and seed.
    Weights random_weights(const ModuleConfig& config, uint64_t seed);

private:
    struct CachedImage {
        std::string path;
        uintmax_t size = 0;
        int64_t mtime = 0;
        std::shared_ptr<const Image> image;
    };
    std::list<CachedImage> images_;  // most recent first, a few at most
    std::string weights_key_;
    Weights weights_;
};

}  // namespace attn
