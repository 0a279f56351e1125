#include "models/hf/hf_folder.h"

#include "errors.h"
#include "io/torch_checkpoint.h"
#include "models/hf/hf_checkpoint.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

namespace attn {

namespace {

bool is_regular_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool starts_with(const std::string& s, const std::string& p) {
    return s.compare(0, p.size(), p) == 0;
}

bool ends_with(const std::string& s, const std::string& p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// Buffers a state_dict may carry that are not weights: never warned about.
bool is_buffer(const std::string& name) {
    return ends_with(name, "position_ids") || ends_with(name, "token_type_ids");
}

// N of "encoder.layer.N.", or -1.
int64_t layer_index(const std::string& name) {
    static const std::string head = "encoder.layer.";
    if (!starts_with(name, head)) return -1;
    size_t i = head.size();
    int64_t n = 0;
    bool digits = false;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9' && n < 1000000) {
        n = n * 10 + (name[i] - '0');
        ++i;
        digits = true;
    }
    return digits && i < name.size() && name[i] == '.' ? n : -1;
}

}  // namespace

std::string hf_file(const std::string& dir, const std::string& name) {
    return dir + (dir.empty() || dir.back() == '/' ? "" : "/") + name;
}

std::string find_hf_checkpoint(const std::string& dir) {
    const std::string st = hf_file(dir, "model.safetensors"), bin = hf_file(dir, "pytorch_model.bin");
    if (is_regular_file(st)) return st;
    if (is_regular_file(bin)) return bin;
    struct stat s {};
    if (::stat(hf_file(dir, "model.safetensors.index.json").c_str(), &s) == 0)
        throw FileError(dir +
                        " holds a sharded checkpoint (model.safetensors.index.json); attnscope reads a single "
                        "model.safetensors or pytorch_model.bin");
    throw FileError(dir + " has no model.safetensors and no pytorch_model.bin");
}

std::string hf_display_name(const std::string& dir) {
    std::string d = dir;
    while (d.size() > 1 && d.back() == '/')
        d.pop_back();
    const size_t snap = d.rfind("/snapshots/");
    if (snap != std::string::npos) {
        const size_t start = d.rfind('/', snap == 0 ? 0 : snap - 1);
        std::string repo =
            d.substr(start == std::string::npos ? 0 : start + 1, snap - (start == std::string::npos ? 0 : start + 1));
        if (starts_with(repo, "models--")) {
            repo = repo.substr(8);
            const size_t sep = repo.find("--");
            if (sep != std::string::npos) repo = repo.substr(0, sep) + "/" + repo.substr(sep + 2);
            return repo;
        }
    }
    const size_t slash = d.find_last_of('/');
    return slash == std::string::npos ? d : d.substr(slash + 1);
}

std::string normalise_state_dict_name(const std::string& name, const std::string& prefix) {
    std::string n = !prefix.empty() && starts_with(name, prefix) ? name.substr(prefix.size()) : name;
    if (ends_with(n, ".gamma")) return n.substr(0, n.size() - 6) + ".weight";
    if (ends_with(n, ".beta")) return n.substr(0, n.size() - 5) + ".bias";
    return n;
}

HfStateDict::HfStateDict(std::vector<NamedTensor> tensors, std::vector<std::string> other_names, std::string file,
                         const std::string& prefix)
    : other_names_(std::move(other_names)), file_(std::move(file)) {
    for (auto& [name, t] : tensors) {
        if (!prefix.empty() && starts_with(name, prefix)) had_prefix_ = true;
        std::string n = normalise_state_dict_name(name, prefix);
        if (tensors_.count(n))
            throw FileError(file_ + ": tensor " + n + " is there twice (with and without \"" + prefix +
                            "\", or as "
                            "gamma/beta and weight/bias)");
        tensors_.emplace(std::move(n), std::move(t));
    }
    for (std::string& n : other_names_)
        n = normalise_state_dict_name(n, prefix);
    int64_t top = -1;
    for (const auto& [name, t] : tensors_)
        top = std::max(top, layer_index(name));
    for (const std::string& n : other_names_)
        top = std::max(top, layer_index(n));
    layers_found_ = top + 1;
}

namespace {

// Whether a checkpoint's tensor is one the encoder reads: under the family's prefix when the
// checkpoint has one, under one of the roots, and not a buffer.
bool encoder_tensor(const std::string& name, bool prefixed, const std::string& prefix,
                    const std::vector<std::string>& roots) {
    if (prefixed && !starts_with(name, prefix)) return false;  // a task head: cls.*, classifier.*
    const std::string n = normalise_state_dict_name(name, prefixed ? prefix : "");
    if (is_buffer(n)) return false;
    for (const std::string& r : roots)
        if (starts_with(n, r)) return true;
    return false;
}

// Whether any tensor carries the family's prefix before an encoder root (BertForMaskedLM, ViT
// classifiers); a bare BertModel / ViTModel (sentence-transformers, DINO) has none.
template <class Names>
bool has_prefix(const Names& names, const std::string& prefix, const std::vector<std::string>& roots) {
    for (const auto& n : names)
        for (const std::string& r : roots)
            if (starts_with(n, prefix + r)) return true;
    return false;
}

// pytorch_model.bin, read whole by io/torch_checkpoint (a restricted unpickler that runs
// nothing); progress only before and after, as that reader has no stages to report.
HfStateDict read_torch_bin(const std::string& path, const std::string& prefix, const std::vector<std::string>& roots,
                           const ForwardControl* control) {
    checkpoint(control, "reading pytorch_model.bin", 0.0f);
    SafetensorsFile file = read_torch_checkpoint(path);
    checkpoint(control, "reading pytorch_model.bin", 1.0f);
    std::vector<std::string> names;
    for (const NamedTensor& t : file.tensors)
        names.push_back(t.first);
    const bool prefixed = has_prefix(names, prefix, roots);
    std::vector<NamedTensor> wanted;
    std::vector<std::string> others;
    for (NamedTensor& t : file.tensors) {
        if (!encoder_tensor(t.first, prefixed, prefix, roots)) {
            others.push_back(t.first);
            continue;
        }
        if (t.second.dtype != DType::F32)
            throw FileError(path + ": tensor \"" + t.first + "\" holds " +
                            (t.second.dtype == DType::Bool ? "booleans" : "integers") +
                            "; attnscope reads float weights (float32, float16, bfloat16, float64)");
        wanted.push_back(std::move(t));
    }
    return HfStateDict(std::move(wanted), std::move(others), path, prefixed ? prefix : "");
}

}  // namespace

HfStateDict HfStateDict::read(const std::string& dir, const std::string& prefix, const std::vector<std::string>& roots,
                              const ForwardControl* control) {
    const std::string path = find_hf_checkpoint(dir);
    if (ends_with(path, ".bin")) return read_torch_bin(path, prefix, roots, control);
    const SafetensorsIndex index = index_safetensors(path);
    std::vector<std::string> names;
    for (const SafetensorsEntry& e : index.entries)
        names.push_back(e.name);
    const bool prefixed = has_prefix(names, prefix, roots);
    std::vector<const SafetensorsEntry*> wanted;
    std::vector<std::string> others;
    for (const SafetensorsEntry& e : index.entries) {
        if (encoder_tensor(e.name, prefixed, prefix, roots))
            wanted.push_back(&e);
        else
            others.push_back(e.name);
    }
    return HfStateDict(read_safetensors_entries(index, wanted, control), std::move(others), path,
                       prefixed ? prefix : "");
}

Tensor HfStateDict::take(const std::string& name, const Shape& shape) {
    auto it = tensors_.find(name);
    if (it == tensors_.end())
        throw ShapeError(file_ + " has no tensor " + name + " (expected " + shape_string(shape) + " from config.json)");
    if (it->second.shape != shape)
        throw ShapeError(file_ + ": tensor " + name + " is " + shape_string(it->second.shape) +
                         "; config.json makes it " + shape_string(shape));
    taken_.insert(name);
    return std::move(it->second);
}

std::string HfStateDict::unused_warning() const {
    std::vector<std::string> unused;
    for (const auto& [name, t] : tensors_)
        if (!taken_.count(name) && !is_buffer(name)) unused.push_back(name);
    for (const std::string& n : other_names_)
        if (!is_buffer(n)) unused.push_back(n);
    if (unused.empty()) return "";
    std::sort(unused.begin(), unused.end());
    std::string list;
    const size_t shown = std::min<size_t>(unused.size(), 6);
    for (size_t i = 0; i < shown; ++i)
        list += (i ? ", " : "") + unused[i];
    if (unused.size() > shown) list += " and " + std::to_string(unused.size() - shown) + " more";
    return file_ + ": ignored " + std::to_string(unused.size()) + " tensor" + (unused.size() == 1 ? "" : "s") +
           " the encoder does not use (" + list + ")";
}

Dense take_dense(HfStateDict& sd, const std::string& name, int64_t out, int64_t in, bool bias) {
    const Tensor w = sd.take(name + ".weight", {out, in});
    return Dense(w, bias ? sd.take(name + ".bias", {out}) : Tensor());
}

LayerNormWeights take_layer_norm(HfStateDict& sd, const std::string& name, int64_t hidden, double eps) {
    LayerNormWeights ln;
    ln.weight = sd.take(name + ".weight", {hidden});
    ln.bias = sd.take(name + ".bias", {hidden});
    ln.eps = eps;
    return ln;
}

Dense take_qkv(HfStateDict& sd, const std::string& prefix, int64_t hidden, bool bias) {
    const int64_t E = hidden;
    Tensor w = Tensor::uninitialized({3 * E, E});
    Tensor b = bias ? Tensor::uninitialized({3 * E}) : Tensor();
    const char* parts[] = {"query", "key", "value"};
    for (int64_t p = 0; p < 3; ++p) {
        const std::string name = prefix + parts[p];
        const Tensor pw = sd.take(name + ".weight", {E, E});
        std::copy(pw.data.begin(), pw.data.end(), w.data.begin() + p * E * E);
        if (bias) {
            const Tensor pb = sd.take(name + ".bias", {E});
            std::copy(pb.data.begin(), pb.data.end(), b.data.begin() + p * E);
        }
    }
    return Dense(w, std::move(b));
}

}  // namespace attn
