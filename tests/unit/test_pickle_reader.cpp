// core/io/pickle_reader.cpp on pickles built opcode by opcode: what each opcode makes, the memo,
// and what is refused (globals, opcodes, calls) without anything being run.
#include "io/pickle_reader.h"

#include "checkpoint_builders.h"
#include "errors.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace attn {
namespace {

using K = PickleValue::Kind;
using test::expect_file_error;
using test::PickleBytes;

const PickleGlobals kAllowed = {
    {"collections.OrderedDict"}, {"torch._utils._rebuild_tensor_v2"}, {"torch.FloatStorage"}};

std::unique_ptr<Pickle> parse(const std::string& b, const PickleGlobals& g = kAllowed) {
    return parse_pickle(reinterpret_cast<const uint8_t*>(b.data()), b.size(), "p.pkl", g);
}

TEST(PickleReader, ScalarsAndStrings) {
    const std::string b = PickleBytes()
                              .proto()
                              .mark()
                              .int1(200)
                              .int4(-5)
                              .op('M')
                              .op(0x34)
                              .op(0x12)  // BININT2
                              .str("h\xc3\xa9llo")
                              .op(0x8c)
                              .op(2)
                              .op('a')
                              .op('b')  // SHORT_BINUNICODE
                              .op(0x88)
                              .op(0x89)
                              .none()
                              .op('G')
                              .op(0x40)
                              .op(0x09)
                              .op(0x21)
                              .op(0xfb)
                              .op(0x54)
                              .op(0x44)
                              .op(0x2d)
                              .op(0x18)
                              .op(0x8a)
                              .op(1)
                              .op(0xff)  // LONG1 of one byte
                              .op(0x8a)
                              .op(0)  // LONG1 of none: 0
                              .tuple()
                              .stop()
                              .b;
    auto p = parse(b);
    const PickleValue& t = *p->root;
    ASSERT_EQ(t.kind, K::Tuple);
    ASSERT_EQ(t.items.size(), 11u);
    EXPECT_EQ(t.items[0]->integer, 200);
    EXPECT_EQ(t.items[1]->integer, -5);
    EXPECT_EQ(t.items[2]->integer, 0x1234);
    EXPECT_EQ(t.items[3]->text, "h\xc3\xa9llo");
    EXPECT_EQ(t.items[4]->text, "ab");
    EXPECT_EQ(t.items[5]->kind, K::Bool);
    EXPECT_EQ(t.items[5]->integer, 1);
    EXPECT_EQ(t.items[6]->integer, 0);
    EXPECT_EQ(t.items[7]->kind, K::None);
    EXPECT_EQ(t.items[8]->real, 3.141592653589793);  // BINFLOAT is big-endian
    EXPECT_EQ(t.items[9]->integer, -1);              // LONG1 is two's complement
    EXPECT_EQ(t.items[10]->integer, 0);
    EXPECT_EQ(p->end, b.size());
}

TEST(PickleReader, LongIntegers) {
    // LONG1 of 10 bytes stays as its bytes (the legacy format's magic number is one).
    auto big = parse(PickleBytes().proto().op(0x8a).op(10).b +
                     std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10) + ".");
    EXPECT_EQ(big->root->kind, K::BigInt);
    EXPECT_EQ(big->root->text.size(), 10u);
    auto two = parse(PickleBytes().proto().op(0x8a).op(2).op(0x00).op(0x80).stop().b);  // 0x8000 -> -32768
    EXPECT_EQ(two->root->integer, -32768);
    auto eight = parse(PickleBytes().proto().op(0x8a).op(8).b + std::string(7, '\xff') + "\x7f.");
    EXPECT_EQ(eight->root->integer, INT64_MAX);
}

TEST(PickleReader, ContainersMemoAndMarks) {
    // {'a': [1, 2], 'b': (x, x)} with x memoised once and fetched twice.
    auto p = parse(PickleBytes()
                       .proto()
                       .empty_dict()
                       .put(0)
                       .mark()
                       .str("a")
                       .empty_list()
                       .mark()
                       .int1(1)
                       .int1(2)
                       .op('e')
                       .str("b")
                       .str("x")
                       .put(1)
                       .get(1)
                       .op(0x86)
                       .setitems()
                       .stop()
                       .b);
    const PickleValue& d = *p->root;
    ASSERT_EQ(d.kind, K::Dict);
    ASSERT_EQ(d.items.size(), 4u);
    EXPECT_EQ(d.items[1]->items.size(), 2u);
    EXPECT_EQ(d.items[3]->items[0], d.items[3]->items[1]);  // the same value, not a copy
    // LONG_BINPUT / LONG_BINGET and MEMOIZE (protocol 4), SETITEM and APPEND one at a time.
    auto q = parse(PickleBytes()
                       .proto(4)
                       .empty_list()
                       .op(0x94)
                       .int1(7)
                       .op('a')
                       .op('j')
                       .op(0)
                       .op(0)
                       .op(0)
                       .op(0)
                       .op(0x85)
                       .empty_dict()
                       .str("k")
                       .int1(3)
                       .op('s')
                       .op(0x86)
                       .stop()
                       .b);
    ASSERT_EQ(q->root->items.size(), 2u);
    EXPECT_EQ(q->root->items[0]->items.size(), 1u);
    EXPECT_EQ(q->root->items[1]->items.size(), 2u);
}

