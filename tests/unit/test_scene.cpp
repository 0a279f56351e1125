// build_scene on the image side: a picture shared by the batch is held and averaged once, the
// build stops when cancelled, and what it holds is checked against the memory limit.
#include "errors.h"
#include "image/image.h"
#include "model/forward.h"
#include "pipeline/scene.h"
#include "pipeline/scene_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

using namespace attn;

namespace {

const std::string kImages = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/images/";

// CrossMultiAttention over `pictures`, one sentence per batch item.
SceneSpec cross_spec(int sentences, std::vector<std::string> pictures) {
    SceneSpec spec;
    spec.module.kind = ModuleKind::CrossMultiHead;
    spec.module.emb_dim = 16;
    spec.module.heads = 2;
    for (int i = 0; i < sentences; ++i)
        spec.sentences.push_back("the cat number " + std::to_string(i));
    spec.image_paths = std::move(pictures);
    spec.grid_h = 6;
    spec.grid_w = 9;
    return spec;
}

// Sets $ATTNSCOPE_MEMORY_LIMIT_MB for one scope.
struct MemoryLimit {
    explicit MemoryLimit(const char* mb) { setenv("ATTNSCOPE_MEMORY_LIMIT_MB", mb, 1); }
    ~MemoryLimit() { unsetenv("ATTNSCOPE_MEMORY_LIMIT_MB"); }
};

}  // namespace

TEST(Scene, APictureSharedByTheBatchIsHeldAndAveragedOnce) {
    const std::string chelsea = kImages + "chelsea.png";
    const Scene scene = build_scene(cross_spec(16, {chelsea}));
    ASSERT_EQ(scene.images.size(), 16u);
    for (const auto& picture : scene.images)
        EXPECT_EQ(picture.get(), scene.images[0].get());  // one picture, not 16 copies
    // Every row of x [b, 3, grid_h, grid_w] is that picture's grid.
    const Tensor grid = area_average(load_image(chelsea), 6, 9);
    ASSERT_EQ(scene.inputs.x.shape, (Shape{16, 3, 6, 9}));
    for (int64_t i = 0; i < 16; ++i)
        for (int64_t k = 0; k < grid.numel(); ++k)
            ASSERT_EQ(scene.inputs.x.data[static_cast<size_t>(i * grid.numel() + k)], grid.data[static_cast<size_t>(k)])
                << "row " << i;
    // scene_bytes counts the picture once.
    const double picture = 3.0 * sizeof(float) * 451 * 300;
    EXPECT_GT(scene_bytes(scene), picture);
    EXPECT_LT(scene_bytes(scene), 2 * picture);
}

TEST(Scene, OnePicturePerSentenceSharesTheFilesNamedTwice) {
    const std::string chelsea = kImages + "chelsea.png", coffee = kImages + "coffee.png";
    SceneCache cache;
    for (SceneCache* c : {static_cast<SceneCache*>(nullptr), &cache}) {
        const Scene scene = build_scene(cross_spec(3, {chelsea, coffee, chelsea}), c);
        ASSERT_EQ(scene.images.size(), 3u);
        EXPECT_EQ(scene.images[0].get(), scene.images[2].get());
        EXPECT_NE(scene.images[0].get(), scene.images[1].get());
        EXPECT_EQ(scene.images[1]->name, coffee);
        const int64_t per = 3 * 6 * 9;
        for (int64_t k = 0; k < per; ++k)
            ASSERT_EQ(scene.inputs.x.data[static_cast<size_t>(k)],
                      scene.inputs.x.data[static_cast<size_t>(2 * per + k)]);
    }
}

TEST(Scene, CancelStopsTheBuildAtItsNextStage) {
    const SceneSpec spec = cross_spec(4, {kImages + "chelsea.png"});
    std::atomic<bool> cancel{true};
    ForwardControl control;
    control.cancel = &cancel;
    EXPECT_THROW(build_scene(spec, nullptr, &control), Cancelled);

    // Cancelled while the picture is averaged (a band of its rows at a time).
    cancel = false;
    std::vector<std::string> stages;
    control.progress = [&](const std::string& stage, float) {
        stages.push_back(stage);
        if (stage.rfind("area averaging", 0) == 0) cancel = true;
    };
    EXPECT_THROW(build_scene(spec, nullptr, &control), Cancelled);
    ASSERT_FALSE(stages.empty());
    EXPECT_EQ(stages.front(), "reading chelsea.png");
    EXPECT_EQ(stages.back(), "area averaging chelsea.png");

    // Not cancelled: it reports its stages and builds the scene.
    cancel = false;
    stages.clear();
    control.progress = [&](const std::string& stage, float) { stages.push_back(stage); };
    const Scene scene = build_scene(spec, nullptr, &control);
    EXPECT_EQ(scene.inputs.x.dim(0), 4);
    EXPECT_EQ(stages.back(), "weights");
}

TEST(Scene, PicturesCountAgainstTheMemoryLimit) {
    // chelsea.png is 451 x 300: 1.5 MiB as floats, and more while it is decoded.
    const MemoryLimit limit("1");
    try {
        build_scene(cross_spec(2, {kImages + "chelsea.png"}));
        ADD_FAILURE() << "a picture over the memory limit was decoded";
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("chelsea.png"), std::string::npos) << msg;
        EXPECT_NE(msg.find("451 x 300 pixels"), std::string::npos) << msg;
        EXPECT_NE(msg.find("more than the 1.0 MiB"), std::string::npos) << msg;
    }
}

TEST(Scene, AGridLargerThanThePictureNamesTheFile) {
    SceneSpec spec = cross_spec(1, {kImages + "chelsea.png"});
    spec.grid_h = 301;
    try {
        build_scene(spec);
        ADD_FAILURE() << "a grid larger than the picture was accepted";
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        for (const char* part : {"chelsea.png", "301 x 9", "300 x 451"})
            EXPECT_NE(msg.find(part), std::string::npos) << "no \"" << part << "\" in: " << msg;
    }
}
