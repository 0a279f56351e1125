"""attnscope's engine side by side with PyTorch, in one run: one Markdown table.

    /usr/bin/python3 tests/bench/run_bench.py [--bench build/app/attnscope-bench] [--quick]
        [--cases NAME,...] [--threads 1,2] [--json OUT.json] [--keep]

For every case and thread count it starts two worker processes, the engine's
(app/bench: attnscope-bench --serve) and PyTorch's (tests/bench/torch_bench.py --serve), on the same
inputs and the same weights, and alternates batches of timed forward calls between them while both
stay alive, so that both sides see the same noise on a shared machine. Each batch is sized to take
about BATCH_S; a side is measured until its calls add up to TARGET_S and at least MIN_REPS of them,
or, for a side whose calls are slow, until they add up to MAX_S (at least one call: PyTorch's
full-resolution cross-attention takes 11 to 19 minutes a call on a shared 2-core Zen 5 with
Debian's reference BLAS, so it gets one). The first call of each side is a warm-up whose outputs are the
ones compared; it is also timed, and counted when it took COUNT_FIRST_S or more (then one-time
costs are lost in it). The table gives medians.

Peak memory is each worker's whole-process peak RSS, nothing subtracted: VmHWM from its own
/proc/self/status, which it reports when it quits. (Not ru_maxrss from os.wait4: Linux carries the
high-water mark of the pre-exec address space into the child, and with vfork that is the driver's
own, torch and all, so every child would seem to need at least the driver's ~230 MiB; the JSON keeps
it as ru_maxrss_kib.) The idle baselines (attnscope-bench started and idle; python with torch
imported and idle) are printed with it so that the attention's own share can be judged.

Inputs are made here with a fixed numpy seed (images uniform in [0, 1], tokens and context
randn) and saved as .npy; weights come from PyTorch's default init under torch.manual_seed and
are saved as .safetensors with tests/torch/st_io.py. Each side writes its output.npy and attn.npy
once, from its first call; they must agree within TOLERANCE with NaN in the same places.

Exit status: 0 when every compared case agrees (a case the engine refuses is reported as
"refused: ..." and is no failure); 1 when a case disagrees or a worker fails; 2 on bad usage or a
missing attnscope-bench; 77 when torch or numpy cannot be imported (ctest's SKIP_RETURN_CODE).
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
except Exception:  # ImportError, or a broken install that fails while importing
    print("SKIPPED: torch or numpy not available to %s" % sys.executable)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "torch"))

import seed_modules  # noqa: E402
import st_io  # noqa: E402

# float32 with another summation order, as tests/torch/live_compare.py allows.
TOLERANCE = 1e-4
SEED = 20240617

# Measurement plan (seconds of measured forward calls per side and per case/threads).
TARGET_S = 1.5       # each side's calls add up to at least this ("~1-2 s per measurement")
MIN_REPS = 5
BATCH_S = 0.25       # one batch of one side; the sides alternate batch by batch
MAX_S = 30.0         # a side whose calls add up to this stops, whatever its count (at least one)
COUNT_FIRST_S = 1.0  # a warm-up call this slow is counted as a measurement too
QUICK = dict(target_s=0.1, min_reps=3, batch_s=0.03)

# Environment variables that force OpenBLAS's kernel choice (see Worker).
OPENBLAS_FORCING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# ---- The machine's fp32 peak -------------------------------------------------------------------
# FLOPs per cycle per core = FMA pipes x fp32 lanes per pipe x 2 (an FMA is a multiply and an add).
#  - AVX-512 with two full-width 512-bit FMA pipes: 2 x 16 x 2 = 64. AMD Zen 5 (CPU family 0x1A =
#    26) executes 512-bit FMAs natively on both pipes; so do Intel server cores with two AVX-512
#    FMA units (Skylake-SP Gold/Platinum and later).
#  - AMD Zen 4 (family 0x19 = 25, with avx512f) runs 512-bit instructions on its two 256-bit FMA
#    pipes, two passes each: 2 x 8 x 2 = 32, not 64.
#  - AVX2 + FMA: 2 x 8 x 2 = 32. Without FMA: 16 (an add pipe and a multiply pipe, 8 lanes).
# The peak itself is measured: attnscope-bench --fma-peak runs independent FMAs on every core at
# once (app/bench/fma_peak.h), and the clock is that rate / FLOPs per cycle. The nominal clock
# (lscpu's "CPU max MHz", else /proc/cpuinfo's "cpu MHz") is printed beside it: under a hypervisor
# it says little (here 2.45 GHz nominal against ~3.1 GHz measured).
FLOPS_PER_CYCLE_AVX512_FULL = 64
FLOPS_PER_CYCLE_ZEN4_AVX512 = 32
FLOPS_PER_CYCLE_AVX2_FMA = 32
FLOPS_PER_CYCLE_AVX = 16


class Case:
    def __init__(self, name, module, x, heads=1, emb=512, in_channels=3, context=None, lengths=None,
                 big=False, gemm=False, about=""):
        self.name = name
        self.module = module          # the CLI's name: self, multihead, cross, cross-multihead, torch-mha
        self.x = x                    # [b, seq, emb] or, cross modules, [b, c, h, w]
        self.heads = heads
        self.emb = emb
        self.in_channels = in_channels
        self.context = context        # [b, seq, emb] (cross modules)
        self.lengths = lengths        # tokens per batch item; the rest of seq_k is padding
        self.big = big                # full resolution: PyTorch's calls take minutes
        self.gemm = gemm              # GEMM-bound: gets a FLOP count and GFLOP/s
        self.about = about

    def shapes(self):
        s = "x %s" % list(self.x)
        if self.context:
            s += ", context %s" % list(self.context)
        if self.heads > 1:
            s += ", %d heads" % self.heads
        if self.lengths:
            seq_k = self.context[1] if self.context else self.x[1]
            s += ", mask %s of %d" % (",".join(str(n) for n in self.lengths), seq_k)
        return s

    def flops(self):
        """The forward's FLOPs (multiply-adds x 2) for a self-attention module [b, L, E]:
        projections q, k, v, out 2*b*L*E*E*4, scores 2*b*H*L*L*D, weighted sum 2*b*H*L*L*D."""
        b, L, E = self.x
        H = self.heads
        D = E // H
        return 2 * b * L * E * E * 4 + 2 * b * H * L * L * D + 2 * b * H * L * L * D


# The seed's pad mask: input_ids [[100, 200, 300, 300, 0], [22, 33, 44, 0, 0], [66, 55, 66, 30, 0]].eq(0)
SEED_LENGTHS = (4, 3, 4)
LONG_LENGTHS = (256, 200, 128, 64)

CASES = [
    Case("seed_self", "self", (3, 5, 512), lengths=SEED_LENGTHS,
         about="the seed's SelfAttention on its example batch, with its pad mask"),
    Case("seed_multihead", "multihead", (3, 5, 512), heads=8, lengths=SEED_LENGTHS,
         about="the seed's MultiHeadAttention on its example batch, with its pad mask"),
    Case("multihead_256", "multihead", (4, 256, 512), heads=8, lengths=LONG_LENGTHS, gemm=True,
         about="the seed's MultiHeadAttention on longer sequences, pad mask from lengths"),
    Case("torch_mha_256", "torch-mha", (4, 256, 512), heads=8, lengths=LONG_LENGTHS, gemm=True,
         about="nn.MultiheadAttention self-attention, key_padding_mask from lengths"),
    Case("yolo_world_cross", "cross", (1, 256, 40, 40), in_channels=256, context=(1, 7, 512),
         about="YOLO-World's stage-3 text-image CrossAttention (no mask, as its code calls it)"),
    Case("gui_default_scene", "cross-multihead", (3, 3, 40, 40), heads=8, context=(3, 5, 512),
         lengths=SEED_LENGTHS,
         about="the desktop app's default scene: the seed's 3 sentences over a 40 x 40 grid, 8 heads"),
    Case("seed_cross", "cross", (3, 3, 512, 512), context=(3, 5, 512), lengths=SEED_LENGTHS, big=True,
         about="the seed's main: CrossAttention over a full-resolution image, with its pad mask"),
    Case("seed_cross_multihead", "cross-multihead", (3, 3, 512, 512), heads=8, context=(3, 5, 512),
         lengths=SEED_LENGTHS, big=True,
         about="the seed's main with CrossMultiAttention (8 heads), with its pad mask"),
]


# ---- The machine ------------------------------------------------------------------------------

def lscpu_fields():
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C"),
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


def cpuinfo_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":")[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def blas_library():
    """The BLAS library torch's CPU library loads, resolved, with its Debian package where known."""
    lib = os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")
    try:
        ldd = subprocess.run(["ldd", lib], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in ldd.splitlines():
        if "libblas" in line or "openblas" in line or "libmkl" in line:
            parts = line.split("=>")
            if len(parts) < 2:
                continue
            path = os.path.realpath(parts[1].split("(")[0].strip())
            try:
                pkg = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True,
                                     timeout=30).stdout.split(":")[0]
            except (OSError, subprocess.SubprocessError):
                pkg = ""
            return "%s%s" % (path, " (Debian package %s)" % pkg if pkg else "")
    return None


