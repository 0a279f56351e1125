#!/usr/bin/python3
"""Prints the figures of the README's use-lite section from the engine (use_lite_probe): which head of each
layer looks where on the issue's example sentence, and the cosine similarities of a few pairs.

    /usr/bin/python3 tests/tfjs/use_lite_figures.py build/tests/tfjs/use_lite_probe
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CAT = "The cat sat on the mat because it was tired."
PAIRS = [("I like my phone.", "Your cellphone looks great."),
         ("How old are you?", "What is your age?"),
         (CAT, "How old are you?"),
         ("I like my phone.", "What is your age?")]


def run(probe, sentences):
    out = tempfile.mkdtemp()
    with open(os.path.join(out, "in.json"), "w") as f:
        json.dump(sentences, f)
    model = subprocess.check_output([probe, "where"], text=True).strip()
    subprocess.check_call([probe, "run", model, os.path.join(out, "in.json"), out])
    load = lambda n: np.load(os.path.join(out, n))
    with open(os.path.join(out, "tokens.json")) as f:
        tokens = json.load(f)
    return load("attentions.npy"), load("sentence_embedding.npy"), tokens


def main():
    probe = sys.argv[1]
    att, _, tokens = run(probe, [CAT])
    toks = tokens[0]
    L = att.shape[-1]
    print(f"pieces ({L}): {' '.join(toks)}; uniform weight 1/{L} = {1 / L:.3f}")
    nouns = [j for j, t in enumerate(toks) if t in ("\u2581cat", "\u2581ma", "t")]
    print("| layer | head | on i-1 | on i | on i+1 | on cat+mat | largest weight of a row | each row's top key |")
    print("|---|---|---|---|---|---|---|---|")
    for l in range(att.shape[0]):
        for h in range(att.shape[2]):
            m = att[l, 0, h]
            prev = np.mean([m[i, i - 1] for i in range(1, L)])
            self_ = np.mean([m[i, i] for i in range(L)])
            nxt = np.mean([m[i, i + 1] for i in range(L - 1)])
            noun = m[:, nouns].sum(1).mean()
            top = " ".join(toks[j] for j in m.argmax(1))
            print(f"| {l} | {h} | {prev:.2f} | {self_:.2f} | {nxt:.2f} | {noun:.2f} | "
                  f"{m.max(1).min():.2f} to {m.max(1).max():.2f} | {top} |")
    sentences = sorted({s for p in PAIRS for s in p})
    _, emb, _ = run(probe, sentences)
    print("| sentence | sentence | cosine |")
    print("|---|---|---|")
    for a, b in PAIRS:
        print(f"| {a} | {b} | {float(emb[sentences.index(a)] @ emb[sentences.index(b)]):.4f} |")


if __name__ == "__main__":
    main()
