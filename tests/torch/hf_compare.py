"""The live check of the BERT and ViT families against PyTorch, run by ctest (test "hf_torch_live").

    /usr/bin/python3 tests/torch/hf_compare.py --run build/tests/hf/attnscope-hf-run [--keep] [--only NAME]

Makes Hugging Face folders with random weights (make_hf_folders.py: both prefixes, F32, F16 and
BF16 tensors, old LayerNorm names, heads and buffers to ignore, non-default layer_norm_eps,
hidden_act and sizes, odd image sizes), runs each through the engine
    attnscope-hf-run --model DIR (--texts-json F | --input-ids F --attention-mask F | --pixel-values F)
                     --dump OUT --steps 1
and through hf_reference.py (PyTorch written from transformers' equations), and checks:
  - every layer's attentions, last_hidden_state and value norms within 1e-4;
  - the tokenizer's ids, mask and token labels equal to wordpiece_reference.py's (subwords,
    accents, CJK, Hangul, control characters, punctuation, unknown and over-long words, special
    tokens in the text, truncation at max_position_embeddings with [SEP] kept);
  - one layer's every trace step equal to the reference's intermediate;
  - invariants: softmax rows sum to 1, padded keys exactly 0, and a one-layer BERT with its FFN
    zeroed equals nn.MultiheadAttention + LayerNorm;
  - pictures of other sizes (grey, alpha) preprocessed as ViTImageProcessor with Pillow does it;
  - folders with only pytorch_model.bin (torch.save's zip and legacy layouts) give the same
    numbers, and one whose pickle names os.system is refused without running it;
  - bad folders give exit 2 and one line naming the problem.
Prints one line per check and, last, "N passed, M failed". Exit 0 when all passed, 1 when any
failed, 77 (ctest's SKIP_RETURN_CODE) when torch or numpy cannot be imported.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except Exception:
    print("SKIPPED: torch not available to /usr/bin/python3")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hf_reference  # noqa: E402
import make_hf_folders as mk  # noqa: E402
from wordpiece_reference import WordPiece  # noqa: E402

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


def bert_case(res, exe, work, name, spec, sentences=None, ids=None, steps=True):
    folder = mk.make_bert_folder(os.path.join(work, name), spec)
    out = os.path.join(work, name + "_out")
    tok = WordPiece.from_folder(folder)
    if ids is not None:
        input_ids, mask = ids
        np.save(os.path.join(work, name + "_ids.npy"), np.asarray(input_ids, dtype=np.int64))
        np.save(os.path.join(work, name + "_mask.npy"), np.asarray(mask, dtype=np.int64))
        args = ["--input-ids", os.path.join(work, name + "_ids.npy"),
                "--attention-mask", os.path.join(work, name + "_mask.npy")]
    else:
        texts = os.path.join(work, name + "_texts.json")
        with open(texts, "w") as f:
            json.dump(sentences, f)
        args = ["--texts-json", texts]
        max_length = min(spec.max_positions, spec.model_max_length or spec.max_positions)
        input_ids, mask, tokens = tok.batch(sentences, max_length=max_length)
    p = run_engine(exe, folder, out, args + (["--steps", "1"] if steps and spec.layers > 1 else []))
    if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()):
        return None
    got_ids = np.load(os.path.join(out, "input_ids.npy"))
    got_mask = np.load(os.path.join(out, "attention_mask.npy"))
    with open(os.path.join(out, "inputs.json")) as f:
        info = json.load(f)
    if ids is None:
        same = got_ids.tolist() == input_ids and got_mask.tolist() == mask
        detail = ""
        if not same:
            for i, (a, b) in enumerate(zip(got_ids.tolist(), input_ids)):
                if a != b:
                    detail = "sentence %d: engine %s, reference %s" % (i + 1, info["tokens"][i], tokens[i])
                    break
        res.check(name + " tokenizer ids and mask (%d sentences)" % len(sentences), same, detail)
        res.check(name + " token labels", info["tokens"] == tokens)
    ref = hf_reference.load(folder).forward(input_ids, mask)
    compare_pass(res, name, out, ref, mask)
    if steps and spec.layers > 1:
        compare_steps(res, name, out, ref, 1, True)
    return info


def vit_case(res, exe, work, name, spec, batch=2, seed=0):
    folder = mk.make_vit_folder(os.path.join(work, name), spec)
    out = os.path.join(work, name + "_out")
    g = torch.Generator()
    g.manual_seed(seed)
    px = torch.randn(batch, spec.channels, spec.image[0], spec.image[1], generator=g)
    px_path = os.path.join(work, name + "_px.npy")
    np.save(px_path, px.numpy().astype(np.float32))
    p = run_engine(exe, folder, out, ["--pixel-values", px_path, "--steps", "1"])
    if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()):
        return None
    with open(os.path.join(out, "inputs.json")) as f:
        info = json.load(f)
    rows, cols = spec.image[0] // spec.patch, spec.image[1] // spec.patch
    labels = ["[CLS]"] + ["p%d" % i for i in range(rows * cols)]
    res.check(name + " tokens and patch grid", info["tokens"] == [labels] * batch and info["patch_rows"] == rows
              and info["patch_cols"] == cols and info["prefix_tokens"] == 1)
    ref = hf_reference.load(folder).forward(px)
    compare_pass(res, name, out, ref, None)
    compare_steps(res, name, out, ref, 1, False)
    return info


def reference_pixel_values(path, pre):
    """ViTImageProcessor's preprocessing with Pillow and numpy: RGB, resize (Pillow's filter
    `resample`), rescale in float64 then float32, normalise in float32, channels first."""
    from PIL import Image

    im = Image.open(path).convert("RGB").resize((pre["size"]["width"], pre["size"]["height"]),
                                               resample=pre["resample"])
    x = (np.asarray(im).astype(np.float64) * pre["rescale_factor"]).astype(np.float32)
    x = (x - np.array(pre["image_mean"], dtype=np.float32)) / np.array(pre["image_std"], dtype=np.float32)
    return x.transpose(2, 0, 1)


def vit_images_case(res, exe, work):
    """Pictures of other sizes than the model's, grey and with alpha, through the preprocessing."""
    try:
        from PIL import Image
    except Exception:
        res.check("vit_images: Pillow missing (python3-pil), case skipped", True)
        return
    name = "vit_images"
    spec = mk.VitSpec(hidden=32, heads=4, layers=2, intermediate=48, image=(32, 32), patch=8, prefix=False, seed=3)
    folder = mk.make_vit_folder(os.path.join(work, name), spec)
    with open(os.path.join(folder, "preprocessor_config.json")) as f:
        pre = json.load(f)
    rng = np.random.default_rng(3)
    paths = []
    for i, (w, h, mode) in enumerate([(45, 29, "RGB"), (20, 50, "L"), (32, 32, "RGBA"), (97, 71, "RGB")]):
        ch = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        arr = rng.integers(0, 256, size=(h, w, ch), dtype=np.uint8)
        p = os.path.join(work, "%s_%d.png" % (name, i))
        Image.fromarray(arr[:, :, 0] if ch == 1 else arr, mode).save(p)
        paths.append(p)
    paths.append(paths[0])  # the same picture twice in one batch
    out = os.path.join(work, name + "_out")
    p = run_engine(exe, folder, out, sum((["--image", q] for q in paths), []))
    if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()):
        return
    px = np.stack([reference_pixel_values(q, pre) for q in paths])
    got = np.load(os.path.join(out, "pixel_values.npy"))
    res.check(name + " pixel_values as ViTImageProcessor (Pillow)", max_diff(got, px) <= 1e-6,
              "max diff %.2e" % max_diff(got, px))
    ref = hf_reference.load(folder).forward(px)
    compare_pass(res, name, out, ref, None)


