#!/usr/bin/python3
"""Saved attention in the window (issue 11, item 8: `attnscope --attentions FILE`), under Xvfb:

  1. `attnscope --attentions F --export A` writes the same files as
     `attnscope-cli run --attentions F --export-maps B` (compare_exports), for three files the test
     writes with app/python/attnscope_save.py from weights it makes itself (numpy): sentences with
     padding, a cross-attention file whose queries are not its keys, and patch tokens over a
     picture;
  2. the sentences' file opened as a person would: the Pipeline says the file has no steps; a click
     on layer 1 x head 2 in the model view makes it the large map; a click on a token in the head
     view draws that token's row, equal to the weights the test saved; the head statistics sort by
     previous-token share and agree with the CLI's head_stats.json;
  3. a file with NaN weights dropped on the window (XDND) gives one message naming the file, and
     the file shown stays; the patch file dropped then opens over its picture;
  4. the next start restores the saved file from the session.
Exits 77 without numpy (Debian's python3-numpy).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from explore_models_test import drop  # noqa: E402  (XDND, as a file manager drops)
from explore_test import click_at  # noqa: E402
from gui_harness import (App, app_export_equals_cli, fail, fresh_folder, require_numpy, run_main,  # noqa: E402
                         safetensors_bytes)


def views(st):
    return st.get("views") or {}


def softmax(x):
    import numpy as np

    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def make_files(work, save, picture):
    """The three files, and the sentences' weights [layers, b, heads, L, L] for the checks."""
    import numpy as np

    rng = np.random.default_rng(11)
    files = {}
    # Sentences: 3 layers x 4 heads, two items, the second padded after 5 of its 7 keys.
    mask = np.ones((2, 7), dtype=np.int64)
    mask[1, 5:] = 0
    scores = rng.normal(size=(3, 2, 4, 7, 7)) * 2.0
    scores = np.where(mask[None, :, None, None, :] == 0, -1e9, scores)
    text = softmax(scores).astype(np.float32)
    tokens = [["[CLS]", "the", "cat", "sat", "on", "mat", "[SEP]"],
              ["[CLS]", "a", "dog", "ran", "[SEP]", "[PAD]", "[PAD]"]]
    files["text"] = os.path.join(work, "sentences.safetensors")
    save(files["text"], [text[l] for l in range(3)], tokens, attention_mask=mask, model="my-encoder")
    # Cross-attention: 3 queries over 5 keys.
    files["cross"] = os.path.join(work, "cross.safetensors")
    save(files["cross"], softmax(rng.normal(size=(2, 1, 2, 3, 5))).astype(np.float32), [["k0", "k1", "k2", "k3", "k4"]],
         query_tokens=[["q0", "q1", "q2"]], model="my-decoder")
    # Patch tokens: [CLS] then 4 x 4 patches over the picture, next to the file.
    with open(picture, "rb") as f, open(os.path.join(work, "photo.png"), "wb") as g:
        g.write(f.read())
    files["vit"] = os.path.join(work, "patches.safetensors")
    save(files["vit"], softmax(rng.normal(size=(2, 1, 3, 17, 17)) * 2.0).astype(np.float32), image=os.path.join(work, "photo.png"),
         patch_grid=(4, 4), prefix_tokens=1, model="my-vit")
    # NaN in a real row: refused by the reader with one message.
    bad = text.copy()
    bad[0, 0, 0, 1, 2] = np.nan
    files["bad"] = os.path.join(work, "broken.safetensors")
    write_raw(files["bad"], bad, tokens)
    return files, text


def write_raw(path, attentions, tokens):
    """attnscope_save refuses NaN itself (as it should): the broken file is written by hand."""
    with open(path, "wb") as f:
        f.write(safetensors_bytes({"attentions": (attentions.shape, attentions.ravel().tolist())},
                                  {"tokens": json.dumps(tokens)}))


def run(cmd, env, what):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    if r.returncode != 0:
        fail(f"{what} exited {r.returncode}: {r.stderr[-2000:]}")
    return r


def exports_equal(a, work, env, name, path):
    app_dir = app_export_equals_cli(a, work, env, name, ["--attentions", path], ["--attentions", path])
    pictures = [n for n in os.listdir(app_dir) if n.endswith(".png")]
    if not pictures or not all(n.startswith("l") for n in pictures):
        fail(f"{name}: the export's file names do not carry the layer: {sorted(os.listdir(app_dir))}")


