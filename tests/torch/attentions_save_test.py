#!/usr/bin/python3
"""app/python/attnscope_save.py with Debian's torch, and attnscope-cli run --attentions on what it
writes, against torch's own numbers:

  1. A small random module in the shape of a transformers encoder (two layers of
     nn.MultiheadAttention with a key padding mask, need_weights per head) gives an
     output_attentions-style tuple of [b, heads, L, L]. save() writes it (float32, float16 and
     torch bfloat16); the CLI dumps it back: attentions.npy equals torch's weights (exactly for
     float32, within the dtype's rounding otherwise), rollout.npy equals a rollout computed here
     from its equations (Abnar & Zuidema 2020), lines.json holds query 2's rows, and the exported
     matrix PNGs show torch's weights cell by cell (viridis of the weight, within 2/255).
  2. Patch tokens over a picture (ViT-style [CLS] + 2 x 3 patches): the [CLS] maps are drawn at
     the picture's size.
  3. Bad files (wrong rank, mismatched token counts, NaN, a missing picture, metadata that is not
     JSON): exit 2 and one line on stderr naming the file and the tensor or field; save() itself
     refuses bad inputs with a ValueError.
Exit 77 (skipped) where /usr/bin/python3 has no torch.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:
    print("SKIP: %s (install python3-torch python3-numpy)" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "app", "python"))
import attnscope_save  # noqa: E402

FAILURES = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        FAILURES.append(what)


def run(cli, *args):
    p = subprocess.run([cli, "run", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


class TinyEncoder(torch.nn.Module):
    """Embeddings and two self-attention layers; forward returns the per-layer weights as
    transformers' output_attentions does: a tuple of [b, heads, L, L]."""

    def __init__(self, vocab=50, dim=16, heads=4, layers=2):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, dim)
        self.layers = torch.nn.ModuleList(
            [torch.nn.MultiheadAttention(dim, heads, batch_first=True) for _ in range(layers)])

    def forward(self, ids, attention_mask):
        x, out = self.emb(ids), []
        for mha in self.layers:
            y, w = mha(x, x, x, key_padding_mask=attention_mask == 0, need_weights=True,
                       average_attn_weights=False)
            x = x + y
            out.append(w)
        return tuple(out)


def rollout_reference(att, mask):
    """att [layers, b, H, L, L], mask [b, L] (1 = token): the rollout up to the last layer, on each
    item's real tokens, 0 elsewhere (the definition core/analysis/rollout.h documents)."""
    layers, b, _, L, _ = att.shape
    out = np.zeros((b, L, L))
    for i in range(b):
        real = np.nonzero(mask[i])[0]
        r = None
        for l in range(layers):
            a = att[l, i].mean(axis=0)[np.ix_(real, real)].astype(np.float64)
            a = 0.5 * a + 0.5 * np.eye(len(real))
            a = a / a.sum(axis=1, keepdims=True)
            r = a if r is None else a @ r
        out[i][np.ix_(real, real)] = r
    return out


def viridis_table():
    text = open(os.path.join(ROOT, "core", "render", "colormap_tables.cpp")).read()
    block = text.split("k_viridis")[1].split("}};")[0]
    return np.array([[int(v) for v in m] for m in re.findall(r"\{(\d+), (\d+), (\d+)\}", block)])


def viridis(w, table):
    pos = min(max(w, 0.0), 1.0) * 255.0
    i = min(int(pos), 254)
    f = pos - i
    return np.floor(table[i] + (table[i + 1] - table[i]) * f + 0.5)


