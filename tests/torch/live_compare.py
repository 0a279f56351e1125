"""The live check of attnscope-cli against PyTorch, run by ctest (test "torch_live").

    /usr/bin/python3 tests/torch/live_compare.py --cli build/app/attnscope-cli [--seed N] [--keep]

Makes fresh random cases in a temporary folder (every module, with and without masks, both
fills, fully padded rows, b 1..3, heads 1..8, odd images, non-default scales, the seed's own
sizes once, and nn.MultiheadAttention's attn_mask: bool, uint8 and float, 2-D and 3-D, causal,
alone and with key_padding_mask, fully masked rows), runs
    attnscope-cli run --module M --emb-dim E --heads H --scale S --mask-fill F
                      --weights W.safetensors --x x.npy [--context c.npy] [--pad-mask m.npy]
                      [--attn-mask a.npy | --causal] --dump OUTDIR
and compares OUTDIR/output.npy and OUTDIR/attn.npy with PyTorch: same shape, NaN exactly where
PyTorch has NaN, elsewhere max |diff| <= 1e-4. It also checks the other direction (weights the
CLI initialises with --seed and writes with --save-weights load into PyTorch with
load_state_dict(strict=True) and give the CLI's numbers) and that a state_dict with the seed's
lower-cased names ("wq.weight") loads in the CLI.

Prints one line per case and, last, "N passed, M failed". Exit 0 when all passed, 1 when any
failed, 77 (ctest's SKIP_RETURN_CODE) when torch or numpy cannot be imported.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
except Exception:  # ImportError, or a broken install that fails while importing
    print("SKIPPED: torch not available to /usr/bin/python3")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import seed_modules  # noqa: E402
import st_io  # noqa: E402

TOLERANCE = 1e-4  # float32 with another summation order: see tests/unit/test_reference.cpp
CLI_TIMEOUT_S = 60

SEED_MODULES = ("self", "multihead", "cross", "cross-multihead")
# The seed's input_ids [[100, 200, 300, 300, 0], [22, 33, 44, 0, 0], [66, 55, 66, 30, 0]].eq(0)
SEED_PAD_MASK = [[False, False, False, False, True],
                 [False, False, False, True, True],
                 [False, False, False, False, True]]


class Case:
    def __init__(self, name, kind, emb, heads=1, in_channels=3, b=1, seq=4, seq_k=None,
                 img=None, mask="none", scale="module", fill="module", fixed_mask=None, attn=None):
        self.name = name
        self.kind = kind
        self.emb = emb
        self.heads = heads if kind in ("multihead", "cross-multihead", "torch-mha") else 1
        self.in_channels = in_channels
        self.b = b
        self.seq = seq          # query length (self, multihead, torch-mha), or text length (cross)
        self.seq_k = seq_k      # torch-mha cross-attention: context length (None: self-attention)
        self.img = img          # cross modules: (h, w)
        self.mask = mask        # "none" | "partial" | "fullpad" | "fixed"
        self.fixed_mask = fixed_mask
        self.scale = scale
        self.fill = fill
        self.attn = attn        # torch-mha's attn_mask: None or one of ATTN_MASK_KINDS

    def describe(self):
        shape = "img %dx%d c%d" % (self.img[0], self.img[1], self.in_channels) if self.img else \
            "seq %d%s" % (self.seq, "" if self.seq_k is None else " S %d" % self.seq_k)
        return "%s emb %d heads %d b %d %s mask %s scale %s fill %s%s" % (
            self.kind, self.emb, self.heads, self.b, shape, self.mask, self.scale, self.fill,
            "" if self.attn is None else " attn_mask " + self.attn)


def make_mask(rng, case, seq_k):
    """Bool [b, seq_k], true = padding, as input_ids.eq(0) gives it (padding at the end)."""
    if case.mask == "none":
        return None
    if case.mask == "fixed":
        return np.array(case.fixed_mask, dtype=np.bool_)
    m = np.zeros((case.b, seq_k), dtype=np.bool_)
    for i in range(case.b):
        valid = rng.randint(1, seq_k)
        m[i, valid:] = True
    if case.mask == "fullpad":
        m[rng.randrange(case.b)] = True
    elif not m.any():  # "partial" must pad something
        m[0, -1] = seq_k > 1
    return m


# nn.MultiheadAttention's attn_mask, as the live cases give it:
#   bool2d / bool3d / uint8_2d   True = not allowed, [L, S] / [b*heads, L, S]
#   float2d / float3d            added to the scores: N(0, 2) with some -inf and -1e9
#   causal                       the CLI's --causal against torch given the float mask of
#                                nn.Transformer.generate_square_subsequent_mask
#   causal_file                  that float mask given to the CLI, torch given the bool triu
#   fullrow_bool / fullrow_inf   one query row masked throughout: NaN, as torch gives
#   fullrow_1e9                  one row all -1e9 (float): uniform in torch, not NaN
#   union_bool / union_float     a row masking every key but the last, with key_padding_mask
#                                padding the last: NaN only for the items padded there
ATTN_MASK_KINDS = ("bool2d", "bool3d", "uint8_2d", "float2d", "float3d", "causal", "causal_file",
                   "fullrow_bool", "fullrow_inf", "fullrow_1e9", "union_bool", "union_float")


def make_attn_mask(rng, case, L, S):
    """(array written to attn_mask.npy, or None for --causal; the mask torch is given)."""
    kind = case.attn
    bh = case.b * case.heads
    nrng = np.random.RandomState(rng.randrange(1 << 30))
    if kind in ("causal", "causal_file"):
        if L == S:
            as_float = torch.nn.Transformer.generate_square_subsequent_mask(L)
        else:
            as_float = torch.triu(torch.full((L, S), float("-inf")), diagonal=1)
        as_bool = torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=1)
        if kind == "causal":
            return None, as_float
        return as_float.numpy().astype(np.float32), as_bool
    shape = (bh, L, S) if kind in ("bool3d", "float3d", "fullrow_inf") else (L, S)
    if kind.startswith("bool") or kind == "uint8_2d" or kind in ("fullrow_bool", "union_bool"):
        m = nrng.rand(*shape) < 0.4
        rows = m.reshape(-1, S)
        rows[np.arange(rows.shape[0]), nrng.randint(0, S, rows.shape[0])] = False  # one key left a row
        if kind == "fullrow_bool":
            m[nrng.randint(L)] = True
        if kind == "union_bool":
            m[0, :S - 1] = True
            m[0, S - 1] = False
        if kind == "uint8_2d":
            m = m.astype(np.uint8)
        return m, torch.from_numpy(m.copy())
    m = (nrng.randn(*shape) * 2.0).astype(np.float32)
    u = nrng.rand(*shape)
    m[u < 0.15] = -np.inf
    m[(u >= 0.15) & (u < 0.25)] = -1e9
    rows = m.reshape(-1, S)
    rows[np.arange(rows.shape[0]), nrng.randint(0, S, rows.shape[0])] = 0.5  # one finite key a row
    if kind == "fullrow_inf":
        m[nrng.randint(bh), nrng.randint(L)] = -np.inf
    if kind == "fullrow_1e9":
        m[nrng.randint(L)] = -1e9
    if kind == "union_float":
        m[0, :S - 1] = -np.inf
        m[0, S - 1] = 1.5
    return m, torch.from_numpy(m.copy())


def attn_mask_cases(rng, n):
    """nn.MultiheadAttention with attn_mask: every kind, with and without key_padding_mask,
    b 1..3, heads 1..4, self- and cross-attention."""
    cases = []
    for kind in ATTN_MASK_KINDS:
        for mask in ("none", "partial"):
            if kind.startswith("union") and mask == "none":
                continue  # the union needs a key_padding_mask
            heads = rng.randint(1, 4)
            emb = heads * rng.choice([2, 4, 8])
            b = rng.randint(1, 3)
            seq = rng.randint(2, 6)
            cross = n % 3 == 0
            seq_k = rng.randint(2, 7) if cross else None
            if cross and seq_k == seq:
                seq_k += 1
            if kind.startswith("union"):  # key 0 kept by the padding: S of 2 at least, padded last
                b = max(b, 2)
            cases.append(Case("attn_%s_%s_%d" % (kind, mask, n), "torch-mha", emb, heads, b=b,
                              seq=seq, seq_k=seq_k, mask=mask, attn=kind))
            n += 1
    return cases


def random_cases(rng):
    cases = []
    images = [(7, 5), (5, 7), (3, 3), (1, 6), (6, 5), (9, 2), (5, 5), (2, 9)]
    channels = [1, 3, 4, 2]
    scales = ["module", "depth", "emb", "0.3", "module", repr(round(rng.uniform(0.05, 1.5), 4))]
    n = 0
    for kind in SEED_MODULES:
        for fill in ("-1e9", "-inf"):
            for mask in ("none", "partial", "fullpad"):
                heads = rng.randint(1, 8) if kind in ("multihead", "cross-multihead") else 1
                emb = heads * rng.choice([2, 4, 8]) if heads > 1 else rng.choice([4, 8, 12, 16, 32])
                b = rng.randint(1, 3) if mask != "fullpad" else rng.randint(2, 3)
                img = images[n % len(images)] if kind.startswith("cross") else None
                c = channels[n % len(channels)]
                scale = scales[n % len(scales)]
                fill_text = "module" if (fill == "-1e9" and n % 2 == 0) else fill
                name = "%s_%d" % (kind, n)
                cases.append(Case(name, kind, emb, heads, c, b, seq=rng.randint(1, 7), img=img,
                                  mask=mask, scale=scale, fill=fill_text))
                n += 1
    # nn.MultiheadAttention: self-attention (one tensor for query, key and value) and cross.
    for cross in (False, True):
        for mask in ("none", "partial", "fullpad"):
            heads = rng.randint(1, 8)
            emb = heads * rng.choice([2, 4, 8])
            b = rng.randint(1, 3) if mask != "fullpad" else rng.randint(2, 3)
            seq = rng.randint(1, 7)
            seq_k = rng.randint(1, 7) if cross else None
            if cross and seq_k == seq:
                seq_k += 1  # different L and S
            fill = "-inf" if n % 2 else "module"
            cases.append(Case("torch-mha_%s_%d" % ("cross" if cross else "self", n), "torch-mha",
                              emb, heads, b=b, seq=seq, seq_k=seq_k, mask=mask, fill=fill))
            n += 1
    # The seed's own sizes: batch 3, seq 5, emb 512, 8 heads, its input_ids mask, and an image
    # [3, 3, 24, 16] for the cross modules (the seed's 512x512 image, made smaller).
    for kind in ("self", "multihead", "torch-mha"):
        cases.append(Case("seed_" + kind, kind, 512, 8, b=3, seq=5, mask="fixed",
                          fixed_mask=SEED_PAD_MASK))
    for kind in ("cross", "cross-multihead"):
        cases.append(Case("seed_" + kind, kind, 512, 8, in_channels=3, b=3, seq=5, img=(24, 16),
                          mask="fixed", fixed_mask=SEED_PAD_MASK))
    # Images of more pixels than the engine's cross path takes in one block (1024), the last
    # block partial: 48 x 45 = 2160 = 2 x 1024 + 112.
    for kind in ("cross", "cross-multihead"):
        for mask in ("partial", "fullpad"):
            cases.append(Case("blocks_%s_%s" % (kind, mask), kind, 64, 4 if kind == "cross-multihead" else 1,
                              in_channels=3, b=2, seq=6, img=(48, 45), mask=mask, fill="-inf"))
    return cases + attn_mask_cases(rng, n)


def make_inputs(rng, case, folder):
    """Writes x.npy, context.npy, pad_mask.npy, attn_mask.npy; returns torch tensors
    (x, context, pad_mask, attn_mask)."""
    if case.kind in ("cross", "cross-multihead"):
        h, w = case.img
        x = torch.randn(case.b, case.in_channels, h, w)
        context = torch.randn(case.b, case.seq, case.emb)
    else:
        x = torch.randn(case.b, case.seq, case.emb)
        context = torch.randn(case.b, case.seq_k, case.emb) if case.seq_k else None
    seq_k = context.shape[1] if context is not None else case.seq
    mask = make_mask(rng, case, seq_k)
    np.save(os.path.join(folder, "x.npy"), x.numpy().astype(np.float32))
    if context is not None:
        np.save(os.path.join(folder, "context.npy"), context.numpy().astype(np.float32))
    if mask is not None:
        np.save(os.path.join(folder, "pad_mask.npy"), mask)
    attn_mask = None
    if case.attn is not None:
        array, attn_mask = make_attn_mask(rng, case, case.seq, seq_k)
        if array is not None:
            np.save(os.path.join(folder, "attn_mask.npy"), array)
    return x, context, (torch.from_numpy(mask) if mask is not None else None), attn_mask


def input_args(case, folder):
    args = ["--x", os.path.join(folder, "x.npy")]
    if os.path.exists(os.path.join(folder, "context.npy")):
        args += ["--context", os.path.join(folder, "context.npy")]
    if os.path.exists(os.path.join(folder, "pad_mask.npy")):
        args += ["--pad-mask", os.path.join(folder, "pad_mask.npy")]
    if os.path.exists(os.path.join(folder, "attn_mask.npy")):
        args += ["--attn-mask", os.path.join(folder, "attn_mask.npy")]
    elif case.attn == "causal":
        args += ["--causal"]
    return args


def run_cli(cli, args):
    """Runs the CLI; returns None on success, else a one-line reason."""
    try:
        p = subprocess.run([cli] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "attnscope-cli timed out after %d s" % CLI_TIMEOUT_S
    except OSError as e:
        return "cannot run %s: %s" % (cli, e)
    if p.returncode != 0:
        err = (p.stderr or p.stdout).decode("utf-8", "replace").strip().splitlines()
        return "attnscope-cli exit %d: %s" % (p.returncode, err[-1] if err else "(no message)")
    return None


def compare(what, got_path, want):
    """(maxdiff, None) or (maxdiff, reason): shape, NaN where torch has NaN, |diff| <= tol."""
    if not os.path.exists(got_path):
        return None, "%s: %s was not written" % (what, os.path.basename(got_path))
    try:
        got = np.load(got_path)
    except Exception as e:  # a malformed .npy is a failure of the CLI, not of this script
        return None, "%s: cannot read %s: %s" % (what, got_path, e)
    want = np.asarray(want, dtype=np.float32)
    if got.shape != want.shape:
        return None, "%s: shape %s, PyTorch %s" % (what, list(got.shape), list(want.shape))
    got = got.astype(np.float64)
    want = want.astype(np.float64)
    nan_want = np.isnan(want)
    nan_got = np.isnan(got)
    if (nan_want != nan_got).any():
        idx = np.argwhere(nan_want != nan_got)[0]
        return None, "%s: NaN mismatch at %s: cli %r, torch %r" % (
            what, list(idx), got[tuple(idx)], want[tuple(idx)])
    ok = ~nan_want
    if not ok.any():
        return 0.0, None
    diff = np.zeros_like(want)
    diff[ok] = np.abs(got[ok] - want[ok])
    maxdiff = float(diff.max())
    if maxdiff > TOLERANCE:
        idx = np.argwhere(diff > TOLERANCE)[0]
        return maxdiff, "%s: maxdiff %.3e at %s: cli %r, torch %r" % (
            what, maxdiff, list(idx), got[tuple(idx)], want[tuple(idx)])
    return maxdiff, None


def compare_dump(dump, output, attn):
    """(line, failed): compares DUMP/output.npy and DUMP/attn.npy with torch's."""
    d_out, e_out = compare("output", os.path.join(dump, "output.npy"), output)
    d_att, e_att = compare("attn", os.path.join(dump, "attn.npy"), attn)
    errors = [e for e in (e_out, e_att) if e]
    text = "output maxdiff %s  attn maxdiff %s" % (
        "-" if d_out is None else "%.3e" % d_out, "-" if d_att is None else "%.3e" % d_att)
    nan_items = int(np.isnan(attn).reshape(attn.shape[0], -1).any(axis=1).sum())
    if nan_items:
        text += "  (%d NaN item%s)" % (nan_items, "" if nan_items == 1 else "s")
    if errors:
        text += "  -- " + "; ".join(errors)
    return text, bool(errors)