def bin_case(res, exe, work, kind, legacy):
    """pytorch_model.bin only (torch.save's zip, or the legacy stream of torch < 1.6)."""
    name = "%s_bin_%s" % (kind, "legacy" if legacy else "zip")
    if kind == "bert":
        folder = mk.make_bert_folder(os.path.join(work, name), mk.BertSpec(layers=2, seed=8, old_norm_names=True))
    else:
        folder = mk.make_vit_folder(os.path.join(work, name), mk.VitSpec(layers=2, prefix=False, seed=8))
    raw = hf_reference.read_safetensors(os.path.join(folder, "model.safetensors"))
    sd = collections.OrderedDict((k, v.clone()) for k, v in raw.items())
    if kind == "bert":
        sd["bert.embeddings.position_ids"] = torch.arange(64)[None, :]  # the int64 buffer old checkpoints carry
    torch.save(sd, os.path.join(folder, "pytorch_model.bin"), _use_new_zipfile_serialization=not legacy)
    os.remove(os.path.join(folder, "model.safetensors"))
    out = os.path.join(work, name + "_out")
    if kind == "bert":
        sentences = SENTENCES[:4]
        texts = os.path.join(work, name + ".json")
        with open(texts, "w") as f:
            json.dump(sentences, f)
        p = run_engine(exe, folder, out, ["--texts-json", texts])
        if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()):
            return
        ids, mask, _ = WordPiece.from_folder(folder).batch(sentences)
        compare_pass(res, name, out, hf_reference.load(folder).forward(ids, mask), mask)
    else:
        px = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(8))
        np.save(os.path.join(work, name + "_px.npy"), px.numpy())
        p = run_engine(exe, folder, out, ["--pixel-values", os.path.join(work, name + "_px.npy")])
        if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()):
            return
        compare_pass(res, name, out, hf_reference.load(folder).forward(px), None)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def malicious_bin(res, exe, work):
    folder = mk.make_bert_folder(os.path.join(work, "bert_evil"), mk.BertSpec(layers=1, heads_tensors=False))
    os.remove(os.path.join(folder, "model.safetensors"))
    torch.save({"embeddings.word_embeddings.weight": _Evil()}, os.path.join(folder, "pytorch_model.bin"))
    p = subprocess.run([exe, "--model", folder, "--text", "the cat"], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT_S)
    msg = p.stderr.strip()
    res.check("pytorch_model.bin naming os.system is refused, nothing run",
              p.returncode == 2 and "pwned" not in p.stdout and "system" in msg and msg.count("\n") == 0, msg)


