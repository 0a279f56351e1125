#include "model_timing.h"

#include "process_info.h"

#include "models/registry.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace attn::bench {

nlohmann::json time_model_text(const std::string& model_name, const std::string& sentence, int reps) {
    std::vector<std::string> warnings;
    const std::unique_ptr<Model> model = load_model(model_name, &warnings);
    auto pass_ms = [&](int64_t* pieces) {
        const auto start = std::chrono::steady_clock::now();
        const ModelInputs in = model->prepare_text({sentence});
        const ModelPass pass = model->run(in);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (pieces) *pieces = in.input_ids.dim(1);  // input_ids: [1, L]
        return ms;
    };
    int64_t pieces = 0;
    pass_ms(&pieces);  // warm-up: first-touch pages, Eigen's blocking buffers
    std::vector<double> times;
    for (int i = 0; i < reps; ++i)
        times.push_back(pass_ms(nullptr));
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    return {{"model", model->info().name},
            {"sentence", sentence},
            {"pieces", pieces},
            {"times_ms", times},
            {"median_ms", sorted[sorted.size() / 2]},
            {"fastest_ms", sorted.front()},
            {"peak_rss_kib", peak_rss_kib()}};
}

}  // namespace attn::bench
