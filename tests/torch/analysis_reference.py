"""The check of core/analysis/ against numpy, run by ctest (test "analysis_reference").

    /usr/bin/python3 tests/torch/analysis_reference.py --dump-tool build/tests/attnscope_analysis_dump
                                                     [--seed N] [--keep]

Every expected value here is computed in float64 straight from the definitions (Abnar & Zuidema
2020 for rollout, Kobayashi et al. 2020 for the norms, the README's "Head statistics" section for the head
statistics, sentence-transformers' mean pooling), row by row and without looking at the C++.

Makes random cases in a temporary folder: attention with padded batches (padded keys get 0,
padded query rows hold garbage that must be left out), heads 1..12, b 1..3, 1..12 layers, square
self-attention and cross-attention (Lq != Lk), text labels with and without [CLS]/[SEP], and patch
grids with 0, 1 or 2 prefix tokens. Runs
    attnscope_analysis_dump CASE_DIR OUT_DIR
and compares each file it writes: |diff| <= 1e-6 · max(1, |expected|) (rollout 1e-5), NaN (null
in JSON) exactly where the reference has none.

Prints one line per case and, last, "N passed, M failed". Exit 0 when all passed, 1 when any
failed, 77 (ctest's SKIP_RETURN_CODE) when numpy cannot be imported.
"""

import argparse
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
except Exception:  # ImportError, or a broken install that fails while importing
    print("SKIPPED: numpy not available to /usr/bin/python3")
    sys.exit(77)

# float32 inputs, float32 results: the C++ rounds once (mean fusion, norms) or sums in float
# (entropy, distance), relative error of a few float32 ulps. Rollout multiplies up to 12 layers
# of float32 products.
TOLERANCE = 1e-6
ROLLOUT_TOLERANCE = 1e-5
STAT_KEYS = ("entropy", "entropy_normalised", "cls_share", "sep_share", "previous_share",
             "next_share", "self_share", "mean_distance", "max_weight")


# ---------------------------------------------------------------------------------------------
# Random cases
# ---------------------------------------------------------------------------------------------

def softmax(x, axis=-1):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def random_attention(rng, b, heads, lq, lk, key_real, square):
    """[b, H, Lq, Lk] float32: softmax over the real keys (padded keys exactly 0). Temperatures
    vary per head so that some heads are peaked and some nearly uniform; in square cases one head
    is a pure previous-token head. Padded query rows get positive garbage."""
    temps = rng.uniform(0.2, 6.0, size=(1, heads, 1, 1))
    scores = rng.normal(size=(b, heads, lq, lk)) * temps
    scores = np.where(key_real[:, None, None, :], scores, -np.inf)
    att = np.zeros((b, heads, lq, lk))
    for i in range(b):
        if key_real[i].any():
            att[i] = softmax(scores[i])
    if square and heads > 1:
        h = heads - 1
        for i in range(b):
            att[i, h] = 0.0
            real = np.flatnonzero(key_real[i])
            for q in range(lq):
                if q >= 1 and key_real[i, q - 1]:
                    att[i, h, q, q - 1] = 1.0
                elif key_real[i, q]:
                    att[i, h, q, q] = 1.0
                elif real.size:
                    att[i, h, q, real[0]] = 1.0
    if square:
        for i in range(b):
            pad_rows = ~key_real[i]
            att[i, :, pad_rows, :] = rng.uniform(0.0, 1.0, size=(heads, pad_rows.sum(), lk)).transpose(1, 0, 2)
    return att.astype(np.float32)


def text_labels(rng, lengths, lk, with_cls, with_sep):
    words = ["the", "cat", "sat", "on", "mat", ".", "##s", "it", "[UNK]"]
    out = []
    for i, n in enumerate(lengths):
        row = [words[rng.integers(len(words))] for _ in range(lk)]
        for k in range(n, lk):
            row[k] = "[PAD]"
        if with_cls and n > 0:
            row[0] = "[CLS]"
        # Only some sentences end in [SEP]: the share is over those that have one.
        if with_sep and n > 1 and i % 2 == 0:
            row[n - 1] = "[SEP]"
        out.append(row)
    return out


