#!/usr/bin/python3
"""Real models from the app's command line, and any query of a ViT (issue 11), under Xvfb:

  1. `attnscope --model M --layer 1 --text ... --export A` writes the same files as
     `attnscope-cli run --model M --text ... --export-maps B` (compare_exports: same names, same
     maps.json, pixels within 2/255), for use-lite with two sentences (padding), a BERT folder
     with random weights (two sentences) and a ViT folder with random weights over a picture;
  2. `attnscope --model VIT --layer 1`: layer 1 is the one shown; clicking a patch of the picture
     makes it the query: the map shown is that patch's row, equal to attnscope-cli's --dump
     (attentions.npy [layers, b, heads, L, L]) at [1, 0, 0, 1 + patch, 1:] (the [CLS] key is not
     on the picture), and the window's pixels (read back from the X server, opacity 1) at the
     patches' centres are ordered in brightness as that row's values are (viridis's lightness
     rises with the value), and their colours are attnscope-cli's picture of that row (--opacity 1)
     within 6/255 at every patch centre; the [CLS] button goes back to query 0;
  3. an unusable folder on the command line (config.json of an unsupported model_type) gives one
     message naming the file, and the window keeps going on the seed's module; a BERT folder
     dropped on the window (XDND) opens; the bad folder dropped then gives one more message and
     the BERT folder stays.

The BERT and ViT folders come from make_model_folders.py (python3-torch): exits 77 without torch,
or without use-lite fetched.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gui_harness import App, app_export_equals_cli, fail, fresh_folder, run_main, xdotool  # noqa: E402


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def run(cmd, env, what):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    if r.returncode != 0:
        fail(f"{what} exited {r.returncode}: {r.stderr[-2000:]}")
    return r


def views(st):
    return st.get("views") or {}


def exports_equal(a, work, env, name, model, inputs):
    app_dir = app_export_equals_cli(a, work, env, name, ["--model", model, "--layer", "1", *inputs],
                                    ["--model", model, *inputs])
    layers = {f.split("_")[0] for f in os.listdir(app_dir) if f.endswith(".png")}
    if layers != {"l0", "l1"}:
        fail(f"{name}: the export's file names do not carry both layers: {sorted(os.listdir(app_dir))}")


def window_pixels(app, rect):
    """The window's pixels inside `rect` (window coordinates x0, y0, x1, y1) as read back from the
    X server (what the GL framebuffer presented), [h, w, 3] uint8 RGB."""
    import numpy as np
    from Xlib import X, display

    from gui_harness import find_window

    d = display.Display()
    win = d.create_resource_object("window", int(find_window(app.proc.pid)))
    x0, y0 = int(rect[0]), int(rect[1])
    w, h = int(rect[2]) - x0, int(rect[3]) - y0
    img = win.get_image(x0, y0, w, h, X.ZPixmap, 0xFFFFFFFF)
    bgrx = np.frombuffer(img.data, dtype=np.uint8).reshape(h, w, 4)
    d.close()
    return bgrx[..., [2, 1, 0]]


def check_pixels(app, values, rows, cols, what):
    """The map on screen at each patch's centre, against the row's values: viridis's lightness
    rises with the value, so the patches' brightness must rank as the values do (Spearman), with
    the brightest patch the largest value."""
    import numpy as np

    xdotool("mousemove", "--sync", "1", "1")  # no hover frame or tooltip over the map
    time.sleep(0.5)
    rect = app.layout()["items"]["attention.map"]
    px = window_pixels(app, rect).astype(np.float64)
    h, w = px.shape[:2]
    light = []
    for r in range(rows):
        for c in range(cols):
            y, x = int((r + 0.5) * h / rows), int((c + 0.5) * w / cols)
            p = px[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].reshape(-1, 3).mean(axis=0)
            light.append(0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2])
    light = np.array(light)
    if os.environ.get("EXPLORE_DEBUG"):
        from gui_harness import png_bytes
        with open("/tmp/ex1/grab_%s.png" % what.replace(" ", "_"), "wb") as f:
            f.write(png_bytes(w, h, lambda y: px[y].astype(np.uint8).tobytes()))
        print("light", np.round(light).tolist(), "values", np.round(values, 3).tolist())
    # Every pair of patches whose values differ by over a tenth of the row's range must be ordered
    # alike on screen (viridis's lightness rises with the value; 8-bit colours cannot order
    # closer values), and the brightest patch is the largest value.
    t = (values - values.min()) / max(values.max() - values.min(), 1e-12)
    pairs = wrong = 0
    for i in range(len(t)):
        for j in range(len(t)):
            if t[i] - t[j] > 0.1:
                pairs += 1
                wrong += light[i] <= light[j]
    if wrong or int(np.argmax(light)) != int(np.argmax(values)):
        fail(f"{what}: the pixels on screen do not follow the row ({wrong} of {pairs} pairs out of order, "
             f"brightest patch {int(np.argmax(light))}, largest value {int(np.argmax(values))})", app)
    return pairs


def check_colours(app, cli_png, rows, cols, what):
    """The window's map against attnscope-cli's picture of the same row (CPU painter, opacity 1):
    at each patch's centre the colours agree within 6/255 a channel (the GPU's rounding and the
    two resamplings of the picture)."""
    import numpy as np
    from PIL import Image

    xdotool("mousemove", "--sync", "1", "1")
    time.sleep(0.3)
    rect = app.layout()["items"]["attention.map"]
    screen = window_pixels(app, rect).astype(np.int64)
    cli = np.asarray(Image.open(cli_png).convert("RGB"), dtype=np.int64)
    worst = 0
    for r in range(rows):
        for c in range(cols):
            fy, fx = (r + 0.5) / rows, (c + 0.5) / cols
            s = screen[int(fy * screen.shape[0]), int(fx * screen.shape[1])]
            w = cli[int(fy * cli.shape[0]), int(fx * cli.shape[1])]
            worst = max(worst, int(np.max(np.abs(s - w))))
    if worst > 6:
        fail(f"{what}: the window's colours differ from attnscope-cli's picture by {worst}/255 at a patch centre", app)
    return worst


def vit_patch_click(a, work, env, vit, picture):
    import numpy as np

    dump = os.path.join(work, "vit_dump")
    run([a.cli, "run", "--model", vit, "--image", picture, "--dump", dump], env, "attnscope-cli run --dump (ViT)")
    att = np.load(os.path.join(dump, "attentions.npy"))  # [layers, b, heads, L, L]
    session = os.path.join(work, "vit_session.json")
    with open(session, "w") as f:
        json.dump({"opacity": 1.0}, f)
    export = os.path.join(work, "vit_app_export")
    # The CLI's pictures of the rows clicked below (layer 1, head 0), at the window's opacity 1.
    cli_rows = os.path.join(work, "vit_cli_rows")
    for q in (1 + 2 * 4 + 1, 4):  # patches (2, 1) and (0, 3) of the random ViT's 4 x 4 grid
        run([a.cli, "run", "--model", vit, "--image", picture, "--opacity", "1", "--query", str(q),
             "--export-maps", os.path.join(cli_rows, str(q))], env, "attnscope-cli run --query (ViT rows)")
    app = App(a.app, work, "vit", ["--session", session, "--model", vit, "--layer", "1", "--image", picture,
                                   "--export-dir", export], env=env)
    try:
        st = app.wait_for("the ViT drawn", lambda s: s.get("model", {}).get("family") == "vit" and s["ready"]
                          and not s["busy"] and "patch_row" in views(s), timeout=120)
        lm = views(st)["large_map"]
        if lm["layer"] != 1 or lm["token"] != 0:
            fail(f"--layer 1 shows layer {lm['layer']}, query {lm['token']} (want layer 1, the [CLS] query 0)", app)
        app.focus()
        grid = views(st)["patch_row"]
        rows, cols = grid["rows"], grid["cols"]
        for r, c in [(2, 1), (0, cols - 1)]:
            lay = app.layout()
            x0, y0, x1, y1 = lay["items"]["attention.map"]
            x = int(lay["window"][0] + x0 + (x1 - x0) * (c + 0.5) / cols)
            y = int(lay["window"][1] + y0 + (y1 - y0) * (r + 0.5) / rows)
            xdotool("mousemove", "--sync", str(x), str(y))
            time.sleep(0.15)
            xdotool("click", "1")
            token = 1 + r * cols + c
            st = app.wait_for(f"patch ({r}, {c}) is the query (token {token})",
                              lambda s: views(s)["large_map"]["token"] == token
                              and views(s)["large_map"]["quantity"] == "weights")
            shown = np.array(views(st)["patch_row"]["values"], dtype=np.float64)
            want = att[1, 0, 0, token, 1:]
            if shown.shape != want.shape or np.max(np.abs(shown - want)) > 1e-6:
                fail(f"patch ({r}, {c}): the map shown {shown.tolist()} is not the CLI's row {want.tolist()}", app)
            time.sleep(0.5)  # the frame with the new map presented
            pairs = check_pixels(app, want, rows, cols, f"patch ({r}, {c})")
            row_dir = os.path.join(cli_rows, str(token))
            if os.path.isdir(row_dir):
                name = next(n for n in os.listdir(row_dir) if n.startswith("l1_b0_h0_t%d_" % token))
                worst = check_colours(app, os.path.join(row_dir, name), rows, cols, f"patch ({r}, {c})")
                print(f"ok: patch ({r}, {c})'s map on screen is attnscope-cli's {name} within {worst}/255 at every "
                      f"patch centre")
            print(f"ok: the map shown is patch ({r}, {c})'s row of layer 1 head 0 (max diff "
                  f"{np.max(np.abs(shown - want)):.2e}); on screen, its patches' brightness ranks as the row "
                  f"({pairs} pairs in order, the brightest the largest)")
        # Save query: patch (0, cols - 1)'s rows over the picture, every layer x head and the mean, as
        # attnscope-cli run --model VIT --export-maps D --query N writes them.
        app.click("attention.save_query")
        app.wait_for("the query's maps saved", lambda s: any(f"maps of query {token}" in m["text"]
                                                             for m in s["message_log"]))
        cli_q = os.path.join(work, "vit_cli_query")
        run([a.cli, "run", "--model", vit, "--image", picture, "--export-maps", cli_q, "--query", str(token)], env,
            "attnscope-cli run --query (ViT)")
        mine = sorted(n for n in os.listdir(export))
        theirs = sorted(n for n in os.listdir(cli_q) if n == "queries.json" or f"_t{token}_" in n)
        if mine != theirs:
            fail(f"Save query wrote {mine}, the CLI's --query {token} {theirs}", app)
        with open(os.path.join(export, "queries.json"), "rb") as f, open(os.path.join(cli_q, "queries.json"), "rb") as g:
            if f.read() != g.read():
                fail("the window's queries.json differs from attnscope-cli's", app)
        print(f"ok: Save query wrote the CLI's {len(mine) - 1} maps of query {token} and its queries.json")
        app.click("attention.cls")
        app.wait_for("[CLS] is the query again", lambda s: views(s)["large_map"]["token"] == 0)
        app.quit()
    finally:
        app.close()


def drop(app, path):
    """Drops `path` on the window as a file manager does (XDND, xdnd_drop.py)."""
    from gui_harness import find_window

    wid = find_window(app.proc.pid)
    lay = app.layout()
    x, y = lay["window"][0] + lay["window"][2] // 2, lay["window"][1] + lay["window"][3] // 2
    r = subprocess.run([sys.executable, os.path.join(HERE, "xdnd_drop.py"), wid, str(x), str(y), path],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        fail(f"the window did not take the drop of {path}: {r.stderr.strip()}", app)


def unusable_folder(a, work, env, bert):
    bad = os.path.join(work, "my-gpt2")
    os.makedirs(bad)
    with open(os.path.join(bad, "config.json"), "w") as f:
        json.dump({"model_type": "gpt2", "n_layer": 2}, f)
    session = os.path.join(work, "bad_session.json")
    with open(session, "w") as f:
        json.dump({"module": "multihead", "heads": 2, "emb_dim": 16, "sentences": ["a cat"]}, f)
    app = App(a.app, work, "bad", ["--session", session, "--model", bad], env=env)
    try:
        st = app.wait_for("one error naming config.json",
                          lambda s: any(m["kind"] == "error" for m in s["message_log"]) and not s["busy"], timeout=60)
        time.sleep(1.0)
        app.frames_advance()
        st = app.state()
        errors = [m["text"] for m in st["message_log"] if m["kind"] == "error"]
        if len(errors) != 1 or os.path.join(bad, "config.json") not in errors[0] or "gpt2" not in errors[0]:
            fail(f"the unusable folder gave {errors}, not one message naming its config.json and gpt2", app)
        print(f"ok: {errors[0]}")
        # A model folder dropped on the window opens it; the bad one dropped then keeps it.
        app.focus()
        drop(app, bert)
        app.wait_for("the dropped BERT folder loaded", lambda s: s.get("model", {}).get("family") == "bert"
                     and s["ready"] and not s["busy"])
        drop(app, bad)
        app.wait_for("a second error for the dropped bad folder",
                     lambda s: len([m for m in s["message_log"] if m["kind"] == "error"]) == 2 and not s["busy"])
        time.sleep(1.0)
        st = app.state()
        if st.get("model", {}).get("family") != "bert" or st["settings"]["model"] != os.path.abspath(bert):
            fail("the dropped bad folder did not keep the BERT folder shown", app)
        print("ok: a dropped folder opens; a dropped bad folder keeps the model shown")
        app.quit()
    finally:
        app.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--compare", required=True)
    p.add_argument("--assets", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    work = fresh_folder(a.work)
    env = dict(os.environ, ATTNSCOPE_ASSETS=os.path.abspath(a.assets), XDG_CONFIG_HOME=os.path.join(work, "config"),
               HF_HOME=os.path.join(work, "empty_hf_home"))
    models = subprocess.run([a.cli, "models"], capture_output=True, text=True, timeout=120, env=env)
    if "use-lite" not in models.stdout:
        skip("use-lite is not fetched (attnscope-cli fetch use-lite)")
    folders = os.path.join(work, "folders")
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_model_folders.py"), folders], capture_output=True,
                       text=True, timeout=300)
    if r.returncode == 77:
        skip("torch is missing (python3-torch makes the test folders)")
    if r.returncode != 0:
        fail("make_model_folders.py failed: " + r.stdout + r.stderr)
    picture = os.path.join(os.path.abspath(a.assets), "images", "chelsea.png")
    two = ["--text", "The cat sat on the mat because it was tired.", "--text", "A dog ran."]
    exports_equal(a, work, env, "use_lite", "use-lite", two)
    exports_equal(a, work, env, "bert", os.path.join(folders, "small_bert"), two)
    exports_equal(a, work, env, "vit", os.path.join(folders, "small_vit"), ["--image", picture])
    vit_patch_click(a, work, env, os.path.join(folders, "small_vit"), picture)
    unusable_folder(a, work, env, os.path.join(folders, "small_bert"))


if __name__ == "__main__":
    run_main(main)
