// A restricted unpickler: it reads a pickle into a tree of plain values and executes nothing.
//
// Python's pickle is a small stack machine whose REDUCE opcode calls any callable the pickle
// names with GLOBAL: unpickling an untrusted file can run any code ("os.system", "builtins.eval").
// This reader knows only the opcodes a torch state_dict's pickle uses (protocols 2 to 5) and only
// the globals the caller allows; everything else is a FileError that names the file and the
// global or opcode. Even an allowed callable is not called: REDUCE records the call (callable and
// arguments) for the caller to interpret, except for the dict types (collections.OrderedDict),
// whose call makes an empty dict that SETITEM(S) then fill. BUILD is accepted on dicts only, and
// its state is dropped (it carries a state_dict's _metadata attribute).
//
// Opcode semantics: CPython's Lib/pickle.py (_Unpickler) and pickletools.py.
// Bounds: the pickle at most kMaxPickleBytes, at most kMaxPickleValues values; no recursion (the
// machine runs in a loop; values live in an arena, so a pickle that makes a list contain itself
// leaks nothing and cannot send a reader of the tree into a loop unless it recurses, which
// describe() does only to a fixed depth).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace attn {

// A BERT-large state_dict's pickle is ~100 KB and ~12,000 values (about 30 a tensor); a value
// takes ~80 bytes here, so the bound on values keeps any pickle under ~100 MB of memory.
constexpr size_t kMaxPickleBytes = size_t{32} << 20;
constexpr size_t kMaxPickleValues = size_t{1} << 20;

struct PickleValue {
    enum class Kind {
        None,
        Bool,
        Int,     // fits int64
        BigInt,  // LONG1 wider than 8 bytes; `text` holds its little-endian two's-complement bytes
        Float,
        String,      // BINUNICODE and friends (UTF-8 bytes, not validated) and Python 2's BINSTRING
        Tuple,       // items
        List,        // items
        Dict,        // items: key0, value0, key1, value1, ... in insertion order (duplicates kept)
        Global,      // text: "module.name", one the caller allowed
        Call,        // REDUCE of an allowed callable: items[0] the Global, items[1] its argument tuple
        Persistent,  // BINPERSID: items[0] the persistent id, for the caller to resolve
    };
    Kind kind = Kind::None;
    int64_t integer = 0;  // Int, Bool
    double real = 0;      // Float
    std::string text;     // String, Global, BigInt
    std::vector<PickleValue*> items;
};

// What a pickle may name with GLOBAL / STACK_GLOBAL, each as "module.name".
struct PickleGlobals {
    std::set<std::string> dict_types;  // REDUCE(x, ()) makes an empty Dict: collections.OrderedDict
    std::set<std::string> callables;   // REDUCE makes a Call node, for the caller to interpret
    std::set<std::string> values;      // may appear as values (storage types), never be called
};

struct Pickle {
    const PickleValue* root = nullptr;  // what STOP returned
    size_t end = 0;                     // bytes read, up to and including STOP
    std::deque<PickleValue> arena;      // owns every value
};

// Reads one pickle from the start of `data` (bytes after its STOP are left alone: the legacy
// torch.save format puts several pickles one after another). `name` starts every message.
std::unique_ptr<Pickle> parse_pickle(const uint8_t* data, size_t size, const std::string& name,
                                     const PickleGlobals& allowed);

// "a str", "an int", "a tuple of 3", "torch.FloatStorage", ... for messages.
std::string describe(const PickleValue& v);

}  // namespace attn
