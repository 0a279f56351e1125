// The Pillow/numpy reference of test_resample.cpp and test_vit_preprocess.cpp:
// tests/image/pillow_reference.py run once per test process into a temporary folder.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace attn::test {

struct PillowReference {
    std::filesystem::path folder;
    std::string skip_reason;  // set when Pillow is missing (or the script failed, which also fails a test)
    nlohmann::json cases;     // cases.json: {"resize": [...], "vit": [...]}
};

inline std::filesystem::path pillow_reference_folder() {
    return std::filesystem::path(testing::TempDir()) / ("attnscope_pillow_" + std::to_string(::getpid()));
}

inline const PillowReference& pillow_reference() {
    static const PillowReference ref = [] {
        PillowReference r;
        r.folder = pillow_reference_folder();
        std::filesystem::remove_all(r.folder);
        const std::string log = r.folder.string() + ".log";
        const std::string cmd = "/usr/bin/python3 '" ATTNSCOPE_SOURCE_DIR "/tests/image/pillow_reference.py' '" +
                                r.folder.string() + "' '" ATTNSCOPE_SOURCE_DIR "' > '" + log + "' 2>&1";
        const int status = std::system(cmd.c_str());
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::ifstream log_in(log);
        const std::string text((std::istreambuf_iterator<char>(log_in)), std::istreambuf_iterator<char>());
        if (code == 77) {
            r.skip_reason = "Pillow or numpy is missing for /usr/bin/python3 (apt-get install python3-pil): " + text;
        } else if (code != 0) {
            ADD_FAILURE() << "tests/image/pillow_reference.py failed (exit " << code << "):\n" << text;
            r.skip_reason = "the reference script failed";
        } else {
            std::ifstream in(r.folder / "cases.json");
            r.cases = nlohmann::json::parse(in);
        }
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(pillow_reference_folder(), ec);
            std::filesystem::remove(pillow_reference_folder().string() + ".log", ec);
        });
        return r;
    }();
    return ref;
}

}  // namespace attn::test
