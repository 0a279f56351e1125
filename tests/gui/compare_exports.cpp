// compare_exports APP_DIR CLI_DIR: are two map exports the same files? The app paints with the GPU
// and the CLI with the CPU, through the one map model and exporter, so they must have
//   - the same file names (maps.json included),
//   - the same maps.json (every entry: file, batch, head, token, labels, size),
//   - for every PNG the same size and every channel within 2 levels of 255 (the GPU interpolates
//     the colormap and the bilinear weights in its own float or fixed-point precision).
// Prints what differs; exit 0 when they match, 1 when not, 2 on bad input.
#include "errors.h"
#include "image/image.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace {

constexpr int kTolerance = 2;  // levels of 255

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) out.insert(e.path().filename().string());
    return out;
}

nlohmann::json read_json(const fs::path& path) {
    const std::vector<uint8_t> bytes = attn::read_file_bytes(path.string());
    return nlohmann::json::parse(bytes.begin(), bytes.end());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: compare_exports APP_DIR CLI_DIR\n");
        return 2;
    }
    const fs::path a = argv[1], b = argv[2];
    try {
        const std::set<std::string> na = names_in(a), nb = names_in(b);
        int bad = 0;
        for (const std::string& n : na)
            if (!nb.count(n)) std::printf("only in %s: %s\n", a.c_str(), n.c_str()), ++bad;
        for (const std::string& n : nb)
            if (!na.count(n)) std::printf("only in %s: %s\n", b.c_str(), n.c_str()), ++bad;
        if (!na.count("maps.json")) std::printf("no maps.json in %s\n", a.c_str()), ++bad;
        if (bad == 0 && read_json(a / "maps.json") != read_json(b / "maps.json"))
            std::printf("maps.json differs\n"), ++bad;
        int pictures = 0, worst = 0;
        for (const std::string& n : na) {
            if (!nb.count(n) || fs::path(n).extension() != ".png") continue;
            const attn::Image x = attn::load_image((a / n).string()), y = attn::load_image((b / n).string());
            ++pictures;
            if (x.width != y.width || x.height != y.height) {
                std::printf("%s: %d x %d against %d x %d\n", n.c_str(), x.width, x.height, y.width, y.height);
                ++bad;
                continue;
            }
            int most = 0;
            for (size_t i = 0; i < x.rgb.data.size(); ++i)
                most = std::max(most, static_cast<int>(std::lround(std::fabs(x.rgb.data[i] - y.rgb.data[i]) * 255.0f)));
            worst = std::max(worst, most);
            if (most > kTolerance) std::printf("%s: a channel differs by %d levels\n", n.c_str(), most), ++bad;
        }
        std::printf("%d pictures compared, largest difference %d levels (tolerance %d): %s\n", pictures, worst,
                    kTolerance, bad == 0 ? "same" : "DIFFERENT");
        return bad == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "compare_exports: %s\n", e.what());
        return 2;
    }
}
