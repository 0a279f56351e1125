// torch.save's two layouts, read through the restricted unpickler. The pickle gives, for each
// name, a call of _rebuild_tensor_v2(storage, offset, size, stride, ...) whose storage is a
// persistent id: ('storage', <storage type>, key, location, numel[, view]). The storage's bytes
// are the zip entry data/<key>, or the key's record after the legacy stream's pickles.
#include "io/torch_checkpoint.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "io/pickle_reader.h"
#include "io/torch_storage.h"
#include "io/zip_reader.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace attn {

namespace {

using K = PickleValue::Kind;

const char* const kRebuildV2 = "torch._utils._rebuild_tensor_v2";
const char* const kRebuild = "torch._utils._rebuild_tensor";
const char* const kRebuildParameter = "torch._utils._rebuild_parameter";

const PickleGlobals& state_dict_globals() {
    static const PickleGlobals g = [] {
        PickleGlobals a;
        a.dict_types = {"collections.OrderedDict"};
        a.callables = {kRebuildV2, kRebuild, kRebuildParameter};
        for (const TorchStorageType& t : torch_storage_types())
            a.values.insert(t.global);
        return a;
    }();
    return g;
}

[[noreturn]] void fail(const std::string& file, const std::string& what) {
    throw FileError(file + ": " + what);
}

std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (size_t i = 0; i < s.size() && i < 120; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        q += (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '?' : char(c);
    }
    return q + (s.size() > 120 ? "...\"" : "\"");
}

const TorchStorageType& storage_type(const PickleValue& v, const std::string& file) {
    if (v.kind == K::Global)
        for (const TorchStorageType& t : torch_storage_types())
            if (v.text == t.global) return t;
    fail(file, "a storage's type is " + describe(v) + ", not one of torch's storage types");
}

int64_t non_negative(const PickleValue& v, const std::string& file, const std::string& what) {
    if (v.kind != K::Int || v.integer < 0) fail(file, what + " is " + describe(v) + ", not an int >= 0");
    return v.integer;
}

// ('storage', type, key, location, numel) in a zip archive; the legacy stream adds a sixth item,
// None or (view_key, offset, view_numel) for a storage that is a slice of its root storage.
TorchStorageRef storage_of(const PickleValue& pid, bool legacy, const std::string& file, const std::string& tensor) {
    const std::string who = "tensor " + quoted(tensor) + "'s storage";
    const size_t want = legacy ? 6 : 5;
    if (pid.kind != K::Tuple || pid.items.size() != want || pid.items[0]->kind != K::String)
        fail(file, who + " is " + describe(pid) + ", not ('storage', type, key, location, numel" +
                       (legacy ? ", view)" : ")"));
    if (pid.items[0]->text == "module") fail(file, "the pickle holds a whole nn.Module, not a state_dict");
    if (pid.items[0]->text != "storage") fail(file, who + " is a persistent id of kind " + quoted(pid.items[0]->text));
    TorchStorageRef s;
    s.type = &storage_type(*pid.items[1], file);
    if (pid.items[2]->kind != K::String) fail(file, who + "'s key is " + describe(*pid.items[2]));
    s.key = pid.items[2]->text;
    s.numel = uint64_t(non_negative(*pid.items[4], file, who + "'s size"));
    s.count = s.numel;
    if (legacy && pid.items[5]->kind != K::None) {
        const PickleValue& view = *pid.items[5];
        if (view.kind != K::Tuple || view.items.size() != 3)
            fail(file, who + "'s view is " + describe(view) + ", not (key, offset, size)");
        s.first = uint64_t(non_negative(*view.items[1], file, who + "'s view offset"));
        s.count = uint64_t(non_negative(*view.items[2], file, who + "'s view size"));
        if (s.first > s.numel || s.count > s.numel - s.first)
            fail(file, who + " is a view of elements " + std::to_string(s.first) + ".." +
                           std::to_string(s.first + s.count) + " of a storage of " + std::to_string(s.numel));
    }
    return s;
}

std::vector<int64_t> int_tuple(const PickleValue& v, const std::string& file, const std::string& what) {
    if (v.kind != K::Tuple) fail(file, what + " is " + describe(v) + ", not a tuple of ints");
    if (v.items.size() > 64) fail(file, what + " has " + std::to_string(v.items.size()) + " dimensions");
    std::vector<int64_t> out;
    for (const PickleValue* i : v.items)
        out.push_back(non_negative(*i, file, what + "'s element"));
    return out;
}

// The state_dict: a dict of name -> _rebuild_tensor_v2(...) (or a Parameter wrapping one).
std::vector<TorchTensorSpec> tensors_of(const PickleValue& root, bool legacy, const std::string& file) {
    if (root.kind != K::Dict)
        fail(file, "the pickle holds " + describe(root) + ", not a state_dict (a dict of tensors)");
    std::vector<TorchTensorSpec> out;
    std::set<std::string> names;
    for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
        const PickleValue& key = *root.items[i];
        if (key.kind != K::String) fail(file, "a state_dict key is " + describe(key) + ", not a str");
        const std::string& name = key.text;
        if (!names.insert(name).second) fail(file, "tensor " + quoted(name) + " appears twice");
        const PickleValue* v = root.items[i + 1];
        auto is_call = [](const PickleValue* c, const char* fn) {
            return c->kind == K::Call && c->items[0]->text == fn;
        };
        if (is_call(v, kRebuildParameter)) {  // _rebuild_parameter(data, requires_grad, hooks)
            if (v->items[1]->items.empty()) fail(file, "tensor " + quoted(name) + ": a Parameter without its data");
            v = v->items[1]->items[0];
        }
        const bool v2 = is_call(v, kRebuildV2);
        if (!v2 && !is_call(v, kRebuild))
            fail(file, "state_dict entry " + quoted(name) + " holds " + describe(*v) +
                           ", not a tensor: the file is not a state_dict");
        // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]);
        // _rebuild_tensor(storage, offset, size, stride).
        const std::vector<PickleValue*>& a = v->items[1]->items;
        if (v2 ? (a.size() != 6 && a.size() != 7) : a.size() != 4)
            fail(file, "tensor " + quoted(name) + ": " + v->items[0]->text + " with " + std::to_string(a.size()) +
                           " arguments");
        if (a[0]->kind != K::Persistent)
            fail(file, "tensor " + quoted(name) + "'s storage is " + describe(*a[0]) + ", not a saved storage");
        TorchTensorSpec t;
        t.name = name;
        t.storage = storage_of(*a[0]->items[0], legacy, file, name);
        t.offset = non_negative(*a[1], file, "tensor " + quoted(name) + "'s storage offset");
        t.size = int_tuple(*a[2], file, "tensor " + quoted(name) + "'s size");
        t.stride = int_tuple(*a[3], file, "tensor " + quoted(name) + "'s stride");
        if (t.size.size() != t.stride.size())
            fail(file, "tensor " + quoted(name) + " has size " + shape_string(t.size) + " but " +
                           std::to_string(t.stride.size()) + " strides");
        out.push_back(std::move(t));
    }
    return out;
}

