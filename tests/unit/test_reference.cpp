// The engine against PyTorch: every folder of tests/data/reference is one forward pass of a
// module, written by tests/torch/make_references.py (the seed's four modules as PyTorch, and
// nn.MultiheadAttention). One test per folder, named after it, so ctest lists each case.
//
// Like llm.c's test_gpt2.c: compare output and att_weights, print the max |diff| and, on failure,
// the first index where the engine and PyTorch part.
#include "errors.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "model/config.h"
#include "model/forward.h"
#include "model/weights.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// float32 with a different summation order than PyTorch's (Eigen's blocking, our softmax's
// passes): on these sizes (emb <= 32, values O(1)) the differences measured against a float64
// recomputation are ~1e-7. 1e-4 leaves room for other CPUs and vector widths while still
// catching any real mistake (a wrong scale, a wrong transpose, a missing bias) by orders of
// magnitude.
constexpr double kTolerance = 1e-4;

fs::path reference_root() {
    return fs::path(ATTNSCOPE_TEST_DATA) / "reference";
}

// Every case folder (one that holds a config.json), sorted so the order is stable.
std::vector<std::string> reference_cases() {
    std::vector<std::string> names;
    std::error_code ec;
    if (!fs::is_directory(reference_root(), ec)) return names;
    for (const auto& entry : fs::directory_iterator(reference_root(), ec)) {
        if (entry.is_directory(ec) && fs::is_regular_file(entry.path() / "config.json", ec))
            names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// GoogleTest names may hold only letters, digits and '_'.
std::string test_name(const std::string& folder) {
    std::string s = folder;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw attn::FileError(path.string() + ": cannot open");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw attn::FileError(path.string() + ": " + e.what());
    }
}

attn::ModuleConfig config_from_json(const nlohmann::json& j) {
    attn::ModuleConfig config;
    config.kind = attn::parse_module_kind(j.at("module").get<std::string>());
    config.emb_dim = j.at("emb_dim").get<int64_t>();
    config.heads = j.at("heads").get<int64_t>();
    // Written for the cross modules only; the others have no image.
    if (j.contains("in_channels") && !j["in_channels"].is_null()) config.in_channels = j["in_channels"].get<int64_t>();
    config.scale = attn::parse_scale(j.value("scale", std::string("module")));
    config.mask_fill = attn::parse_mask_fill(j.value("mask_fill", std::string("module")));
    return config;
}

// "[1, 2, 0, 3]" for flat index `flat` of a tensor of shape `shape` (row-major).
std::string index_string(const attn::Shape& shape, int64_t flat) {
    std::vector<int64_t> idx(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        idx[d] = shape[d] > 0 ? flat % shape[d] : 0;
        flat = shape[d] > 0 ? flat / shape[d] : 0;
    }
    std::ostringstream s;
    s << "[";
    for (size_t d = 0; d < idx.size(); ++d)
        s << (d ? ", " : "") << idx[d];
    s << "]";
    return s.str();
}

// Same shape; NaN exactly where PyTorch has NaN (a fully padded row under -inf); elsewhere
// |engine - torch| <= kTolerance. Prints one line either way.
::testing::AssertionResult matches_reference(const std::string& what, const attn::Tensor& got,
                                             const attn::Tensor& want) {
    if (got.shape != want.shape)
        return ::testing::AssertionFailure() << what << ": engine shape " << attn::shape_string(got.shape)
                                             << ", PyTorch " << attn::shape_string(want.shape);
    if (got.data.size() != want.data.size())
        return ::testing::AssertionFailure()
               << what << ": engine holds " << got.data.size() << " values for shape " << attn::shape_string(got.shape);

    double maxdiff = 0.0;
    int64_t nan_count = 0;
    int64_t bad_count = 0;
    int64_t first_bad = -1;
    for (size_t i = 0; i < want.data.size(); ++i) {
        const float g = got.data[i];
        const float w = want.data[i];
        bool ok;
        if (std::isnan(w)) {
            ++nan_count;
            ok = std::isnan(g);
        } else if (std::isinf(w) || std::isinf(g)) {
            ok = g == w;  // an infinity must be the same infinity
        } else {
            // NaN in the engine where PyTorch has a number: diff is NaN and fails the test.
            const double diff = std::fabs(static_cast<double>(g) - static_cast<double>(w));
            ok = diff <= kTolerance;
            if (!std::isnan(diff)) maxdiff = std::max(maxdiff, diff);
        }
        if (!ok) {
            ++bad_count;
            if (first_bad < 0) first_bad = static_cast<int64_t>(i);
        }
    }

    std::printf("  %-7s %-18s maxdiff %.3e  (%zu values, %lld NaN in PyTorch) %s\n", what.c_str(),
                attn::shape_string(want.shape).c_str(), maxdiff, want.data.size(), static_cast<long long>(nan_count),
                bad_count == 0 ? "OK" : "NOT OK");
    if (bad_count == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << what << ": " << bad_count << " of " << want.data.size()
                                         << " values differ (tolerance " << kTolerance
                                         << ", NaN must match NaN); maxdiff " << maxdiff << "; first at "
                                         << index_string(want.shape, first_bad) << " (flat " << first_bad
                                         << "): engine " << got.data[first_bad] << ", PyTorch " << want.data[first_bad];
}

class ReferenceCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceCase, MatchesPyTorch) {
    const fs::path dir = reference_root() / GetParam();
    try {
        const nlohmann::json j = read_json(dir / "config.json");
        const attn::ModuleConfig config = config_from_json(j);
        config.validate();
        std::printf("%s: %s emb %lld heads %lld scale %s fill %s\n", GetParam().c_str(),
                    attn::module_class_name(config.kind).c_str(), static_cast<long long>(config.emb_dim),
                    static_cast<long long>(config.head_count()), attn::scale_name(config.scale).c_str(),
                    attn::mask_fill_name(config.mask_fill).c_str());

        attn::ModuleInputs inputs;
        inputs.x = attn::read_npy((dir / "x.npy").string());
        if (fs::exists(dir / "context.npy")) inputs.context = attn::read_npy((dir / "context.npy").string());
        if (fs::exists(dir / "pad_mask.npy")) {
            inputs.pad_mask = attn::read_npy((dir / "pad_mask.npy").string());
            ASSERT_EQ(inputs.pad_mask->dtype, attn::DType::Bool) << "pad_mask.npy must be bool";
        }

        const std::string weights_path = (dir / "weights.safetensors").string();
        const attn::SafetensorsFile file = attn::read_safetensors(weights_path);
        std::vector<std::string> warnings;
        const attn::Weights weights = attn::weights_from_tensors(config, file.tensors, weights_path, &warnings);
        // The files hold exactly the module's state_dict: nothing may be left unused.
        for (const std::string& w : warnings)
            ADD_FAILURE() << "weights warning: " << w;

        const attn::Trace trace = attn::forward(config, weights, inputs);

        const attn::Tensor want_output = attn::read_npy((dir / "output.npy").string());
        const attn::Tensor want_attn = attn::read_npy((dir / "attn.npy").string());
        EXPECT_TRUE(matches_reference("output", trace.output(), want_output));
        EXPECT_TRUE(matches_reference("attn", trace.attn(), want_attn));
    } catch (const attn::Error& e) {
        FAIL() << GetParam() << ": " << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Reference, ReferenceCase, ::testing::ValuesIn(reference_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return test_name(info.param); });

// Without this, a missing or empty reference folder would pass silently (zero cases run).
TEST(ReferenceData, CasesArePresent) {
    const std::vector<std::string> cases = reference_cases();
    EXPECT_GE(cases.size(), 20u) << "no reference cases under " << reference_root().string()
                                 << "; run /usr/bin/python3 tests/torch/make_references.py";
    std::vector<std::string> names;
    for (const std::string& c : cases)
        names.push_back(test_name(c));
    std::sort(names.begin(), names.end());
    EXPECT_TRUE(std::adjacent_find(names.begin(), names.end()) == names.end())
        << "two case folders map to the same test name";
}

}  // namespace
