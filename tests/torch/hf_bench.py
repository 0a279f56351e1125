"""The BERT and ViT families against PyTorch 1.13 running hf_reference.py, side by side.

    /usr/bin/python3 tests/torch/hf_bench.py --run build/tests/hf/attnscope-hf-run
        [--cases bert_base,vit_s16] [--threads 1,2] [--rounds 3] [--reps 3] [--keep DIR] [--json OUT]

Cases (random weights, F32, folders made by make_hf_folders.py):
  bert_base  12 layers, hidden 768, 12 heads, FFN 3072, input_ids [8, 128], all attentions kept
  vit_s16    ViT-S/16 at 224: 12 layers, hidden 384, 6 heads, FFN 1536, pixel_values [1, 3, 224, 224]
Each round starts one engine process (attnscope-hf-run --bench REPS) and one PyTorch process
(the same forward, output_attentions kept, REPS timed passes after a warm-up), alternating, so
that both see the same noise. PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
from its environment (set, they force a slower OpenBLAS kernel on this machine) and
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / torch.set_num_threads at the thread count. Prints per
case and thread count the median and the best pass of each side, the ratios PyTorch / engine,
GFLOP/s of the best passes, each process's peak memory (VmHWM), and the max difference of
last_hidden_state, and the least CPU time a pass took on each side (process CPU time, every
thread: at one thread, the cost of a pass whatever time it spent waiting for a core). On a
shared machine the best passes are the ones least disturbed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CASES = {
    "bert_base": dict(kind="bert", hidden=768, heads=12, layers=12, intermediate=3072, b=8, L=128),
    "vit_s16": dict(kind="vit", hidden=384, heads=6, layers=12, intermediate=1536, b=1, image=224, patch=16),
}


def flops(c):
    """Multiply-adds x 2 of one pass: the projections, the FFN and the two attention products."""
    if c["kind"] == "bert":
        rows, L = c["b"] * c["L"], c["L"]
    else:
        L = (c["image"] // c["patch"]) ** 2 + 1
        rows = c["b"] * L
    E, I = c["hidden"], c["intermediate"]
    per_layer = 2 * rows * (4 * E * E + 2 * E * I) + 2 * 2 * rows * L * E
    extra = 2 * c["b"] * (L - 1) * 3 * c["patch"] ** 2 * E if c["kind"] == "vit" else 0
    return c["layers"] * per_layer + extra


def make_case(name, c, work):
    import numpy as np
    import torch
    import make_hf_folders as mk

    folder = os.path.join(work, name)
    inputs = {}
    if c["kind"] == "bert":
        if not os.path.exists(os.path.join(folder, "model.safetensors")):
            mk.make_bert_folder(folder, mk.BertSpec(hidden=c["hidden"], heads=c["heads"], layers=c["layers"],
                                                    intermediate=c["intermediate"], max_positions=512,
                                                    heads_tensors=False, position_ids=False))
        g = torch.Generator()
        g.manual_seed(0)
        ids = torch.randint(5, 150, (c["b"], c["L"]), generator=g)
        ids[:, 0] = 2
        ids[:, -1] = 4
        np.save(os.path.join(work, name + "_ids.npy"), ids.numpy().astype(np.int64))
        np.save(os.path.join(work, name + "_mask.npy"), np.ones((c["b"], c["L"]), dtype=np.int64))
        inputs = ["--input-ids", os.path.join(work, name + "_ids.npy"),
                  "--attention-mask", os.path.join(work, name + "_mask.npy")]
    else:
        if not os.path.exists(os.path.join(folder, "model.safetensors")):
            mk.make_vit_folder(folder, mk.VitSpec(hidden=c["hidden"], heads=c["heads"], layers=c["layers"],
                                                  intermediate=c["intermediate"], image=(c["image"], c["image"]),
                                                  patch=c["patch"], heads_tensors=False, eps=1e-6))
        g = torch.Generator()
        g.manual_seed(0)
        px = torch.randn(c["b"], 3, c["image"], c["image"], generator=g)
        np.save(os.path.join(work, name + "_px.npy"), px.numpy().astype(np.float32))
        inputs = ["--pixel-values", os.path.join(work, name + "_px.npy")]
    return folder, inputs


def torch_worker(argv):
    """The PyTorch side, in its own process: REPS timed passes, then one JSON line."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--reps", type=int)
    ap.add_argument("--ids")
    ap.add_argument("--mask")
    ap.add_argument("--px")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    import time

    import numpy as np
    import torch
    import hf_reference

    torch.set_num_threads(a.threads)
    model = hf_reference.load(a.folder)
    if a.px:
        args = (torch.from_numpy(np.load(a.px)),)
    else:
        args = (torch.from_numpy(np.load(a.ids)), torch.from_numpy(np.load(a.mask)))
    out = model.forward(*args, lean=True)  # warm-up
    times, cpu = [], []
    for _ in range(a.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = model.forward(*args, lean=True)
        cpu.append(time.process_time() - c0)
        times.append(time.perf_counter() - t0)
    if a.out:
        np.save(a.out, out["last_hidden_state"].numpy())
    rss = -1
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1])
    print(json.dumps({"times_s": times, "cpu_s": cpu, "peak_rss_kib": rss, "threads": torch.get_num_threads()}))


