#!/usr/bin/python3
"""Side by side for the seed's modules (issue 11, item 5: "how -inf differs from -1e9 on a fully
padded sentence, side by side"), in the real window under Xvfb, driven with xdotool like a person:

  1. type a sentence and add an empty one (padding throughout), show that batch item;
  2. switch on A | B, set pane B's mask fill to -inf (A keeps the module's own -1e9);
  3. check what the window shows: B is NaN in every cell, A - B too;
  4. "Save panes", then check the files against the softmax's definition (A's rows are uniform,
     1/Lk each, since every score is the same -1e9; B's are NaN, exp(-inf - -inf)) and against
     `attnscope-cli run ... --export-panes DIR --pane-a NAME --b-mask-fill -inf`: the same file
     names, panes.json and .npy byte for byte, every picture within 1/255 (GPU against CPU);
     then the sentence with one padded key under two scales (B: emb, A: the module's depth);
  5. B's setting is in the saved session, and comes back at the next start.

Run by ctest (gui_side_by_side) inside xvfb-run.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_harness import App, fail, fresh_folder, run_main, xdotool  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402  (the independent decoder)

HERE = os.path.dirname(os.path.abspath(__file__))
SENTENCE = "tom sees jerry"
MAX_LEN = 4
SCENE = {"module": "multihead", "heads": 2, "emb_dim": 16, "max_len": MAX_LEN, "sentences": ["a cat"],
         "batch": 0, "head": 0}
CLI_SCENE = ["--module", "multihead", "--heads", "2", "--emb-dim", "16", "--max-len", str(MAX_LEN),
             "--text", SENTENCE, "--text", ""]


def seed_compare(st):
    return (st.get("views") or {}).get("compare_seed")


def pick(app, combo, item):
    app.click(combo)
    app.wait_for(f"{item} listed", lambda s: app.has_item(item), quiet=True)
    time.sleep(0.3)  # the list is drawn where the combo is now
    app.click(item)


def same_files(app_dir, cli_dir, app):
    names = sorted(os.listdir(app_dir))
    if names != sorted(os.listdir(cli_dir)):
        fail(f"the app saved {names}, the CLI {sorted(os.listdir(cli_dir))}", app)
    worst = 0
    for name in names:
        a, c = os.path.join(app_dir, name), os.path.join(cli_dir, name)
        if name.endswith(".png"):
            pa = np.asarray(Image.open(a).convert("RGB"), dtype=np.int16)
            pc = np.asarray(Image.open(c).convert("RGB"), dtype=np.int16)
            if pa.shape != pc.shape:
                fail(f"{name}: the app's is {pa.shape}, the CLI's {pc.shape}", app)
            d = int(np.max(np.abs(pa - pc))) if pa.size else 0
            worst = max(worst, d)
            if d > 1:
                fail(f"{name}: a channel differs by {d}/255 from the CLI's (at most 1)", app)
        elif name.endswith(".json"):
            with open(a) as fa, open(c) as fc:
                ja, jc = json.load(fa), json.load(fc)
            if ja != jc:
                fail(f"{name} differs:\napp {json.dumps(ja)[:1500]}\ncli {json.dumps(jc)[:1500]}", app)
        else:
            with open(a, "rb") as fa, open(c, "rb") as fc:
                if fa.read() != fc.read():
                    fail(f"{name}: not the CLI's bytes", app)
    print(f"ok: {len(names)} files equal the CLI's ({', '.join(names)}); pictures within {worst}/255")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--assets", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = fresh_folder(args.work)
    export = os.path.join(work, "export")
    # The session where the app keeps it ($XDG_CONFIG_HOME/attnscope/session.json): read at the
    # start, written as it changes.
    session = os.path.join(work, "config", "attnscope", "session.json")
    os.makedirs(os.path.dirname(session))
    with open(os.path.join(HERE, "data", "screenshot_session.json")) as f:
        base = json.load(f)
    with open(session, "w") as f:
        json.dump(dict(base, **SCENE), f)
    env = {"ATTNSCOPE_ASSETS": os.path.abspath(args.assets), "XDG_CONFIG_HOME": os.path.join(work, "config")}
    app = App(args.app, work, "side_by_side", ["--export-dir", export], env)
    try:
        app.focus()
        app.wait_ready()
        # 1. A sentence, and a second one left empty: padding throughout.
        app.replace_field("input.sentence.0", SENTENCE)
        app.click("input.add_sentence")
        app.wait_for("two sentences computed", lambda s: s["settings"]["sentences"] == [SENTENCE, ""] and s["ready"]
                     and not s["busy"], 120)
        pick(app, "attention.batch", "attention.batch.1")
        app.wait_for("batch item 1 shown", lambda s: s["settings"]["batch"] == 1)
        # 2. A | B, and B under -inf (A: the module's own fill, -1e9).
        app.click("attention.compare")
        app.wait_for("the three panes", lambda s: seed_compare(s) is not None)
        pick(app, "compare.b_fill", "compare.b_fill.-inf")
        st = app.wait_for("B computed under -inf",
                          lambda s: seed_compare(s)["b_ready"] and seed_compare(s)["b_mask_fill"] == "-inf"
                          and s["settings"]["compare_b_mask_fill"] == "-inf", 120)
        cmp = seed_compare(st)
        if st["settings"]["mask_fill"] != "module":
            fail(f"A's fill changed with B's: {st['settings']['mask_fill']}", app)
        # 3. Every cell of the padded item is NaN in B (and so in A - B).
        if (cmp["rows"], cmp["cols"]) != (MAX_LEN, MAX_LEN) or cmp["nan_cells"] != MAX_LEN * MAX_LEN:
            fail(f"A - B of the padded item should be NaN in all {MAX_LEN * MAX_LEN} cells: {cmp}", app)
        print(f"ok: the window shows A - B NaN in {cmp['nan_cells']} cells ({cmp['label_a']} vs {cmp['label_b']})")
        # The pointer over pane B: the hover gives A, B and A - B of that cell exactly.
        x, y = app.centre("compare.b")
        xdotool("mousemove", "--sync", str(x), str(y))
        st = app.wait_for("the hover over B", lambda s: "compare_seed_hover" in (s.get("views") or {}))
        lines = st["views"]["compare_seed_hover"]["lines"]
        if not (lines[1].endswith("): 0.25") and lines[2].endswith("): NaN") and lines[3] == "A - B: NaN"):
            fail(f"the hover over a padded cell should say A 0.25, B NaN, A - B NaN: {lines}", app)
        print(f"ok: the hover says {lines[1:4]}")
        # 4. Save panes, against the softmax's definition and the CLI's files.
        app.click("compare.save")
        app.wait_for("the panes saved", lambda s: any("pictures of the panes" in m["text"] for m in s["message_log"]))
        stem = cmp["stem"]
        a = np.load(os.path.join(export, f"pane_a_{stem}.npy"))
        b = np.load(os.path.join(export, f"pane_b_{stem}.npy"))
        if a.shape != (MAX_LEN, MAX_LEN) or not np.allclose(a, 1.0 / MAX_LEN, rtol=0, atol=1e-7):
            fail(f"A (-1e9) on a sentence of padding only should be uniform 1/{MAX_LEN}: {a}", app)
        if not np.all(np.isnan(b)):
            fail(f"B (-inf) on a sentence of padding only should be NaN everywhere: {b}", app)
        print(f"ok: pane A is uniform 1/{MAX_LEN}, pane B is NaN throughout")
        cli_dir = os.path.join(work, "cli")
        cli = subprocess.run([args.cli, "run", *CLI_SCENE, "--export-panes", cli_dir, "--pane-a", stem,
                              "--b-mask-fill", "-inf"], env=dict(os.environ, **env), capture_output=True,
                             text=True, timeout=240)
        if cli.returncode != 0:
            fail(f"attnscope-cli exited {cli.returncode}: {cli.stderr[-1500:]}", app)
        same_files(export, cli_dir, app)
        # 4b. Two scales on the sentence with one padded key: B's own pass again, a real difference.
        shutil.rmtree(export)
        pick(app, "attention.batch", "attention.batch.0")
        pick(app, "compare.b_scale", "compare.b_scale.emb")
        st = app.wait_for("B computed under scale emb",
                          lambda s: s["settings"]["batch"] == 0 and seed_compare(s)["b_ready"]
                          and seed_compare(s)["b_scale"] == "emb" and seed_compare(s)["stem"] == "b0_h0", 120)
        cmp = seed_compare(st)
        app.click("compare.save")
        app.wait_for("the panes saved again", lambda s: os.path.isfile(os.path.join(export, "panes.json")))
        time.sleep(0.5)
        cli_dir = os.path.join(work, "cli_scale")
        cli = subprocess.run([args.cli, "run", *CLI_SCENE, "--export-panes", cli_dir, "--pane-a", "b0_h0",
                              "--b-mask-fill", "-inf", "--b-scale", "emb"], env=dict(os.environ, **env),
                             capture_output=True, text=True, timeout=240)
        if cli.returncode != 0:
            fail(f"attnscope-cli exited {cli.returncode}: {cli.stderr[-1500:]}", app)
        a = np.load(os.path.join(cli_dir, "pane_a_b0_h0.npy"))
        b = np.load(os.path.join(cli_dir, "pane_b_b0_h0.npy"))
        want = float(np.max(np.abs(a - b)))
        # 1/sqrt(depth) against 1/sqrt(emb): the weights of the sentence's tokens differ.
        if want <= 0 or cmp["nan_cells"] != 0 or abs(cmp["max_abs_difference"] - want) > 1e-6:
            fail(f"A - B under two scales: the window's {cmp}, the CLI's largest |A - B| {want}", app)
        print(f"ok: two scales: largest |A - B| {want:.6f} in the window and in the CLI's files")
        same_files(export, cli_dir, app)
        # 5. B's fill is in the session; at the next start it is there again.
        app.quit()
        with open(session) as f:
            saved = json.load(f)
        if (saved.get("compare_b_mask_fill"), saved.get("compare_b_scale"), saved.get("compare_open")) != ("-inf", "emb",
                                                                                                   True):
            fail(f"the session did not keep B's settings: {json.dumps(saved)[:1500]}")
        again = App(args.app, work, "side_by_side_again", [], env)
        try:
            again.focus()
            st = again.wait_for("A | B restored with B under -inf",
                                lambda s: seed_compare(s) and seed_compare(s)["b_ready"]
                                and seed_compare(s)["b_mask_fill"] == "-inf"
                                and seed_compare(s)["b_scale"] == "emb", 120)
            print(f"ok: restored: {seed_compare(st)['label_b']}")
            again.quit()
        finally:
            again.close()
    finally:
        app.close()


if __name__ == "__main__":
    run_main(main)