TEST(PickleReader, OrderedDictReduceMakesADictAndBuildDropsItsState) {
    auto p = parse(PickleBytes()
                       .begin_state_dict()
                       .str("w")
                       .int1(1)
                       .setitems()
                       .empty_dict()
                       .str("_metadata")
                       .int1(0)
                       .op('s')
                       .op('b')
                       .stop()
                       .b);
    ASSERT_EQ(p->root->kind, K::Dict);
    EXPECT_EQ(p->root->items.size(), 2u);
    // Python 2's OrderedDict([[k, v]]): the items as REDUCE's argument.
    auto old = parse(PickleBytes()
                         .proto()
                         .global("collections", "OrderedDict")
                         .empty_list()
                         .mark()
                         .empty_list()
                         .mark()
                         .str("k")
                         .int1(5)
                         .op('e')
                         .op('e')
                         .op(0x85)
                         .reduce()
                         .stop()
                         .b);
    ASSERT_EQ(old->root->kind, K::Dict);
    ASSERT_EQ(old->root->items.size(), 2u);
    EXPECT_EQ(old->root->items[0]->text, "k");
    EXPECT_EQ(old->root->items[1]->integer, 5);
}

TEST(PickleReader, AllowedCallsAreRecordedNotRun) {
    auto p = parse(
        PickleBytes().proto().global("torch._utils", "_rebuild_tensor_v2").mark().int1(1).tuple().reduce().stop().b);
    ASSERT_EQ(p->root->kind, K::Call);
    EXPECT_EQ(p->root->items[0]->text, "torch._utils._rebuild_tensor_v2");
    EXPECT_EQ(p->root->items[1]->items[0]->integer, 1);
    // STACK_GLOBAL from two strings.
    auto s = parse(PickleBytes().proto(4).op(0x8c).op(5).b + "torch" + PickleBytes().op(0x8c).op(12).b +
                   "FloatStorage" + PickleBytes().op(0x93).stop().b);
    EXPECT_EQ(s.get()->root->text, "torch.FloatStorage");
}

TEST(PickleReader, RefusesGlobalsOutsideTheAllowList) {
    for (const auto& [module, name] :
         std::vector<std::pair<std::string, std::string>>{{"os", "system"},
                                                          {"posix", "system"},
                                                          {"builtins", "eval"},
                                                          {"__builtin__", "getattr"},
                                                          {"numpy.core.multiarray", "_reconstruct"},
                                                          {"torch", "load"},
                                                          {"collections", "OrderedDicts"}}) {
        expect_file_error([&] { parse(PickleBytes().proto().global(module, name).stop().b); },
                          {"p.pkl", "\"" + module + "." + name + "\"", "untrusted input", "without running"});
    }
    expect_file_error([&] { parse(PickleBytes().proto(4).str("os").str("system").op(0x93).b); }, {"\"os.system\""});
    // Nothing is allowed when the caller allows nothing.
    expect_file_error([&] { parse(PickleBytes().proto().global("collections", "OrderedDict").b, PickleGlobals{}); },
                      {"collections.OrderedDict"});
}

TEST(PickleReader, RefusesCallsOfValuesAndOfNonGlobals) {
    expect_file_error([&] { parse(PickleBytes().proto().global("torch", "FloatStorage").empty_tuple().reduce().b); },
                      {"calls torch.FloatStorage()", "untrusted input"});
    expect_file_error([&] { parse(PickleBytes().proto().str("os.system").empty_tuple().reduce().b); },
                      {"REDUCE calls the str \"os.system\""});
    expect_file_error([&] { parse(PickleBytes().proto().global("collections", "OrderedDict").int1(1).reduce().b); },
                      {"not a tuple"});
    expect_file_error([&] { parse(PickleBytes().proto().empty_list().int1(1).op('b').b); },
                      {"BUILD sets the state of a list"});
}

