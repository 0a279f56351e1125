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
import json
import os
import shutil
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
from hf_checks import SENTENCES, Results, compare_pass, compare_steps, run_engine  # noqa: E402
from hf_compare_cli import cli_cases  # noqa: E402
from hf_compare_more import bad_folders, bin_case, malicious_bin, vit_images_case, zero_ffn_invariant  # noqa: E402
from wordpiece_reference import WordPiece  # noqa: E402


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
