#!/usr/bin/python3
"""The desktop app's mask lab against torch: each case written by the lab's "Save for torch"
(app/gui/mask_lab.h: weights.safetensors, x.npy, the masks, <case>_weights.npy, cases.json) run
through torch's own nn.MultiheadAttention, from the equations of its documentation:

  key_padding   mha(x, x, x, key_padding_mask=pad)                 True = padding = masked
  attn_mask     mha(x, x, x, attn_mask=attn_mask)                  bool: True = not allowed
  both          mha(x, x, x, key_padding_mask=pad, attn_mask=...)  merged by torch itself
  full_row_inf  the same with the batch padded on the left: rows with no key left are NaN
  full_row_1e9  the seed's -1e9 fill, given to torch as the float mask its fill stands for:
                zeros.masked_fill(attn_mask | pad[b], -1e9), one per batch item and head
                ([b*heads, L, S]), no key_padding_mask: rows with no key left are uniform
  float_01      attn_mask.float() (1.0 where the bool said "not allowed"): ADDED by torch

The weights must match within 1e-5 and be NaN exactly where torch's are.

  mask_lab_compare.py DIR    -> exit 0 when every case matches, 1 when one does not, 77 when torch
                                cannot be imported (ctest's SKIP_RETURN_CODE)
"""
import json
import os
import sys

try:
    import numpy as np
    import torch
except Exception:
    print("SKIPPED: torch not available to /usr/bin/python3")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import seed_modules  # noqa: E402
import st_io  # noqa: E402

TOLERANCE = 1e-5  # float32 softmax of [L, S] scores computed in a different order


def torch_weights(folder, spec, config):
    heads = config["heads"]
    mha = seed_modules.make_torch_mha(config["emb_dim"], heads)
    state = st_io.load_torch(os.path.join(folder, "weights.safetensors"))
    state = {k: v for k, v in state.items() if k != "embedding.weight"}  # the sentences' table
    mha.load_state_dict(state)

    def load(name):
        return torch.from_numpy(np.load(os.path.join(folder, name))) if name else None

    x = load(spec["x"]).float()
    pad = load(spec["pad_mask"])
    attn = load(spec["attn_mask"])
    pad = pad.bool() if pad is not None else None
    if attn is not None and attn.dtype != torch.float32:
        attn = attn.bool()
    if attn is not None and spec["attn_mask_as"] == "float01":
        attn = attn.float()
    if spec["fill"] == "-1e9":
        # The -1e9 the seed fills with, as the additive float mask it amounts to.
        b, L = x.shape[0], x.shape[1]
        blocked = torch.zeros(b, heads, L, L, dtype=torch.bool)
        if attn is not None:
            blocked |= attn.bool().reshape(-1, L, L).expand(b * heads, L, L).reshape(b, heads, L, L)
        if pad is not None:
            blocked |= pad.view(b, 1, 1, L)
        attn = torch.zeros(b, heads, L, L).masked_fill(blocked, -1e9).reshape(b * heads, L, L)
        pad = None
    _, w = seed_modules.run_torch_mha(mha, x, None, pad, attn)
    return w.numpy()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    folder = sys.argv[1]
    with open(os.path.join(folder, "cases.json"), encoding="utf-8") as f:
        config = json.load(f)
    failed = False
    for spec in config["cases"]:
        want = torch_weights(folder, spec, config)
        got = np.load(os.path.join(folder, spec["weights"]))
        problem = ""
        if got.shape != want.shape:
            problem = "shape %s, torch %s" % (got.shape, want.shape)
        elif not np.array_equal(np.isnan(got), np.isnan(want)):
            problem = "NaN at %d cells, torch at %d" % (np.isnan(got).sum(), np.isnan(want).sum())
        else:
            finite = ~np.isnan(want)
            diff = float(np.max(np.abs(got[finite] - want[finite]))) if finite.any() else 0.0
            if diff > TOLERANCE:
                problem = "max |diff| %.3g > %g" % (diff, TOLERANCE)
        nan_rows = int(np.isnan(want).all(axis=-1).sum())
        uniform = int(np.all(np.abs(want - 1.0 / want.shape[-1]) < 1e-6, axis=-1).sum())
        line = "%-13s %-28s torch: %d NaN rows, %d uniform rows" % (spec["id"], spec["title"], nan_rows, uniform)
        if problem:
            failed = True
            print("FAIL", line, "--", problem)
        else:
            finite = ~np.isnan(want)
            diff = float(np.max(np.abs(got[finite] - want[finite]))) if finite.any() else 0.0
            print("ok  ", line, "max |diff| %.2e" % diff)
    # What the lab is there to show must also be what torch shows.
    ids = {s["id"]: s for s in config["cases"]}
    if "full_row_inf" in ids and not np.isnan(np.load(os.path.join(folder, "full_row_inf_weights.npy"))).any():
        print("FAIL the left-padded causal batch has no fully masked row to show")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
