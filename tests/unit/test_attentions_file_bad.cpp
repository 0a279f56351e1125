// core/maps/attentions_file on metadata of every wrong JSON type and on odd shapes: each is one
// attn::Error naming the file (never a JSON library exception, a crash or a read out of bounds).
#include "errors.h"
#include "io/safetensors.h"
#include "maps/attentions_file.h"
#include "tensor/tensor.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace attn {
namespace {

SafetensorsFile file_with(const std::string& field, const std::string& value, const Shape& shape = {1, 1, 1, 2, 2}) {
    SafetensorsFile f;
    f.tensors.emplace_back("attentions", Tensor(shape, 0.5f));
    f.metadata["tokens"] = R"([["a", "b"]])";
    f.metadata[field] = value;
    return f;
}

void expect_one_error(SafetensorsFile f, const std::string& what) {
    try {
        attentions_from_safetensors(std::move(f), "/data/odd.safetensors");
        ADD_FAILURE() << what << ": accepted";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("/data/odd.safetensors"), std::string::npos) << what << ": " << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << what << ": one line: " << msg;
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": not an attn::Error: " << e.what();
    }
}

TEST(AttentionsFileBad, TokensOfEveryWrongJsonTypeAreOneError) {
    for (const std::string& v : std::vector<std::string>{"null", "1", "\"a b\"", "{\"a\": 1}", "[1, 2]", "[[1, 2]]",
                                                         "[[\"a\", 2]]", "[[\"a\"], [\"b\"]]", "[[[\"a\", \"b\"]]]",
                                                         "[[]]", "[]", "[[\"a\", \"b\"], [\"c\", \"d\"]]",
                                                         "[[\"a\", null]]", "[[\"a\", \"b\"", "[[\"a\", true]]"})
        expect_one_error(file_with("tokens", v), "tokens = " + v);
}

TEST(AttentionsFileBad, QueryTokensImageGridAndPrefixOfWrongTypesAreOneError) {
    for (const std::string& v : std::vector<std::string>{"null", "[1]", "{}", "[[\"x\"]]", "[[\"x\", \"y\", \"z\"]]"})
        expect_one_error(file_with("query_tokens", v), "query_tokens = " + v);
    for (const std::string& v :
         std::vector<std::string>{"", "x", "2", "2x", "x2", "0x1", "-1x2", "2x2x2", "99999999999x1", "1x1.5",
                                  "4294967296x4294967296", "3037000500x3037000500"})
        expect_one_error(file_with("patch_grid", v), "patch_grid = " + v);
    for (const std::string& v :
         std::vector<std::string>{"-1", "x", "3", "1.5", "99999999999999999999", "9223372036854775807"}) {
        SafetensorsFile f = file_with("patch_grid", "1x1");
        f.metadata["prefix_tokens"] = v;
        expect_one_error(f, "prefix_tokens = " + v);
    }
    expect_one_error(file_with("image", "/nonexistent/picture.png"), "image");
    expect_one_error(file_with("image", "[1, 2]"), "image = [1, 2]");
}

TEST(AttentionsFileBad, ShapesWithAnEmptyAxisOrTheWrongRankAreOneError) {
    for (const Shape& shape : std::vector<Shape>{{0, 1, 1, 2, 2},
                                                 {1, 0, 1, 2, 2},
                                                 {1, 1, 0, 2, 2},
                                                 {1, 1, 1, 0, 2},
                                                 {1, 1, 1, 2, 0},
                                                 {2, 2},
                                                 {1, 1, 1, 1, 2, 2}})
        expect_one_error(file_with("model", "m", shape), "shape " + shape_string(shape));
}

}  // namespace
}  // namespace attn