def build_torch_module(case):
    module = seed_modules.build_module(case.kind, case.emb, case.heads, case.in_channels,
                                       case.scale, case.fill)
    if case.kind == "torch-mha":
        # Zero at init; random here so that the CLI's bias handling is tested.
        with torch.no_grad():
            module.in_proj_bias.uniform_(-0.5, 0.5)
            module.out_proj.bias.uniform_(-0.5, 0.5)
    return module


def check_forward(cli, rng, case, root, rename=None):
    """torch's weights -> CLI. rename maps state_dict names (the lower-case check)."""
    folder = os.path.join(root, case.name + ("_renamed" if rename else ""))
    os.makedirs(folder)
    module = build_torch_module(case)
    x, context, mask, attn_mask = make_inputs(rng, case, folder)
    output, attn = seed_modules.run_module(case.kind, module, x, context, mask, attn_mask)
    state = module.state_dict()
    if rename:
        state = {rename(k): v for k, v in state.items()}
    weights = os.path.join(folder, "weights.safetensors")
    st_io.save(weights, state)
    dump = os.path.join(folder, "dump")
    err = run_cli(cli, ["run", "--module", case.kind, "--emb-dim", str(case.emb),
                        "--heads", str(case.heads), "--scale", case.scale,
                        "--mask-fill", case.fill, "--weights", weights,
                        "--dump", dump] + input_args(case, folder))
    if err:
        return err, True
    return compare_dump(dump, output.numpy(), attn.numpy())