def make_case(rng, name, b, heads, layers, lq, lk, padded=True, labels="text", with_cls=True,
              with_sep=True, grid=None, prefix=0, hidden=None):
    square = lq == lk
    if grid is not None:
        lk = lq = prefix + grid[0] * grid[1]
        square = True
    if padded:
        lengths = [int(rng.integers(1, lk + 1)) for _ in range(b)]
        lengths[0] = lk  # one item unpadded
        if b > 2:
            lengths[2] = 0 if not square else lengths[2]  # cross: a fully padded key set
    else:
        lengths = [lk] * b
    key_real = np.zeros((b, lk), dtype=bool)
    for i, n in enumerate(lengths):
        key_real[i, :n] = True
    # One case with the padding on the left, to keep "right-padded" out of the assumptions.
    if name.endswith("left"):
        key_real = key_real[:, ::-1].copy()
    att = np.stack([random_attention(rng, b, heads, lq, lk, key_real, square) for _ in range(layers)])
    norms = rng.uniform(0.1, 3.0, size=(layers, b, heads, lk)).astype(np.float32)
    depth = 5
    vectors = rng.normal(size=(b, heads, lk, depth)).astype(np.float32)
    spec = {"tokens": None, "patch_rows": 0, "patch_cols": 0, "prefix_tokens": 0}
    if grid is not None:
        spec.update(patch_rows=grid[0], patch_cols=grid[1], prefix_tokens=prefix)
        spec["tokens"] = [["[CLS]" if k < prefix else "p%d" % (k - prefix) for k in range(lk)] for _ in range(b)]
    elif labels == "text":
        spec["tokens"] = text_labels(rng, [int(r.sum()) for r in key_real], lk, with_cls, with_sep)
        if name.endswith("left"):  # labels follow the real positions
            spec["tokens"] = [list(reversed(t)) for t in spec["tokens"]]
    case = {"name": name, "attentions": att, "value_norms": norms, "value_vectors": vectors,
            "spec": spec, "key_real": key_real, "mask": key_real.astype(np.int64) if padded else None}
    if hidden:
        case["last_hidden_state"] = rng.normal(size=(b, lk, hidden)).astype(np.float32)
    return case


def cases(seed):
    rng = np.random.default_rng(seed)
    out = []
    out.append(make_case(rng, "text_b1_h1", 1, 1, 1, 7, 7, padded=False))
    out.append(make_case(rng, "text_b2_h4_padded", 2, 4, 3, 9, 9, hidden=6))
    out.append(make_case(rng, "text_b3_h12_padded", 3, 12, 4, 16, 16, hidden=8))
    out.append(make_case(rng, "text_b3_h3_padded_left", 3, 3, 2, 11, 11, hidden=4))
    out.append(make_case(rng, "text_b2_h12_12_layers", 2, 12, 12, 40, 40))  # rollout at bert-base depth
    out.append(make_case(rng, "text_b2_h2_no_cls_sep", 2, 2, 2, 8, 8, with_cls=False, with_sep=False))
    out.append(make_case(rng, "text_b2_h5_no_labels", 2, 5, 2, 10, 10, labels=None))
    out.append(make_case(rng, "cross_b2_h3", 2, 3, 2, 6, 9, labels=None))
    out.append(make_case(rng, "cross_b3_h1_padded", 3, 1, 1, 12, 5))
    out.append(make_case(rng, "patch_b1_h6_cls", 1, 6, 3, 0, 0, padded=False, grid=(3, 4), prefix=1))
    out.append(make_case(rng, "patch_b2_h2_noprefix", 2, 2, 2, 0, 0, padded=False, grid=(2, 5), prefix=0))
    out.append(make_case(rng, "patch_b3_h4_prefix2", 3, 4, 2, 0, 0, padded=False, grid=(4, 3), prefix=2))
    return out


