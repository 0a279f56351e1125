#!/usr/bin/python3
"""Drag and drop onto the real window, under Xvfb: a picture, a weights file and a bad file are
dropped the way a file manager drops them (XDND, see xdnd_drop.py), and the app must take the
picture and the weights (its saved session names them) and refuse the bad file with a message,
still running.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from drive_app import App, fail  # noqa: E402
from gui_harness import find_window  # noqa: E402


def session(app):
    try:
        with open(app.session) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def wait_session(app, what, predicate, timeout=30.0):
    start = time.time()
    while time.time() - start < timeout:
        if app.proc.poll() is not None:
            fail(f"the app exited ({app.proc.returncode}) while waiting for: {what}")
        if predicate(session(app)):
            print(f"ok: {what} ({time.time() - start:.1f} s)")
            return
        time.sleep(0.1)
    fail(f"timed out waiting for: {what}; session: {json.dumps(session(app))[:2000]}", app.layout())


def drop(app, path):
    wid = find_window(app.proc.pid)
    if not wid:
        fail("no attnscope window found")
    lay = app.layout()
    x, y = lay["window"][0] + lay["window"][2] // 2, lay["window"][1] + lay["window"][3] // 2
    r = subprocess.run([sys.executable, os.path.join(HERE, "xdnd_drop.py"), wid, str(x), str(y), path],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        fail(f"the window did not take the drop of {path}: {r.stderr.strip()}")
    print(f"dropped {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--assets", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        fail("no DISPLAY: run me under xvfb-run")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    # The default scene's module with other weights, saved by the CLI, to drop as a file.
    weights = os.path.join(args.work, "dropped weights.safetensors")
    subprocess.run([args.cli, "run", "--module", "cross-multihead", "--emb-dim", "512", "--heads", "8", "--grid",
                    "4x4", "--seed", "5", "--save-weights", weights], check=True, capture_output=True, timeout=120)
    bad = os.path.join(args.work, "notes.png")
    with open(bad, "w") as f:
        f.write("not a picture\n")
    picture = os.path.join(args.assets, "images", "coffee.png")

    app = App(args.app, args.work)
    try:
        app.wait_for("the first pass drawn", lambda l: l["state"]["ready"])
        drop(app, picture)
        wait_session(app, "the dropped picture in use", lambda s: s.get("image_path") == picture)
        app.wait_for("a pass over it", lambda l: l["state"]["ready"] and not l["state"]["engine_error"])

        drop(app, weights)  # a name with a space: the URI is %-encoded and must be decoded
        wait_session(app, "the dropped weights in use", lambda s: s.get("weights_path") == weights)
        app.wait_for("a pass with them", lambda l: l["state"]["ready"] and not l["state"]["engine_error"])

        drop(app, bad)
        app.wait_for("a message naming the bad file",
                     lambda l: any("notes.png" in m for m in l["state"]["messages"]))
        time.sleep(0.5)
        if app.proc.poll() is not None:
            fail("the app exited after the bad drop")
        if session(app).get("image_path") != picture:
            fail("a refused picture replaced the good one in the session")
        print("PASS: drops of a picture, weights and a bad file")
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
        app.stderr.close()


if __name__ == "__main__":
    main()
