// Helpers shared by the unit tests of the file readers (test_npy.cpp, test_safetensors.cpp,
// test_image.cpp): checking the FileError a bad input must become, and comparing tensors exactly.
#pragma once

#include "errors.h"
#include "tensor/tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace attn::test {

// The message of the FileError that `f` throws; a test failure when it throws nothing or
// something else. Every reader must turn bad input into a FileError, and tests check its text.
inline std::string file_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const FileError& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected FileError, got another exception: " << e.what();
        return "";
    }
    ADD_FAILURE() << "expected FileError, nothing was thrown";
    return "";
}

// The message is one line and holds every one of `parts`: the contract for a FileError is a
// single line naming the file and the problem.
inline void expect_file_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
    const std::string msg = file_error_of(f);
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    for (const std::string& part : parts)
        EXPECT_NE(msg.find(part), std::string::npos) << "message lacks \"" << part << "\": " << msg;
}

// Bitwise, so that NaN, -0 and inf round-trip exactly. `compare_dtype` is false where a test
// checks the dtype on its own or the format has only one (safetensors reads everything as F32).
inline void expect_same_tensor(const Tensor& a, const Tensor& b, bool compare_dtype = true) {
    EXPECT_EQ(a.shape, b.shape);
    if (compare_dtype) {
        EXPECT_EQ(a.dtype, b.dtype);
    }
    ASSERT_EQ(a.data.size(), b.data.size());
    if (!a.data.empty()) {  // memcmp wants non-null pointers even for 0 bytes
        EXPECT_EQ(std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)), 0);
    }
}

// An F32 tensor holding start, start + step, start + 2 * step, ... in storage order: every
// element differs, so a reader that mixes up order, offsets or shape shows in the values.
inline Tensor counting_tensor(Shape shape, float start, float step) {
    Tensor t(std::move(shape));
    for (size_t i = 0; i < t.data.size(); ++i)
        t.data[i] = start + static_cast<float>(i) * step;
    return t;
}

// A fresh folder under the test temp dir, named after the test and the process, removed at the
// end of the test.
struct TempFolder {
    std::filesystem::path path;
    TempFolder() {
        const auto* info = testing::UnitTest::GetInstance()->current_test_info();
        path = std::filesystem::path(testing::TempDir()) /
               ("attnscope_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
                std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempFolder() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace attn::test
