// The bad-input battery: every file a user might hand the CLI by mistake gets exit status 2 and
// one line on stderr that names the file (or setting) and the problem. Never a crash, a hang or
// a garbage result. The files are made here, so each test says exactly what is wrong with it.
#include "cli_runner.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "model/weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace attn;
using namespace attn::test;

namespace {

const std::string kImages = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/images/";
const std::string kBad = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/data/bad-inputs/";

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

std::string as_string(const std::vector<uint8_t>& v) {
    return std::string(v.begin(), v.end());
}

// Exit 2, exactly one line on stderr, and that line holds every one of `parts`.
void expect_refused(const std::string& args, const std::vector<std::string>& parts) {
    Result r = run_cli(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << args << "\n" << r.err;
    for (const std::string& p : parts)
        EXPECT_NE(r.err.find(p), std::string::npos) << "no \"" << p << "\" in: " << r.err;
}

uint32_t crc32(const std::string& bytes) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char ch : bytes) {
        c ^= ch;
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

std::string be32(uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A PNG whose header claims width x height, followed by nothing that could fill it.
std::string lying_png(uint32_t width, uint32_t height) {
    std::string ihdr = "IHDR" + be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
    return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + ihdr + be32(crc32(ihdr));
}

Tensor ramp(Shape shape) {
    Tensor t(std::move(shape));
    for (int64_t i = 0; i < t.numel(); ++i)
        t.data[i] = 0.01f * static_cast<float>(i % 97);
    return t;
}

}  // namespace

// ---- images -------------------------------------------------------------------------------

TEST(BadInputs, Images) {
    fs::path d = fresh_dir("bad_images");
    write_bytes(d / "empty.png", "");
    write_bytes(d / "text.png", "this is not a picture\n");
    write_bytes(d / "huge.png", lying_png(100000, 100000));
    const std::string cross = "run --module cross --emb-dim 8 --grid 2x2 --image ";
    expect_refused(cross + quote(kBad + "truncated.jpg"), {"truncated.jpg"});
    expect_refused(cross + quote((d / "empty.png").string()), {"empty.png"});
    expect_refused(cross + quote((d / "text.png").string()), {"text.png"});
    expect_refused(cross + quote((d / "huge.png").string()), {"huge.png", "100000"});
    expect_refused(cross + "/no/such/picture.png", {"/no/such/picture.png"});
}

TEST(BadInputs, UnusualButValidImagesWork) {
    // 1 x 1, grey, grey + alpha and 16-bit PNGs are pictures like any other (the fuzz corpus
    // holds them, made by hand).
    const std::string dir = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/fuzz/corpus/image/";
    for (const char* f : {"one_1x1.png", "grey_2x3.png", "grey_alpha_2x2.png", "grey16_3x2.png"}) {
        Result r = run_cli("run --module cross-multihead --emb-dim 8 --heads 2 --grid 1x1 --image " + quote(dir + f));
        EXPECT_EQ(r.status, 0) << f << "\n" << r.err;
    }
}

// ---- .npy ----------------------------------------------------------------------------------

TEST(BadInputs, Npy) {
    fs::path d = fresh_dir("bad_npy");
    const std::string good = as_string(encode_npy(ramp({2, 3, 8})));
    // complex64: a dtype we do not read
    std::string complex = good;
    complex.replace(complex.find("<f4"), 3, "<c8");
    write_bytes(d / "complex.npy", complex);
    std::string fortran = good;
    fortran.replace(fortran.find("False"), 5, "True ");
    write_bytes(d / "fortran.npy", fortran);
    std::string mismatch = good;
    mismatch.replace(mismatch.find("(2, 3, 8)"), 9, "(2, 3, 9)");
    write_bytes(d / "mismatch.npy", mismatch);
    write_bytes(d / "truncated.npy", good.substr(0, good.size() - 10));
    Tensor nan = ramp({2, 3, 8});
    nan.data[1 * 24 + 2 * 8 + 5] = std::numeric_limits<float>::quiet_NaN();
    nan.data[47] = std::numeric_limits<float>::infinity();
    write_npy((d / "nan.npy").string(), nan);

    const std::string self = "run --module self --emb-dim 8 --x ";
    expect_refused(self + quote((d / "complex.npy").string()), {"complex.npy", "<c8"});
    expect_refused(self + quote((d / "fortran.npy").string()), {"fortran.npy", "ortran"});
    expect_refused(self + quote((d / "mismatch.npy").string()), {"mismatch.npy"});
    expect_refused(self + quote((d / "truncated.npy").string()), {"truncated.npy"});
    expect_refused(self + quote((d / "nan.npy").string()), {"nan.npy", "NaN at [1, 2, 5]", "2 values"});
    // right file, wrong shape for the module: names the tensor, its shape and the expected one
    write_npy((d / "wide.npy").string(), ramp({2, 3, 6}));
    expect_refused(self + quote((d / "wide.npy").string()), {"x", "[2, 3, 6]", "8"});
}

// ---- .safetensors ------------------------------------------------------------------------------

TEST(BadInputs, Safetensors) {
    fs::path d = fresh_dir("bad_st");
    ModuleConfig c;
    c.kind = ModuleKind::Self;
    c.emb_dim = 8;
    const std::vector<NamedTensor> good = weights_to_tensors(c, init_weights(c, 1));
    const std::string bytes = as_string(encode_safetensors(good));
    uint64_t header_len = 0;
    std::memcpy(&header_len, bytes.data(), 8);
    const std::string header = bytes.substr(8, header_len), data = bytes.substr(8 + header_len);
    auto with_header = [&](const std::string& h, const std::string& body) {
        std::string out(8, '\0');
        const uint64_t n = h.size();
        std::memcpy(out.data(), &n, 8);
        return out + h + body;
    };
    auto edited = [&](const std::string& from, const std::string& to) {
        std::string h = header;
        const size_t at = h.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) h.replace(at, from.size(), to);
        return with_header(h, data);
    };
    std::string past_end = bytes;
    const uint64_t too_long = bytes.size() * 4;
    std::memcpy(past_end.data(), &too_long, 8);
    write_bytes(d / "past_end.safetensors", past_end);
    write_bytes(d / "not_json.safetensors", with_header("{this is not json", data));
    write_bytes(d / "outside.safetensors", edited("\"data_offsets\":[0,256]", "\"data_offsets\":[0,999999]"));
    write_bytes(d / "overlap.safetensors", edited("\"data_offsets\":[256,512]", "\"data_offsets\":[128,384]"));
    write_bytes(d / "dtype.safetensors", edited("\"F32\"", "\"Q4\""));
    write_safetensors((d / "missing.safetensors").string(), {good[0], good[1], good[2], good[3]});
    std::vector<NamedTensor> wrong = good;
    wrong[1].second = ramp({8, 6});
    write_safetensors((d / "wrong_shape.safetensors").string(), wrong);
    std::vector<NamedTensor> extra = good;
    extra.emplace_back("Wz.weight", ramp({2, 2}));
    write_safetensors((d / "extra.safetensors").string(), extra);

    const std::string self = "run --module self --emb-dim 8 --weights ";
    expect_refused(self + quote((d / "past_end.safetensors").string()), {"past_end.safetensors"});
    expect_refused(self + quote((d / "not_json.safetensors").string()), {"not_json.safetensors", "JSON"});
    expect_refused(self + quote((d / "outside.safetensors").string()), {"outside.safetensors", "Wq.weight"});
    expect_refused(self + quote((d / "overlap.safetensors").string()), {"overlap.safetensors", "overlap"});
    expect_refused(self + quote((d / "dtype.safetensors").string()), {"dtype.safetensors", "Q4"});
    expect_refused(self + quote((d / "missing.safetensors").string()), {"missing.safetensors", "fc.bias", "[8]"});
    expect_refused(self + quote((d / "wrong_shape.safetensors").string()),
                   {"wrong_shape.safetensors", "Wk.weight", "[8, 6]", "[8, 8]"});
    // A tensor the module does not use is a warning, and the run goes on.
    Result r = run_cli(self + quote((d / "extra.safetensors").string()));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Wz.weight"), std::string::npos) << r.err;
}

// ---- text --------------------------------------------------------------------------------------

TEST(BadInputs, Text) {
    expect_refused("run --module self --emb-dim 8 --text " + quote("ok \xc0\xaf"), {"sentence 1", "UTF-8"});
    expect_refused("run --module self --emb-dim 8 --text '' --text '   '", {"sentence"});
    // An empty sentence beside real ones is a row of padding, with a warning.
    Result empty = run_cli("run --module self --emb-dim 8 --text 'a cat' --text ''");
    EXPECT_EQ(empty.status, 0) << empty.err;
    EXPECT_NE(empty.err.find("warning"), std::string::npos) << empty.err;
    // Emoji and CJK are tokens like any other.
    Result cjk = run_cli("run --module multihead --emb-dim 8 --heads 2 --text '汤姆追逐杰瑞 🐭!'");
    EXPECT_EQ(cjk.status, 0) << cjk.err;
    EXPECT_NE(cjk.out.find("[b, seq] = [1, 8]"), std::string::npos) << cjk.out;
    // 10,000 tokens: fine as the keys of cross-attention, and a clear refusal (not an
    // out-of-memory crash) where the [heads, seq, seq] scores would not fit. The limit is set
    // low so that the refusal does not depend on this machine's memory.
    std::string many;
    for (int i = 0; i < 10000; ++i)
        many += "w" + std::to_string(i % 500) + " ";
    Result keys = run_cli("run --module cross --emb-dim 8 --grid 4x4 --text '" + many + "' --dump " +
                          quote(fresh_dir("many").string()) + " --steps attn");
    EXPECT_EQ(keys.status, 0) << keys.err;
    Result scores = run_cli("run --module multihead --emb-dim 64 --heads 8 --text '" + many + "'",
                            "ATTNSCOPE_MEMORY_LIMIT_MB=1000");
    EXPECT_EQ(scores.status, 2) << scores.err;
    EXPECT_EQ(count_lines(scores.err), 1u) << scores.err;
    EXPECT_NE(scores.err.find("[1, 8, 10000, 10000]"), std::string::npos) << scores.err;
    EXPECT_NE(scores.err.find("GiB"), std::string::npos) << scores.err;
    // Weights that could never fit are refused before a single one is drawn.
    Result weights = run_cli("run --module self --emb-dim 65536 --text 'a cat'");
    EXPECT_EQ(weights.status, 2) << weights.err;
    EXPECT_NE(weights.err.find("weights of SelfAttention"), std::string::npos) << weights.err;
}

// ---- files that are not regular files ---------------------------------------------------------

// A FIFO has no end: reading one waited for a writer forever. Every reader refuses it (and a
// directory) at once, naming the path and what it is. `timeout` turns a regression into a
// failure (exit 124) instead of a test that never ends.
TEST(BadInputs, FifosAndDirectoriesAreRefusedWithoutBlocking) {
    fs::path d = fresh_dir("fifo");
    const std::string fifo = (d / "pipe.png").string(), fifo_st = (d / "pipe.safetensors").string(),
                      fifo_npy = (d / "pipe.npy").string();
    for (const std::string& f : {fifo, fifo_st, fifo_npy})
        ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0) << f;
    auto refused = [](const std::string& args, const std::string& path, const std::string& kind) {
        Result r = run_cli(args, "timeout 60");
        EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
        EXPECT_EQ(count_lines(r.err), 1u) << args << "\n" << r.err;
        for (const std::string& p : {path, kind, std::string("not a regular file")})
            EXPECT_NE(r.err.find(p), std::string::npos) << "no \"" << p << "\" in: " << r.err;
    };
    refused("run --module cross --emb-dim 8 --grid 2x2 --image " + quote(fifo), fifo, "FIFO");
    refused("run --module self --emb-dim 8 --weights " + quote(fifo_st), fifo_st, "FIFO");
    refused("run --module self --emb-dim 8 --x " + quote(fifo_npy), fifo_npy, "FIFO");
    refused("run --module cross --emb-dim 8 --grid 2x2 --image " + quote(d.string()), d.string(), "directory");
}

// ---- settings -------------------------------------------------------------------------------

TEST(BadInputs, Settings) {
    expect_refused("run --module multihead --emb-dim 512 --heads 7", {"heads 7", "emb_dim 512"});
    expect_refused("run --module self --emb-dim 0", {"emb_dim"});
    expect_refused("run --module self --emb-dim -4", {"emb"});
    expect_refused("run --module multihead --emb-dim 8 --heads 0", {"heads"});
    expect_refused("run --module cross --emb-dim 8 --grid 0x4", {"grid"});
    expect_refused("run --module cross --emb-dim 8 --grid -3x4", {"grid"});
    expect_refused("run --module self --emb-dim 8 --max-len -1", {"max-len"});
    // The grid, the picture's size and the picture itself: with one picture per sentence, which.
    expect_refused("run --module cross --emb-dim 8 --image " + quote(kImages + "chelsea.png") + " --grid 301x10",
                   {"chelsea.png", "301 x 10", "300 x 451"});
    expect_refused("run --module self --scale -2", {"scale"});
    expect_refused("run --module self --mask-fill 0", {"mask fill"});
}
