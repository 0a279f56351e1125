#!/usr/bin/python3
"""The views and exports of attnscope-cli run --attentions (issue 11, items 5 and 7) against torch's
own numbers, on a file app/python/attnscope_save.py wrote from a small torch encoder:

  1. --dump: head_stats.csv and head_stats.json hold the entropy and previous-token share that
     their definitions (core/analysis/head_stats.h) give when computed here from torch's weights.
  2. --export-grid: the model view b0_model.png shows every layer x head; the tile of layer 1,
     head 3 shows torch's weights cell by cell (viridis, within 2/255).
  3. --export-panes: A - B for layer/head A against B, raw against rollout and batch item 0
     against 1: diff_*.npy is torch's difference, panes.json's range is [-m, m] with m = max |A - B|,
     the difference PNG's cells are coolwarm of (d + m) / 2m; --b-attentions with the bfloat16
     file: the difference is torch's bfloat16 rounding.
     A ViT-style file: the difference of two [CLS] rows over the patch grid is torch's.
  4. The seed's torch-mha on a fully padded sentence, -1e9 against -inf side by side: pane A is
     torch's softmax of equal -1e9 scores (uniform), pane B torch's softmax of -inf (NaN), and every
     cell of the difference is NaN.
  5. SVG exports (model view, head views, panes) parse with xmllint.
  6. save() without torch (numpy arrays, torch made unimportable), and a tuple of None (what
     transformers gives under SDPA) refused with a message that says what to do.
Exit 77 (skipped) where /usr/bin/python3 has no torch.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import attentions_save_test as base  # noqa: E402  (exits 77 without torch)

np, torch, check, run = base.np, base.torch, base.check, base.run
attnscope_save = base.attnscope_save
GAP, HEADER = 4, 24  # labelled_picture.cpp: 4 px between tiles, the header row of head labels


def colour_table(name):
    text = open(os.path.join(base.ROOT, "core", "render", "colormap_tables.cpp")).read()
    block = text.split("k_" + name + " = ")[1].split("}};")[0]
    return np.array([[int(v) for v in m] for m in re.findall(r"\{(\d+), (\d+), (\d+)\}", block)])


def lookup(t, table):
    return base.viridis(t, table)  # the same interpolation between entries, any table


def setup(work):
    torch.manual_seed(11)
    model = base.TinyEncoder().eval()
    ids = torch.tensor([[3, 9, 4, 12, 7, 2], [5, 6, 8, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    tokens = [["[CLS]", "a", "dog", "ran", "off", "[SEP]"], ["[CLS]", "yes", "[SEP]", "[PAD]", "[PAD]", "[PAD]"]]
    with torch.no_grad():
        attentions = model(ids, mask)
    f32, bf16 = os.path.join(work, "views.safetensors"), os.path.join(work, "views_bf16.safetensors")
    attnscope_save.save(f32, attentions, tokens, attention_mask=mask, model="views-encoder")
    attnscope_save.save(bf16, tuple(a.to(torch.bfloat16) for a in attentions), tokens, attention_mask=mask,
                        model="views-encoder", dtype="bfloat16")
    return f32, bf16, torch.stack(attentions).double().numpy(), mask.numpy()


def stats_reference(ref, mask):
    """Per layer x head: entropy and previous-token share, pooled over the real query rows of every
    item, over the real keys (head_stats.h)."""
    layers, b, heads, L, _ = ref.shape
    out = {}
    for l in range(layers):
        for h in range(heads):
            ent, prev = [], []
            for i in range(b):
                real = np.nonzero(mask[i])[0]
                for q in real:
                    row = ref[l, i, h, q, real]
                    ent.append(-sum(w * np.log(w) for w in row if w > 0))
                    if q >= 1 and mask[i, q - 1]:
                        prev.append(ref[l, i, h, q, q - 1])
            out[(l, h)] = (np.mean(ent), np.mean(prev))
    return out


def stats_checks(cli, work, f32, ref, mask):
    dump = os.path.join(work, "views_dump")
    code, _, err = run(cli, "--attentions", f32, "--dump", dump)
    check(code == 0, "--dump exits 0 (%s)" % err.strip()[-200:])
    if code != 0:
        return
    want = stats_reference(ref, mask)
    lines = open(os.path.join(dump, "head_stats.csv")).read().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, l.split(","))) for l in lines[1:]]
    worst = max(max(abs(float(r["entropy"]) - want[(int(r["layer"]), int(r["head"]))][0]),
                    abs(float(r["previous_share"]) - want[(int(r["layer"]), int(r["head"]))][1])) for r in rows)
    check(len(rows) == len(want) and worst < 1e-5,
          "head_stats.csv: entropy and previous-token share of %d heads from their definitions (max diff %.2e)"
          % (len(rows), worst))
    js = json.load(open(os.path.join(dump, "head_stats.json")))["head_stats"]
    jworst = max(abs(e["entropy"] - want[(e["layer"], e["head"])][0]) for e in js)
    check(len(js) == len(want) and jworst < 1e-5, "head_stats.json: the same entropies (max diff %.2e)" % jworst)


def model_view_checks(cli, work, f32, ref):
    from PIL import Image
    maps = os.path.join(work, "views_maps")
    code, _, err = run(cli, "--attentions", f32, "--export-maps", maps, "--export-grid")
    check(code == 0, "--export-grid exits 0 (%s)" % err.strip()[-200:])
    path = os.path.join(maps, "b0_model.png")
    if code != 0 or not os.path.exists(path):
        check(False, "b0_model.png is written")
        return
    pic = np.asarray(Image.open(path).convert("RGB")).astype(int)
    layers, _, heads, L, _ = ref.shape
    cell = 255 // L - 1 + 1  # grid_tiles' thumbnail cells, each with its grid line
    tile = L * cell + 1
    columns = heads + 2  # the heads, the mean, rollout
    check(pic.shape[0] == HEADER + layers * (tile + GAP),
          "the model view has a row per layer (%d px high, %d x %d px tiles)" % (pic.shape[0], tile, tile))
    left = pic.shape[1] - columns * (tile + GAP)
    x0, y0 = left + 3 * (tile + GAP), HEADER + 1 * (tile + GAP)
    table, worst = colour_table("viridis"), 0
    for q in range(L):
        for k in range(L):
            c = pic[y0 + 1 + q * cell + cell // 2, x0 + 1 + k * cell + cell // 2]
            worst = max(worst, int(np.abs(c - lookup(float(ref[1, 0, 3, q, k]), table)).max()))
    check(worst <= 2, "the model view's layer 1, head 3 tile shows torch's weights (worst cell %d/255)" % worst)


def pane_checks(cli, work, f32, bf16, ref, mask):
    from PIL import Image
    cool = colour_table("coolwarm")
    roll = base.rollout_reference(ref, mask)
    cases = [
        ("heads", ["--pane-a", "l0_b0_h1", "--pane-b", "l1_b0_h1"], ref[0, 0, 1], ref[1, 0, 1]),
        ("rollout", ["--pane-a", "l1_b0_rollout", "--pane-b", "l1_b0_mean"], roll[0], ref[1, 0].mean(axis=0)),
        ("items", ["--pane-a", "l0_b0_h0", "--pane-b", "l0_b1_h0"], ref[0, 0, 0], ref[0, 1, 0]),
    ]
    for name, args, a, b in cases:
        out = os.path.join(work, "panes_" + name)
        code, _, err = run(cli, "--attentions", f32, "--export-panes", out, *args)
        check(code == 0, "%s: --export-panes exits 0 (%s)" % (name, err.strip()[-200:]))
        if code != 0:
            continue
        panes = json.load(open(os.path.join(out, "panes.json")))
        d = panes["difference"]
        got = np.load(os.path.join(out, d["values"]))
        want = a - b
        m = float(np.abs(want).max())
        diff = float(np.abs(got - want).max())
        check(diff < 1e-5, "%s: %s is torch's A - B (max diff %.2e)" % (name, d["values"], diff))
        pa = float(np.abs(np.load(os.path.join(out, panes["a"]["values"])) - a).max())
        check(pa < 1e-5, "%s: pane A's values are torch's (max diff %.2e)" % (name, pa))
        check(abs(d["max_abs"] - m) < 1e-5 and abs(d["range"][0] + m) < 1e-5 and abs(d["range"][1] - m) < 1e-5,
              "%s: the difference's range is [-m, m], m = max |A - B| = %.4f (got %s)" % (name, m, d["range"]))
        pic = np.asarray(Image.open(os.path.join(out, d["file"])).convert("RGB")).astype(int)
        cell = (d["map_width"] - 1) // want.shape[1]
        pad = [k for k in range(want.shape[1]) if not (mask[0, k] and (name != "items" or mask[1, k]))]
        worst = 0
        for q in range(want.shape[0]):
            for k in range(want.shape[1]):
                if k in pad:
                    continue  # hatched
                c = pic[d["map_y"] + 1 + q * cell + cell // 2, d["map_x"] + 1 + k * cell + cell // 2]
                worst = max(worst, int(np.abs(c - lookup((want[q, k] + m) / (2 * m), cool)).max()))
        check(worst <= 2, "%s: the difference picture is coolwarm of A - B over [-m, m] (worst cell %d/255)"
              % (name, worst))
        # side_by_side.png: both panes, then the difference picture at its right end, unchanged.
        row = np.asarray(Image.open(os.path.join(out, panes["side_by_side"])).convert("RGB")).astype(int)
        check(row.shape[1] > pic.shape[1] + panes["a"]["width"] + panes["b"]["width"]
              and np.array_equal(row[:pic.shape[0], row.shape[1] - pic.shape[1]:], pic),
              "%s: side_by_side.png holds both panes and the difference (%d x %d px)" % (name, row.shape[1],
                                                                                      row.shape[0]))

    out = os.path.join(work, "panes_bf16")
    code, _, err = run(cli, "--attentions", f32, "--export-panes", out, "--pane-a", "l1_b0_h2",
                       "--b-attentions", bf16)
    check(code == 0, "--b-attentions exits 0 (%s)" % err.strip()[-200:])
    if code == 0:
        d = json.load(open(os.path.join(out, "panes.json")))["difference"]
        a = torch.tensor(ref[1, 0, 2], dtype=torch.float32)
        want = (a - a.to(torch.bfloat16).float()).numpy()
        diff = float(np.abs(np.load(os.path.join(out, d["values"])) - want).max())
        check(diff < 1e-7 and 0 < d["max_abs"] < 4e-3,
              "float32 - bfloat16 file: the difference is torch's bfloat16 rounding (max |d| %.2e, off by %.1e)"
              % (d["max_abs"], diff))


def patch_pane_checks(cli, work):
    """ViT-style [CLS] + 2 x 3 patches: the difference of two [CLS] rows over the patch grid."""
    from PIL import Image
    photo = os.path.join(work, "views_photo.png")
    Image.fromarray(np.full((30, 45, 3), 120, dtype=np.uint8)).save(photo)
    torch.manual_seed(4)
    att = torch.softmax(torch.randn(2, 1, 3, 7, 7), dim=-1)
    path = os.path.join(work, "views_vit.safetensors")
    attnscope_save.save(path, tuple(att), patch_grid=(2, 3), image=photo, model="views-vit")
    out = os.path.join(work, "panes_vit")
    code, _, err = run(cli, "--attentions", path, "--export-panes", out, "--pane-a", "l0_b0_h1_t0", "--pane-b",
                       "l1_b0_h2_t0")
    check(code == 0, "patches: --export-panes exits 0 (%s)" % err.strip()[-200:])
    if code != 0:
        return
    d = json.load(open(os.path.join(out, "panes.json")))["difference"]
    want = (att[0, 0, 1, 0, 1:] - att[1, 0, 2, 0, 1:]).reshape(2, 3).double().numpy()
    got = np.load(os.path.join(out, d["values"]))
    diff = float(np.abs(got - want).max()) if got.shape == want.shape else float("inf")
    check(diff < 1e-6 and abs(d["max_abs"] - np.abs(want).max()) < 1e-6,
          "patches: the difference of two [CLS] rows is torch's, on the 2 x 3 grid (max diff %.2e)" % diff)


def seed_mask_fill_checks(cli, work):
    pad = np.zeros((3, 5), dtype=np.uint8)
    pad[1, :] = 1  # item 1: every key padding
    pad[0, 3:] = 1
    pad_path = os.path.join(work, "pad.npy")
    np.save(pad_path, pad)
    out = os.path.join(work, "panes_fill")
    p = subprocess.run([cli, "run", "--module", "torch-mha", "--emb-dim", "8", "--heads", "2", "--pad-mask", pad_path,
                        "--mask-fill", "-1e9", "--export-panes", out, "--pane-a", "b1_h0", "--b-mask-fill", "-inf"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "torch-mha -1e9 against -inf: exit 0 (%s)" % p.stderr.strip()[-200:])
    if p.returncode != 0:
        return
    panes = json.load(open(os.path.join(out, "panes.json")))
    a = np.load(os.path.join(out, panes["a"]["values"]))
    b = np.load(os.path.join(out, panes["b"]["values"]))
    uniform = torch.softmax(torch.full((5, 5), -1e9), dim=-1).numpy()
    nan = torch.softmax(torch.full((5, 5), float("-inf")), dim=-1).numpy()
    check(np.allclose(a, uniform, atol=1e-6), "-1e9 pane: torch's softmax of equal -1e9 scores (uniform 1/5)")
    check(np.isnan(nan).all() and np.isnan(b).all(), "-inf pane: NaN everywhere, as torch's softmax of -inf")
    check(panes["difference"]["nan_cells"] == 25 and "-1e9" in panes["a"]["label"] and "-inf" in panes["b"]["label"],
          "the difference is NaN in all 25 cells and the panes name their settings (%s | %s)"
          % (panes["a"]["label"], panes["b"]["label"]))


def svg_checks(cli, work, f32):
    xmllint = shutil.which("xmllint")
    if not xmllint:
        print("skip: no xmllint (apt-get install libxml2-utils) for the SVG checks")
        return
    maps, panes = os.path.join(work, "svg_maps"), os.path.join(work, "svg_panes")
    code, _, err = run(cli, "--attentions", f32, "--format", "svg", "--export-maps", maps, "--export-grid", "--query",
                       "2", "--export-panes", panes, "--pane-a", "l0_b0_h1", "--pane-b", "l1_b0_h1")
    check(code == 0, "SVG exports exit 0 (%s)" % err.strip()[-200:])
    if code != 0:
        return
    files = [os.path.join(d, f) for d in (maps, panes) for f in sorted(os.listdir(d)) if f.endswith(".svg")]
    bad = [f for f in files if subprocess.run([xmllint, "--noout", f], capture_output=True).returncode != 0]
    side = os.path.join(panes, "side_by_side.svg")
    text = open(side).read() if os.path.exists(side) else ""
    ids = re.findall(r'id="([^"]*)"', text)
    check(text.count("<svg") == 4 and len(ids) == len(set(ids)),
          "side_by_side.svg nests the two panes and the difference, each with its own ids (%d)" % len(ids))
    check(len(files) > 40 and not bad and any(f.endswith("_lines.svg") for f in files)
          and os.path.exists(os.path.join(maps, "b0_model.svg")),
          "%d SVG files (model view, head views, panes) parse with xmllint%s" % (len(files), (": " + bad[0]) if bad
                                                                               else ""))


def numpy_only_checks(cli, work):
    path = os.path.join(work, "numpy_only.safetensors")
    script = ("import sys; sys.modules['torch'] = None; sys.path.insert(0, %r)\n"
              "import numpy as np, attnscope_save\n"
              "rng = np.random.default_rng(5); s = rng.normal(size=(3, 1, 2, 4, 4))\n"
              "w = np.exp(s) / np.exp(s).sum(-1, keepdims=True)\n"
              "np.save(%r, w.astype(np.float32))\n"
              "attnscope_save.save(%r, tuple(w[l] for l in range(3)), ['a', 'b', 'c', 'd'])\n"
              % (os.path.join(base.ROOT, "app", "python"), path + ".npy", path))
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "save() works with numpy alone, torch unimportable (%s)" % p.stderr.strip()[-200:])
    if p.returncode != 0:
        return
    umask = os.umask(0)
    os.umask(umask)
    check(os.stat(path).st_mode & 0o777 == 0o666 & ~umask,
          "the saved file has the mode of a plain open() (%o)" % (os.stat(path).st_mode & 0o777))
    dump = os.path.join(work, "numpy_only_dump")
    code, _, err = run(cli, "--attentions", path, "--dump", dump)
    got = np.load(os.path.join(dump, "attentions.npy")) if code == 0 else None
    check(got is not None and np.array_equal(got, np.load(path + ".npy")),
          "a numpy-only file reads back exactly (%s)" % err.strip()[-200:])
    try:
        attnscope_save.save(os.path.join(work, "none.safetensors"), (None, None), ["a"])
        check(False, "save() refuses transformers' None attentions")
    except ValueError as e:
        check("eager" in str(e) and not os.path.exists(os.path.join(work, "none.safetensors")),
              "save() refuses None attentions (SDPA) and says what to do: %s" % e)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="attnscope_views_")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    f32, bf16, ref, mask = setup(work)
    stats_checks(a.cli, work, f32, ref, mask)
    model_view_checks(a.cli, work, f32, ref)
    pane_checks(a.cli, work, f32, bf16, ref, mask)
    patch_pane_checks(a.cli, work)
    seed_mask_fill_checks(a.cli, work)
    svg_checks(a.cli, work, f32)
    numpy_only_checks(a.cli, work)
    if base.FAILURES:
        print("FAILED: %d checks" % len(base.FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