def explore_file(a, work, env, files, weights):
    import numpy as np

    session = os.path.join(work, "session.json")
    with open(session, "w") as f:
        json.dump({}, f)
    app = App(a.app, work, "saved", ["--session", session, "--attentions", files["text"]], env=env)
    try:
        st = app.wait_for("the saved attention drawn", lambda s: s.get("model", {}).get("family") == "saved attention"
                          and s["ready"] and not s["busy"] and "head_view" in views(s), timeout=120)
        if not app.has_item("pipeline.saved_note"):
            fail("the Pipeline panel does not say that a saved file has no steps", app)
        app.focus()
        app.click("explore.tab.model_view")
        app.wait_for("the model view", lambda s: "model_view" in views(s))
        app.click("model_view.l1.h2")
        app.wait_for("layer 1 head 2 is the large map",
                     lambda s: views(s)["large_map"]["layer"] == 1 and views(s)["large_map"]["head"] == 2)
        queries = views(app.state())["head_view"]["queries"]
        click_at(app, "head_view.queries", 0.5, 3.5 / queries)
        st = app.wait_for("the head view draws query 3 of layer 1 head 2",
                          lambda s: views(s)["head_view"]["query"] == 3 and views(s)["head_view"]["layer"] == 1
                          and views(s)["head_view"]["head"] == 2)
        shown = np.array(views(st)["head_view"]["row"], dtype=np.float64)
        want = weights[1, 0, 2, 3, :]
        if shown.shape != want.shape or np.max(np.abs(shown - want)) > 1e-6:
            fail(f"the head view's row {shown.tolist()} is not the saved weights' {want.tolist()}", app)
        print(f"ok: the head view draws the saved row of layer 1 head 2, query 3 (max diff "
              f"{np.max(np.abs(shown - want)):.1e})")

        # The statistics: sorted by previous-token share, the top head is the CLI's.
        cli_dump = os.path.join(work, "cli_dump")
        run([a.cli, "run", "--attentions", files["text"], "--dump", cli_dump], env, "attnscope-cli run --dump")
        with open(os.path.join(cli_dump, "head_stats.json")) as f:
            cli_rows = json.load(f)["head_stats"]
        app.click("explore.tab.head_stats")
        app.wait_for("the statistics table", lambda s: "head_stats" in views(s))
        for _ in range(2):
            app.click("stats.header.previous_share")
            st = app.wait_for("sorted by previous-token share",
                              lambda s: views(s)["head_stats"]["sort"] == "previous_share")
            if views(st)["head_stats"]["descending"]:
                break
        hs = views(app.state())["head_stats"]
        top = hs["top"][0]
        best = max(cli_rows, key=lambda r: r["previous_share"])
        if (top["layer"], top["head"]) != (best["layer"], best["head"]) or not hs["descending"]:
            fail(f"the top previous-token head is L{top['layer']} H{top['head']}, the CLI's L{best['layer']} "
                 f"H{best['head']}", app)
        print(f"ok: sorted by previous-token share, layer {top['layer']} head {top['head']} is on top, as the CLI says")

        # A broken file dropped: one message naming it; the file shown stays. Then the patch file.
        drop(app, files["bad"])
        app.wait_for("an error naming the broken file",
                     lambda s: any(m["kind"] == "error" and files["bad"] in m["text"] for m in s["message_log"])
                     and not s["busy"])
        time.sleep(1.0)
        st = app.state()
        errors = [m["text"] for m in st["message_log"] if m["kind"] == "error"]
        if len(errors) != 1 or "NaN" not in errors[0]:
            fail(f"the broken file gave {errors}, not one message saying NaN", app)
        if st["settings"]["model"] != os.path.abspath(files["text"]):
            fail(f"after the broken file the window shows {st['settings']['model']}, not the saved file", app)
        print(f"ok: {errors[0]}")
        drop(app, files["vit"])
        st = app.wait_for("the dropped patch file drawn over its picture",
                          lambda s: s["settings"]["model"] == os.path.abspath(files["vit"]) and s["ready"]
                          and not s["busy"] and "patch_row" in views(s))
        grid = views(st)["patch_row"]
        if (grid["rows"], grid["cols"]) != (4, 4):
            fail(f"the patch file's grid is {grid['rows']} x {grid['cols']}, not 4 x 4", app)
        print("ok: a dropped file of saved attention opens (4 x 4 patches over its picture)")
        app.quit()
    finally:
        app.close()

    # The session remembers the file.
    app = App(a.app, work, "restored", ["--session", session], env=env)
    try:
        app.wait_for("the restored file drawn", lambda s: s["settings"]["model"] == os.path.abspath(files["vit"])
                     and s.get("model", {}).get("family") == "saved attention" and s["ready"] and not s["busy"],
                     timeout=120)
        print("ok: the next start shows the saved file again")
        app.quit()
    finally:
        app.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--compare", required=True)
    p.add_argument("--assets", required=True)
    p.add_argument("--python-dir", required=True, help="app/python: attnscope_save.py")
    p.add_argument("--work", required=True)
    a = p.parse_args()
    require_numpy()
    sys.path.insert(0, os.path.abspath(a.python_dir))
    from attnscope_save import save

    work = fresh_folder(a.work)
    env = dict(os.environ, ATTNSCOPE_ASSETS=os.path.abspath(a.assets), XDG_CONFIG_HOME=os.path.join(work, "config"),
               HF_HOME=os.path.join(work, "empty_hf_home"))
    files, weights = make_files(work, save, os.path.join(os.path.abspath(a.assets), "images", "chelsea.png"))
    for name in ("text", "cross", "vit"):
        exports_equal(a, work, env, name, files[name])
    explore_file(a, work, env, files, weights)


if __name__ == "__main__":
    run_main(main)