def run_json(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], p.stderr.strip()))
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-worker":
        return torch_worker(sys.argv[2:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--cases", default="bert_base,vit_s16")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keep", default="", help="a folder to keep (and reuse) the model folders in")
    ap.add_argument("--json", default="", help="write every measurement to this file")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="attnscope-hf-bench-")
    os.makedirs(work, exist_ok=True)
    with open("/proc/loadavg") as f:
        print("load average at start:", f.read().split()[:3])
    results = []
    for name in a.cases.split(","):
        c = CASES[name]
        folder, inputs = make_case(name, c, work)
        for t in (int(x) for x in a.threads.split(",")):
            env_engine = dict(os.environ, OMP_NUM_THREADS=str(t))
            env_torch = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
            env_torch.update(OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t), MKL_NUM_THREADS=str(t))
            eng_cmd = [a.run, "--model", folder, "--threads", str(t), "--bench", str(a.reps)] + inputs
            tor_cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", "--folder", folder,
                       "--threads", str(t), "--reps", str(a.reps)]
            if c["kind"] == "bert":
                tor_cmd += ["--ids", inputs[1], "--mask", inputs[3]]
            else:
                tor_cmd += ["--px", inputs[1]]
            eng_t, tor_t, eng_rss, tor_rss, eng_c, tor_c = [], [], [], [], [], []
            for r in range(a.rounds):
                e = run_json(eng_cmd, env_engine)
                p = run_json(tor_cmd + (["--out", os.path.join(work, name + "_torch.npy")] if r == 0 else []),
                             env_torch)
                eng_t += e["times_s"]
                tor_t += p["times_s"]
                eng_c += e["cpu_s"]
                tor_c += p["cpu_s"]
                eng_rss.append(e["peak_rss_kib"])
                tor_rss.append(p["peak_rss_kib"])
            # The engine's last_hidden_state for the difference.
            out_dir = os.path.join(work, name + "_engine")
            subprocess.run([a.run, "--model", folder, "--threads", str(t), "--dump", out_dir] + inputs, check=True,
                           env=env_engine, capture_output=True)
            import numpy as np
            diff = float(np.max(np.abs(np.load(os.path.join(out_dir, "last_hidden_state.npy")) -
                                       np.load(os.path.join(work, name + "_torch.npy")))))
            me, mt = statistics.median(eng_t), statistics.median(tor_t)
            be, bt = min(eng_t), min(tor_t)
            gf = flops(c) / 1e9
            row = dict(case=name, threads=t, engine_s=me, torch_s=mt, ratio=mt / me, engine_best_s=be,
                       torch_best_s=bt, best_ratio=bt / be, gflop=gf, engine_gflops=gf / be, torch_gflops=gf / bt,
                       engine_peak_mib=max(eng_rss) / 1024, torch_peak_mib=max(tor_rss) / 1024, max_diff=diff,
                       engine_cpu_s=min(eng_c), torch_cpu_s=min(tor_c), cpu_ratio=min(tor_c) / min(eng_c),
                       engine_times=eng_t, torch_times=tor_t, engine_cpu=eng_c, torch_cpu=tor_c)
            results.append(row)
            print("%-9s threads %d: median engine %.3f s, torch %.3f s, ratio %.2f | best engine %.3f s "
                  "(%.0f GFLOP/s), torch %.3f s (%.0f GFLOP/s), ratio %.2f | peak MiB engine %.0f torch %.0f | "
                  "cpu s engine %.3f torch %.3f (ratio %.2f) | max diff %.1e"
                  % (name, t, me, mt, mt / me, be, gf / be, bt, gf / bt, bt / be, row["engine_peak_mib"],
                     row["torch_peak_mib"], min(eng_c), min(tor_c), min(tor_c) / min(eng_c), diff))
            sys.stdout.flush()
    with open("/proc/loadavg") as f:
        print("load average at end:", f.read().split()[:3])
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
