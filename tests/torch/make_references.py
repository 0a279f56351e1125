"""Writes the committed reference cases to tests/data/reference/<case>/.

Run from anywhere:  /usr/bin/python3 tests/torch/make_references.py [--out DIR]

Each case folder holds
  config.json          {"module", "emb_dim", "heads", "in_channels" (cross modules only),
                        "scale", "mask_fill", "seed", "note"}
  x.npy                float32: self/multihead/torch-mha [b, seq, emb]; cross modules [b, c, h, w]
  context.npy          float32 [b, seq, emb] (cross modules, torch-mha cross cases)
  pad_mask.npy         bool [b, seq_k], true = padding (absent: no mask)
  weights.safetensors  the module's state_dict, F32
  output.npy           float32, the module's output
  attn.npy             float32 att_weights: self [b, seq, seq]; multihead [b, heads, seq, seq];
                       cross [b, h*w, seq]; cross-multihead [b, heads, h*w, seq];
                       torch-mha [b, heads, L, S]
Every case starts from torch.manual_seed(seed): the module is built (PyTorch's default init),
then x, context are drawn from randn. nn.MultiheadAttention zeroes its biases at init; the
reference cases then draw them from U(-0.5, 0.5) so that the engine's bias handling is tested.
"""

import argparse
import json
import os
import shutil
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import seed_modules  # noqa: E402
import st_io  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "data", "reference")

# Padding masks, true = padding, as input_ids.eq(0) gives them.
T, F_ = True, False
SEED_MASK = [[F_, F_, F_, F_, T], [F_, F_, F_, T, T], [F_, F_, F_, F_, T]]  # the seed's input_ids

