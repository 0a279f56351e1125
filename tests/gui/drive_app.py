#!/usr/bin/python3
"""The real attnscope window, driven end to end like a person would, under Xvfb.

Run by ctest inside `xvfb-run -a -s "-screen 0 1600x1000x24"`. The app writes where its widgets
are (ATTNSCOPE_TEST_LAYOUT, window pixels) and what it shows; this script moves the real X
pointer there with xdotool, clicks and types, then checks what the app exported:

  1. start `attnscope --session <tmp> --export-dir <tmp>` and wait for the first pass
     (the seed's 3 sentences, CrossMultiAttention, 8 heads) to be drawn;
  2. click "+ Add sentence", click the new field and type "a dog runs";
  3. click the heads field, select all and type 4, Enter;
  4. press Ctrl+E (export every map): the window keeps drawing while it runs (no frame over 0.5 s);
  5. check the export folder holds exactly the maps of the NEW settings: 4 sentences, 4 heads and
     the mean, one map per token that is not padding (4 + 3 + 4 + 3 tokens -> 70 PNGs), each at the
     picture's size 451 x 300, with the same names and maps.json as attnscope-cli's export of the
     same scene (the names come from the one map model; this test keeps no copy of them);
  6. Ctrl+Q, and check the session file remembers the new sentence and heads.

If the app ignored any of the input, the count or the names would be those of the defaults (99
maps of 3 sentences x 9) and the test fails.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_harness import find_window  # noqa: E402
from png_util import png_size  # noqa: E402

NEW_SENTENCE = "a dog runs"
NEW_HEADS = 4
PICTURE_SIZE = (451, 300)  # assets/images/chelsea.png, the default picture
ARGS = None


class App:
    def __init__(self, binary, work):
        self.work = work
        self.layout_path = os.path.join(work, "layout.json")
        self.session = os.path.join(work, "session.json")
        self.export_dir = os.path.join(work, "export")
        env = dict(os.environ, ATTNSCOPE_TEST_LAYOUT=self.layout_path)
        self.stderr = open(os.path.join(work, "app.stderr"), "w")
        self.proc = subprocess.Popen([binary, "--session", self.session, "--export-dir", self.export_dir],
                                     env=env, stdout=self.stderr, stderr=subprocess.STDOUT)

    def layout(self):
        try:
            with open(self.layout_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_for(self, what, predicate, timeout=120.0):
        start = time.time()
        last = None
        while time.time() - start < timeout:
            if self.proc.poll() is not None:
                fail(f"the app exited ({self.proc.returncode}) while waiting for: {what}", last)
            last = self.layout()
            if last is not None:
                try:
                    if predicate(last):
                        print(f"ok: {what} ({time.time() - start:.1f} s)")
                        return last
                except (KeyError, IndexError, TypeError):
                    pass
            time.sleep(0.1)
        fail(f"timed out waiting for: {what}", last)

    def centre(self, name, dx=None):
        """Screen coordinates of a widget: the window's position plus the item's rectangle."""
        lay = self.layout()
        x0, y0, x1, y1 = lay["items"][name]
        wx, wy = lay["window"][0], lay["window"][1]
        x = x0 + (dx if dx is not None else (x1 - x0) / 2)
        return int(wx + x), int(wy + (y0 + y1) / 2)

    def click(self, name, dx=None):
        x, y = self.centre(name, dx)
        xdotool("mousemove", "--sync", str(x), str(y))
        time.sleep(0.15)
        xdotool("click", "1")
        time.sleep(0.25)


def xdotool(*args):
    subprocess.run(["xdotool", *args], check=True, timeout=30)


def key(keys):
    """A key press like a person's: with a pause after it, so frames see it before the next one."""
    xdotool("key", "--delay", "80", keys)
    time.sleep(0.2)


def fail(message, layout=None):
    print("FAIL:", message)
    if layout is not None:
        print("app state:", json.dumps(layout.get("state"), indent=1)[:4000])
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--assets", required=True)
    global ARGS
    ARGS = args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        fail("no DISPLAY: run me under xvfb-run")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    app = App(args.app, args.work)
    try:
        run(app)
    finally:
        if app.proc.poll() is None:
            app.proc.kill()
        app.stderr.close()
        with open(os.path.join(args.work, "app.stderr")) as f:
            text = f.read()
        if text.strip():
            print("app output:\n" + text)