def write_case(case, folder):
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "attentions.npy"), case["attentions"])
    np.save(os.path.join(folder, "value_norms.npy"), case["value_norms"])
    np.save(os.path.join(folder, "value_vectors.npy"), case["value_vectors"])
    if case["mask"] is not None:
        np.save(os.path.join(folder, "attention_mask.npy"), case["mask"])
    if "last_hidden_state" in case:
        np.save(os.path.join(folder, "last_hidden_state.npy"), case["last_hidden_state"])
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(case["spec"], f)


# ---------------------------------------------------------------------------------------------
# The reference, from the definitions
# ---------------------------------------------------------------------------------------------

def ref_rollout(att, key_real, up_to):
    """Abnar & Zuidema: per item, on the real tokens, Â = rownorm(0.5 mean_h A + 0.5 I),
    R_1 = Â_1, R_l = Â_l R_{l-1}. Padded rows and columns 0."""
    layers, b, _, L, _ = att.shape
    out = np.zeros((b, L, L))
    for i in range(b):
        idx = np.flatnonzero(key_real[i])
        if idx.size == 0:
            continue
        r = None
        for l in range(up_to + 1):
            a = att[l, i].astype(np.float64)[:, idx][:, :, idx].mean(axis=0)
            a = 0.5 * a + 0.5 * np.eye(idx.size)
            a = a / a.sum(axis=1, keepdims=True)
            r = a if r is None else a @ r
        out[i][np.ix_(idx, idx)] = r
    return out


def ref_head_sum(att0, vectors):
    """||Σ_h α^h_ij f_h(x_j)||, from the vectors themselves: [b, Lq, Lk]."""
    a = att0.astype(np.float64)
    v = vectors.astype(np.float64)
    summed = np.einsum("bhqk,bhkd->bqkd", a, v)
    return np.sqrt((summed ** 2).sum(axis=-1))


def ref_head_stats(att_layer, key_real, tokens, grid, prefix, items):
    """Per head, the mean over the real query rows of `items` of each statistic."""
    _, heads, lq, lk = att_layer.shape
    square = lq == lk
    out = []
    for h in range(heads):
        acc = {k: [] for k in STAT_KEYS}
        for i in items:
            n_real = int(key_real[i].sum())
            for q in range(lq):
                if square and not key_real[i, q]:
                    continue
                if n_real == 0:
                    continue
                row = att_layer[i, h, q].astype(np.float64)
                real = key_real[i]
                w = row[real]
                ent = -sum(x * math.log(x) for x in w if x > 0)
                acc["entropy"].append(ent)
                if n_real > 1:
                    acc["entropy_normalised"].append(ent / math.log(n_real))
                acc["max_weight"].append(w.max())
                if tokens is not None:
                    cls = [k for k in range(lk) if real[k] and tokens[i][k] == "[CLS]"]
                    sep = [k for k in range(lk) if real[k] and tokens[i][k] == "[SEP]"]
                    if cls:
                        acc["cls_share"].append(sum(row[k] for k in cls))
                    if sep:
                        acc["sep_share"].append(sum(row[k] for k in sep))
                if not square:
                    continue
                if q >= 1 and real[q - 1]:
                    acc["previous_share"].append(row[q - 1])
                if q + 1 < lk and real[q + 1]:
                    acc["next_share"].append(row[q + 1])
                acc["self_share"].append(row[q])
                if grid is None:
                    acc["mean_distance"].append(sum(row[k] * abs(q - k) for k in range(lk) if real[k]))
                elif q >= prefix:
                    rows_, cols = grid
                    qr, qc = divmod(q - prefix, cols)
                    num = den = 0.0
                    for k in range(prefix, lk):
                        if not real[k]:
                            continue
                        kr, kc = divmod(k - prefix, cols)
                        num += row[k] * math.hypot(qr - kr, qc - kc)
                        den += row[k]
                    if den > 0:
                        acc["mean_distance"].append(num / den)
        stats = {k: (float(np.mean(v)) if v else None) for k, v in acc.items()}
        out.append(stats)
    return out