def measured_peak(bench, threads):
    """attnscope-bench --fma-peak at `threads` threads: its JSON answer, or None."""
    try:
        p = subprocess.run([bench, "--fma-peak", "--threads", str(threads)], capture_output=True, text=True,
                           timeout=60)
        answer = json.loads(p.stdout) if p.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        answer = None
    return answer if answer and answer.get("available") else None


def machine_info(bench):
    f = lscpu_fields()
    flags = set(f.get("Flags", "").split())
    vendor = f.get("Vendor ID", "")
    family = int(f["CPU family"]) if f.get("CPU family", "").isdigit() else None
    try:
        cores = int(f["Core(s) per socket"]) * int(f.get("Socket(s)", "1"))
    except (KeyError, ValueError):
        cores = os.cpu_count() or 1
    mhz, mhz_source = None, None
    if f.get("CPU max MHz"):
        mhz, mhz_source = float(f["CPU max MHz"]), "lscpu 'CPU max MHz'"
    elif cpuinfo_mhz():
        mhz, mhz_source = cpuinfo_mhz(), "/proc/cpuinfo 'cpu MHz' (the nominal clock; boost unknown)"

    avx512 = "avx512f" in flags
    if avx512 and vendor == "AuthenticAMD" and family == 25:
        fpc, why = FLOPS_PER_CYCLE_ZEN4_AVX512, "Zen 4: AVX-512 on two 256-bit FMA pipes, 2 x 8 x 2"
    elif avx512:
        fpc, why = FLOPS_PER_CYCLE_AVX512_FULL, "AVX-512, two 512-bit FMA pipes (Zen 5-class), 2 x 16 x 2"
    elif "fma" in flags:
        fpc, why = FLOPS_PER_CYCLE_AVX2_FMA, "AVX2 + FMA, two 256-bit FMA pipes, 2 x 8 x 2"
    else:
        fpc, why = FLOPS_PER_CYCLE_AVX, "AVX without FMA, 8-lane add + multiply"
    config_lines = torch.__config__.show().strip().splitlines()
    found = re.search(r"BLAS_INFO=([\w.-]+)", "\n".join(config_lines))
    blas_info = "BLAS_INFO=" + found.group(1) if found else ""
    info = {
        "model": f.get("Model name", platform.processor() or "unknown"),
        "vendor": vendor,
        "family": family,
        "cores": cores,
        "cpus": int(f["CPU(s)"]) if f.get("CPU(s)", "").isdigit() else os.cpu_count(),
        "avx512f": avx512,
        "mhz": mhz,
        "mhz_source": mhz_source,
        "flops_per_cycle": fpc,
        "flops_per_cycle_why": why,
        "nominal_peak_gflops_per_core": mhz * 1e6 * fpc / 1e9 if mhz else None,
        "torch": torch.__version__,
        "torch_config": config_lines[:4],
        "torch_blas_info": blas_info,
        "torch_blas_library": blas_library(),
        "python": sys.executable,
    }
    # Every core busy (what a 2-thread case gets), and one thread alone (a 1-thread case may run
    # a little faster when the other core idles).
    every = measured_peak(bench, cores)
    alone = measured_peak(bench, 1)
    # A core's peak is the better of the two: other work on the machine (a build, another session)
    # takes a core from the all-cores run, and the figure is what a core can do, not what it got.
    rates = [r["fma_gflops_per_thread"] for r in (every, alone) if r]
    info["peak_gflops_per_core"] = max(rates) if rates else info["nominal_peak_gflops_per_core"]
    info["peak_measured"] = bool(rates)
    info["peak_gflops_one_thread_alone"] = alone["fma_gflops_per_thread"] if alone else None
    info["peak_gflops_every_core_per_core"] = every["fma_gflops_per_thread"] if every else None
    info["measured_mhz"] = max(rates) * 1e3 / fpc if rates else None
    return info


