"""The live comparison's special cases (hf_compare.py runs them): pictures through the
preprocessing, pytorch_model.bin folders, a malicious pickle, a one-layer BERT against
nn.MultiheadAttention, and bad folders."""

import collections
import json
import os
import shutil
import subprocess

import numpy as np
import torch

import hf_reference
import make_hf_folders as mk
from hf_checks import RUN_TIMEOUT_S, SENTENCES, TOLERANCE, compare_pass, max_diff, run_engine
from wordpiece_reference import WordPiece


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