def zero_ffn_invariant(res, exe, work):
    """One BERT layer with its FFN zeroed (and output.LayerNorm the identity's weights) is
    LayerNorm(LayerNorm(MHA(x) + x)) with torch's own nn.MultiheadAttention."""
    spec = mk.BertSpec(hidden=32, heads=4, layers=1, intermediate=64, eps=1e-5, zero_ffn=True, prefix=False,
                       heads_tensors=False, seed=7)
    name = "bert_zero_ffn"
    folder = mk.make_bert_folder(os.path.join(work, name), spec)
    sentences = ["the cat sat on the mat", "a dog"]
    input_ids, mask, _ = WordPiece.from_folder(folder).batch(sentences)
    texts = os.path.join(work, name + ".json")
    with open(texts, "w") as f:
        json.dump(sentences, f)
    out = os.path.join(work, name + "_out")
    p = run_engine(exe, folder, out, ["--texts-json", texts])
    if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()):
        return
    sd = hf_reference.state_dict(folder, "bert.")
    E = spec.hidden
    ids = torch.tensor(input_ids)
    L = ids.shape[1]
    x = sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.token_type_embeddings.weight"][0] + \
        sd["embeddings.position_embeddings.weight"][:L]
    x = torch.nn.functional.layer_norm(x, (E,), sd["embeddings.LayerNorm.weight"], sd["embeddings.LayerNorm.bias"],
                                       spec.eps)
    mha = torch.nn.MultiheadAttention(E, spec.heads, batch_first=True)
    p0 = "encoder.layer.0."
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([sd[p0 + "attention.self.%s.weight" % n] for n in ("query", "key", "value")]))
        mha.in_proj_bias.copy_(torch.cat([sd[p0 + "attention.self.%s.bias" % n] for n in ("query", "key", "value")]))
        mha.out_proj.weight.copy_(sd[p0 + "attention.output.dense.weight"])
        mha.out_proj.bias.copy_(sd[p0 + "attention.output.dense.bias"])
        mha.eval()
        y, w = mha(x, x, x, key_padding_mask=torch.tensor(mask) == 0, need_weights=True, average_attn_weights=False)
        ln1 = torch.nn.LayerNorm(E, eps=spec.eps)
        ln1.weight.copy_(sd[p0 + "attention.output.LayerNorm.weight"])
        ln1.bias.copy_(sd[p0 + "attention.output.LayerNorm.bias"])
        ln2 = torch.nn.LayerNorm(E, eps=spec.eps)  # output.LayerNorm: weight 1, bias 0
        want = ln2(ln1(y + x))
    got = np.load(os.path.join(out, "last_hidden_state.npy"))
    att = np.load(os.path.join(out, "attentions.npy"))[0]
    res.check(name + " == nn.MultiheadAttention + LayerNorm", max_diff(got, want.numpy()) <= TOLERANCE and
              max_diff(att, w.numpy()) <= TOLERANCE,
              "output %.2e, weights %.2e" % (max_diff(got, want.numpy()), max_diff(att, w.numpy())))