def load_text():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "unknown"


def print_machine(m, engine_threads_note):
    print("## Machine")
    print()
    print("- CPU: %s (%s, family %s), %d cores (%d CPUs), avx512f %s, clock %s" % (
        m["model"], m["vendor"] or "?", m["family"], m["cores"], m["cpus"], "yes" if m["avx512f"] else "no",
        "%.0f MHz from %s" % (m["mhz"], m["mhz_source"]) if m["mhz"] else "unknown"))
    if m["peak_measured"]:
        print("- fp32 peak (measured: attnscope-bench --fma-peak, independent FMAs, the better of one thread "
              "alone and all %d cores at once): %.0f GFLOP/s per core, %.0f GFLOP/s for the machine (one thread "
              "alone %s, each core with all busy %s); at %d FLOPs/cycle/core (%s) that is a clock of %.2f GHz, "
              "against a nominal %s" % (
                  m["cores"], m["peak_gflops_per_core"], m["peak_gflops_per_core"] * m["cores"],
                  "%.0f" % m["peak_gflops_one_thread_alone"] if m["peak_gflops_one_thread_alone"] else "?",
                  "%.0f" % m["peak_gflops_every_core_per_core"] if m["peak_gflops_every_core_per_core"] else "?",
                  m["flops_per_cycle"], m["flops_per_cycle_why"], m["measured_mhz"] / 1e3,
                  "%.0f MHz" % m["mhz"] if m["mhz"] else "clock unknown"))
    elif m["peak_gflops_per_core"]:
        print("- fp32 peak (assumed, not measured: no FMA): %d FLOPs/cycle/core (%s) x %.0f MHz = %.0f GFLOP/s "
              "per core, %.0f GFLOP/s for the machine's %d cores" % (
                  m["flops_per_cycle"], m["flops_per_cycle_why"], m["mhz"], m["peak_gflops_per_core"],
                  m["peak_gflops_per_core"] * m["cores"], m["cores"]))
    print("- PyTorch's side runs without %s (this benchmark only: they force a slower OpenBLAS kernel "
          "here; the outputs are still compared)" % " and ".join(OPENBLAS_FORCING))
    print("- PyTorch %s (%s); %s; BLAS library: %s" % (
        m["torch"], m["python"], m["torch_blas_info"] or "BLAS_INFO not reported",
        m["torch_blas_library"] or "not found"))
    for line in m["torch_config"]:
        print("  - torch.__config__: %s" % line.strip())
    print("- engine: attnscope-bench, %s" % engine_threads_note)
    print("- load average (1, 5, 15 min) at the start: %s; at the end: %s (other work on these cores is "
          "noise that both sides share: their batches alternate)" % (m["load_start"], load_text()))
    print()