def text_case(cli, work):
    torch.manual_seed(7)
    model = TinyEncoder().eval()
    ids = torch.tensor([[3, 9, 4, 12, 7, 2], [5, 6, 8, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    tokens = [["[CLS]", "the", "cat", "sat", "down", "[SEP]"], ["[CLS]", "hi", "[SEP]", "[PAD]", "[PAD]", "[PAD]"]]
    with torch.no_grad():
        attentions = model(ids, mask)
    ref = torch.stack(attentions).numpy()  # [layers, b, H, L, L]

    for dtype, tol, given in (("float32", 0.0, attentions), ("float16", 5e-4, attentions),
                              ("bfloat16", 4e-3, tuple(a.to(torch.bfloat16) for a in attentions))):
        path = os.path.join(work, "tiny_%s.safetensors" % dtype)
        attnscope_save.save(path, given, tokens, attention_mask=mask, model="tiny-encoder", dtype=dtype)
        dump, maps = os.path.join(work, "dump_" + dtype), os.path.join(work, "maps_" + dtype)
        code, out, err = run(cli, "--attentions", path, "--dump", dump, "--export-maps", maps, "--query", "2")
        check(code == 0, "%s: attnscope-cli run --attentions exits 0 (%s)" % (dtype, err.strip()[-300:]))
        if code != 0:
            continue
        check("tiny-encoder" in out and "[2, 2, 4, 6, 6]" in out, "%s: the summary names the model and shape" % dtype)
        got = np.load(os.path.join(dump, "attentions.npy"))
        diff = float(np.abs(got - ref).max())
        check(got.shape == ref.shape and diff <= tol, "%s: attentions.npy is torch's weights (max diff %.2e, "
              "allowed %.0e)" % (dtype, diff, tol))
        if dtype != "float32":
            continue
        check(np.array_equal(np.load(os.path.join(dump, "attention_mask.npy")), mask.numpy()),
              "attention_mask.npy is the tokenizer's mask")
        roll = np.load(os.path.join(dump, "rollout.npy"))
        rdiff = float(np.abs(roll - rollout_reference(ref, mask.numpy())).max())
        check(rdiff < 1e-5, "rollout.npy equals the rollout from its equations (max diff %.2e)" % rdiff)
        lines = json.load(open(os.path.join(maps, "lines.json")))
        check(len(lines) == 2 * 2 * 5, "lines.json: 2 layers x 2 items x (4 heads + mean) = %d" % len(lines))
        worst = 0.0
        for e in lines:
            if e["head"] == "mean":
                row = ref[e["layer"], e["batch"], :, 2, :].mean(axis=0)
            else:
                row = ref[e["layer"], e["batch"], e["head"], 2, :]
            worst = max(worst, float(np.abs(np.array(e["weights"], dtype=np.float64) - row).max()))
        check(all(os.path.exists(os.path.join(maps, e["file"])) for e in lines), "every head view is written")
        check(worst < 1e-6, "every head view holds query 2's row (max diff %.2e)" % worst)
        check(lines[0]["file"] == "l0_b0_h0_q2_cat_lines.png", "head views are named by map and query: %s"
              % lines[0]["file"])
        # The matrix pictures show torch's weights: cell (q, k) of l1_b0_h3.png is viridis(weight).
        from PIL import Image
        entries = {e["file"]: e for e in json.load(open(os.path.join(maps, "maps.json")))}
        check("l1_b0_h3.png" in entries and "l1_b1_rollout.png" in entries,
              "maps.json lists every layer x head and rollout (%d maps)" % len(entries))
        pic = np.asarray(Image.open(os.path.join(maps, "l1_b0_h3.png")).convert("RGB")).astype(int)
        cell = entries["l1_b0_h3.png"]["cell_px"] + 1
        table, worst_px = viridis_table(), 0
        for q in range(6):
            for k in range(6):
                centre = pic[1 + q * cell + cell // 2, 1 + k * cell + cell // 2]
                worst_px = max(worst_px, int(np.abs(centre - viridis(float(ref[1, 0, 3, q, k]), table)).max()))
        check(worst_px <= 2, "l1_b0_h3.png shows torch's weights (worst cell %d/255)" % worst_px)
    return attentions, tokens, mask


def patch_case(cli, work):
    from PIL import Image
    photo = os.path.join(work, "photo.png")
    Image.fromarray(np.full((30, 40, 3), 180, dtype=np.uint8)).save(photo)
    torch.manual_seed(3)
    att = torch.softmax(torch.randn(2, 1, 3, 7, 7), dim=-1)  # [CLS] + 2 x 3 patches
    path = os.path.join(work, "vit.safetensors")
    attnscope_save.save(path, tuple(att), patch_grid=(2, 3), image=photo, model="tiny-vit")
    maps = os.path.join(work, "maps_vit")
    code, out, err = run(cli, "--attentions", path, "--export-maps", maps, "--query", "4")
    check(code == 0, "patches: exit 0 (%s)" % err.strip()[-300:])
    if code != 0:
        return
    cls = os.path.join(maps, "l1_b0_h2_t0_cls.png")
    check(os.path.exists(cls) and Image.open(cls).size == (40, 30), "[CLS] maps over the picture at its size")
    queries = json.load(open(os.path.join(maps, "queries.json")))
    check(len(queries) == 2 * 4 and queries[0]["file"] == "l0_b0_h0_t4_p3.png",
          "--query 4: its row over the picture for every layer x head and the mean (%s)" % queries[0]["file"])


def header_bytes(header, data=b""):
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def bad_cases(cli, work, attentions, tokens, mask):
    good = os.path.join(work, "good.safetensors")
    attnscope_save.save(good, attentions, tokens, attention_mask=mask)
    raw = open(good, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]

    def variant(name, edit_header=None, edit_data=None):
        h = json.loads(json.dumps(header))
        if edit_header:
            edit_header(h)
        d = edit_data(bytearray(data)) if edit_data else data
        path = os.path.join(work, name + ".safetensors")
        open(path, "wb").write(header_bytes(h, bytes(d)))
        return path

    def rank4(h):
        h["attentions"]["shape"] = [2 * 2, 4, 6, 6]

    def short_tokens(h):
        h["__metadata__"]["tokens"] = json.dumps([t[:5] for t in tokens])

    def nan(d):
        d[16:20] = struct.pack("<f", float("nan"))  # layer 0, item 0 (all real tokens)
        return d

    def not_json(h):
        h["__metadata__"]["tokens"] = "[['the', 'cat'"

    cases = [
        ("wrong_rank", variant("wrong_rank", rank4), ["\"attentions\"", "rank 4", "[layers, b, heads, Lq, Lk]"]),
        ("token_counts", variant("token_counts", short_tokens), ["\"tokens\"", "5 tokens", "Lk = 6"]),
        ("nan", variant("nan", edit_data=nan), ["NaN", "[layer 0, batch 0, head 0, query 0, key 4]"]),
        ("not_json", variant("not_json", not_json), ["\"tokens\" is not JSON"]),
    ]
    vit = os.path.join(work, "vit.safetensors")
    if os.path.exists(vit):
        raw_v = open(vit, "rb").read()
        nv = struct.unpack("<Q", raw_v[:8])[0]
        hv = json.loads(raw_v[8:8 + nv])
        hv["__metadata__"]["image"] = "gone.png"
        path = os.path.join(work, "missing_image.safetensors")
        open(path, "wb").write(header_bytes(hv, raw_v[8 + nv:]))
        cases.append(("missing_image", path, ["\"image\"", "gone.png", "does not exist"]))
    for name, path, parts in cases:
        code, out, err = run(cli, "--attentions", path)
        lines = [l for l in err.splitlines() if l.strip()]
        ok = code == 2 and len(lines) == 1 and os.path.basename(path) in lines[0] and all(p in lines[0] for p in parts)
        check(ok, "%s: exit 2 and one line naming the file and %s (got %d: %s)" % (name, parts[0], code,
                                                                                 " | ".join(lines)[:300]))

    # save() refuses what does not fit before writing anything.
    target = os.path.join(work, "refused.safetensors")
    for what, call in (
            ("rank", lambda: attnscope_save.save(target, (torch.zeros(2, 3, 4),), tokens)),
            ("token counts", lambda: attnscope_save.save(target, attentions, [t[:4] for t in tokens])),
            ("layer shapes", lambda: attnscope_save.save(target, (attentions[0], attentions[1][:, :2]), tokens)),
            ("mask values", lambda: attnscope_save.save(target, attentions, tokens, attention_mask=mask * 2)),
            ("missing image", lambda: attnscope_save.save(target, attentions, tokens, patch_grid="1x5",
                                                          image=os.path.join(work, "nope.png")))):
        try:
            call()
            check(False, "save() refuses bad %s" % what)
        except (ValueError, TypeError) as e:
            check(not os.path.exists(target), "save() refuses bad %s, writing nothing: %s" % (what, e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="attnscope_save_")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    print("torch %s, numpy %s" % (torch.__version__, np.__version__))
    attentions, tokens, mask = text_case(a.cli, work)
    patch_case(a.cli, work)
    bad_cases(a.cli, work, attentions, tokens, mask)
    if FAILURES:
        print("FAILED: %d checks" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