TEST(PickleReader, RefusesOpcodesAStateDictNeverUses) {
    const std::vector<std::pair<uint8_t, std::string>> ops = {
        {'i', "INST"},   {'o', "OBJ"},  {0x81, "NEWOBJ"}, {0x92, "NEWOBJ_EX"}, {0x82, "EXT1"},       {'P', "PERSID"},
        {'S', "STRING"}, {'d', "DICT"}, {'0', "POP"},     {0x8f, "EMPTY_SET"}, {0x96, "BYTEARRAY8"}, {'B', "BINBYTES"}};
    for (const auto& [op, name] : ops) {
        expect_file_error([&] { parse(PickleBytes().proto().op(op).b); },
                          {"p.pkl", "byte 2", name, "is not one a state_dict uses"});
    }
    expect_file_error([&] { parse(PickleBytes().proto().op(0xf0).b); }, {"0xf0 is not a pickle opcode"});
    expect_file_error([&] { parse(PickleBytes().proto(6).b); }, {"protocol 6"});
}

TEST(PickleReader, MalformedPicklesAreFileErrors) {
    expect_file_error([&] { parse(""); }, {"p.pkl", "ends without STOP"});
    expect_file_error([&] { parse(PickleBytes().proto().int1(1).b); }, {"ends without STOP"});
    expect_file_error([&] { parse(PickleBytes().proto().stop().b); }, {"stack is empty"});
    expect_file_error([&] { parse(PickleBytes().proto().op('t').b); }, {"no MARK"});
    expect_file_error([&] { parse(PickleBytes().proto().int1(1).mark().op(0x85).b); }, {"stack is empty"});
    expect_file_error([&] { parse(PickleBytes().proto().get(3).b); }, {"memo entry 3 was never stored"});
    expect_file_error([&] { parse(PickleBytes().proto().op('X').op(0xff).op(0xff).op(0xff).op(0x7f).b); },
                      {"cut short"});
    expect_file_error([&] { parse(PickleBytes().proto(4).op(0x8d).b + std::string(8, '\x7f')); }, {"runs past"});
    expect_file_error([&] { parse(PickleBytes().proto(4).op(0x95).b + std::string(8, '\x7f')); }, {"frame"});
    expect_file_error([&] { parse(PickleBytes().proto().op('c').b + "torch"); }, {"no end of line"});
    expect_file_error([&] { parse(PickleBytes().proto().int1(0).int1(1).int1(2).op('s').b); },
                      {"SETITEM on the int 0"});
    expect_file_error([&] { parse(PickleBytes().proto().empty_dict().mark().int1(2).setitems().b); },
                      {"a key and no value"});
    expect_file_error([&] { parse(PickleBytes().proto().str("x").int1(2).op('a').b); }, {"APPEND to the str"});
    expect_file_error([&] { parse(PickleBytes().proto().op('T').op(0xff).op(0xff).op(0xff).op(0xff).b); },
                      {"negative length"});
}

TEST(PickleReader, DeepNestingAndSelfReferenceNeitherRecurseNorLeak) {
    // 200,000 nested lists: the machine loops, it does not recurse.
    PickleBytes deep;
    deep.proto();
    for (int i = 0; i < 200000; ++i)
        deep.empty_list();
    for (int i = 0; i < 199999; ++i)
        deep.op('a');
    auto p = parse(deep.stop().b);
    EXPECT_EQ(p->arena.size(), 200000u);
    // A list that contains itself: the arena owns it; describe() does not follow it.
    auto self = parse(PickleBytes().proto().empty_list().put(0).get(0).op('a').stop().b);
    EXPECT_EQ(self->root->items[0], self->root);
    EXPECT_EQ(describe(*self->root), "a list of 1");
}

TEST(PickleReader, ValueCountIsBounded) {
    // More values than the limit, in few bytes each: refused before they are all made.
    std::string b = PickleBytes().proto().empty_list().put(0).b;
    for (size_t i = 0; i <= kMaxPickleValues; ++i)
        b += "N";
    expect_file_error([&] { parse(b); }, {"p.pkl", "more than"});
    // A pickle that does not stop within kMaxPickleBytes...
    std::string big = PickleBytes().proto().op('X').b;
    for (int i = 0; i < 4; ++i)
        big += char(uint8_t(kMaxPickleBytes >> (8 * i)));
    big += std::string(kMaxPickleBytes, 'a') + ".";
    expect_file_error([&] { parse(big); }, {"runs past", "more than a state_dict's ever is"});
    // ... but a short pickle followed by much more data (the legacy format's storages) is fine.
    std::string followed = PickleBytes().proto().int1(1).stop().b + std::string(kMaxPickleBytes + 10, 'x');
    EXPECT_EQ(parse(followed)->root->integer, 1);
}

TEST(PickleReader, StopsAtStopAndLeavesTheRest) {
    const std::string two = PickleBytes().proto().int1(1).stop().b + PickleBytes().proto().int1(2).stop().b;
    auto first = parse(two);
    EXPECT_EQ(first->root->integer, 1);
    EXPECT_EQ(first->end, 5u);
    auto second = parse_pickle(reinterpret_cast<const uint8_t*>(two.data()) + first->end, two.size() - first->end,
                               "p.pkl", kAllowed);
    EXPECT_EQ(second->root->integer, 2);
}

}  // namespace
}  // namespace attn