# name, module, emb_dim, heads, in_channels, b, seq (query length / image (h, w)), seq_k,
# mask (None or [b][seq_k]), scale, mask_fill, note
CASES = [
    # --- SelfAttention ---
    dict(name="self_b1_nomask", module="self", emb=8, b=1, seq=5,
         note="single item, no mask"),
    dict(name="self_b3_seedmask", module="self", emb=16, b=3, seq=5, mask=SEED_MASK,
         note="the seed's input_ids padding pattern (last key, last two, last), -1e9"),
    dict(name="self_b2_fullpad_1e9", module="self", emb=8, b=2, seq=4, mask_fill="-1e9",
         mask=[[F_, F_, T, T], [T, T, T, T]],
         note="item 1 is padding throughout: with -1e9 its attention rows are uniform (1/seq)"),
    dict(name="self_b2_fullpad_inf", module="self", emb=8, b=2, seq=4, mask_fill="-inf",
         mask=[[F_, F_, T, T], [T, T, T, T]],
         note="item 1 is padding throughout: with -inf its attn and output are NaN"),
    dict(name="self_b3_mask_inf", module="self", emb=16, b=3, seq=5, mask=SEED_MASK,
         mask_fill="-inf", note="partial padding with -inf: masked keys get weight exactly 0"),
    dict(name="self_b2_scale_0p3", module="self", emb=16, b=2, seq=6, scale="0.3",
         mask=[[F_] * 6, [F_, F_, F_, F_, T, T]], note="scores multiplied by 0.3"),
    # --- MultiHeadAttention ---
    dict(name="multihead_h1_b2_mask", module="multihead", emb=8, heads=1, b=2, seq=4,
         mask=[[F_, F_, F_, T], [F_, T, T, T]], note="one head: equals SelfAttention's maths"),
    dict(name="multihead_h2_b1_nomask", module="multihead", emb=8, heads=2, b=1, seq=5,
         note="two heads, no mask"),
    dict(name="multihead_h4_b3_seedmask", module="multihead", emb=16, heads=4, b=3, seq=5,
         mask=SEED_MASK, note="the seed's mask, repeated over 4 heads"),
    dict(name="multihead_h8_b3_seedmask", module="multihead", emb=32, heads=8, b=3, seq=5,
         mask=SEED_MASK, mask_fill="-1e9", note="the seed's 8 heads (emb 32, depth 4)"),
    dict(name="multihead_h4_b3_fullpad_1e9", module="multihead", emb=16, heads=4, b=3, seq=5,
         mask=[[F_, F_, F_, F_, T], [T] * 5, [F_, F_, T, T, T]],
         note="item 1 is padding throughout: uniform rows in every head"),
    dict(name="multihead_h4_b3_fullpad_inf", module="multihead", emb=16, heads=4, b=3, seq=5,
         mask_fill="-inf", mask=[[F_, F_, F_, F_, T], [T] * 5, [F_, F_, T, T, T]],
         note="item 1 is padding throughout: NaN in every head and in its output"),
    dict(name="multihead_h2_b2_scale_emb", module="multihead", emb=16, heads=2, b=2, seq=4,
         scale="emb", mask=[[F_, F_, F_, T], [F_] * 4], note="emb_dim ** -0.5 instead of depth"),
    dict(name="multihead_h8_b2_scale_0p3", module="multihead", emb=32, heads=8, b=2, seq=3,
         scale="0.3", note="scores multiplied by 0.3, no mask"),
    dict(name="multihead_h4_b1_scale_depth", module="multihead", emb=16, heads=4, b=1, seq=6,
         scale="depth", mask=[[F_, F_, F_, F_, T, T]], note="explicit depth scale (= module's)"),
    # --- CrossAttention ---
    dict(name="cross_c3_7x5_b2_mask", module="cross", emb=16, in_ch=3, b=2, img=(7, 5), seq=5,
         mask=[[F_, F_, F_, T, T], [F_] * 5], note="odd image 7x5, mask expanded to [b, h*w, seq]"),
    dict(name="cross_c1_5x7_b1_nomask", module="cross", emb=8, in_ch=1, b=1, img=(5, 7), seq=4,
         note="one channel, 5x7 image, no mask"),
    dict(name="cross_c4_3x3_b3_fullpad_1e9", module="cross", emb=8, in_ch=4, b=3, img=(3, 3),
         seq=4, mask_fill="-1e9", mask=[[F_, F_, F_, T], [T] * 4, [F_, T, T, T]],
         note="item 1's text is padding throughout: uniform rows"),
    dict(name="cross_c4_3x3_b3_fullpad_inf", module="cross", emb=8, in_ch=4, b=3, img=(3, 3),
         seq=4, mask_fill="-inf", mask=[[F_, F_, F_, T], [T] * 4, [F_, T, T, T]],
         note="item 1's text is padding throughout: NaN attn and a NaN output image"),
    dict(name="cross_c3_4x6_b2_scale_0p3", module="cross", emb=16, in_ch=3, b=2, img=(4, 6),
         seq=3, scale="0.3", mask=[[F_, F_, T], [F_, F_, F_]], note="scores multiplied by 0.3"),
    # --- CrossMultiAttention ---
    dict(name="crossmh_h2_c3_7x5_b2_mask", module="cross-multihead", emb=16, heads=2, in_ch=3,
         b=2, img=(7, 5), seq=5, mask=[[F_, F_, F_, T, T], [F_, F_, F_, F_, T]],
         note="odd image 7x5, scale emb_dim ** -0.5 as the seed writes it"),
    dict(name="crossmh_h4_c1_5x7_b3_nomask", module="cross-multihead", emb=16, heads=4, in_ch=1,
         b=3, img=(5, 7), seq=4, note="one channel, 5x7 image, no mask"),
    dict(name="crossmh_h8_c4_b2_fullpad_1e9", module="cross-multihead", emb=32, heads=8, in_ch=4,
         b=2, img=(3, 5), seq=5, mask_fill="-1e9", mask=[[T] * 5, [F_, F_, T, T, T]],
         note="item 0 padding throughout: uniform rows in all 8 heads"),
    dict(name="crossmh_h4_c3_b2_fullpad_inf", module="cross-multihead", emb=16, heads=4, in_ch=3,
         b=2, img=(5, 3), seq=4, mask_fill="-inf", mask=[[F_, F_, T, T], [T] * 4],
         note="item 1 padding throughout: NaN in all heads and a NaN output image"),
    dict(name="crossmh_h1_c3_b1_mask", module="cross-multihead", emb=8, heads=1, in_ch=3, b=1,
         img=(4, 4), seq=3, mask=[[F_, F_, T]], note="one head"),
    dict(name="crossmh_h4_c3_b2_scale_depth", module="cross-multihead", emb=16, heads=4,
         in_ch=3, b=2, img=(3, 4), seq=5, scale="depth", mask=SEED_MASK[:2],
         note="depth ** -0.5 (the usual choice) instead of the seed's emb_dim ** -0.5"),
    dict(name="crossmh_h2_c4_b3_scale_0p3_inf", module="cross-multihead", emb=8, heads=2, in_ch=4,
         b=3, img=(2, 3), seq=5, scale="0.3", mask_fill="-inf", mask=SEED_MASK,
         note="0.3 with -inf and partial padding"),
    # --- nn.MultiheadAttention (key_padding_mask, fills with -inf) ---
    dict(name="torchmha_self_h1_b1_nomask", module="torch-mha", emb=8, heads=1, b=1, seq=5,
         note="self-attention (query = key = value = x), one head"),
    dict(name="torchmha_self_h2_b2_mask", module="torch-mha", emb=8, heads=2, b=2, seq=4,
         mask=[[F_, F_, F_, T], [F_, T, T, T]], note="self-attention with key_padding_mask"),
    dict(name="torchmha_self_h4_b3_fullpad", module="torch-mha", emb=16, heads=4, b=3, seq=5,
         mask=[[F_, F_, F_, F_, T], [T] * 5, [F_, F_, T, T, T]],
         note="item 1 padding throughout: PyTorch gives NaN weights and output"),
    dict(name="torchmha_self_h8_b3_seedmask", module="torch-mha", emb=32, heads=8, b=3, seq=5,
         mask=SEED_MASK, note="the seed's sizes scaled down: 8 heads, the seed's mask"),
    dict(name="torchmha_cross_h4_b2_L6_S4_mask", module="torch-mha", emb=16, heads=4, b=2, seq=6,
         seq_k=4, mask=[[F_, F_, F_, T], [F_, F_, F_, F_]],
         note="cross-attention: query x [b, 6, emb], key = value = context [b, 4, emb]"),
    dict(name="torchmha_cross_h8_b3_L3_S7_fullpad", module="torch-mha", emb=32, heads=8, b=3,
         seq=3, seq_k=7, mask=[[F_] * 5 + [T, T], [F_] * 7, [T] * 7],
         note="cross-attention, item 2's context padding throughout: NaN"),
    dict(name="torchmha_cross_h1_b1_L2_S5_nomask", module="torch-mha", emb=8, heads=1, b=1,
         seq=2, seq_k=5, note="cross-attention, one head, no mask"),
]


