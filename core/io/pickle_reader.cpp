#include "io/pickle_reader.h"

#include "errors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace attn {

namespace {

const char* const kWhy =
    "refused without running anything: a pickle can run code and a model folder is untrusted input";

// The pickle opcodes by byte, for naming one in a message (pickletools.py's table).
struct OpcodeName {
    uint8_t op;
    const char* name;
};
// clang-format off
const OpcodeName kOpcodeNames[] = {
    {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"}, {'I', "INT"},
    {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"}, {'M', "BININT2"}, {'N', "NONE"}, {'P', "PERSID"},
    {'Q', "BINPERSID"}, {'R', "REDUCE"}, {'S', "STRING"}, {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"},
    {'V', "UNICODE"}, {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"}, {'c', "GLOBAL"}, {'d', "DICT"},
    {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"}, {'i', "INST"}, {'j', "LONG_BINGET"}, {'l', "LIST"},
    {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"}, {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"},
    {'t', "TUPLE"}, {')', "EMPTY_TUPLE"}, {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {'B', "BINBYTES"},
    {'C', "SHORT_BINBYTES"}, {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"}, {0x84, "EXT4"},
    {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"}, {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"},
    {0x8b, "LONG4"}, {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"}, {0x8f, "EMPTY_SET"},
    {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"}, {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"},
    {0x95, "FRAME"}, {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}
};
// clang-format on

const char* opcode_name(uint8_t op) {
    for (const OpcodeName& o : kOpcodeNames)
        if (o.op == op) return o.name;
    return nullptr;
}

// A name from the file, safe for a one-line message.
std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (size_t i = 0; i < s.size() && i < 80; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            static const char* hex = "0123456789abcdef";
            q += "\\x";
            q += hex[c >> 4];
            q += hex[c & 15];
        } else {
            q += char(c);
        }
    }
    if (s.size() > 80) q += "...";
    return q + "\"";
}

// At most this many values may sit on the stack or in containers: BINGET pushes 2 bytes at a
// time, and each push is a pointer kept until the pickle ends.
constexpr size_t kMaxPushes = 4 * kMaxPickleValues;

class Machine {
public:
    Machine(const uint8_t* data, size_t size, const std::string& name, const PickleGlobals& allowed)
        : d_(data),
          // Only the first kMaxPickleBytes are ever looked at; what follows may be other data (the
          // legacy format's storages come after its pickles).
          size_(std::min(size, kMaxPickleBytes)),
          limited_(size > kMaxPickleBytes),
          name_(name),
          allowed_(allowed),
          out_(std::make_unique<Pickle>()) {}

    std::unique_ptr<Pickle> run() {
        while (true) {
            if (pos_ >= size_) fail_at(pos_, limited_ ? too_long() : "the pickle ends without STOP");
            op_at_ = pos_;
            const uint8_t op = d_[pos_++];
            if (step(op)) break;
        }
        return std::move(out_);
    }

private:
    const uint8_t* d_;
    size_t size_;
    bool limited_;
    const std::string& name_;
    const PickleGlobals& allowed_;
    std::unique_ptr<Pickle> out_;
    size_t pos_ = 0, op_at_ = 0, pushes_ = 0;
    std::vector<PickleValue*> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint32_t, PickleValue*> memo_;

    [[noreturn]] void fail_at(size_t at, const std::string& what) const {
        throw FileError(name_ + ": pickle byte " + std::to_string(at) + ": " + what);
    }
    [[noreturn]] void fail(const std::string& what) const {
        const char* op = opcode_name(d_[op_at_]);
        throw FileError(name_ + ": pickle byte " + std::to_string(op_at_) + " (" + (op ? op : "?") + "): " + what);
    }

    std::string too_long() const {
        return "the pickle runs past " + std::to_string(kMaxPickleBytes) + " bytes, more than a state_dict's ever is";
    }
    const uint8_t* take(size_t n) {
        if (n > size_ - pos_) fail(limited_ ? too_long() : "cut short: it needs " + std::to_string(n) + " more bytes");
        const uint8_t* p = d_ + pos_;
        pos_ += n;
        return p;
    }
    uint64_t take_le(int bytes) {
        const uint8_t* p = take(size_t(bytes));
        uint64_t v = 0;
        for (int i = bytes - 1; i >= 0; --i)
            v = (v << 8) | p[i];
        return v;
    }

    PickleValue* make(PickleValue::Kind kind) {
        if (out_->arena.size() >= kMaxPickleValues)
            fail("more than " + std::to_string(kMaxPickleValues) + " values: no state_dict's pickle has that many");
        out_->arena.emplace_back();
        out_->arena.back().kind = kind;
        return &out_->arena.back();
    }
    void push(PickleValue* v) {
        if (++pushes_ > kMaxPushes) fail("more than " + std::to_string(kMaxPushes) + " values pushed");
        stack_.push_back(v);
    }
    PickleValue* pop() {
        if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) fail("the stack is empty");
        PickleValue* v = stack_.back();
        stack_.pop_back();
        return v;
    }
    PickleValue* top() {
        if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) fail("the stack is empty");
        return stack_.back();
    }
    // The values above the last MARK, which is removed.
    std::vector<PickleValue*> pop_to_mark() {
        if (marks_.empty()) fail("no MARK to pop to");
        const size_t m = marks_.back();
        marks_.pop_back();
        std::vector<PickleValue*> items(stack_.begin() + std::ptrdiff_t(m), stack_.end());
        stack_.resize(m);
        return items;
    }
    void push_string(size_t n) {
        const uint8_t* p = take(n);
        PickleValue* v = make(PickleValue::Kind::String);
        v->text.assign(reinterpret_cast<const char*>(p), n);
        push(v);
    }
    void push_int(int64_t i) {
        PickleValue* v = make(PickleValue::Kind::Int);
        v->integer = i;
        push(v);
    }
    void push_tuple(std::vector<PickleValue*> items) {
        PickleValue* v = make(PickleValue::Kind::Tuple);
        v->items = std::move(items);
        push(v);
    }
    void memo_put(uint32_t index) { memo_[index] = top(); }
    void memo_get(uint32_t index) {
        const auto it = memo_.find(index);
        if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
        push(it->second);
    }

    void global(const std::string& module, const std::string& name) {
        const std::string full = module + "." + name;
        if (!allowed_.dict_types.count(full) && !allowed_.callables.count(full) && !allowed_.values.count(full))
            fail("the pickle names the global " + quoted(full) + ", which a state_dict never uses; " + kWhy);
        PickleValue* v = make(PickleValue::Kind::Global);
        v->text = full;
        push(v);
    }
    std::string line() {  // GLOBAL's operands: text up to a newline
        const uint8_t* start = d_ + pos_;
        const void* nl = std::memchr(start, '\n', size_ - pos_);
        if (!nl) fail("GLOBAL's name has no end of line");
        const size_t n = size_t(static_cast<const uint8_t*>(nl) - start);
        pos_ += n + 1;
        return std::string(reinterpret_cast<const char*>(start), n);
    }

    void reduce() {
        PickleValue* args = pop();
        PickleValue* callable = pop();
        if (callable->kind != PickleValue::Kind::Global)
            fail("REDUCE calls " + describe(*callable) + ", which is not a global; " + kWhy);
        if (args->kind != PickleValue::Kind::Tuple) fail("REDUCE's arguments are " + describe(*args) + ", not a tuple");
        if (allowed_.dict_types.count(callable->text)) {
            PickleValue* dict = make(PickleValue::Kind::Dict);
            // OrderedDict() as Python 3 pickles it, or OrderedDict([[k, v], ...]) as Python 2 did.
            if (args->items.size() == 1 && args->items[0]->kind == PickleValue::Kind::List) {
                for (PickleValue* pair : args->items[0]->items) {
                    if ((pair->kind != PickleValue::Kind::List && pair->kind != PickleValue::Kind::Tuple) ||
                        pair->items.size() != 2)
                        fail(callable->text + "'s items must be [key, value] pairs, got " + describe(*pair));
                    dict->items.push_back(pair->items[0]);
                    dict->items.push_back(pair->items[1]);
                }
            } else if (!args->items.empty()) {
                fail(callable->text + " is called with " + describe(*args) + ", not with () or a list of pairs");
            }
            push(dict);
        } else if (allowed_.callables.count(callable->text)) {
            PickleValue* call = make(PickleValue::Kind::Call);
            call->items = {callable, args};
            push(call);
        } else {
            fail("the pickle calls " + callable->text + "(), which a state_dict never does; " + kWhy);
        }
    }

    // Runs one opcode; true at STOP.
    bool step(uint8_t op) {
        using K = PickleValue::Kind;
        switch (op) {
            case 0x80: {  // PROTO
                const uint64_t v = take_le(1);
                if (v < 2 || v > 5) fail("pickle protocol " + std::to_string(v) + " (supported: 2 to 5)");
                return false;
            }
            case 0x95: {  // FRAME: a length hint; the opcodes follow inline
                const uint64_t n = take_le(8);
                if (n > size_ - pos_) fail("a frame of " + std::to_string(n) + " bytes runs past the pickle's end");
                return false;
            }
            case 'c': {  // GLOBAL
                const std::string module = line();
                global(module, line());
                return false;
            }
            case 0x93: {  // STACK_GLOBAL
                PickleValue* name = pop();
                PickleValue* module = pop();
                if (name->kind != K::String || module->kind != K::String)
                    fail("STACK_GLOBAL's module and name must be strings, got " + describe(*module) + " and " +
                         describe(*name));
                global(module->text, name->text);
                return false;
            }
            case 'q':
                memo_put(uint32_t(take_le(1)));
                return false;  // BINPUT
            case 'r':
                memo_put(uint32_t(take_le(4)));
                return false;  // LONG_BINPUT
            case 0x94:
                memo_put(uint32_t(memo_.size()));
                return false;  // MEMOIZE
            case 'h':
                memo_get(uint32_t(take_le(1)));
                return false;  // BINGET
            case 'j':
                memo_get(uint32_t(take_le(4)));
                return false;  // LONG_BINGET
            case '(':          // MARK
                if (marks_.size() >= kMaxPushes) fail("too many MARKs");
                marks_.push_back(stack_.size());
                return false;
            case '}':
                push(make(K::Dict));
                return false;  // EMPTY_DICT
            case ']':
                push(make(K::List));
                return false;  // EMPTY_LIST
            case ')':
                push_tuple({});
                return false;  // EMPTY_TUPLE
            case 't':
                push_tuple(pop_to_mark());
                return false;  // TUPLE
            case 0x85: {       // TUPLE1
                PickleValue* a = pop();
                push_tuple({a});
                return false;
            }
            case 0x86: {  // TUPLE2
                PickleValue* b = pop();
                PickleValue* a = pop();
                push_tuple({a, b});
                return false;
            }
            case 0x87: {  // TUPLE3
                PickleValue* c = pop();
                PickleValue* b = pop();
                PickleValue* a = pop();
                push_tuple({a, b, c});
                return false;
            }
            case 'X':
                push_string(size_t(take_le(4)));
                return false;  // BINUNICODE
            case 0x8c:
                push_string(size_t(take_le(1)));
                return false;  // SHORT_BINUNICODE
            case 'U':
                push_string(size_t(take_le(1)));
                return false;  // SHORT_BINSTRING (Python 2 str)
            case 0x8d: {       // BINUNICODE8
                const uint64_t n = take_le(8);
                if (n > size_ - pos_) fail("a string of " + std::to_string(n) + " bytes runs past the pickle's end");
                push_string(size_t(n));
                return false;
            }
            case 'T': {  // BINSTRING (Python 2 str): a signed length
                const int32_t n = int32_t(uint32_t(take_le(4)));
                if (n < 0) fail("a string of negative length");
                push_string(size_t(n));
                return false;
            }
            case 'J':
                push_int(int32_t(uint32_t(take_le(4))));
                return false;  // BININT
            case 'K':
                push_int(int64_t(take_le(1)));
                return false;  // BININT1
            case 'M':
                push_int(int64_t(take_le(2)));
                return false;  // BININT2
            case 0x8a: {       // LONG1: little-endian two's complement of n bytes
                const size_t n = size_t(take_le(1));
                const uint8_t* p = take(n);
                if (n <= 8) {
                    uint64_t v = 0;
                    for (size_t i = n; i-- > 0;)
                        v = (v << 8) | p[i];
                    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
                    push_int(int64_t(v));
                } else {
                    PickleValue* v = make(K::BigInt);
                    v->text.assign(reinterpret_cast<const char*>(p), n);
                    push(v);
                }
                return false;
            }
            case 'G': {  // BINFLOAT: a big-endian double
                const uint8_t* p = take(8);
                uint64_t bits = 0;
                for (int i = 0; i < 8; ++i)
                    bits = (bits << 8) | p[i];
                PickleValue* v = make(K::Float);
                std::memcpy(&v->real, &bits, 8);
                push(v);
                return false;
            }
            case 0x88:
            case 0x89: {  // NEWTRUE, NEWFALSE
                PickleValue* v = make(K::Bool);
                v->integer = op == 0x88;
                push(v);
                return false;
            }
            case 'N':
                push(make(K::None));
                return false;  // NONE
            case 'Q': {        // BINPERSID
                PickleValue* id = pop();
                PickleValue* v = make(K::Persistent);
                v->items = {id};
                push(v);
                return false;
            }
            case 'R':
                reduce();
                return false;  // REDUCE
            case 'b': {        // BUILD: only a dict's attributes (_metadata), dropped
                PickleValue* state = pop();
                PickleValue* target = top();
                if (target->kind != K::Dict) fail("BUILD sets the state of " + describe(*target) + "; " + kWhy);
                (void)state;
                return false;
            }
            case 's': {  // SETITEM
                PickleValue* value = pop();
                PickleValue* key = pop();
                PickleValue* dict = top();
                if (dict->kind != K::Dict) fail("SETITEM on " + describe(*dict) + ", not a dict");
                dict->items.push_back(key);
                dict->items.push_back(value);
                return false;
            }
            case 'u': {  // SETITEMS
                std::vector<PickleValue*> kv = pop_to_mark();
                PickleValue* dict = top();
                if (dict->kind != K::Dict) fail("SETITEMS on " + describe(*dict) + ", not a dict");
                if (kv.size() % 2) fail("SETITEMS with a key and no value");
                dict->items.insert(dict->items.end(), kv.begin(), kv.end());
                return false;
            }
            case 'a': {  // APPEND
                PickleValue* value = pop();
                PickleValue* list = top();
                if (list->kind != K::List) fail("APPEND to " + describe(*list) + ", not a list");
                list->items.push_back(value);
                return false;
            }
            case 'e': {  // APPENDS
                std::vector<PickleValue*> values = pop_to_mark();
                PickleValue* list = top();
                if (list->kind != K::List) fail("APPENDS to " + describe(*list) + ", not a list");
                list->items.insert(list->items.end(), values.begin(), values.end());
                return false;
            }
            case '.':  // STOP
                out_->root = top();
                out_->end = pos_;
                return true;
            default: {
                const char* known = opcode_name(op);
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", op);
                if (known)
                    fail(std::string("the pickle opcode ") + known + " (" + hex + ") is not one a state_dict uses; " +
                         kWhy);
                fail(std::string("byte ") + hex + " is not a pickle opcode");
            }
        }
    }
};

}  // namespace

std::unique_ptr<Pickle> parse_pickle(const uint8_t* data, size_t size, const std::string& name,
                                     const PickleGlobals& allowed) {
    return Machine(data, size, name, allowed).run();
}

std::string describe(const PickleValue& v) {
    using K = PickleValue::Kind;
    switch (v.kind) {
        case K::None:
            return "None";
        case K::Bool:
            return v.integer ? "True" : "False";
        case K::Int:
            return "the int " + std::to_string(v.integer);
        case K::BigInt:
            return "a " + std::to_string(v.text.size() * 8) + "-bit int";
        case K::Float:
            return "a float";
        case K::String:
            return "the str " + quoted(v.text);
        case K::Tuple:
            return "a tuple of " + std::to_string(v.items.size());
        case K::List:
            return "a list of " + std::to_string(v.items.size());
        case K::Dict:
            return "a dict of " + std::to_string(v.items.size() / 2);
        case K::Global:
            return v.text;
        case K::Call:
            return "a call of " + v.items[0]->text;
        case K::Persistent:
            return "a persistent id";
    }
    return "a value";
}

}  // namespace attn
