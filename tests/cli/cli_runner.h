// Running attnscope-cli as a separate process, the way a user or a script does, and reading what
// it printed and wrote. Shared by the CLI's tests.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace attn::test {

namespace fs = std::filesystem;

struct Result {
    int status = -1;
    std::string out, err;
};

inline std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// ctest runs each test in its own process, in parallel: the pid keeps their folders apart.
inline fs::path fresh_dir(const std::string& name) {
    fs::path d = fs::path(testing::TempDir()) / ("attnscope_cli_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// `env` is put before the command, e.g. "ATTNSCOPE_MEMORY_LIMIT_MB=500".
inline Result run_cli(const std::string& args, const std::string& env = "") {
    static int counter = 0;  // one folder per call within this process
    fs::path dir = fresh_dir("io" + std::to_string(counter++));
    const std::string cmd = env + (env.empty() ? "" : " ") + quote(ATTNSCOPE_CLI) + " " + args + " >" +
                            quote((dir / "out").string()) + " 2>" + quote((dir / "err").string());
    int raw = std::system(cmd.c_str());
    Result r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = slurp(dir / "out");
    r.err = slurp(dir / "err");
    return r;
}

inline size_t count_lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace attn::test