// Each storage's bytes, once the layout has found them: key -> the whole storage.
using StorageBytes = std::map<std::string, const uint8_t*>;

SafetensorsFile build(const std::vector<TorchTensorSpec>& specs, const StorageBytes& bytes, size_t file_size,
                      const std::string& file) {
    SafetensorsFile out;
    uint64_t budget = 2 * uint64_t(file_size) + 4096;
    for (const TorchTensorSpec& t : specs) {
        const auto it = bytes.find(t.storage.key);
        ATTN_CHECK(it != bytes.end(), "every storage a tensor names was located");
        out.tensors.emplace_back(t.name, gather_torch_tensor(t, it->second, file, budget));
    }
    return out;
}

// The same key must mean the same storage everywhere it is named.
std::map<std::string, TorchStorageRef> storages_of(const std::vector<TorchTensorSpec>& specs, const std::string& file) {
    std::map<std::string, TorchStorageRef> roots;
    for (const TorchTensorSpec& t : specs) {
        const auto [it, fresh] = roots.emplace(t.storage.key, t.storage);
        if (!fresh && (it->second.type != t.storage.type || it->second.numel != t.storage.numel))
            fail(file, "storage " + quoted(t.storage.key) + " is named as " + it->second.type->global + " of " +
                           std::to_string(it->second.numel) + " and as " + t.storage.type->global + " of " +
                           std::to_string(t.storage.numel));
    }
    return roots;
}

uint64_t storage_bytes(const TorchStorageRef& s, const std::string& file) {
    if (s.numel > (uint64_t(1) << 62) / uint64_t(s.type->bytes))
        fail(file, "storage " + quoted(s.key) + " claims " + std::to_string(s.numel) + " elements");
    return s.numel * uint64_t(s.type->bytes);
}

