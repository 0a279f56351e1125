#!/usr/bin/python3
"""The teaching views of the real window (issue 12), driven with xdotool under Xvfb like a person:

  1. the Pipeline panel keeps a step restored from the session (step 11) in view, and a step
     reached with the keys (Up x 7 -> step 4, q_heads);
  2. Play on the multi-head pipeline: the diagram window opens and animates; its frame, read back
     from the GL texture (the test hook's thumbnail), is taken at three points of q_heads and must
     differ from one point to the next as the pieces move (view, then transpose(1, 2)); frames keep
     coming at animation speed; the player goes on to the next step;
  3. exports: the step as a GIF (25 frames) and as PNG frames (25 files), the whole pipeline as a
     GIF (25 frames a step, the steps counted by attnscope-cli --json), each GIF parsed by a block
     reader written here from the GIF89a specification and decoded by Pillow, its frames equal to
     the PNG frames of the same export within the palette's rounding;
  4. the Q·K inspector opened by clicking a cell of the Attention panel's matrix, and by clicking a
     cell of the scores step's heat map: q_i, k_j, the score, the scaled and masked scores, the
     row's softmax and the weight against attnscope-cli run --dump of the same scene (.npy read
     here), and the temperature slider's row against softmax(masked / T) computed here.

Run by ctest (gui_teach) inside xvfb-run; standard library plus Pillow (python3-pil, which the
project's tests already use as a reference).
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_harness import App, Failure, fail, fresh_folder, key, run_main, xdotool  # noqa: E402

SENTENCES = ["Tom chases Jerry!", "The cat sleeps", "Jerry sees the cat"]
HEAD = 3  # the head the session shows: the inspector takes the cell of this head


# --- files read with the standard library

def read_npy(path):
    """(shape, values as floats) of a little-endian float32 or bool .npy (version 1 or 2)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(path + ": not .npy")
    major = data[6]
    n = struct.unpack("<H", data[8:10])[0] if major == 1 else struct.unpack("<I", data[8:12])[0]
    start = 10 if major == 1 else 12
    header = data[start:start + n].decode("latin1")
    body = data[start + n:]
    descr = header.split("'descr':")[1].split(",")[0].strip().strip("'")
    shape = tuple(int(x) for x in header.split("'shape':")[1].split("(")[1].split(")")[0].split(",") if x.strip())
    count = 1
    for s in shape:
        count *= s
    if descr == "<f4":
        values = list(struct.unpack("<%df" % count, body[:4 * count]))
    elif descr in ("|b1", "|u1"):
        values = [float(b) for b in body[:count]]
    else:
        raise ValueError(path + ": dtype " + descr)
    return shape, values


def at(shape, values, *index):
    flat = 0
    for size, i in zip(shape, index):
        flat = flat * size + i
    return values[flat]


def gif_blocks(path):
    """The GIF89a block structure, walked by hand: (width, height, loops, [(x, y, w, h, delay)])."""
    with open(path, "rb") as f:
        d = f.read()
    if d[:6] != b"GIF89a":
        raise ValueError(path + ": not GIF89a")
    width, height, flags = struct.unpack("<HHB", d[6:11])
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    loops, frames, delay = None, [], 0

    def sub_blocks(p):
        out = b""
        while d[p] != 0:
            out += d[p + 1:p + 1 + d[p]]
            p += 1 + d[p]
        return out, p + 1

    while True:
        block = d[pos]
        if block == 0x3B:
            if pos + 1 != len(d):
                raise ValueError(path + ": bytes after the trailer")
            return width, height, loops, frames
        if block == 0x21:
            label = d[pos + 1]
            if label == 0xF9:
                delay = struct.unpack("<H", d[pos + 4:pos + 6])[0]
                pos += 8
            else:
                payload, pos = sub_blocks(pos + 2)
                if label == 0xFF and payload[:11] == b"NETSCAPE2.0":
                    loops = struct.unpack("<H", payload[12:14])[0]
        elif block == 0x2C:
            x, y, w, h, f = struct.unpack("<HHHHB", d[pos + 1:pos + 10])
            if x + w > width or y + h > height:
                raise ValueError(path + ": a frame outside the canvas")
            pos += 10 + (3 * (2 << (f & 7)) if f & 0x80 else 0)
            pos += 1  # LZW minimum code size
            _, pos = sub_blocks(pos)
            frames.append((x, y, w, h, delay))
        else:
            raise ValueError("%s: unknown block 0x%02x at %d" % (path, block, pos))


def mean_abs(a, b):
    return sum(abs(x - y) for x, y in zip(a, b)) / max(len(a), 1)


