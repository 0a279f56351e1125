// The worker's cache must never serve stale inputs: a changed file or setting is made again.
#include "errors.h"
#include "export/png.h"
#include "pipeline/scene.h"
#include "pipeline/scene_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include <unistd.h>

using namespace attn;
namespace fs = std::filesystem;

namespace {

RgbImage solid(int w, int h, uint8_t v) {
    RgbImage img{w, h, std::vector<uint8_t>(static_cast<size_t>(w * h * 3), v)};
    return img;
}

}  // namespace

TEST(SceneCache, PicturesAreReusedUntilTheFileChanges) {
    const fs::path dir = fs::path(testing::TempDir()) / ("scene_cache_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "p.png").string();
    write_png(path, solid(4, 3, 51));
    SceneCache cache;
    const auto first = cache.image(path);
    EXPECT_FLOAT_EQ(first->rgb.data[0], 51.0f / 255.0f);
    EXPECT_EQ(cache.image(path), first);  // the same picture again, shared, not a copy
    write_png(path, solid(5, 3, 204));    // another picture under the same name
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(2));
    const auto again = cache.image(path);
    EXPECT_EQ(again->width, 5);
    EXPECT_FLOAT_EQ(again->rgb.data[0], 204.0f / 255.0f);
    EXPECT_EQ(first->width, 4);  // a scene still holding the old picture keeps it unchanged
    fs::remove(path);
    EXPECT_THROW(cache.image(path), FileError);  // a vanished file is an error, not a cached copy
    fs::remove_all(dir);
}

TEST(SceneCache, RandomWeightsFollowTheConfigAndSeed) {
    ModuleConfig c;
    c.kind = ModuleKind::CrossMultiHead;
    c.emb_dim = 16;
    c.heads = 4;
    SceneCache cache;
    EXPECT_EQ(cache.random_weights(c, 1).get("Wq.weight").data, init_weights(c, 1).get("Wq.weight").data);
    EXPECT_EQ(cache.random_weights(c, 2).get("Wq.weight").data, init_weights(c, 2).get("Wq.weight").data);
    c.emb_dim = 8;
    EXPECT_EQ(cache.random_weights(c, 2).get("Wq.weight").shape, (Shape{8, 8}));
}

TEST(SceneCache, ASceneBuiltWithTheCacheEqualsOneBuiltWithout) {
    SceneSpec spec;
    spec.module.kind = ModuleKind::CrossMultiHead;
    spec.module.emb_dim = 16;
    spec.module.heads = 2;
    spec.image_paths = {std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/images/coffee.png"};
    spec.grid_h = 6;
    spec.grid_w = 9;
    SceneCache cache;
    build_scene(spec, &cache);
    const Scene cached = build_scene(spec, &cache), fresh = build_scene(spec);
    EXPECT_EQ(cached.inputs.x.data, fresh.inputs.x.data);
    EXPECT_EQ(cached.weights.get("proj_in.weight").data, fresh.weights.get("proj_in.weight").data);
    EXPECT_EQ(cached.inputs.context->data, fresh.inputs.context->data);
}