def ref_mean_pooling(hidden, mask):
    m = mask.astype(np.float64)[:, :, None]
    return (hidden.astype(np.float64) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)


def ref_cosine(e):
    n = np.linalg.norm(e, axis=1)
    out = np.zeros((e.shape[0], e.shape[0]))
    for i in range(e.shape[0]):
        for j in range(e.shape[0]):
            if n[i] > 0 and n[j] > 0:
                out[i, j] = e[i] @ e[j] / (n[i] * n[j])
    return out


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.problems = []
        self.worst = {}

    def array(self, what, got, expected, tol):
        expected = np.asarray(expected, dtype=np.float64)
        if got is None:
            self.problems.append("%s: not written" % what)
            return
        if got.shape != expected.shape:
            self.problems.append("%s: shape %s, expected %s" % (what, got.shape, expected.shape))
            return
        g = got.astype(np.float64)
        if not np.array_equal(np.isnan(g), np.isnan(expected)):
            self.problems.append("%s: NaN in other places" % what)
            return
        ok = ~np.isnan(expected)
        if not ok.any():
            return
        diff = np.abs(g[ok] - expected[ok]) / np.maximum(1.0, np.abs(expected[ok]))
        worst = float(diff.max())
        self.worst[what] = max(self.worst.get(what, 0.0), worst)
        if worst > tol:
            at = int(np.argmax(diff))
            self.problems.append("%s: max diff %.3g > %.0e (got %r, expected %r)"
                                 % (what, worst, tol, g[ok][at], expected[ok][at]))

    def value(self, what, got, expected, tol):
        if expected is None or got is None:
            if (expected is None) != (got is None):
                self.problems.append("%s: got %r, expected %r" % (what, got, expected))
            return
        diff = abs(got - expected) / max(1.0, abs(expected))
        key = what.split("]")[-1]
        self.worst[key] = max(self.worst.get(key, 0.0), diff)
        if diff > tol:
            self.problems.append("%s: got %r, expected %r (diff %.3g)" % (what, got, expected, diff))


def load(path):
    return np.load(path) if os.path.exists(path) else None


def check_stats(report, label, got_json, att, case, items):
    layers, b, heads = att.shape[:3]
    got = got_json["head_stats"]
    if len(got) != layers * heads:
        report.problems.append("%s: %d rows, expected %d" % (label, len(got), layers * heads))
        return
    grid = None
    if case["spec"]["patch_rows"]:
        grid = (case["spec"]["patch_rows"], case["spec"]["patch_cols"])
    for l in range(layers):
        ref = ref_head_stats(att[l], case["key_real"], case["spec"]["tokens"], grid,
                             case["spec"]["prefix_tokens"], items)
        for h in range(heads):
            row = got[l * heads + h]
            if row["layer"] != l or row["head"] != h:
                report.problems.append("%s: row %d is layer %s head %s" % (label, l * heads + h, row["layer"], row["head"]))
                return
            for k in STAT_KEYS:
                report.value("%s[l%d h%d]%s" % (label, l, h, k), row[k], ref[h][k], TOLERANCE)
    want = set(STAT_KEYS)
    if set(got_json["definitions"]) != want:
        report.problems.append("%s: definitions for %s" % (label, sorted(got_json["definitions"])))


def check_csv(report, text, got_json):
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) != len(got_json["head_stats"]):
        report.problems.append("head_stats.csv: %d rows, JSON has %d" % (len(rows), len(got_json["head_stats"])))
        return
    for r, j in zip(rows, got_json["head_stats"]):
        for k in STAT_KEYS:
            v = None if r[k] == "" else float(r[k])
            if (v is None) != (j[k] is None) or (v is not None and abs(v - j[k]) > 1e-8 * max(1, abs(j[k]))):
                report.problems.append("head_stats.csv: %s of layer %s head %s is %r, JSON %r" % (k, r["layer"], r["head"], v, j[k]))
                return


