// write_file_atomically: whole or not at all, with and without the fsync (Durability), and
// read_file_bytes of what it wrote.
#include "io/atomic_file.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace attn {
namespace {

namespace fs = std::filesystem;
using test::TempFolder;

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    return names;
}

std::vector<uint8_t> bytes_of(const std::string& text) {
    return {text.begin(), text.end()};
}

TEST(AtomicFile, EitherDurabilityWritesAndReplacesTheWholeFile) {
    for (const Durability durability : {Durability::Synced, Durability::ForReaders}) {
        TempFolder dir;
        const std::string path = (dir.path / "layout.json").string();
        const std::string first(100000, 'a'), second = "{\"short\": 1}\n";
        write_file_atomically(path, first.data(), first.size(), durability);
        EXPECT_EQ(read_file_bytes(path), bytes_of(first));
        write_file_atomically(path, second.data(), second.size(), durability);
        EXPECT_EQ(read_file_bytes(path), bytes_of(second));  // shorter: nothing of the first left
        // The temporary file beside it was renamed, not left behind.
        EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"layout.json"});
    }
}

TEST(AtomicFile, AFailedRenameKeepsWhatWasThereAndLeavesNoTemporary) {
    TempFolder dir;
    // A folder that is not empty cannot be replaced by a file: the rename fails.
    const fs::path target = dir.path / "maps";
    fs::create_directories(target);
    std::ofstream(target / "keep.txt") << "kept";
    const std::string text = "new";
    const std::string msg = test::file_error_of([&] {
        write_file_atomically(target.string(), text.data(), text.size(), Durability::ForReaders);
    });
    EXPECT_NE(msg.find(target.string()), std::string::npos) << msg;
    EXPECT_EQ(names_in(dir.path), std::vector<std::string>{"maps"});
    EXPECT_EQ(read_file_bytes((target / "keep.txt").string()), bytes_of("kept"));
}

TEST(AtomicFile, AMissingFolderIsAFileErrorNamingThePath) {
    const std::string path = "/nonexistent/attnscope/session.json";
    const std::string msg = test::file_error_of([&] { write_file_atomically(path, "x", 1); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace attn