def make_case(case, seed):
    """Builds the module and inputs of one case; returns (config, arrays, state_dict)."""
    kind = case["module"]
    emb = case["emb"]
    heads = case.get("heads", 1)
    in_ch = case.get("in_ch", 3)
    b = case["b"]
    scale = case.get("scale", "module")
    mask_fill = case.get("mask_fill", "module")

    torch.manual_seed(seed)
    module = seed_modules.build_module(kind, emb, heads, in_ch, scale, mask_fill)
    if kind == "torch-mha":
        with torch.no_grad():
            module.in_proj_bias.uniform_(-0.5, 0.5)
            module.out_proj.bias.uniform_(-0.5, 0.5)

    context = None
    if kind in ("cross", "cross-multihead"):
        h, w = case["img"]
        x = torch.randn(b, in_ch, h, w)
        context = torch.randn(b, case["seq"], emb)
        seq_k = case["seq"]
    else:
        x = torch.randn(b, case["seq"], emb)
        seq_k = case.get("seq_k")
        if seq_k is not None:
            context = torch.randn(b, seq_k, emb)
        else:
            seq_k = case["seq"]

    pad_mask = None
    if case.get("mask") is not None:
        pad_mask = torch.tensor(case["mask"], dtype=torch.bool)
        assert tuple(pad_mask.shape) == (b, seq_k), case["name"] + ": mask shape"

    output, attn = seed_modules.run_module(kind, module, x, context, pad_mask)

    config = {"module": kind, "emb_dim": emb,
              "heads": heads if kind in ("multihead", "cross-multihead", "torch-mha") else 1}
    if kind in ("cross", "cross-multihead"):
        config["in_channels"] = in_ch
    config.update({"scale": scale, "mask_fill": mask_fill, "seed": seed, "note": case["note"]})

    arrays = {"x": x, "output": output, "attn": attn}
    if context is not None:
        arrays["context"] = context
    arrays = {k: v.detach().numpy().astype(np.float32) for k, v in arrays.items()}
    if pad_mask is not None:
        arrays["pad_mask"] = pad_mask.numpy().astype(np.bool_)
    return config, arrays, module.state_dict()


