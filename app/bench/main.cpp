// attnscope-bench: the engine's side of the side-by-side benchmark with PyTorch (tests/bench/run_bench.py
// drives it; tests/bench/torch_bench.py is the PyTorch side and speaks the same protocol).
//
//   attnscope-bench --idle
//       prints {"peak_rss_kib": N} for a process that started and did nothing: the baseline that
//       the peak memory of a case is read against.
//   attnscope-bench --fma-peak [--threads N]
//       prints {"fma_gflops_total": X, "fma_gflops_per_thread": Y, ...}: the fp32 rate N threads
//       of fused multiply-adds reach here (fma_peak.h), the peak the benchmark's GFLOP/s are read
//       against, and the clock it implies.
//   attnscope-bench --model NAME|PATH --text SENTENCE --reps K [--threads N]
//       a real model's prepare_text + run, K timed passes after a warm-up (model_timing.h).
//   attnscope-bench --case DIR [--threads N] --serve
//       loads the case (see bench_case.h), answers {"ready": true, ...}, then one JSON line on
//       stdout for each command line read on stdin:
//         run K [keep]  K passes, each timed alone       -> {"times_s": [t1, ..., tK]}
//                       "keep" keeps the last pass's output and attention for `write`;
//                       a pass the engine refuses      -> {"error": "...", "refused": true}
//         write DIR     DIR/output.npy, DIR/attn.npy of the kept pass -> {"written": [...]}
//         quit          -> {"peak_rss_kib": N}, then exit 0
//       Serving lets the driver alternate engine and PyTorch batches while both processes stay
//       alive, so that both see the same noise, and still read each process's own peak memory.
//   attnscope-bench --case DIR [--threads N] --reps K [--out DIR]
//       by hand: one warm-up pass, K timed passes, a JSON summary with the median on stdout.
//
// Only the call to attn::forward is timed: the inputs are in memory before the clock starts, and
// the trace (with every intermediate it holds) is destroyed after it stops.
//
// Exit status: 0 success; 2 bad usage or a case that cannot be loaded (one line on stderr).
#include "model/memory_budget.h"
#include "bench_case.h"
#include "fma_peak.h"
#include "model_timing.h"
#include "process_info.h"

#include "errors.h"
#include "io/npy.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using attn::bench::BenchCase;
using nlohmann::json;

void answer(const json& j) {
    std::cout << j.dump() << '\n' << std::flush;
}

// The last pass's results, kept for `write` (copies made after the clock stopped).
struct Kept {
    attn::TensorPtr output;  // [b, seq, emb] or [b, c, h, w]
    attn::TensorPtr attn;    // PyTorch's layout of att_weights (see model/forward.h)
};

// K passes, each timed alone. Throws what forward throws (a refusal is an attn::Error).
std::vector<double> run_passes(const BenchCase& c, int reps, std::optional<Kept>* keep) {
    std::vector<double> times;
    times.reserve(static_cast<size_t>(reps));
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        attn::Trace trace = attn::forward(c.config, c.weights, c.inputs);
        const auto t1 = std::chrono::steady_clock::now();
        times.push_back(std::chrono::duration<double>(t1 - t0).count());
        if (keep && i == reps - 1) *keep = Kept{trace.output_data, trace.attn_data};
    }
    return times;
}

std::vector<std::string> write_outputs(const Kept& kept, const std::string& dir) {
    const std::vector<std::string> files = {dir + "/output.npy", dir + "/attn.npy"};
    attn::write_npy(files[0], *kept.output);
    attn::write_npy(files[1], *kept.attn);
    return files;
}

json ready_message(const BenchCase& c, const attn::bench::ThreadInfo& threads) {
    return {{"ready", true},
            {"case", c.name},
            {"module", attn::module_class_name(c.config.kind)},
            {"warnings", c.warnings},
            {"threads",
             {{"requested", threads.requested},
              {"openmp_compiled", threads.openmp_compiled},
              {"openmp_runtime", threads.openmp_runtime},
              {"openmp_max_threads", threads.openmp_max_threads},
              {"eigen_threads", threads.eigen_threads},
              {"note", threads.note()}}}};
}

// A failed pass as the driver reads it. Refusals (too much memory, bad shapes) are attn::Error;
// running out of memory anyway is reported the same way rather than killing the server.
template <typename F>
void answer_or_error(F&& body) {
    try {
        body();
    } catch (const attn::Error& e) {
        answer({{"error", e.what()}, {"refused", true}});
    } catch (const std::bad_alloc&) {
        answer({{"error", "out of memory (std::bad_alloc)"}, {"refused", true}});
    } catch (const std::exception& e) {
        answer({{"error", e.what()}, {"refused", false}});
    }
}