# ---- Inputs and weights -----------------------------------------------------------------------

def write_case(case, index, case_dir):
    """case.json, x.npy, context.npy, pad_mask.npy and weights.safetensors for one case."""
    os.makedirs(case_dir, exist_ok=True)
    rng = np.random.RandomState(SEED + index)
    cross = case.module in ("cross", "cross-multihead")
    x = rng.uniform(0.0, 1.0, size=case.x) if cross else rng.standard_normal(case.x)
    np.save(os.path.join(case_dir, "x.npy"), x.astype(np.float32))
    spec = {"name": case.name, "module": case.module, "emb_dim": case.emb, "heads": case.heads,
            "in_channels": case.in_channels, "weights": "weights.safetensors", "x": "x.npy",
            "context": None, "pad_mask": None}
    if case.context:
        np.save(os.path.join(case_dir, "context.npy"), rng.standard_normal(case.context).astype(np.float32))
        spec["context"] = "context.npy"
    if case.lengths:
        seq_k = case.context[1] if case.context else case.x[1]
        lengths = np.array(case.lengths)
        mask = np.arange(seq_k)[None, :] >= lengths[:, None]  # true = padding, as input_ids.eq(0)
        np.save(os.path.join(case_dir, "pad_mask.npy"), mask)
        spec["pad_mask"] = "pad_mask.npy"

    torch.manual_seed(SEED + index)
    module = seed_modules.build_module(case.module, case.emb, case.heads, case.in_channels)
    st_io.save(os.path.join(case_dir, "weights.safetensors"), module.state_dict())
    with open(os.path.join(case_dir, "case.json"), "w") as f:
        json.dump(spec, f, indent=1)


# ---- The workers ------------------------------------------------------------------------------

class WorkerError(Exception):
    pass