SafetensorsFile read_zip_checkpoint(const uint8_t* data, size_t size, const std::string& file) {
    const ZipReader zip(data, size, file);
    if (zip.entries().empty()) fail(file, "an empty zip archive, not a torch.save file");
    // Every record sits in one folder named after the archive ("archive/", or the file's stem).
    const std::string& first = zip.entries()[0].name;
    const size_t slash = first.find('/');
    if (slash == std::string::npos)
        fail(file, "a zip archive whose first entry " + quoted(first) + " is in no folder, not a torch.save file");
    const std::string prefix = first.substr(0, slash + 1);
    const ZipEntry* pkl = zip.find(prefix + "data.pkl");
    if (!pkl) fail(file, "a zip archive without " + quoted(prefix + "data.pkl") + ", not a torch.save file");
    if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
        const ZipBytes b = zip.read(*order);
        if (std::string(reinterpret_cast<const char*>(b.data), b.size) != "little")
            fail(file, "its storages are not little-endian (byteorder " +
                           quoted(std::string(reinterpret_cast<const char*>(b.data), b.size)) + ")");
    }
    const ZipBytes pickle_bytes = zip.read(*pkl);
    const auto pickle = parse_pickle(pickle_bytes.data, pickle_bytes.size, file, state_dict_globals());
    const std::vector<TorchTensorSpec> specs = tensors_of(*pickle->root, false, file);
    StorageBytes bytes;
    for (const auto& [key, s] : storages_of(specs, file)) {
        const ZipEntry* en = zip.find(prefix + "data/" + key);
        if (!en) fail(file, "storage " + quoted(key) + " has no entry " + quoted(prefix + "data/" + key));
        const uint64_t want = storage_bytes(s, file);
        const ZipBytes b = zip.read(*en);
        if (b.size != want)
            fail(file, "storage " + quoted(key) + " is " + std::to_string(b.size) + " bytes; " + s.type->global +
                           " of " + std::to_string(s.numel) + " elements needs " + std::to_string(want));
        bytes[key] = b.data;
    }
    return build(specs, bytes, size, file);
}

// The legacy stream: magic number, protocol version, sys_info, the state_dict, the storage keys,
// then each storage as an 8-byte element count and its bytes (torch/serialization.py, _legacy_save).
SafetensorsFile read_legacy_checkpoint(const uint8_t* data, size_t size, const std::string& file) {
    static const PickleGlobals none;
    size_t at = 0;
    auto next = [&](const PickleGlobals& globals) {
        auto p = parse_pickle(data + at, size - at, file, globals);
        at += p->end;
        return p;
    };
    const auto magic = next(none);
    // 0x1950a86a20f9469cfc6c as LONG1 writes it: 10 little-endian bytes.
    static const std::string kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
    if (magic->root->kind != K::BigInt || magic->root->text != kMagic)
        fail(file, "not a torch.save file (neither a zip archive nor the legacy format's magic number)");
    const auto version = next(none);
    if (version->root->kind != K::Int || version->root->integer != 1001)
        fail(file, "legacy torch.save protocol " + describe(*version->root) + " (supported: 1001)");
    const auto sys_info = next(none);
    if (sys_info->root->kind == K::Dict)
        for (size_t i = 0; i + 1 < sys_info->root->items.size(); i += 2)
            if (sys_info->root->items[i]->kind == K::String && sys_info->root->items[i]->text == "little_endian" &&
                !(sys_info->root->items[i + 1]->kind == K::Bool && sys_info->root->items[i + 1]->integer))
                fail(file, "its storages were saved big-endian, which is not supported");
    const auto state = next(state_dict_globals());
    const std::vector<TorchTensorSpec> specs = tensors_of(*state->root, true, file);
    const std::map<std::string, TorchStorageRef> roots = storages_of(specs, file);
    const auto keys = next(none);
    if (keys->root->kind != K::List) fail(file, "the storage keys are " + describe(*keys->root) + ", not a list");
    StorageBytes bytes;
    for (const PickleValue* k : keys->root->items) {
        if (k->kind != K::String) fail(file, "a storage key is " + describe(*k));
        const auto it = roots.find(k->text);
        if (it == roots.end()) fail(file, "storage " + quoted(k->text) + " is listed but no tensor names it");
        if (bytes.count(k->text)) fail(file, "storage " + quoted(k->text) + " is listed twice");
        if (size - at < 8) fail(file, "cut short before storage " + quoted(k->text));
        uint64_t count = 0;
        for (int i = 7; i >= 0; --i)
            count = (count << 8) | data[at + size_t(i)];
        at += 8;
        if (count != it->second.numel)
            fail(file, "storage " + quoted(k->text) + " records " + std::to_string(count) + " elements, its tensors " +
                           std::to_string(it->second.numel));
        const uint64_t n = storage_bytes(it->second, file);
        if (n > size - at)
            fail(file, "cut short in storage " + quoted(k->text) + ": " + std::to_string(n) + " bytes needed, " +
                           std::to_string(size - at) + " left");
        bytes[k->text] = data + at;
        at += size_t(n);
    }
    for (const auto& [key, s] : roots)
        if (!bytes.count(key)) fail(file, "storage " + quoted(key) + " is named by a tensor but not in the file");
    return build(specs, bytes, size, file);
}

}  // namespace

SafetensorsFile parse_torch_checkpoint(const uint8_t* data, size_t size, const std::string& name) {
    if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0) return read_zip_checkpoint(data, size, name);
    if (size >= 2 && data[0] == 0x80 && data[1] >= 2) return read_legacy_checkpoint(data, size, name);
    if (size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0)
        fail(name, "a tar archive: torch.save's format before PyTorch 0.4 is not supported");
    fail(name, "not a torch.save file (neither a zip archive nor a legacy pickle stream)");
}

SafetensorsFile read_torch_checkpoint(const std::string& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return parse_torch_checkpoint(bytes.data(), bytes.size(), path);
}

}  // namespace attn