int serve(const BenchCase& c) {
    std::optional<Kept> kept;
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string command;
        words >> command;
        if (command.empty()) continue;
        if (command == "quit") {
            answer({{"peak_rss_kib", attn::bench::peak_rss_kib()}});
            return 0;
        }
        if (command == "run") {
            int reps = 0;
            std::string flag;
            words >> reps >> flag;
            if (reps < 1) {
                answer({{"error", "usage: run K [keep] with K >= 1, got: " + line}, {"refused", false}});
                continue;
            }
            answer_or_error([&] {
                const bool keep = flag == "keep";
                if (keep) kept.reset();  // the previous results are not held during the new pass
                answer({{"times_s", run_passes(c, reps, keep ? &kept : nullptr)}});
            });
            continue;
        }
        if (command == "write") {
            std::string dir;
            words >> dir;
            if (!kept || dir.empty()) {
                answer({{"error", kept ? "usage: write DIR" : "write: no pass was kept (run K keep first)"},
                        {"refused", false}});
                continue;
            }
            answer_or_error([&] {
                answer({{"written", write_outputs(*kept, dir)}});
                kept.reset();
            });
            continue;
        }
        answer({{"error", "unknown command: " + line}, {"refused", false}});
    }
    return 0;  // stdin closed: the driver went away
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int run_by_hand(const BenchCase& c, int reps, const std::string& out_dir, const attn::bench::ThreadInfo& threads) {
    std::optional<Kept> kept;
    run_passes(c, 1, &kept);  // warm-up: first-touch page faults, Eigen's blocking buffers
    const std::vector<double> times = run_passes(c, reps, nullptr);
    json summary = ready_message(c, threads);
    summary.erase("ready");
    summary["times_s"] = times;
    summary["median_s"] = median(times);
    if (!out_dir.empty()) summary["written"] = write_outputs(*kept, out_dir);
    summary["peak_rss_kib"] = attn::bench::peak_rss_kib();
    answer(summary);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    attn::keep_freed_memory_for_reuse();
    CLI::App app{"attnscope-bench: times attn::forward on a case written by tests/bench/run_bench.py"};
    std::string case_dir, out_dir, model_name, text;
    int threads = 1, reps = 0;
    bool idle = false, serve_mode = false, fma_peak = false;
    app.add_flag("--idle", idle, "report the peak memory of an idle process and exit");
    app.add_flag("--fma-peak", fma_peak, "measure the fp32 FMA rate of --threads threads and exit");
    app.add_option("--case", case_dir, "folder with case.json, weights and inputs");
    app.add_option("--model", model_name, "a real model (use-lite or a BERT/ViT folder): time --text with it");
    app.add_option("--text", text, "with --model: the sentence");
    app.add_option("--threads", threads, "threads for Eigen and OpenMP (default 1)")->check(CLI::Range(1, 1024));
    app.add_flag("--serve", serve_mode, "answer run/write/quit commands on stdin (the driver's mode)");
    app.add_option("--reps", reps, "by hand: timed passes after one warm-up")->check(CLI::Range(1, 1000000));
    app.add_option("--out", out_dir, "by hand: folder for output.npy and attn.npy");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    if (idle) {
        answer({{"peak_rss_kib", attn::bench::peak_rss_kib()}});
        return 0;
    }
    if (fma_peak) {
        const attn::bench::FmaPeak p = attn::bench::measure_fma_peak(threads, 0.5, 3);
        answer({{"available", p.available},
                {"threads", p.threads},
                {"fma_gflops_total", p.gflops_total},
                {"fma_gflops_per_thread", p.gflops_per_thread}});
        return p.available ? 0 : 2;
    }
    if (!model_name.empty()) {
        if (text.empty() || reps < 1) {
            std::cerr << "attnscope-bench: usage error: --model wants --text SENTENCE and --reps K\n";
            return 2;
        }
        attn::bench::set_threads(threads);
        try {
            answer(attn::bench::time_model_text(model_name, text, reps));
            return 0;
        } catch (const attn::Error& e) {
            std::cerr << "attnscope-bench: error: " << e.what() << '\n';
            return 2;
        }
    }
    if (case_dir.empty() || (serve_mode == (reps > 0))) {
        std::cerr << "attnscope-bench: usage error: give --idle, or --case DIR with exactly one of --serve and "
                     "--reps K\n";
        return 2;
    }

    const attn::bench::ThreadInfo thread_info = attn::bench::set_threads(threads);
    BenchCase c;
    try {
        c = attn::bench::load_case(case_dir);
    } catch (const attn::Error& e) {
        std::cerr << "attnscope-bench: error: " << e.what() << '\n';
        return 2;
    }
    try {
        if (serve_mode) {
            answer(ready_message(c, thread_info));
            return serve(c);
        }
        return run_by_hand(c, reps, out_dir, thread_info);
    } catch (const attn::Error& e) {
        std::cerr << "attnscope-bench: error: " << e.what() << '\n';
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "attnscope-bench: error: out of memory\n";
        return 2;
    }
}