class Worker:
    """One side of one case at one thread count: a process that answers run/write/quit."""

    def __init__(self, side, argv, threads, log_path):
        self.side = side
        self.log_path = log_path
        env = dict(os.environ)
        if side == "torch":
            # This machine sets these two to force OpenBLAS onto its Haswell kernel with a smaller
            # L2 blocking, ~1.6x slower on GEMM here: PyTorch gets OpenBLAS's own choice instead.
            # Only this benchmark drops them; the tests and CI run with them set, and the outputs
            # are still compared below.
            for var in OPENBLAS_FORCING:
                env.pop(var, None)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, env=env, bufsize=1)
        self.ru_maxrss_kib = None  # see the module docstring: includes the driver's RSS at fork
        self.peak_kib = None       # VmHWM, reported by the worker itself when it quits
        self.ready = self._read()

    def _stderr_tail(self):
        try:
            with open(self.log_path) as f:
                lines = f.read().strip().splitlines()
            return " | ".join(lines[-3:])
        except OSError:
            return ""

    def _read(self):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                status = self._reap()
                raise WorkerError("%s worker %s%s" % (self.side, status,
                                                      (": " + self._stderr_tail()) if self._stderr_tail() else ""))
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)

    def command(self, text):
        try:
            self.proc.stdin.write(text + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # _read reports how the process ended
        return self._read()

    def _reap(self):
        """Waits for the process; keeps its ru_maxrss (KiB), which the module docstring explains
        is not its own peak."""
        if self.proc.returncode is None:
            _, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            self.ru_maxrss_kib = usage.ru_maxrss
        self.log.close()
        code = self.proc.returncode
        return "was killed by signal %d" % -code if code < 0 else "exited with status %d" % code

    def close(self):
        answer = self.command("quit")
        self.peak_kib = answer.get("peak_rss_kib")
        self.proc.stdin.close()
        self._reap()
        return self.peak_kib


def idle_baseline(argv, log_path):
    """Peak RSS (VmHWM, KiB) of a worker that starts and does nothing."""
    w = Worker("idle", argv, 1, log_path)
    w.proc.stdin.close()
    w._reap()
    return w.ready.get("peak_rss_kib")


class Side:
    """The measurements of one side of one (case, threads)."""

    def __init__(self, name, worker):
        self.name = name
        self.worker = worker
        self.times = []
        self.refused = None  # the refusal's message
        self.failed = None   # a crash or another error
        self.estimate_s = None  # seconds of one call, to size the next batch
        self.warmup_s = None
        self.out_dir = None     # where its output.npy and attn.npy went

    def active(self):
        return self.refused is None and self.failed is None

    def run(self, reps, keep=False):
        answer = self.worker.command("run %d%s" % (reps, " keep" if keep else ""))
        if "error" in answer:
            if answer.get("refused"):
                self.refused = answer["error"]
            else:
                self.failed = answer["error"]
            return None
        return answer["times_s"]


def engine_argv(bench, case_dir, threads):
    return [bench, "--case", case_dir, "--threads", str(threads), "--serve"]


def torch_argv(case_dir, threads):
    return [sys.executable, os.path.join(HERE, "torch_bench.py"), "--case", case_dir, "--threads", str(threads),
            "--serve"]


def measure(case, case_dir, threads, bench, plan, work):
    """Both sides of one case at one thread count, alternating batch by batch."""
    sides = []
    result = {"case": case.name, "threads": threads}
    for name, argv in (("engine", engine_argv(bench, case_dir, threads)), ("torch", torch_argv(case_dir, threads))):
        side = Side(name, None)
        try:
            side.worker = Worker(name, argv, threads, os.path.join(work, "%s-%s-t%d.log" % (case.name, name, threads)))
            result[name + "_ready"] = side.worker.ready
        except WorkerError as e:
            side.failed = str(e)
        sides.append(side)

    # First call: the warm-up, whose outputs are the ones compared. The engine's goes first; after
    # that the sides take turns leading each round.
    for side in sides:
        if not side.active():
            continue
        out_dir = os.path.join(work, "%s-%s-t%d" % (case.name, side.name, threads))
        os.makedirs(out_dir, exist_ok=True)
        try:
            times = side.run(1, keep=True)
            if times is None:
                continue
            side.estimate_s = times[0]
            side.warmup_s = times[0]
            if times[0] >= COUNT_FIRST_S:
                side.times += times
            answer = side.worker.command("write " + out_dir)
            if "error" in answer:
                side.failed = "write: " + answer["error"]
            else:
                side.out_dir = out_dir
        except WorkerError as e:
            side.failed = str(e)

    def done(side):
        if not side.active():
            return True
        total = sum(side.times)
        return (total >= plan["target_s"] and len(side.times) >= plan["min_reps"]) or \
            (total >= plan["max_s"] and len(side.times) >= 1)

    round_index = 0
    while not all(done(s) for s in sides):
        order = sides if round_index % 2 == 0 else sides[::-1]
        for side in order:
            if done(side):
                continue
            # Sized from the latest estimate of one call: the warm-up call at first (often slower
            # than the rest), then the median of the side's previous batch.
            batch = max(1, int(plan["batch_s"] / max(side.estimate_s, 1e-9)))
            try:
                times = side.run(batch)
            except WorkerError as e:
                side.failed = str(e)
                continue
            if times:
                side.times += times
                side.estimate_s = statistics.median(times)
        round_index += 1

    for side in sides:
        if side.worker is not None and side.worker.proc.returncode is None:
            try:
                side.worker.close()
            except WorkerError as e:
                side.failed = side.failed or str(e)
        result[side.name] = {
            "times_s": side.times,
            "median_s": statistics.median(side.times) if side.times else None,
            "reps": len(side.times),
            "peak_kib": side.worker.peak_kib if side.worker else None,
            "ru_maxrss_kib": side.worker.ru_maxrss_kib if side.worker else None,
            "warmup_s": side.warmup_s,
            "refused": side.refused,
            "failed": side.failed,
        }
        result[side.name + "_out"] = side.out_dir
    return result


# ---- Comparison -------------------------------------------------------------------------------

def compare_arrays(a, b):
    """(agree, max abs diff, why not) with NaN required in the same places."""
    if a.shape != b.shape:
        return False, None, "shape %s vs %s" % (list(a.shape), list(b.shape))
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return False, None, "NaN at %d vs %d positions" % (nan_a.sum(), nan_b.sum())
    finite = ~nan_a
    inf_a, inf_b = np.isinf(a) & finite, np.isinf(b) & finite
    if not np.array_equal(inf_a, inf_b) or not np.array_equal(a[inf_a], b[inf_b]):
        return False, None, "infinities differ"
    ok = finite & ~inf_a
    diff = float(np.max(np.abs(a[ok] - b[ok]))) if ok.any() else 0.0
    return diff <= TOLERANCE, diff, None if diff <= TOLERANCE else "max |diff| %.3g > %g" % (diff, TOLERANCE)


def compare(result):
    e_dir, t_dir = result.get("engine_out"), result.get("torch_out")
    if not e_dir or not t_dir:
        return None
    out = {}
    agree = True
    for name in ("output", "attn"):
        ok, diff, why = compare_arrays(np.load(os.path.join(e_dir, name + ".npy")),
                                       np.load(os.path.join(t_dir, name + ".npy")))
        out[name] = {"agree": ok, "max_abs_diff": diff, "why": why}
        agree = agree and ok
    out["agree"] = agree
    return out


# ---- The report -------------------------------------------------------------------------------

def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return "%.1f µs" % (s * 1e6)
    if s < 1.0:
        return "%.3g ms" % (s * 1e3)
    if s < 100.0:
        return "%.3g s" % s
    return "%.0f s (%.1f min)" % (s, s / 60.0)


def fmt_ratio(r):
    return "%.2f" % r if r < 100 else "%.0f" % r


def fmt_mib(kib):
    return "-" if kib is None else "%.0f" % (kib / 1024.0)


def fmt_diff(d):
    return "-" if d is None else ("0" if d == 0 else "%.1e" % d)


def side_cell(side):
    if side["refused"]:
        return "refused: %s" % side["refused"]
    if side["failed"]:
        return "failed: %s" % side["failed"]
    return fmt_time(side["median_s"])


def print_table(results, cases, baselines, engine_single_thread):
    by_name = {c.name: c for c in cases}
    print("## Engine vs PyTorch")
    print()
    print("Medians of each side's timed forward calls; ratio = PyTorch / engine (> 1: the engine is "
          "faster). Peak memory: each worker's whole-process peak RSS in MiB, nothing subtracted; "
          "idle baselines: attnscope-bench %s MiB, python3 with torch imported %s MiB. "
          "Agreement: max |engine - PyTorch| of output / attention weights, tolerance %g, NaN in the "
          "same places." % (fmt_mib(baselines.get("engine")), fmt_mib(baselines.get("torch")), TOLERANCE))
    print()
    print("| case | module | shapes | threads | engine | PyTorch | ratio | engine peak MiB | PyTorch peak MiB "
          "| max abs diff output / attn | reps engine / PyTorch | load |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        c = by_name[r["case"]]
        e, t = r["engine"], r["torch"]
        ratio = "-"
        if e["median_s"] and t["median_s"] and not e["refused"] and not t["refused"]:
            ratio = fmt_ratio(t["median_s"] / e["median_s"])
        cmp = r.get("compare")
        if cmp is None:
            diff = "-"
        else:
            diff = "%s / %s%s" % (fmt_diff(cmp["output"]["max_abs_diff"]), fmt_diff(cmp["attn"]["max_abs_diff"]),
                                  "" if cmp["agree"] else " **DISAGREE: %s**" % "; ".join(
                                      "%s %s" % (k, cmp[k]["why"]) for k in ("output", "attn") if cmp[k]["why"]))
        threads = str(r["threads"])
        if engine_single_thread and r["threads"] > 1:
            threads += "*"
        module = (r.get("torch_ready") or {}).get("module") or c.module
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d / %d | %s |" % (
            c.name, module, c.shapes(), threads, side_cell(e), side_cell(t), ratio, fmt_mib(e["peak_kib"]),
            fmt_mib(t["peak_kib"]), diff, e["reps"], t["reps"], r.get("load") or "-"))
    print()
    notes = []
    if engine_single_thread:
        notes.append("\\* the engine was built without OpenMP: it computed on one thread at every thread count.")
    slow = sorted({"%s (%s)" % (r["case"], "PyTorch" if side == "torch" else side)
                   for r in results for side in ("engine", "torch")
                   if r[side]["reps"] and sum(r[side]["times_s"]) >= r["plan"]["max_s"]
                   and r[side]["reps"] < r["plan"]["min_reps"]})
    if slow:
        notes.append("Fewer than %d calls where one call is slow: %s. A side stops once its calls add up to "
                     "%.0f s; a warm-up call of %.0f s or more counts as a measurement." % (
                         results[0]["plan"]["min_reps"], ", ".join(slow), results[0]["plan"]["max_s"],
                         COUNT_FIRST_S))
    notes.append("load: the 1-minute load average when the row started; above the core count, other work "
                 "competed for the cores (it hurts thread counts > 1 most: a team of threads waits for its "
                 "slowest member).")
    for n in notes:
        print(n)
        print()
    print("Cases:")
    print()
    for c in cases:
        print("- `%s`: %s." % (c.name, c.about))
    print()


