#!/usr/bin/python3
"""A pixel's row of the seed's cross module as bars over the tokens (issue 11, item 3), under Xvfb:
CrossMultiAttention on the seed's three sentences (one padded to 5 tokens) over the cat picture,
40 x 40 grid, 8 heads. Clicking two pixels of the large map draws each pixel's row: the values shown
equal attnscope-cli run --dump's attn.npy [b, heads, h*w, seq_k] at that head, item and pixel, the
real tokens' weights sum to 1; a click on a bar shows that token's map and opens the Q·K
inspector on that weight; the bars close.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from explore_test import click_at  # noqa: E402
from gui_harness import App, fail, fresh_folder, require_numpy, run_main  # noqa: E402


def views(st):
    return st.get("views") or {}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--session", required=True, help="the screenshot scene: cross-multihead, 40 x 40, 8 heads")
    p.add_argument("--assets", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    np = require_numpy()
    work = fresh_folder(a.work)
    picture = os.path.join(os.path.abspath(a.assets), "images", "chelsea.png")
    with open(a.session) as f:
        scene = json.load(f)
    dump = os.path.join(work, "dump")
    cmd = [a.cli, "run", "--module", scene["module"], "--emb-dim", str(scene["emb_dim"]), "--heads",
           str(scene["heads"]), "--seed", str(scene["seed"]), "--max-len", str(scene["max_len"]), "--grid",
           f"{scene['grid_h']}x{scene['grid_w']}", "--image", picture, "--dump", dump, "--steps", "attn"]
    for t in scene["sentences"]:
        cmd += ["--text", t]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if r.returncode != 0:
        fail("attnscope-cli run --dump failed: " + r.stderr[-2000:])
    attn = np.load(os.path.join(dump, "attn.npy"))  # [b, heads, h*w, seq_k]

    session = os.path.join(work, "session.json")
    shutil.copy(a.session, session)
    env = dict(os.environ, ATTNSCOPE_ASSETS=os.path.abspath(a.assets), XDG_CONFIG_HOME=os.path.join(work, "config"))
    app = App(a.app, work, "pixel_bars", ["--session", session, "--image", picture], env=env)
    try:
        app.wait_ready()
        app.focus()
        rows, cols = scene["grid_h"], scene["grid_w"]
        for batch, head, (r_, c_) in [(0, 0, (12, 30)), (1, 3, (35, 4))]:
            st = app.state()
            if st["settings"]["batch"] != batch or st["settings"]["head"] != head:
                # The thumbnails pick the head; the batch item comes from the session here.
                with_item = dict(scene, batch=batch, head=head)
                app.close()  # see the end of main: no Ctrl+Q here
                with open(session, "w") as f:
                    json.dump(with_item, f)
                app = App(a.app, work, "pixel_bars_b", ["--session", session, "--image", picture], env=env)
                app.wait_ready()
                app.focus()
            click_at(app, "attention.map", (c_ + 0.5) / cols, (r_ + 0.5) / rows)
            pixel = r_ * cols + c_
            st = app.wait_for(f"pixel ({r_}, {c_})'s row drawn as bars",
                              lambda s: (views(s).get("pixel_row") or {}).get("pixel") == pixel)
            shown = views(st)["pixel_row"]
            values = np.array([np.nan if v is None else v for v in shown["values"]], dtype=np.float64)
            want = attn[batch, head, pixel, :]
            if shown["batch"] != batch or shown["head"] != head or values.shape != want.shape \
                    or np.max(np.abs(values - want)) > 1e-6:
                fail(f"pixel ({r_}, {c_}), item {batch}, head {head}: bars {values.tolist()}, the CLI's attn.npy "
                     f"{want.tolist()}", app)
            if abs(values.sum() - 1.0) > 1e-5:
                fail(f"pixel ({r_}, {c_})'s row sums to {values.sum()}, not 1", app)
            print(f"ok: pixel ({r_}, {c_}) of item {batch}, head {head}: the bars are attn.npy's row "
                  f"(max diff {np.max(np.abs(values - want)):.1e}, sum {values.sum():.6f})")
        app.click("attention.pixel_bars.close")
        app.wait_for("the bars closed", lambda s: "pixel_row" not in views(s))
        # Again, then a click on the first bar: token 0's map, and its weight in the Q·K inspector.
        click_at(app, "attention.map", (4 + 0.5) / cols, (35 + 0.5) / rows)
        app.wait_for("the bars again", lambda s: (views(s).get("pixel_row") or {}).get("pixel") == 35 * cols + 4)
        app.click("attention.pixel_bars.t0")
        app.wait_for("a click on a bar shows token 0's map and inspects its weight",
                     lambda s: s["settings"]["token"] == 0 and s["settings"]["inspect_cell"] == [1, 3, 35 * cols + 4, 0])
        app.quit()
    finally:
        app.close()


if __name__ == "__main__":
    run_main(main)