def bad_folders(res, exe, work, command=None, tag_prefix="bad"):
    """Each broken folder gives exit 2 and one line naming the file and the problem; `command` runs
    the engine another way (the CLI: [attnscope-cli, "run"])."""
    command = command or [exe]
    good = mk.make_bert_folder(os.path.join(work, tag_prefix + "_base"), mk.BertSpec(layers=1, heads_tensors=False))

    def variant(tag, edit):
        d = os.path.join(work, tag_prefix + "_" + tag)
        shutil.copytree(good, d)
        edit(d)
        return d

    def set_config(d, **kv):
        with open(os.path.join(d, "config.json")) as f:
            c = json.load(f)
        c.update(kv)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f)

    def rewrite(d, fn):
        path = os.path.join(d, "model.safetensors")
        sd = hf_reference.read_safetensors(path)
        sd = fn(sd)
        mk.write_safetensors(path, {k: (v, "F32") for k, v in sd.items()})

    cases = [
        ("no config.json", variant("noconfig", lambda d: os.remove(os.path.join(d, "config.json"))), ["config.json"]),
        ("config not JSON", variant("notjson", lambda d: open(os.path.join(d, "config.json"), "w").write("{oops")),
         ["config.json", "not JSON"]),
        ("unsupported model_type", variant("roberta", lambda d: set_config(d, model_type="roberta")),
         ["roberta", "bert, vit"]),
        ("heads not dividing hidden", variant("heads", lambda d: set_config(d, num_attention_heads=5)),
         ["num_attention_heads 5", "hidden_size 64"]),
        ("layers disagree", variant("layers", lambda d: set_config(d, num_hidden_layers=3)),
         ["num_hidden_layers 3", "1 layers"]),
        ("no vocab.txt", variant("novocab", lambda d: os.remove(os.path.join(d, "vocab.txt"))), ["vocab.txt"]),
        ("missing tensor", variant("missing", lambda d: rewrite(
            d, lambda sd: {k: v for k, v in sd.items() if "layer.0.attention.self.key.weight" not in k})),
         ["encoder.layer.0.attention.self.key.weight", "[64, 64]"]),
        ("wrong shape", variant("shape", lambda d: rewrite(
            d, lambda sd: {k: (v[:, :32] if k.endswith("layer.0.intermediate.dense.weight") else v)
                           for k, v in sd.items()})),
         ["encoder.layer.0.intermediate.dense.weight", "[128, 32]", "[128, 64]"]),
        ("no checkpoint", variant("nockpt", lambda d: os.remove(os.path.join(d, "model.safetensors"))),
         ["model.safetensors", "pytorch_model.bin"]),
    ]
    for label, folder, parts in cases:
        p = subprocess.run(command + ["--model", folder, "--text", "the cat"], capture_output=True, text=True,
                           timeout=RUN_TIMEOUT_S)
        msg = p.stderr.strip()
        ok = p.returncode == 2 and msg.count("\n") == 0 and all(x in msg for x in parts)
        res.check(tag_prefix + " folder: " + label, ok, msg)