def print_flops(results, cases, m):
    by_name = {c.name: c for c in cases}
    rows = [r for r in results if by_name[r["case"]].gemm]
    if not rows:
        return
    peak_core = m["peak_gflops_per_core"]
    print("## GEMM-bound cases: achieved GFLOP/s")
    print()
    print("FLOPs of one forward = projections 2·b·L·E·E·4 + scores 2·b·H·L·L·D + weighted sum 2·b·H·L·L·D "
          "(masked keys counted: both sides compute them). Peak: %s, %d FLOPs/cycle (%s)%s." % (
              "measured with FMAs" if m["peak_measured"] else "cores x nominal clock",
              m["flops_per_cycle"], m["flops_per_cycle_why"],
              ", %.0f GFLOP/s per core, %.0f GFLOP/s for the machine's %d cores" % (
                  peak_core, peak_core * m["cores"], m["cores"]) if peak_core else ", clock unknown"))
    print()
    print("| case | threads | GFLOP per forward | engine GFLOP/s | engine % of machine peak | engine % of peak of "
          "the threads' cores | PyTorch GFLOP/s | PyTorch % of machine peak | PyTorch % of peak of the threads' "
          "cores |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        c = by_name[r["case"]]
        gflop = c.flops() / 1e9
        cells = []
        for side in ("engine", "torch"):
            med = r[side]["median_s"]
            if not med or r[side]["refused"]:
                cells += ["-", "-", "-"]
                continue
            rate = gflop / med
            if peak_core:
                used = min(r["threads"], m["cores"])
                cells += ["%.1f" % rate, "%.1f%%" % (100 * rate / (peak_core * m["cores"])),
                          "%.1f%%" % (100 * rate / (peak_core * used))]
            else:
                cells += ["%.1f" % rate, "-", "-"]
        print("| %s | %d | %.3f | %s |" % (c.name, r["threads"], gflop, " | ".join(cells)))
        r["flops"] = c.flops()
    print()


def main():
    ap = argparse.ArgumentParser(description="attnscope's engine side by side with PyTorch")
    ap.add_argument("--bench", help="attnscope-bench (default: $ATTNSCOPE_BENCH or build/app/attnscope-bench)")
    ap.add_argument("--quick", action="store_true", help="few repetitions: a smoke test, not a measurement")
    ap.add_argument("--cases", help="comma-separated case names (default: all): " +
                    ", ".join(c.name for c in CASES))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--json", help="write every measurement (all times) to this file")
    ap.add_argument("--max-s", type=float, default=MAX_S, help="a side whose calls add up to this many seconds "
                    "stops adding calls (default %.0f; at least one call is made)" % MAX_S)
    ap.add_argument("--keep", action="store_true", help="keep the work folder (inputs, weights, outputs, logs)")
    args = ap.parse_args()

    bench = args.bench or os.environ.get("ATTNSCOPE_BENCH") or os.path.join(ROOT, "build", "app", "attnscope-bench")
    if not (os.path.isfile(bench) and os.access(bench, os.X_OK)):
        print("run_bench.py: attnscope-bench not found at %s: build it (scripts/bench does) or pass --bench" % bench,
              file=sys.stderr)
        return 2
    names = [c.name for c in CASES]
    wanted = args.cases.split(",") if args.cases else names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        print("run_bench.py: unknown case(s) %s; known: %s" % (", ".join(unknown), ", ".join(names)), file=sys.stderr)
        return 2
    try:
        thread_counts = [int(t) for t in args.threads.split(",")]
        if any(t < 1 for t in thread_counts):
            raise ValueError
    except ValueError:
        print("run_bench.py: --threads wants positive numbers, e.g. 1,2; got %r" % args.threads, file=sys.stderr)
        return 2
    plan = dict(target_s=TARGET_S, min_reps=MIN_REPS, batch_s=BATCH_S, max_s=args.max_s)
    if args.quick:
        plan.update(QUICK)

    cases = [c for c in CASES if c.name in wanted]
    work = tempfile.mkdtemp(prefix="attnscope-bench-")
    started = time.time()
    try:
        m = machine_info(bench)
        m["load_start"] = load_text()
        baselines = {
            "engine": idle_baseline([bench, "--idle"], os.path.join(work, "idle-engine.log")),
            "torch": idle_baseline([sys.executable, os.path.join(HERE, "torch_bench.py"), "--idle"],
                                   os.path.join(work, "idle-torch.log")),
        }
        results = []
        for c in cases:
            case_dir = os.path.join(work, c.name)
            write_case(c, names.index(c.name), case_dir)
            for threads in thread_counts:
                print("run_bench: %s, %d thread(s)..." % (c.name, threads), file=sys.stderr, flush=True)
                load = load_text().split()[0]
                r = measure(c, case_dir, threads, bench, plan, work)
                r["load"] = load
                r["plan"] = plan
                r["compare"] = compare(r)
                results.append(r)
                e, t = r["engine"], r["torch"]
                print("run_bench:   engine %s, PyTorch %s%s" % (
                    side_cell(e), side_cell(t),
                    "" if r["compare"] is None else (", agree" if r["compare"]["agree"] else ", DISAGREE")),
                    file=sys.stderr, flush=True)
            # Outputs of this case are compared: drop them so the work folder stays small.
            if not args.keep:
                for threads in thread_counts:
                    for side in ("engine", "torch"):
                        shutil.rmtree(os.path.join(work, "%s-%s-t%d" % (c.name, side, threads)), ignore_errors=True)

        # What the engine said about its threads at each thread count (the first case's report).
        reports = {}
        for r in results:
            if r.get("engine_ready"):
                reports.setdefault(r["threads"], r["engine_ready"]["threads"])
        engine_single_thread = bool(reports) and not any(t.get("openmp_runtime") for t in reports.values())
        if not reports:
            note = "no thread report (no engine worker started)"
        elif engine_single_thread:
            note = "no OpenMP runtime: Eigen computes on 1 thread at every --threads"
        else:
            note = "OpenMP runtime present; omp_get_max_threads() / Eigen::nbThreads() = " + ", ".join(
                "%d / %d at --threads %d" % (t["openmp_max_threads"], t["eigen_threads"], n)
                for n, t in sorted(reports.items()))
        print_machine(m, note)
        print_table(results, cases, baselines, engine_single_thread)
        print_flops(results, cases, m)
        print("(%d case(s) x %d thread count(s) in %.0f s%s)" % (
            len(cases), len(thread_counts), time.time() - started, ", --quick" if args.quick else ""))

        if args.json:
            with open(args.json, "w") as f:
                json.dump({"machine": m, "baselines_kib": baselines, "plan": plan, "tolerance": TOLERANCE,
                           "results": results}, f, indent=1)
    finally:
        if args.keep:
            print("work folder kept: %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    failed = [r for r in results if r["engine"]["failed"] or r["torch"]["failed"] or r["torch"]["refused"]
              or (r["compare"] is not None and not r["compare"]["agree"])
              or (r["compare"] is None and not r["engine"]["refused"])]
    if failed:
        print("run_bench.py: %d of %d measurement(s) failed or disagree: %s" % (
            len(failed), len(results), ", ".join("%s@%d" % (r["case"], r["threads"]) for r in failed)),
            file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