def run(app):
    app.wait_for("the first pass drawn (3 sentences, 8 heads)",
                 lambda l: l["state"]["ready"] and l["state"]["pass"]["heads"] == 8
                 and l["state"]["pass"]["batches"] == 3)

    # Keyboard focus to the window (no window manager under Xvfb), pointer over it.
    wid = find_window(app.proc.pid)
    if wid:
        subprocess.run(["xdotool", "windowfocus", "--sync", wid], timeout=30)
    lay = app.layout()
    xdotool("mousemove", "--sync", str(lay["window"][0] + 200), str(lay["window"][1] + 200))
    time.sleep(0.3)

    app.click("input.add_sentence")
    app.wait_for("a fourth, empty sentence", lambda l: len(l["state"]["sentences"]) == 4
                 and "input.sentence.3" in l["items"])
    app.click("input.sentence.3")
    xdotool("type", "--delay", "60", NEW_SENTENCE)
    app.wait_for(f"the typed sentence '{NEW_SENTENCE}'", lambda l: l["state"]["sentences"][3] == NEW_SENTENCE, 30)

    app.click("model.heads", dx=12)  # the text field is the left part (the +/- buttons follow)
    key("ctrl+a")
    xdotool("type", "--delay", "60", str(NEW_HEADS))
    time.sleep(0.2)
    key("Return")
    app.wait_for(f"heads {NEW_HEADS}", lambda l: l["state"]["heads"] == NEW_HEADS, 30)

    key("ctrl+e")
    lay = app.wait_for("the export", lambda l: l["state"]["exports"] >= 1)
    print("app says:", lay["state"]["last_export"])
    # The maps are painted a few per frame: no frame of the export took long (painting all 70 in
    # one frame took seconds), and the window kept drawing.
    slowest = max(lay["state"]["frame_costs"])
    if slowest > 0.5:
        fail(f"a frame took {slowest:.2f} s while the maps were exported: the window froze", lay)
    print(f"ok: the slowest of the last {len(lay['state']['frame_costs'])} frames took {slowest * 1000:.0f} ms")
    # max_len is auto: the seed's own batch pads to 5, this new batch to its longest sentence (4).
    sentences = lay["state"]["sentences"]
    longest = 4  # "tom chases jerry !" and "jerry sees the cat"
    if lay["state"]["pass"] != {"batches": 4, "heads": NEW_HEADS, "tokens": longest}:
        fail("the pass on screen is not the new one", lay)

    sentences = lay["state"]["sentences"]
    cli_dir = os.path.join(app.work, "cli_export")
    cli = subprocess.run([ARGS.cli, "run", "--module", "cross-multihead", "--heads", str(NEW_HEADS), "--max-len", "0",
                          "--image", os.path.join(ARGS.assets, "images", "chelsea.png"),
                          *[x for s in sentences for x in ("--text", s)], "--export-maps", cli_dir],
                         capture_output=True, text=True, timeout=120)
    if cli.returncode != 0:
        fail(f"attnscope-cli on the same scene failed: {cli.stderr.strip()}")
    expected = {f for f in os.listdir(cli_dir) if f.endswith(".png")}
    if len(expected) != 70:
        fail(f"the CLI's export of the new settings has {len(expected)} maps, expected 4 + 3 + 4 + 3 tokens x 5 = 70")
    found = {f for f in os.listdir(app.export_dir) if f.endswith(".png")}
    if found != expected:
        fail(f"exported {len(found)} PNGs, expected {len(expected)}; missing {sorted(expected - found)[:8]}, "
             f"unexpected {sorted(found - expected)[:8]}")
    for name in sorted(found):
        size = png_size(os.path.join(app.export_dir, name))
        if size != PICTURE_SIZE:
            fail(f"{name} is {size[0]} x {size[1]}, expected {PICTURE_SIZE[0]} x {PICTURE_SIZE[1]}")
    with open(os.path.join(app.export_dir, "maps.json")) as f:
        index = json.load(f)
    with open(os.path.join(cli_dir, "maps.json")) as f:
        if json.load(f) != index:
            fail("maps.json differs from the CLI's for the same scene")
    dog = [e for e in index if e["batch"] == 3 and e["token_index"] == 1 and e["head"] == "mean"]
    if len(dog) != 1 or dog[0]["token"] != "dog" or (dog[0]["width"], dog[0]["height"]) != PICTURE_SIZE:
        fail(f"maps.json entry of 'dog' in the new sentence: {dog}")
    print(f"ok: {len(found)} maps of the new settings, each {PICTURE_SIZE[0]} x {PICTURE_SIZE[1]}, in maps.json")

    key("ctrl+q")
    try:
        code = app.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("the app did not quit on Ctrl+Q")
    if code != 0:
        fail(f"the app exited with {code}")
    with open(app.session) as f:
        session = json.load(f)
    if session.get("sentences", [None] * 4)[3] != NEW_SENTENCE or session.get("heads") != NEW_HEADS:
        fail(f"the session file does not remember the edits: {session}")
    print("ok: the session file remembers the new sentence and heads")
    print("PASS")


if __name__ == "__main__":
    main()