def cli_cases(res, cli, work):
    """The same checks through the interface users and scripts call: attnscope-cli run --model DIR
    (--text ... | --image ... | --input-ids/--attention-mask) --dump OUT, and its --export-maps."""
    # BERT, both prefixes, a padded batch of typed sentences.
    for name, spec in [("cli_bert_prefix", mk.BertSpec(layers=2, seed=11)),
                       ("cli_bert_bare_f16", mk.BertSpec(layers=2, prefix=False, dtype="F16", seed=12))]:
        folder = mk.make_bert_folder(os.path.join(work, name), spec)
        out = os.path.join(work, name + "_out")
        sentences = SENTENCES[:4]
        p = subprocess.run([cli, "run", "--model", folder, *sum((["--text", t] for t in sentences), []),
                            "--dump", out, "--export-maps", out + "_maps"],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()[-300:]):
            continue
        tok = WordPiece.from_folder(folder)
        input_ids, mask, _ = tok.batch(sentences, max_length=spec.max_positions)
        res.check(name + " input_ids and attention_mask (int64)",
                  np.load(os.path.join(out, "input_ids.npy")).tolist() == input_ids
                  and np.load(os.path.join(out, "attention_mask.npy")).tolist() == mask
                  and np.load(os.path.join(out, "input_ids.npy")).dtype == np.int64)
        ref = hf_reference.load(folder).forward(input_ids, mask)
        att = np.load(os.path.join(out, "attentions.npy"))
        want = torch.stack(ref["attentions"]).numpy()
        res.check(name + " attentions " + str(list(att.shape)), max_diff(att, want) <= TOLERANCE,
                  "max diff %.2e" % max_diff(att, want))
        last = np.load(os.path.join(out, "last_hidden_state.npy"))
        res.check(name + " last_hidden_state", max_diff(last, ref["last_hidden_state"].numpy()) <= TOLERANCE,
                  "max diff %.2e" % max_diff(last, ref["last_hidden_state"].numpy()))
        # Norm-based attention: alpha_ij * ||f_h(x_j)|| from the reference's value norms.
        norms = np.load(os.path.join(out, "attention_norms.npy"))
        vn = torch.stack(ref["value_norms"]).numpy()  # [layers, b, heads, L]
        res.check(name + " attention_norms", max_diff(norms, want * vn[:, :, :, None, :]) <= TOLERANCE,
                  "max diff %.2e" % max_diff(norms, want * vn[:, :, :, None, :]))
        rollout = np.load(os.path.join(out, "rollout.npy"))
        res.check(name + " rollout rows of real tokens sum to 1",
                  all(abs(rollout[i, q].sum() - 1.0) <= 1e-5 for i in range(len(mask))
                      for q in range(len(mask[i])) if mask[i][q]))
        with open(os.path.join(out + "_maps", "maps.json")) as f:
            maps = json.load(f)
        res.check(name + " maps: every layer x head and the mean, rollout per sentence",
                  len(maps) == len(sentences) * (spec.layers * (spec.heads + 1) + 1))
    # ViT from a picture on disk, preprocessed as ViTImageProcessor.
    try:
        from PIL import Image  # noqa: F401
    except Exception:
        res.check("cli_vit: Pillow missing (python3-pil), case skipped", True)
        return
    name = "cli_vit"
    spec = mk.VitSpec(image=(32, 32), patch=8, seed=13)
    folder = mk.make_vit_folder(os.path.join(work, name), spec)
    with open(os.path.join(folder, "preprocessor_config.json")) as f:
        pre = json.load(f)
    picture = os.path.join(work, name + ".png")
    Image.fromarray(np.random.default_rng(13).integers(0, 256, size=(37, 51, 3), dtype=np.uint8), "RGB").save(picture)
    out = os.path.join(work, name + "_out")
    p = subprocess.run([cli, "run", "--model", folder, "--image", picture, "--dump", out, "--export-maps", out + "_maps"],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    if not res.check(name + " runs", p.returncode == 0, p.stderr.strip()[-300:]):
        return
    px = reference_pixel_values(picture, pre)[None]
    res.check(name + " pixel_values", max_diff(np.load(os.path.join(out, "pixel_values.npy")), px) <= 1e-6)
    ref = hf_reference.load(folder).forward(px)
    att = np.load(os.path.join(out, "attentions.npy"))
    want = torch.stack(ref["attentions"]).numpy()
    res.check(name + " attentions", max_diff(att, want) <= TOLERANCE, "max diff %.2e" % max_diff(att, want))
    res.check(name + " [CLS] maps over the picture",
              os.path.exists(os.path.join(out + "_maps", "l%d_b0_h0_t0_cls.png" % (spec.layers - 1))))

    # attnscope-cli models finds folders in a Hugging Face cache laid out as the hub writes it
    # (models--org--name/snapshots/<sha>, refs/main), in --model-dir, and skips what it cannot use.
    hub = os.path.join(work, "hf_home", "hub")
    for repo, src in [("models--test--tiny-bert", os.path.join(work, "cli_bert_prefix")), ("models--test--tiny-vit", folder)]:
        shutil.copytree(src, os.path.join(hub, repo, "snapshots", "0123abcd"))
        os.makedirs(os.path.join(hub, repo, "refs"))
        with open(os.path.join(hub, repo, "refs", "main"), "w") as f:
            f.write("0123abcd")
    roberta = os.path.join(work, "own_models", "my-roberta")
    shutil.copytree(os.path.join(work, "cli_bert_prefix"), roberta)
    with open(os.path.join(roberta, "config.json")) as f:
        c = json.load(f)
    c["model_type"] = "roberta"
    with open(os.path.join(roberta, "config.json"), "w") as f:
        json.dump(c, f)
    shutil.copytree(os.path.join(work, "cli_bert_bare_f16"), os.path.join(work, "own_models", "my-bert"))
    p = subprocess.run([cli, "models", "--model-dir", os.path.join(work, "own_models"), "--json"], capture_output=True,
                       text=True, timeout=RUN_TIMEOUT_S, env=dict(os.environ, HF_HOME=os.path.join(work, "hf_home"),
                                                              XDG_CACHE_HOME=os.path.join(work, "no_cache")))
    found = json.loads(p.stdout) if p.returncode == 0 else {"models": [], "skipped": []}
    names = {(m["family"], m["name"], m["layers"], m["heads"], m["hidden"]) for m in found["models"]}
    res.check("cli models: the fake HF_HOME's two snapshots and --model-dir's BERT",
              names == {("bert", "test/tiny-bert", 2, 4, 64), ("vit", "test/tiny-vit", spec.layers, spec.heads, spec.hidden),
                        ("bert", "my-bert", 2, 4, 64)}, str(names))
    res.check("cli models: the roberta folder skipped with its reason",
              any("my-roberta" in x and "roberta" in x and "bert, vit" in x for x in found["skipped"]), str(found["skipped"]))

    # Bad input through the CLI: exit 2, one line naming the file or option, no partial output.
    bad_folders(res, None, work, command=[cli, "run"], tag_prefix="cli_bad")
    bert = os.path.join(work, "cli_bert_prefix")
    not_a_picture = os.path.join(work, "not_a_picture.png")
    with open(not_a_picture, "w") as f:
        f.write("this is text")
    empty_cache = os.path.join(work, "empty_cache")
    os.makedirs(empty_cache, exist_ok=True)
    cases = [
        ("--image for a text model", [cli, "run", "--model", bert, "--image", picture], {}, ["--text"]),
        ("--text for ViT", [cli, "run", "--model", folder, "--text", "a cat"], {}, ["--image"]),
        ("a picture that is not a picture", [cli, "run", "--model", folder, "--image", not_a_picture], {},
         ["not_a_picture.png"]),
        ("use-lite not fetched", [cli, "run", "--model", "use-lite", "--text", "a cat"],
         {"XDG_CACHE_HOME": empty_cache}, ["attnscope-cli fetch use-lite"]),
        ("a seed module's option with --model", [cli, "run", "--model", bert, "--heads", "4"], {}, ["--heads"]),
        ("--layer past the last", [cli, "run", "--model", bert, "--layer", "9"], {}, ["--layer 9", "0..1"]),
    ]
    for label, cmd, env, parts in cases:
        dump = os.path.join(work, "cli_bad_dump")
        shutil.rmtree(dump, ignore_errors=True)
        p = subprocess.run(cmd + ["--dump", dump], capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                           env=dict(os.environ, **env))
        msg = p.stderr.strip()
        ok = p.returncode == 2 and msg.count("\n") == 0 and all(x in msg for x in parts) and not os.path.exists(dump)
        res.check("cli bad input: " + label, ok, msg)
    # A sentence longer than max_position_embeddings is cut, with a warning naming it (as
    # transformers' truncation=True), and the run goes on.
    short = mk.make_bert_folder(os.path.join(work, "cli_short"), mk.BertSpec(layers=1, max_positions=8, seed=14))
    p = subprocess.run([cli, "run", "--model", short, "--text", "the cat sat on the mat because it was tired"],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    res.check("cli: a long sentence is truncated with a warning", p.returncode == 0 and "warning" in p.stderr
              and "sentence 1" in p.stderr, p.stderr.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="attnscope-hf-run")
    ap.add_argument("--cli", default="", help="attnscope-cli: also the same checks through run --model")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = ap.parse_args()
    torch.set_num_threads(1)
    work = tempfile.mkdtemp(prefix="attnscope-hf-")
    res = Results()
    try:
        exe = os.path.abspath(args.run)
        only = args.only

        def want(n):
            return only in n

        if want("bert_prefix_f32"):
            bert_case(res, exe, work, "bert_prefix_f32", mk.BertSpec(hidden=64, heads=4, layers=3, intermediate=128),
                      SENTENCES)
        if want("bert_bare_f16"):
            bert_case(res, exe, work, "bert_bare_f16",
                      mk.BertSpec(hidden=48, heads=3, layers=2, intermediate=80, eps=1e-5, act="gelu_new",
                                  prefix=False, dtype="F16", old_norm_names=True, seed=1, position_ids=False),
                      SENTENCES[:6])
        if want("bert_cased_bf16"):
            bert_case(res, exe, work, "bert_cased_bf16",
                      mk.BertSpec(hidden=32, heads=2, layers=2, intermediate=48, eps=1e-7, act="relu",
                                  dtype="BF16", do_lower_case=False, seed=2), SENTENCES)
        if want("bert_strip_accents_only"):
            bert_case(res, exe, work, "bert_strip_accents_only",
                      mk.BertSpec(layers=1, do_lower_case=False, strip_accents=True, tokenize_chinese_chars=False,
                                  seed=3), SENTENCES, steps=False)
        if want("bert_truncation"):
            info = bert_case(res, exe, work, "bert_truncation",
                             mk.BertSpec(layers=2, max_positions=12, seed=4),
                             ["the cat sat on the mat because it was tired and the dog ran", "a dog"])
            if info is not None:
                res.check("bert_truncation warns", len(info["warnings"]) == 1 and "sentence 1" in info["warnings"][0]
                          and "[SEP]" in info["warnings"][0] and info["tokens"][0][-1] == "[SEP]",
                          "; ".join(info["warnings"]))
        if want("bert_ids"):
            # ids given directly: a fully padded row, ids past vocab.txt (the embeddings have more rows).
            ids = [[2, 47, 48, 49, 4, 3, 3], [2, 100, 160, 165, 168, 4, 3], [3, 3, 3, 3, 3, 3, 3]]
            mask = [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0, 0]]
            bert_case(res, exe, work, "bert_ids", mk.BertSpec(layers=2, seed=5), ids=(ids, mask))
        if want("bert_warnings"):
            info = bert_case(res, exe, work, "bert_warnings", mk.BertSpec(layers=1, seed=6), ["the cat"], steps=False)
            if info is not None:
                res.check("bert_warnings: one warning for the ignored tensors",
                          len(info["load_warnings"]) == 1 and "cls.predictions.bias" in info["load_warnings"][0]
                          and "pooler.dense.weight" in info["load_warnings"][0]
                          and "position_ids" not in info["load_warnings"][0], "; ".join(info["load_warnings"]))
        if want("vit_prefix_f32"):
            vit_case(res, exe, work, "vit_prefix_f32", mk.VitSpec(hidden=48, heads=4, layers=2, intermediate=96))
        if want("vit_dino_f16"):
            info = vit_case(res, exe, work, "vit_dino_f16",
                            mk.VitSpec(hidden=64, heads=4, layers=3, intermediate=128, eps=1e-6, image=(40, 24),
                                       prefix=False, dtype="F16", seed=1), batch=3, seed=1)
            if info is not None:
                res.check("vit_dino_f16: one warning for the pooler", len(info["load_warnings"]) == 1 and
                          "pooler.dense.bias" in info["load_warnings"][0], "; ".join(info["load_warnings"]))
        if want("vit_odd_bf16"):
            vit_case(res, exe, work, "vit_odd_bf16",
                     mk.VitSpec(hidden=32, heads=2, layers=2, intermediate=40, eps=1e-5, image=(30, 30), patch=8,
                                qkv_bias=False, dtype="BF16", act="gelu_new", seed=2), batch=1, seed=2)
        if want("vit_images"):
            vit_images_case(res, exe, work)
        if want("bin"):
            for kind in ("bert", "vit"):
                for legacy in (False, True):
                    bin_case(res, exe, work, kind, legacy)
            malicious_bin(res, exe, work)
        if want("bert_zero_ffn"):
            zero_ffn_invariant(res, exe, work)
        if want("bad"):
            bad_folders(res, exe, work)
        if args.cli and want("cli"):
            cli_cases(res, os.path.abspath(args.cli), work)
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
