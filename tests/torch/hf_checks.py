"""What the live comparison (hf_compare.py) checks with: the engine run as a separate process,
its dumps against the PyTorch reference, the invariants of its attention, and the sentences the
tokenizer is compared on."""

import json
import os
import subprocess

import numpy as np
import torch

TOLERANCE = 1e-4  # float32 through a dozen products and LayerNorms, summed in another order
RUN_TIMEOUT_S = 120

SENTENCES = [
    "The cat sat on the mat because it was tired.",
    "Hello, World!",
    "a dog",
    "Café naïve résumé — unbelievable!!",
    "我爱北京天安门。",
    "한국 ΟΔΟΣ İstanbul straße ﬁ ＡＢＣ",
    "e\u0301 and cafe\u0301 (decomposed accents)",
    "control\x00chars\x07 and\u200bzero width\ufeff and \ufffd replacement",
    "tabs\tand\nnew\r\nlines   and\u3000ideographic\u00a0spaces\u2028here",
    "qwertyuiop zxcv unknown words 123 12 1x2",
    "x" * 101 + " long",
    "The [MASK] sat on the [mask] [SEP] [UNK] [PAD]",
    "plays playing played unplayable w12 ¡¿«»…",
    "",
    "   ",
    "ὈΔΥΣΣΕΎΣ Σ ΣΑ",
    "😀 emoji \U0001F44D\U0001F3FD",
]


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        print("%s %s%s" % ("PASS" if ok else "FAIL", name, (": " + detail) if detail else ""))
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def run_engine(exe, folder, out, args):
    cmd = [exe, "--model", folder, "--dump", out] + args
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    return p


def max_diff(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def compare_pass(res, name, out, ref, mask):
    att = np.load(os.path.join(out, "attentions.npy"))
    want = torch.stack(ref["attentions"]).numpy()
    res.check(name + " attentions " + str(list(att.shape)), att.shape == want.shape and max_diff(att, want) <= TOLERANCE,
              "max diff %.2e" % max_diff(att, want))
    last = np.load(os.path.join(out, "last_hidden_state.npy"))
    want = ref["last_hidden_state"].numpy()
    res.check(name + " last_hidden_state " + str(list(last.shape)), max_diff(last, want) <= TOLERANCE,
              "max diff %.2e" % max_diff(last, want))
    norms = np.load(os.path.join(out, "value_norms.npy"))
    want = torch.stack(ref["value_norms"]).numpy()
    res.check(name + " value_norms", max_diff(norms, want) <= TOLERANCE, "max diff %.2e" % max_diff(norms, want))
    # Invariants on the engine's own output.
    res.check(name + " rows sum to 1", float(np.max(np.abs(att.sum(-1) - 1.0))) <= 1e-5)
    if mask is not None:
        pad = (np.asarray(mask) == 0)  # [b, L]
        keys = np.broadcast_to(pad[None, :, None, None, :], att.shape)
        live = np.asarray(mask).sum(1) > 0  # rows of items with a token left to attend to
        sel = keys & np.broadcast_to(live[None, :, None, None, None], att.shape)
        res.check(name + " padded keys exactly 0", bool(np.all(att[sel] == 0.0)), "%d padded entries" % int(sel.sum()))


def compare_steps(res, name, out, ref, layer, bert):
    """Every step of one layer's trace against the reference's intermediate of the same name, within
    1e-4 of the step's largest value."""
    keep = ref["layers"][layer]

    def merged(t):  # [b, heads, L, depth] -> [b, L, hidden]
        b, H, L, D = t.shape
        return t.permute(0, 2, 1, 3).reshape(b, L, H * D)

    expect = {
        "hidden_states": keep["input"], "q": merged(keep["q"]), "k": merged(keep["k"]), "v": merged(keep["v"]),
        "q_heads": keep["q"], "k_heads": keep["k"], "v_heads": keep["v"], "scores": keep["scores"],
        "scaled": keep["scaled"], "softmax": keep["probs"], "context": keep["context"],
        "merge_heads": keep["merged"], "attn_output": keep["attn_output"], "attn_residual": keep["attn_residual"],
        "ffn_intermediate": keep["ffn_hidden"], "ffn_output": keep["ffn_dense"], "ffn_residual": keep["ffn_residual"],
    }
    if bert:
        expect.update(attn_layer_norm=keep["attn_normed"], ffn_layer_norm=keep["output"])
    else:
        expect.update(layernorm_before=keep["normed_input"], layernorm_after=keep["attn_normed"])
    with open(os.path.join(out, "trace.json")) as f:
        trace = json.load(f)
    names = [s["name"] for s in trace["layer"]["steps"]]
    worst, worst_name, missing = 0.0, "", []
    for step in names:
        got = np.load(os.path.join(out, "step_layer_%s.npy" % step))
        if step == "masked":
            # Padded keys hold finfo.min + a score: compare them relatively, the rest absolutely.
            want = keep["masked"].numpy()
            big = np.abs(want) > 1e30
            d = max(max_diff(got[~big], want[~big]), float(np.max(np.abs(got[big] / want[big] - 1.0), initial=0.0)))
        elif step in expect:
            # Relative to the step's size: unscaled scores reach hundreds, where float32's
            # rounding alone is 1e-5.
            want = expect[step].numpy()
            d = max_diff(got, want) / max(1.0, float(np.max(np.abs(want), initial=0.0)))
        else:
            missing.append(step)
            continue
        if d > worst:
            worst, worst_name = d, step
    res.check(name + " trace of layer %d: %d steps" % (layer, len(names)), worst <= TOLERANCE and not missing,
              "max diff %.2e (%s)%s" % (worst, worst_name, ", no reference for " + ", ".join(missing) if missing else ""))
