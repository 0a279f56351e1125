// core/io/zip_reader.cpp on archives built byte by byte (checkpoint_builders.h): stored entries,
// data descriptors, ZIP64, comments; and every way an archive can lie or be cut short.
#include "io/zip_reader.h"

#include "checkpoint_builders.h"
#include "errors.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace attn {
namespace {

using test::expect_file_error;
using test::make_zip;
using test::ZipInput;
using test::ZipOptions;

std::string text_of(const ZipBytes& b) {
    return std::string(reinterpret_cast<const char*>(b.data), b.size);
}

const std::vector<ZipInput> kTwo = {{"a/data.pkl", "pickle bytes"}, {"a/data/0", std::string(40, '\x07')}};

TEST(Crc32, KnownValues) {
    // The check value of CRC-32/ISO-HDLC, and an empty input.
    EXPECT_EQ(crc32_update(0, reinterpret_cast<const uint8_t*>("123456789"), 9), 0xCBF43926u);
    EXPECT_EQ(crc32_update(0, nullptr, 0), 0u);
    // Continuing over pieces equals one pass (the 8-byte steps and the tail agree).
    std::string s;
    for (int i = 0; i < 1000; ++i)
        s += char(i * 31);
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    EXPECT_EQ(crc32_update(crc32_update(0, p, 333), p + 333, 667), crc32_update(0, p, 1000));
}

TEST(ZipReader, ReadsStoredEntriesInEveryLayout) {
    for (const ZipOptions& opt : {ZipOptions{}, ZipOptions{true, false, ""}, ZipOptions{false, true, ""},
                                  ZipOptions{true, true, "a comment"}}) {
        const std::vector<uint8_t> z = make_zip(kTwo, opt);
        const ZipReader zip(z.data(), z.size(), "t.zip");
        ASSERT_EQ(zip.entries().size(), 2u);
        EXPECT_EQ(zip.entries()[1].name, "a/data/0");
        EXPECT_EQ(text_of(zip.read(*zip.find("a/data.pkl"))), "pickle bytes");
        EXPECT_EQ(text_of(zip.read(*zip.find("a/data/0"))), std::string(40, '\x07'));
        EXPECT_EQ(zip.find("a/none"), nullptr);
    }
}

TEST(ZipReader, EveryTruncationIsAFileError) {
    for (const ZipOptions& opt : {ZipOptions{}, ZipOptions{true, true, ""}}) {
        const std::vector<uint8_t> z = make_zip(kTwo, opt);
        for (size_t n = 0; n < z.size(); ++n) {
            try {
                const ZipReader zip(z.data(), n, "cut.zip");
                for (const ZipEntry& e : zip.entries())
                    zip.read(e);
                ADD_FAILURE() << "an archive cut to " << n << " of " << z.size() << " bytes was read whole";
            } catch (const FileError& e) {
                EXPECT_NE(std::string(e.what()).find("cut.zip"), std::string::npos) << e.what();
            }
        }
    }
}

TEST(ZipReader, RefusesCompressedAndEncryptedEntriesByName) {
    const std::vector<uint8_t> z = make_zip({{"a/data.pkl", "x", 8}, {"a/secret", "y", 0, 1}});
    const ZipReader zip(z.data(), z.size(), "t.zip");
    expect_file_error([&] { zip.read(zip.entries()[0]); }, {"t.zip", "\"a/data.pkl\"", "compressed", "deflate"});
    expect_file_error([&] { zip.read(zip.entries()[1]); }, {"t.zip", "\"a/secret\"", "encrypted"});
}

TEST(ZipReader, ChecksTheCrcOfWhatItReads) {
    std::vector<uint8_t> z = make_zip(kTwo);
    z[30 + 10 + 3] ^= 1;  // a byte of the first entry's data (after its 30-byte header and name)
    const ZipReader zip(z.data(), z.size(), "t.zip");
    expect_file_error([&] { zip.read(zip.entries()[0]); }, {"t.zip", "\"a/data.pkl\"", "damaged", "CRC-32"});
    EXPECT_NO_THROW(zip.read(zip.entries()[1]));  // only what is read is checked
}

TEST(ZipReader, LocalHeadersMustAgreeWithTheDirectory) {
    {  // another name in the local header
        std::vector<uint8_t> z = make_zip(kTwo);
        z[30] = 'b';
        const ZipReader zip(z.data(), z.size(), "t.zip");
        expect_file_error([&] { zip.read(zip.entries()[0]); }, {"another name", "\"b/data.pkl\""});
    }
    {  // another method
        std::vector<uint8_t> z = make_zip(kTwo);
        z[8] = 8;
        const ZipReader zip(z.data(), z.size(), "t.zip");
        expect_file_error([&] { zip.read(zip.entries()[0]); }, {"method 8"});
    }
    {  // another size, without a data descriptor
        std::vector<uint8_t> z = make_zip(kTwo);
        z[22] ^= 1;
        const ZipReader zip(z.data(), z.size(), "t.zip");
        expect_file_error([&] { zip.read(zip.entries()[0]); }, {"sizes differ"});
    }
    {  // another CRC
        std::vector<uint8_t> z = make_zip(kTwo);
        z[14] ^= 1;
        const ZipReader zip(z.data(), z.size(), "t.zip");
        expect_file_error([&] { zip.read(zip.entries()[0]); }, {"CRC-32 differs"});
    }
    {  // no local header where the directory points
        std::vector<uint8_t> z = make_zip(kTwo);
        z[0] = 'Q';
        const ZipReader zip(z.data(), z.size(), "t.zip");
        expect_file_error([&] { zip.read(zip.entries()[0]); }, {"no local header at byte 0"});
    }
}

// The central directory's offset within a plain archive made by make_zip.
size_t cd_offset_of(const std::vector<uint8_t>& z) {
    const size_t e = z.size() - 22;
    return size_t(z[e + 16]) | size_t(z[e + 17]) << 8 | size_t(z[e + 18]) << 16 | size_t(z[e + 19]) << 24;
}

TEST(ZipReader, LyingDirectoriesAreRefused) {
    const std::vector<uint8_t> good = make_zip(kTwo);
    const size_t cd = cd_offset_of(good), end = good.size() - 22;
    auto with = [&](size_t at, std::vector<uint8_t> bytes) {
        std::vector<uint8_t> z = good;
        std::copy(bytes.begin(), bytes.end(), z.begin() + std::ptrdiff_t(at));
        return z;
    };
    auto open_and_read = [](const std::vector<uint8_t>& z) {
        const ZipReader zip(z.data(), z.size(), "lie.zip");
        for (const ZipEntry& e : zip.entries())
            zip.read(e);
    };
    // More entries than the directory can hold.
    expect_file_error(
        [&] {
            open_and_read(with(end + 8, {0xff, 0x7f, 0xff, 0x7f}));
        },
        {"lie.zip", "claims 32767 entries"});
    // The directory outside the file.
    expect_file_error([&] { open_and_read(with(end + 16, {0xf0, 0xff, 0xff, 0x00})); }, {"outside the archive"});
    // An entry whose size runs past its data into the directory (sizes deferred to a data
    // descriptor, so only the directory's count).
    {
        std::vector<uint8_t> z = make_zip(kTwo, ZipOptions{true, false, ""});
        const size_t dcd = cd_offset_of(z);
        for (size_t at : {dcd + 20, dcd + 24})
            z[at + 1] = 0x40;
        expect_file_error([&] { open_and_read(z); },
                          {"lie.zip", "\"a/data.pkl\"", "past the start of the central directory"});
    }
    // Sizes that disagree in the directory itself (stored, so they must be equal).
    expect_file_error([&] { open_and_read(with(cd + 20, {0xff, 0xff, 0, 0})); }, {"\"a/data.pkl\""});
    // An entry whose local header is claimed past the directory.
    expect_file_error([&] { open_and_read(with(cd + 42, {0xf0, 0xff, 0xff, 0x0f})); }, {"no local header"});
    // A name that runs past the directory.
    expect_file_error([&] { open_and_read(with(cd + 28, {0xff, 0xff})); }, {"runs past"});
    // Two entries with one name.
    expect_file_error(
        [&] {
            const std::vector<uint8_t> z = make_zip({{"a/x", "1"}, {"a/x", "2"}});
            open_and_read(z);
        },
        {"\"a/x\" appears twice"});
    // A comment length that does not reach the end: no end record is found.
    expect_file_error([&] { open_and_read(with(end + 20, {5, 0})); }, {"no end-of-central-directory"});
    // Saturated fields with no ZIP64 records.
    expect_file_error([&] { open_and_read(with(end + 10, {0xff, 0xff})); }, {"ZIP64 end records, which are missing"});
    expect_file_error([&] { open_and_read({'P', 'K', 3, 4}); }, {"lie.zip", "not a zip archive"});
}

TEST(ZipReader, Zip64LocatorMustPointAtARecord) {
    std::vector<uint8_t> z = make_zip(kTwo, ZipOptions{false, true, ""});
    const size_t locator = z.size() - 22 - 20;
    z[locator + 8] ^= 0x10;  // the record's offset
    expect_file_error([&] { ZipReader zip(z.data(), z.size(), "t.zip"); }, {"no ZIP64 end record"});
}

}  // namespace
}  // namespace attn
