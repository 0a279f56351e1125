#!/usr/bin/python3
"""A seed cross module at a query per pixel (issue 11: the monkey's frozen window), under Xvfb:
CrossMultiAttention (emb_dim 64, 8 heads) on the seed's three sentences over the cat picture at full
resolution, 451 x 300,
so each Pipeline step after q is [3, 8, 135300, ...]. Its scores step is lazy: recomputed from a
fresh Q when asked, seconds of work, which once froze the window for 6 s.

Keys J walk the Pipeline from step 0 to scores, as a person steps through it. Then:
  - the heat map says it is making the step, and the window keeps drawing meanwhile (no gap of
    1 s between two frames from the first key to the step shown);
  - the heat map shown is the step's: its colour range (the shown cells' min and max, one row in
    67) equals that of attnscope-cli run --dump's scores.npy [b 0, head 0];
  - a click on a cell opens the Q·K inspector, whose steps are made off the window's thread too:
    its score equals scores.npy at that cell;
  - the diagram window opens on that step without a frame gap either.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from explore_test import click_at  # noqa: E402
from gui_harness import App, fail, fresh_folder, key, require_numpy, run_main  # noqa: E402

MAX_GAP_S = 1.0
# emb_dim 64 (8 heads of depth 8) keeps q_heads, [3, 8, 135300, 8], under the 2^26 values the
# window makes at all (app_context.h), so that the inspector can read it; at 512 it refuses.
EMB_DIM = 64
SLICE_ROW_STRIDE = 67  # 135300 rows shown as at most 2048 (model/step_slice.h): 1 in 67


def probe(st, name):
    """A panel's probe of the test hook (AppContext::probes), as the state file holds it."""
    return (st.get("probes") or {}).get(name)


def worst_gap(st, since):
    starts = [t for t in st.get("frame_starts", []) if t >= since]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    return max(gaps) if gaps else 0.0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--assets", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    np = require_numpy()
    work = fresh_folder(a.work)
    picture = os.path.join(os.path.abspath(a.assets), "images", "chelsea.png")
    sentences = ["Tom chases Jerry!", "The cat sleeps", "Jerry sees the cat"]

    # The reference: the CLI's own pass, its scores written whole.
    dump = os.path.join(work, "dump")
    cmd = [a.cli, "run", "--module", "cross-multihead", "--emb-dim", str(EMB_DIM), "--image", picture, "--grid", "full", "--dump", dump,
           "--steps", "scores"]
    for s in sentences:
        cmd += ["--text", s]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    # The dump names each step's file by its place in the Pipeline: NN_scores.npy.
    written = [n for n in os.listdir(dump) if n.endswith("_scores.npy")]
    if len(written) != 1:
        fail(f"the dump holds {os.listdir(dump)}")
    scores_index = int(written[0].split("_")[0])
    scores = np.load(os.path.join(dump, written[0]))
    if scores.shape != (3, 8, 451 * 300, 5):
        fail(f"scores.npy is {scores.shape}")

    session = os.path.join(work, "session.json")
    with open(session, "w") as f:
        json.dump({"sentences": sentences, "module": "cross-multihead", "emb_dim": EMB_DIM, "image_path": picture,
                   "full_resolution": True, "step": 0, "batch": 0, "head": 0}, f)
    app = App(a.app, work, "large", ["--session", session], env={"HOME": work})
    try:
        app.focus()
        st = app.wait_for("the full-resolution pass drawn",
                          lambda s: s["ready"] and not s["busy"] and s["settings"]["full_resolution"], 180)
        app.frames_advance(10)  # the panels laid out where they stay
        app.click("pipeline.step.0")
        app.wait_for("step 0", lambda s: s["settings"]["step"] == 0 and probe(s, "pipeline") is not None)
        since = app.state()["time"]
        for _ in range(scores_index):
            key("j")
            time.sleep(0.1)
        app.wait_for("the heat map making scores", lambda s: (probe(s, "pipeline") or {}).get("step") == "scores"
                     and probe(s, "pipeline")["making"], 10)
        st = app.wait_for("scores made and shown", lambda s: probe(s, "pipeline")["shown"], 180)
        gap = worst_gap(st, since)
        if gap > MAX_GAP_S:
            fail(f"a frame gap of {gap:.2f} s while the step was made", app)
        print(f"ok: the window drew on while scores were made (worst frame gap {gap:.2f} s)")

        pipe = probe(st, "pipeline")
        shown = scores[0, 0, ::SLICE_ROW_STRIDE, :]
        want = [float(shown.min()), float(shown.max())]
        if pipe["error"] or not np.allclose(pipe["range"], want, rtol=1e-5, atol=1e-6):
            fail(f"the heat map's range {pipe['range']} (error '{pipe['error']}'), scores.npy's {want}", app)
        print(f"ok: the heat map's range {pipe['range']} is scores.npy's [b 0, head 0]")

        # A click on a cell: the Q·K inspector on it, made off the window's thread.
        since = app.state()["time"]
        click_at(app, "pipeline.heatmap", 0.7, 0.5)
        st = app.wait_for("the inspector on the cell clicked", lambda s: probe(s, "inspector") is not None, 120)
        gap = worst_gap(st, since)
        if gap > MAX_GAP_S:
            fail(f"a frame gap of {gap:.2f} s while the inspector made its steps", app)
        ins = probe(st, "inspector")
        if "cell" not in ins:
            fail(f"the inspector says: {ins}", app)
        b, h, q, k = ins["cell"]
        want = float(scores[b, h, q, k])
        rows = -(-scores.shape[2] // SLICE_ROW_STRIDE)  # the slice's rows, one in 67 of h*w
        clicked = (0, 0, int(0.5 * rows) * SLICE_ROW_STRIDE, int(0.7 * scores.shape[3]))
        # The row under the pointer, give or take the heat map's own rounding (a row is 0.1 px).
        near = q % SLICE_ROW_STRIDE == 0 and abs(q // SLICE_ROW_STRIDE - rows // 2) <= rows // 50
        if (b, h, k) != (0, 0, clicked[3]) or not near or abs(ins["score"] - want) > 1e-4 * max(1.0, abs(want)):
            fail(f"the inspector at {ins['cell']} (clicked: {clicked}) says the score is {ins['score']}, "
                 f"scores.npy {want}", app)
        print(f"ok: the inspector at query {q}, key {k}: score {ins['score']:.6f} = scores.npy's "
              f"(worst frame gap {gap:.2f} s)")

        # The diagram window on the same step.
        since = app.state()["time"]
        app.click("pipeline.diagram")
        app.wait_for("the diagram window", lambda s: s["settings"]["diagram_open"], 20)
        time.sleep(8)  # its slice of scores is made on a thread too
        gap = worst_gap(app.state(), since)
        if gap > MAX_GAP_S:
            fail(f"a frame gap of {gap:.2f} s with the diagram open on scores", app)
        print(f"ok: the diagram opened on scores (worst frame gap {gap:.2f} s)")
        app.quit()
    finally:
        app.close()


if __name__ == "__main__":
    run_main(main)