def expected_attn_shape(config, arrays):
    kind, x = config["module"], arrays["x"]
    b = x.shape[0]
    seq_k = arrays["context"].shape[1] if "context" in arrays else x.shape[1]
    if kind == "self":
        return (b, x.shape[1], seq_k)
    if kind in ("multihead", "torch-mha"):
        return (b, config["heads"], x.shape[1], seq_k)
    hw = x.shape[2] * x.shape[3]
    if kind == "cross":
        return (b, hw, seq_k)
    return (b, config["heads"], hw, seq_k)


def check_case(name, config, arrays):
    """Sanity checks on what is about to be written: shapes, NaN exactly where expected."""
    x, out, attn = arrays["x"], arrays["output"], arrays["attn"]
    assert attn.shape == expected_attn_shape(config, arrays), (name, attn.shape)
    assert out.shape == x.shape, (name, out.shape, x.shape)  # proj_out maps back to c channels
    mask = arrays.get("pad_mask")
    full = np.zeros(x.shape[0], dtype=bool) if mask is None else mask.all(axis=1)
    neg_inf = config["mask_fill"] == "-inf" or config["module"] == "torch-mha"
    for i in range(x.shape[0]):
        nan_attn = np.isnan(attn[i])
        nan_out = np.isnan(out[i])
        if full[i] and neg_inf:
            assert nan_attn.all() and nan_out.all(), name + ": fully padded row must be NaN"
        else:
            assert not nan_attn.any() and not nan_out.any(), name + ": unexpected NaN"
            rows = attn[i].sum(axis=-1)
            assert np.allclose(rows, 1.0, atol=1e-5), name + ": rows must sum to 1"
            if full[i]:  # -1e9: uniform
                assert np.allclose(attn[i], 1.0 / mask.shape[1], atol=1e-7), name + ": not uniform"
            elif mask is not None:
                assert (attn[i][..., mask[i]] == 0).all(), name + ": masked keys must get 0"


def case_seed(name):
    """A seed that depends only on the case's name, so adding a case changes no other."""
    return zlib.crc32(name.encode("utf-8")) % 100000


