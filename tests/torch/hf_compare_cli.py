"""The live BERT/ViT comparison through the interface users and scripts call: attnscope-cli run
--model DIR --dump OUT (and --export-maps), checked against the PyTorch reference as
hf_compare.py checks attnscope-hf-run, then the CLI's bad-input battery."""
import json
import os
import shutil
import subprocess

import numpy as np
import torch

import hf_reference
import make_hf_folders as mk
from hf_checks import RUN_TIMEOUT_S, SENTENCES, TOLERANCE, max_diff
from hf_compare_more import bad_folders, reference_pixel_values
from wordpiece_reference import WordPiece


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
    # The name `models` printed is what run --model takes: the same attentions as the folder's.
    hub_env = dict(os.environ, HF_HOME=os.path.join(work, "hf_home"))
    by_name = os.path.join(work, "cli_by_name")
    p = subprocess.run([cli, "run", "--model", "test/tiny-bert", "--text", "the cat sat", "--dump", by_name],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=hub_env)
    q = subprocess.run([cli, "run", "--model", os.path.join(work, "cli_bert_prefix"), "--text", "the cat sat", "--dump",
                        by_name + "_folder"], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    res.check("cli run --model ORG/NAME of the HF cache", p.returncode == 0 and q.returncode == 0 and np.array_equal(
        np.load(os.path.join(by_name, "attentions.npy")), np.load(os.path.join(by_name + "_folder", "attentions.npy"))),
        p.stderr.strip()[-300:])
    p = subprocess.run([cli, "run", "--model", "test/no-such-model", "--text", "a"], capture_output=True, text=True,
                       timeout=RUN_TIMEOUT_S, env=hub_env)
    res.check("cli run --model of a name the cache lacks: one line naming it and the cache",
              p.returncode == 2 and "test/no-such-model" in p.stderr and "hub" in p.stderr
              and p.stderr.strip().count("\n") == 0, p.stderr.strip())

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