def check_round_trip(cli, rng, case, root):
    """CLI's own weights (--seed 7 --save-weights) -> torch load_state_dict(strict=True)."""
    folder = os.path.join(root, case.name + "_roundtrip")
    os.makedirs(folder)
    x, context, mask, attn_mask = make_inputs(rng, case, folder)
    weights = os.path.join(folder, "W2.safetensors")
    dump = os.path.join(folder, "D2")
    err = run_cli(cli, ["run", "--module", case.kind, "--emb-dim", str(case.emb),
                        "--heads", str(case.heads), "--seed", "7", "--save-weights", weights,
                        "--dump", dump] + input_args(case, folder))
    if err:
        return err, True
    if not os.path.exists(weights):
        return "--save-weights wrote no %s" % weights, True
    module = seed_modules.build_module(case.kind, case.emb, case.heads, case.in_channels)
    try:
        tensors, _ = st_io.load(weights)
        module.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in
                                tensors.items()}, strict=True)
    except (st_io.SafetensorsError, RuntimeError) as e:
        return "torch cannot load the CLI's weights: %s" % str(e).replace("\n", " "), True
    output, attn = seed_modules.run_module(case.kind, module, x, context, mask, attn_mask)
    return compare_dump(dump, output.numpy(), attn.numpy())


