"""The PyTorch side of the side-by-side benchmark (tests/bench/run_bench.py drives it).

It speaks the protocol of attnscope-bench (app/bench/main.cpp), so the driver treats both alike:

    /usr/bin/python3 tests/bench/torch_bench.py --idle
        {"peak_rss_kib": N} for a process that imported torch (and numpy, seed_modules, st_io)
        and did nothing else: the baseline the peak memory of a case is read against.
    /usr/bin/python3 tests/bench/torch_bench.py --case DIR [--threads N] --serve
        loads the case, answers {"ready": true, ...}, then one JSON line on stdout per command:
          run K [keep]   K forward calls, each timed alone  -> {"times_s": [...]}
          write DIR      DIR/output.npy and DIR/attn.npy of the kept call -> {"written": [...]}
          quit           -> {"peak_rss_kib": N}, then exit 0
    /usr/bin/python3 tests/bench/torch_bench.py --case DIR [--threads N] --reps K [--out DIR]
        by hand: one warm-up call, K timed calls, a JSON summary with the median.

The modules are tests/torch/seed_modules.py's (the seed's four, imported by path) and
torch.nn.MultiheadAttention (batch_first=True, called with need_weights=True,
average_attn_weights=False), in eval mode under torch.no_grad(), with the weights of the case's
.safetensors file loaded through load_state_dict(strict=True). The seed's modules take the pad mask
already expanded ([b, seq, seq] or [b, h*w, seq]), as the seed's main passes it: the expansion (a
view) is made before the clock starts; the repeat over heads happens inside the module, as the
seed writes it, and is timed. Only the forward call is timed.

Exit status: 0 success; 2 bad usage or a case that cannot be loaded; 77 when torch or numpy cannot
be imported (ctest's SKIP_RETURN_CODE).
"""

import argparse
import json
import os
import statistics
import sys
import time

try:
    import numpy as np
    import torch
except Exception:  # ImportError, or a broken install that fails while importing
    print("SKIPPED: torch not available to %s" % sys.executable, file=sys.stderr)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "torch"))

import seed_modules  # noqa: E402
import st_io  # noqa: E402


def peak_rss_kib():
    """VmHWM of this process in KiB (-1 where the kernel does not say)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def answer(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class TorchCase:
    """The module with the case's weights, and its inputs as tensors, ready to call."""

    def __init__(self, case_dir):
        with open(os.path.join(case_dir, "case.json")) as f:
            spec = json.load(f)
        self.name = spec["name"]
        self.kind = spec["module"]
        self.module = seed_modules.build_module(self.kind, spec["emb_dim"], spec["heads"],
                                                spec["in_channels"])
        state = st_io.load_torch(os.path.join(case_dir, spec["weights"]))
        self.module.load_state_dict(state, strict=True)
        self.module.eval()

        def load(key):
            if spec.get(key) is None:
                return None
            return torch.from_numpy(np.load(os.path.join(case_dir, spec[key])))

        self.x = load("x")
        self.context = load("context")
        pad_mask = load("pad_mask")
        if pad_mask is not None:
            pad_mask = pad_mask.to(torch.bool)
        if self.kind in ("cross", "cross-multihead"):
            q_len = self.x.shape[2] * self.x.shape[3]
            self.mask = seed_modules.expand_pad_mask(self.kind, pad_mask, q_len)
        else:
            self.mask = seed_modules.expand_pad_mask(self.kind, pad_mask)
        self.module_class = type(self.module).__name__

    def forward(self):
        """One call of the module, as its users make it. Returns (output, att_weights)."""
        if self.kind == "torch-mha":
            # Self-attention: query, key and value are the same tensor (nn.MultiheadAttention's
            # fast path in 1.13 checks for exactly that).
            return self.module(self.x, self.x, self.x, key_padding_mask=self.mask,
                               need_weights=True, average_attn_weights=False)
        if self.kind in ("self", "multihead"):
            return self.module(self.x, self.mask)
        return self.module(self.x, self.context, self.mask)


def run_calls(case, reps, keep):
    """reps calls, each timed alone; the last call's results when keep."""
    times = []
    kept = None
    for i in range(reps):
        t0 = time.perf_counter()
        out, att = case.forward()
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if keep and i == reps - 1:
            kept = (out, att)
        del out, att  # not held while the next call runs
    return times, kept


def write_outputs(kept, out_dir):
    files = [os.path.join(out_dir, "output.npy"), os.path.join(out_dir, "attn.npy")]
    np.save(files[0], kept[0].detach().contiguous().numpy())
    np.save(files[1], kept[1].detach().contiguous().numpy())
    return files


def thread_info(n):
    return {"requested": n, "torch_threads": torch.get_num_threads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}


def serve(case, threads):
    answer({"ready": True, "case": case.name, "module": case.module_class, "threads": thread_info(threads),
            "torch": torch.__version__})
    kept = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        if command == "quit":
            answer({"peak_rss_kib": peak_rss_kib()})
            return 0
        try:
            if command == "run":
                reps = int(words[1]) if len(words) > 1 else 0
                if reps < 1:
                    answer({"error": "usage: run K [keep] with K >= 1, got: " + line.strip(), "refused": False})
                    continue
                keep = len(words) > 2 and words[2] == "keep"
                if keep:
                    kept = None
                times, got = run_calls(case, reps, keep)
                if keep:
                    kept = got
                answer({"times_s": times})
            elif command == "write":
                if kept is None or len(words) < 2:
                    answer({"error": "write: no call was kept (run K keep first)" if kept is None
                            else "usage: write DIR", "refused": False})
                    continue
                answer({"written": write_outputs(kept, words[1])})
                kept = None
            else:
                answer({"error": "unknown command: " + line.strip(), "refused": False})
        except MemoryError:
            answer({"error": "out of memory (MemoryError)", "refused": True})
        except RuntimeError as e:  # torch reports allocation failures as RuntimeError
            answer({"error": str(e).splitlines()[0] if str(e) else repr(e), "refused": True})
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idle", action="store_true", help="report the peak memory of an idle process and exit")
    ap.add_argument("--case", help="folder with case.json, weights and inputs")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--serve", action="store_true", help="answer run/write/quit commands on stdin")
    ap.add_argument("--reps", type=int, default=0, help="by hand: timed calls after one warm-up")
    ap.add_argument("--out", help="by hand: folder for output.npy and attn.npy")
    args = ap.parse_args()

    if args.idle:
        answer({"peak_rss_kib": peak_rss_kib()})
        return 0
    if not args.case or args.serve == (args.reps > 0) or args.threads < 1:
        print("torch_bench.py: usage error: give --idle, or --case DIR with exactly one of --serve and --reps K "
              "(and --threads N >= 1)", file=sys.stderr)
        return 2

    torch.set_num_threads(args.threads)
    try:
        case = TorchCase(args.case)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        print("torch_bench.py: error: %s: %s" % (args.case, e), file=sys.stderr)
        return 2

    with torch.no_grad():
        if args.serve:
            return serve(case, args.threads)
        _, kept = run_calls(case, 1, True)  # warm-up
        times, _ = run_calls(case, args.reps, False)
        summary = {"case": case.name, "module": case.module_class, "threads": thread_info(args.threads),
                   "times_s": times, "median_s": statistics.median(times)}
        if args.out:
            summary["written"] = write_outputs(kept, args.out)
        summary["peak_rss_kib"] = peak_rss_kib()
        answer(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