# --- the parts

def pipeline_steps(cli, work):
    out = subprocess.run([cli, "run", "--module", "multihead", "--emb-dim", "512", "--heads", "8", "--json"]
                         + sum((["--text", t] for t in SENTENCES), []) + ["--max-len", "5"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return [s["name"] for s in json.loads(out)["steps"]]


def inside(app, item, box):
    x0, y0, x1, y1 = app.layout()["items"][item]
    bx0, by0, bx1, by1 = app.layout()["items"][box]
    return x0 >= bx0 - 1 and y0 >= by0 - 1 and x1 <= bx1 + 1 and y1 <= by1 + 1


def check_step_in_view(app):
    st = app.wait_ready()
    if st["settings"]["step"] != 11:
        fail("the session's step 11 was not restored", app)
    app.wait_for("step 11 brought into view", lambda s: inside(app, "pipeline.step.11", "pipeline.steps"))
    app.click("pipeline.step.11")
    for _ in range(7):
        key("Up")
    app.wait_for("step 4 after Up x 7", lambda s: s["settings"]["step"] == 4)
    app.wait_for("step 4 in view", lambda s: inside(app, "pipeline.step.4", "pipeline.steps"))


def diagram(st):
    return st.get("probes", {}).get("diagram")


def median_gap(st, since):
    starts = [t for t in st["frame_starts"] if t >= since]
    gaps = sorted(b - a for a, b in zip(starts, starts[1:]))
    return (gaps[len(gaps) // 2] if gaps else 1.0), len(gaps)


def check_play(app, steps):
    # Frames before Play: the window waits for input (or 50 ms) between them.
    time.sleep(2.0)
    st = app.state()
    idle, idle_n = median_gap(st, st["time"] - 1.8)
    app.click("pipeline.play")
    app.wait_for("the diagram window playing q_heads",
                 lambda s: diagram(s) and diagram(s)["playing"] and diagram(s)["step"] == 4)
    thumbs, phases, times = [], [], []
    for mark in (0.2, 0.5, 0.8):
        st = app.wait_for("q_heads at %.0f%%" % (mark * 100),
                          lambda s, m=mark: diagram(s) and diagram(s)["step"] == 4 and diagram(s)["progress"] >= m,
                          timeout=30)
        d = diagram(st)
        thumbs.append(d["thumb"])
        phases.append((d["phase"], d["caption"]))
        times.append(st["time"])
        print("  at %.2f: phase %d (%s), %d quads" % (d["progress"], d["phase"], d["caption"], d["quads"]))
    for a, b, name in ((0, 1, "20% -> 50%"), (1, 2, "50% -> 80%"), (0, 2, "20% -> 80%")):
        diff = mean_abs(thumbs[a], thumbs[b])
        print("  frames %s differ by %.2f grey levels on average" % (name, diff))
        if diff < 0.5:
            fail("the diagram did not move between %s" % name, app)
    if phases[0][0] != 0 or phases[2][0] != 1 or "view" not in phases[0][1] or "transpose" not in phases[2][1]:
        fail("q_heads should go from view to transpose(1, 2): %s" % phases, app)
    # Frames while it plays: the loop draws without waiting for input (every 1/60 s plus the frame's
    # own time), so never more slowly than when it waits. On a loaded 2-core machine under Mesa's
    # software GL a frame of the whole window itself takes ~100 ms, hence the bound relative to idle.
    playing, playing_n = median_gap(app.state(), times[0])
    print("  frames: median gap %.1f ms playing (%d), %.1f ms idle before (%d)"
          % (playing * 1000, playing_n, idle * 1000, idle_n))
    if playing > idle * 1.25 + 0.01 or playing > 0.3:
        fail("frames came every %.0f ms while playing, %.0f ms idle" % (playing * 1000, idle * 1000), app)
    app.wait_for("the player going on to step 5", lambda s: diagram(s) and diagram(s)["step"] == 5, timeout=30)
    app.click("diagram.play")  # Pause
    app.wait_for("paused", lambda s: diagram(s) and not diagram(s)["playing"])


def export(app, button, count):
    app.click(button)
    st = app.wait_for("export %d written" % count,
                      lambda s: diagram(s) and diagram(s)["exports"] >= count and not diagram(s)["exporting"],
                      timeout=240)
    msg = diagram(st)["last_export"]
    if not msg.startswith("Diagram:"):
        fail("the export failed: " + msg, app)
    return msg.split(" written to ")[1]


def check_gif(path, frames_expected, png_dir=None):
    width, height, loops, frames = gif_blocks(path)
    delays = [f[4] for f in frames]
    print("  %s: %d x %d, %d frames, loops %s" % (os.path.basename(path), width, height, len(frames), loops))
    if (width, height) != (960, 540) or loops != 0:
        raise Failure("%s: %d x %d, loops %s" % (path, width, height, loops))
    if len(frames) != frames_expected:
        raise Failure("%s: %d frames, expected %d" % (path, len(frames), frames_expected))
    if delays[:24] != [8] * 24 or delays[24] != 120:
        raise Failure("%s: delays %s" % (path, delays[:26]))
    from PIL import Image  # the independent decoder
    with Image.open(path) as im:
        if im.n_frames != frames_expected:
            raise Failure("%s: Pillow reads %d frames" % (path, im.n_frames))
        if png_dir is None:
            return
        worst = 0.0
        for k in range(0, 25, 6):
            im.seek(k)
            got = im.convert("RGB").tobytes()
            with Image.open(os.path.join(png_dir, "frame_%04d.png" % k)) as p:
                want = p.convert("RGB").tobytes()
            diff = sum(abs(a - b) for a, b in zip(got[::97], want[::97])) / len(got[::97])
            worst = max(worst, diff)
        print("  GIF frames against the PNG frames: mean |diff| at most %.2f levels" % worst)
        if worst > 3.0:
            raise Failure("the GIF's frames are not the PNG frames (mean diff %.2f)" % worst)


def check_exports(app, steps):
    png = export(app, "diagram.export_png", 1)
    if not os.path.isfile(png):
        fail("no PNG at " + png, app)
    gif_step = export(app, "diagram.export_gif", 2)
    frames_dir = export(app, "diagram.export_frames", 3)
    files = sorted(os.listdir(frames_dir))
    if len(files) != 25 or files[0] != "frame_0000.png":
        fail("%s: %d files" % (frames_dir, len(files)), app)
    check_gif(gif_step, 25, frames_dir)
    app.click("diagram.every_step")
    gif_all = export(app, "diagram.export_gif", 4)
    check_gif(gif_all, 25 * len(steps))
    leftovers = [f for f in os.listdir(os.path.dirname(gif_all)) if "partial" in f or f.endswith(".tmp")]
    if leftovers:
        fail("half-written exports left: %s" % leftovers, app)


def inspector(st):
    return st.get("probes", {}).get("inspector")


def click_at(app, item, fx, fy):
    lay = app.layout()
    x0, y0, x1, y1 = lay["items"][item]
    wx, wy = lay["window"][0], lay["window"][1]
    x, y = int(wx + x0 + fx * (x1 - x0)), int(wy + y0 + fy * (y1 - y0))
    xdotool("mousemove", "--sync", str(x), str(y))
    time.sleep(0.15)
    xdotool("click", "1")
    time.sleep(0.3)


def dump(cli, work):
    folder = os.path.join(work, "dump")
    subprocess.run([cli, "run", "--module", "multihead", "--emb-dim", "512", "--heads", "8", "--seed", "0",
                    "--max-len", "5", "--dump", folder, "--steps", "q_heads,k_heads,scores,scaled,masked,softmax"]
                   + sum((["--text", t] for t in SENTENCES), []), check=True, capture_output=True, timeout=120)
    named = {}
    for f in os.listdir(folder):
        if f.endswith(".npy") and "_" in f and f[:2].isdigit():
            named[f[3:-4]] = read_npy(os.path.join(folder, f))
    return named


def close(a, b, tol=1e-6):
    if a is None or b is None:  # JSON's NaN
        return a is None and (b is None or math.isnan(b))
    return abs(a - b) <= tol * (1.0 + abs(b))


def check_cell(probe, d, b, h, i, j):
    qs, qv = d["q_heads"]
    ks, kv = d["k_heads"]
    depth = qs[3]
    problems = []
    q = [at(qs, qv, b, h, i, e) for e in range(depth)]
    k = [at(ks, kv, b, h, j, e) for e in range(depth)]
    if not all(close(x, y) for x, y in zip(probe["q"], q)):
        problems.append("q_i")
    if not all(close(x, y) for x, y in zip(probe["k"], k)):
        problems.append("k_j")
    for name, step in (("score", "scores"), ("scaled", "scaled"), ("masked", "masked"), ("weight", "softmax")):
        s, v = d[step]
        if not close(probe[name], at(s, v, b, h, i, j)):
            problems.append("%s %s against %s" % (name, probe[name], at(s, v, b, h, i, j)))
    s, v = d["masked"]
    row = [at(s, v, b, h, i, c) for c in range(s[3])]
    if not all(close(x, y) for x, y in zip(probe["row"], row)):
        problems.append("the masked row")
    s, v = d["softmax"]
    weights = [at(s, v, b, h, i, c) for c in range(s[3])]
    if not all(close(x, y) for x, y in zip(probe["weights"], weights)):
        problems.append("the softmax row")
    dot = math.fsum(x * y for x, y in zip(q, k))
    if not close(probe["dot"], dot, 1e-9) or not close(dot, probe["score"], 1e-4):
        problems.append("the sum of products %s, %s here, score %s" % (probe["dot"], dot, probe["score"]))
    return problems, row, weights


def check_inspector(app, cli, work):
    d = dump(cli, work)
    app.click("pipeline.diagram")  # the diagram window off the Attention panel
    app.wait_for("the diagram window closed", lambda s: not s["settings"]["diagram_open"])
    # 1. A click on the Attention panel's matrix: query 2 ("jerry"), key 1 ("chases") of head 3.
    click_at(app, "attention.map", (1 + 0.5) / 5, (2 + 0.5) / 5)
    st = app.wait_for("the inspector on (0, 3, 2, 1)",
                      lambda s: inspector(s) and inspector(s)["cell"] == [0, HEAD, 2, 1])
    problems, row, _ = check_cell(inspector(st), d, 0, HEAD, 2, 1)
    if problems:
        fail("the inspector against attnscope-cli --dump: " + "; ".join(problems), app)
    print("  q_i, k_j, score, scaled, masked, the row's softmax and the weight equal the CLI's dump")
    # 2. The temperature slider, set by a click at 55% of its item (the item's rectangle holds the
    # label "temperature T" too, in its right third): softmax(row / T) worked out here.
    click_at(app, "inspector.temperature", 0.55, 0.5)
    st = app.wait_for("a temperature above 1", lambda s: inspector(s) and inspector(s)["temperature"] > 2.0)
    p = inspector(st)
    t = p["temperature"]
    m = max(x / t for x in row)
    e = [math.exp(x / t - m) for x in row]
    want = [x / sum(e) for x in e]
    if not all(close(a, b, 1e-5) for a, b in zip(p["weights_at_t"], want)):
        fail("softmax(row / %.3f): %s, expected %s" % (t, p["weights_at_t"], want), app)
    if not max(p["weights_at_t"]) < max(p["weights"]):
        fail("T = %.2f did not flatten the row" % t, app)
    print("  T = %.2f: the row is softmax(masked / T), flatter than at T = 1" % t)
    # 3. A click on the scores step's heat map (batch item 0, head 3): query 1, key 3.
    app.click("pipeline.step.5")
    key("Down")
    key("Down")
    app.wait_for("the scores step", lambda s: s["settings"]["step"] == 7)
    app.wait_for("its heat map", lambda s: app.has_item("pipeline.heatmap"))
    time.sleep(0.5)
    click_at(app, "pipeline.heatmap", (3 + 0.5) / 5, (1 + 0.5) / 5)
    st = app.wait_for("the inspector on (0, 3, 1, 3)",
                      lambda s: inspector(s) and inspector(s)["cell"] == [0, HEAD, 1, 3])
    problems, _, _ = check_cell(inspector(st), d, 0, HEAD, 1, 3)
    if problems:
        fail("the inspector (from the heat map) against the dump: " + "; ".join(problems), app)
    print("  a click on the scores heat map opens the same numbers for its cell")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--session", required=True, help="the default scene's session, to start from")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = fresh_folder(args.work)
    with open(args.session) as f:
        session = json.load(f)
    session.update({"module": "multihead", "step": 11, "head": HEAD, "sentences": SENTENCES, "max_len": 5})
    session_path = os.path.join(work, "session.json")
    with open(session_path, "w") as f:
        json.dump(session, f)
    steps = pipeline_steps(args.cli, work)
    print("multihead pipeline: %d steps" % len(steps))
    app = App(args.app, work, "teach", ["--session", session_path, "--export-dir", os.path.join(work, "export")])
    try:
        app.focus()
        check_step_in_view(app)
        print("ok: the selected step stays in view")
        check_play(app, steps)
        print("ok: Play animates q_heads, frames differ as it moves")
        check_exports(app, steps)
        print("ok: PNG, PNG frames and GIFs")
        check_inspector(app, args.cli, work)
        print("ok: the Q·K inspector")
        app.quit()
    finally:
        app.close()


if __name__ == "__main__":
    run_main(main)