def main():
    parser = argparse.ArgumentParser(description="attnscope-cli against PyTorch")
    parser.add_argument("--cli", required=True, help="path of attnscope-cli")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: fresh)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1000000
    print("live_compare: torch %s, seed %d (rerun with --seed %d)" % (torch.__version__, seed, seed))
    rng = random.Random(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # the machine is shared; these sizes need no more

    if not os.path.isfile(args.cli) or not os.access(args.cli, os.X_OK):
        print("FAIL  attnscope-cli not found or not executable: %s" % args.cli)
        print("0 passed, 1 failed")
        return 1

    root = tempfile.mkdtemp(prefix="attnscope-live-")
    passed = failed = 0

    def report(name, desc, result):
        nonlocal passed, failed
        text, bad = result
        if bad:
            failed += 1
        else:
            passed += 1
        print("%s  %-28s %s  [%s]" % ("FAIL" if bad else "ok  ", name, text, desc))
        sys.stdout.flush()

    def guarded(fn, *a, **k):
        try:
            return fn(*a, **k)
        except Exception as e:  # one broken case must not hide the others
            return "%s: %s" % (type(e).__name__, str(e).replace("\n", " ")), True

    try:
        cases = random_cases(rng)
        for case in cases:
            report(case.name, case.describe(), guarded(check_forward, args.cli, rng, case, root))

        # The other direction: the CLI's initialisation, loaded by PyTorch.
        trips = [Case("roundtrip_self", "self", 16, b=2, seq=5, mask="partial"),
                 Case("roundtrip_multihead", "multihead", 24, 3, b=3, seq=4, mask="partial"),
                 Case("roundtrip_cross", "cross", 8, in_channels=3, b=2, seq=4, img=(7, 5),
                      mask="partial"),
                 Case("roundtrip_cross-multihead", "cross-multihead", 16, 4, in_channels=1,
                      b=2, seq=3, img=(5, 7), mask="partial"),
                 Case("roundtrip_torch-mha", "torch-mha", 16, 2, b=2, seq=5, mask="partial"),
                 Case("roundtrip_torch-mha_cross", "torch-mha", 16, 4, b=1, seq=3, seq_k=6)]
        for case in trips:
            report(case.name, case.describe(), guarded(check_round_trip, args.cli, rng, case, root))

        # The seed writes "wq.weight" (the web page lower-cased its code): the CLI must load it.
        lower = [Case("lowercase_self", "self", 8, b=2, seq=4, mask="partial"),
                 Case("lowercase_cross-multihead", "cross-multihead", 8, 2, in_channels=3, b=1,
                      seq=3, img=(3, 5), mask="partial")]
        for case in lower:
            report(case.name, case.describe() + ", state_dict names lower-cased",
                   guarded(check_forward, args.cli, rng, case, root, rename=str.lower))
    finally:
        if args.keep:
            print("kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