def check_case(case, tool, work):
    folder = os.path.join(work, case["name"])
    out = os.path.join(folder, "out")
    write_case(case, folder)
    os.makedirs(out, exist_ok=True)
    proc = subprocess.run([tool, folder, out], capture_output=True, text=True, timeout=120)
    report = Report()
    if proc.returncode != 0:
        report.problems.append("dump tool exit %d: %s" % (proc.returncode, proc.stderr.strip()))
        return report
    att = case["attentions"].astype(np.float64)
    layers, b, heads, lq, lk = att.shape

    report.array("fusion_mean", load(os.path.join(out, "fusion_mean.npy")), att.mean(axis=2), TOLERANCE)
    report.array("fusion_max", load(os.path.join(out, "fusion_max.npy")), att.max(axis=2), 0.0)
    report.array("fusion_min", load(os.path.join(out, "fusion_min.npy")), att.min(axis=2), 0.0)
    norms = case["value_norms"].astype(np.float64)
    report.array("attention_norms", load(os.path.join(out, "attention_norms.npy")),
                 att * norms[:, :, :, None, :], TOLERANCE)
    report.array("norms_head_sum", load(os.path.join(out, "norms_head_sum.npy")),
                 ref_head_sum(case["attentions"][0], case["value_vectors"]), TOLERANCE)

    if lq == lk:
        by_layer = np.stack([ref_rollout(att, case["key_real"], l) for l in range(layers)])
        report.array("rollout_by_layer", load(os.path.join(out, "rollout_by_layer.npy")), by_layer, ROLLOUT_TOLERANCE)
        report.array("rollout", load(os.path.join(out, "rollout.npy")), by_layer[-1], ROLLOUT_TOLERANCE)
        report.array("rollout_middle", load(os.path.join(out, "rollout_middle.npy")), by_layer[layers // 2],
                     ROLLOUT_TOLERANCE)

    with open(os.path.join(out, "head_stats.json")) as f:
        stats = json.load(f)
    check_stats(report, "head_stats", stats, att, case, range(b))
    with open(os.path.join(out, "head_stats_last_item.json")) as f:
        check_stats(report, "head_stats_last_item", json.load(f), att, case, [b - 1])
    with open(os.path.join(out, "head_stats.csv")) as f:
        check_csv(report, f.read(), stats)
    unit = "patches" if case["spec"]["patch_rows"] else "tokens"
    if stats["distance_unit"] != unit:
        report.problems.append("distance_unit %r, expected %r" % (stats["distance_unit"], unit))

    if "last_hidden_state" in case:
        pooled = ref_mean_pooling(case["last_hidden_state"], case["mask"])
        report.array("mean_pooling", load(os.path.join(out, "mean_pooling.npy")), pooled, TOLERANCE)
        report.array("cosine", load(os.path.join(out, "cosine.npy")), ref_cosine(pooled), TOLERANCE)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dump-tool", required=True)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--keep", action="store_true", help="keep the case folders and print where")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="attnscope_analysis_")
    passed = failed = 0
    worst = {}
    try:
        for case in cases(args.seed):
            report = check_case(case, args.dump_tool, work)
            for k, v in report.worst.items():
                worst[k] = max(worst.get(k, 0.0), v)
            shape = "x".join(str(s) for s in case["attentions"].shape)
            if report.problems:
                failed += 1
                print("FAIL %-28s [%s]" % (case["name"], shape))
                for p in report.problems[:10]:
                    print("     " + p)
            else:
                passed += 1
                print("ok   %-28s [%s]" % (case["name"], shape))
    finally:
        if args.keep:
            print("cases kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("max relative diff: " + ", ".join("%s %.2g" % kv for kv in sorted(worst.items())))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