def write_case(out_dir, case):
    name = case["name"]
    seed = case_seed(name)
    config, arrays, state = make_case(case, seed)
    check_case(name, config, arrays)

    folder = os.path.join(out_dir, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for key, arr in arrays.items():
        np.save(os.path.join(folder, key + ".npy"), arr)
    st_io.save(os.path.join(folder, "weights.safetensors"), state,
               metadata={"module": config["module"], "format": "pt"})
    return config, arrays


README_HEAD = """# Reference cases

Each folder is one forward pass of a PyTorch module: the seed article's four modules
(`tests/torch/seed_modules.py`, written exactly as the seed computes) or PyTorch's own
`nn.MultiheadAttention`, computed in float32 on the CPU with torch 1.13. The unit test
`tests/unit/test_reference.cpp` runs the engine on every folder and compares (same shape, NaN
exactly where PyTorch has NaN, elsewhere max |diff| <= 1e-4).

Regenerate (this rewrites every case folder; the numbers depend only on the seeds and on
torch 1.13's CPU kernels, run single-threaded):

    /usr/bin/python3 tests/torch/make_references.py

## Files of a case

| file | content |
|---|---|
| `config.json` | `module` (self, multihead, cross, cross-multihead, torch-mha), `emb_dim`, `heads` (1 for the single-head modules), `in_channels` (cross modules only), `scale` (module, depth, emb or a number), `mask_fill` (module, -1e9, -inf), `seed` (torch.manual_seed of the case), `note` |
| `x.npy` | float32; self, multihead, torch-mha `[b, seq, emb]`; cross modules `[b, c, h, w]` |
| `context.npy` | float32 `[b, seq, emb]`: cross modules, and torch-mha cross-attention (key = value = context) |
| `pad_mask.npy` | bool `[b, seq_k]`, true = padding (`input_ids.eq(0)`); absent = no mask |
| `weights.safetensors` | the module's `state_dict`, F32 (`Wq.weight`, `fc.bias`, `proj_in.weight` `[emb, c, 1, 1]`, `in_proj_weight`...) |
| `output.npy` | float32, the module's output: `[b, seq, emb]` or `[b, c, h, w]` |
| `attn.npy` | float32 `att_weights`: self `[b, seq, seq]`; multihead `[b, heads, seq, seq]`; cross `[b, h*w, seq]`; cross-multihead `[b, heads, h*w, seq]`; torch-mha `[b, heads, L, S]` |

Inputs are `torch.randn` after `torch.manual_seed(seed)` and the module's default init.
nn.MultiheadAttention zeroes its biases at init; these cases redraw them from U(-0.5, 0.5) so
that the engine's bias handling is tested. nn.MultiheadAttention is called in eval mode under
`torch.no_grad()` with `key_padding_mask`, `need_weights=True`, `average_attn_weights=False`.

NaN: with `-inf` (and always in nn.MultiheadAttention) a batch item whose `pad_mask` is true
throughout gets NaN attention weights in every row and head and a NaN output; the files keep
those NaN. With `-1e9` the same item gets uniform rows (1/seq_k).

## Cases

| case | module | emb | heads | c | b | x shape | seq_k | mask | scale | fill | note |
|---|---|---|---|---|---|---|---|---|---|---|---|
"""


def mask_text(mask):
    if mask is None:
        return "none"
    rows = ["".join("1" if v else "0" for v in row) for row in mask]
    return " ".join(rows)


def write_readme(out_dir, written):
    lines = [README_HEAD.rstrip("\n")]
    for case, (config, arrays) in written:
        mask = arrays.get("pad_mask")
        seq_k = arrays["context"].shape[1] if "context" in arrays else arrays["x"].shape[1]
        lines.append("| `%s` | %s | %d | %d | %s | %d | %s | %d | %s | %s | %s | %s |" % (
            case["name"], config["module"], config["emb_dim"], config["heads"],
            config.get("in_channels", "-"), arrays["x"].shape[0],
            "x".join(str(d) for d in arrays["x"].shape), seq_k,
            mask_text(mask.tolist() if mask is not None else None), config["scale"],
            config["mask_fill"], config["note"]))
    lines.append("")
    lines.append("Mask column: one group per batch item, 1 = padding.")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="folder of the cases (default: %(default)s)")
    args = parser.parse_args()

    torch.set_num_threads(1)  # the same summation order on every machine we run it on
    os.makedirs(args.out, exist_ok=True)
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names), "case names must be unique"
    # Case folders that are no longer in CASES go away (only folders that look like cases).
    for entry in sorted(os.listdir(args.out)):
        path = os.path.join(args.out, entry)
        if entry not in names and os.path.isfile(os.path.join(path, "config.json")):
            shutil.rmtree(path)

    written = []
    total = 0
    for case in CASES:
        config, arrays = write_case(args.out, case)
        written.append((case, (config, arrays)))
        folder = os.path.join(args.out, case["name"])
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        total += size
        nan = int(np.isnan(arrays["attn"]).any(axis=tuple(range(1, arrays["attn"].ndim))).sum())
        print("%-40s attn %-18s output %-16s %6d bytes%s" % (
            case["name"], list(arrays["attn"].shape), list(arrays["output"].shape), size,
            "  (%d NaN item)" % nan if nan else ""))
    write_readme(args.out, written)
    print("%d cases, %.1f KiB in %s" % (len(CASES), total / 1024.0, args.out))


if __name__ == "__main__":
    main()
