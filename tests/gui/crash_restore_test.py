#!/usr/bin/python3
"""Nothing is lost when the app is killed: the session is saved as it changes (0.5 s after the
last edit, atomically), so after SIGKILL the next start shows the same inputs and settings.

Under Xvfb:
  1. start `attnscope --session TMP` (no file yet: the defaults) with the test hook on;
  2. like a person, with xdotool: pick head 2 / token 1 by clicking its thumbnail, add a sentence
     and type it, set max_len 7 and heads 4, tick "shared range", type opacity 0.25 (Ctrl+click on
     the slider), and choose MultiHeadAttention in the module combo;
  3. wait 1.5 s, note the settings the window shows (the hook writes the session's JSON), and
     kill the process with SIGKILL (by its PID);
  4. all along, a thread reads the session file as fast as it can: every read must be whole,
     valid JSON (the file is replaced by rename, never written in place);
  5. start it again with the same --session: the settings it shows must equal the noted ones,
     field by field, and so must the file;
  6. `--screenshot` of the restored session (a copy: a screenshot never writes the session),
     saved in the work folder for a person to look at.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gui_harness import App, fail, fresh_folder, key, run_main, type_text  # noqa: E402

NEW_SENTENCE = "a dog barks at night"


class SessionWatcher(threading.Thread):
    """Reads the session file in a loop; remembers every read that was not valid JSON."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.reads = self.absent = 0
        self.bad = []
        self.versions = set()

    def run(self):
        while not self.stop.is_set():
            try:
                with open(self.path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                self.absent += 1
                time.sleep(0.002)
                continue
            self.reads += 1
            try:
                obj = json.loads(data.decode("utf-8"))
                if not isinstance(obj, dict) or "sentences" not in obj:
                    raise ValueError("not a session object")
                self.versions.add(data)
            except ValueError as e:
                self.bad.append(f"{e}: {data[:200]!r}")
            time.sleep(0.001)


def edit_like_a_person(app):
    st = app.wait_ready("the first pass drawn (the defaults)")
    app.focus()
    n = len(st["sentences"])

    app.click("attention.thumb.h2.t1")
    app.wait_for("head 2, token 1 picked", lambda s: s["settings"]["head"] == 2 and s["settings"]["token"] == 1)

    app.click("input.add_sentence")
    app.wait_for("a new, empty sentence", lambda s: len(s["sentences"]) == n + 1)
    app.click(f"input.sentence.{n}")
    type_text(NEW_SENTENCE)
    app.wait_for("the typed sentence", lambda s: s["sentences"][n] == NEW_SENTENCE, 30)

    app.replace_field("input.max_len", "7", dx=12, enter=True)
    app.wait_for("max_len 7", lambda s: s["settings"]["max_len"] == 7, 30)

    app.replace_field("model.heads", "4", dx=12, enter=True)
    app.wait_for("heads 4", lambda s: s["settings"]["heads"] == 4, 30)

    app.click("attention.shared", dx=8)
    app.wait_for("shared range on", lambda s: s["settings"]["shared_normalisation"] is True, 30)

    app.click("attention.opacity", ctrl=True)  # Ctrl+click: the slider becomes a text field
    key("ctrl+a")
    type_text("0.25")
    key("Return")
    app.wait_for("opacity 0.25", lambda s: abs(s["settings"]["opacity"] - 0.25) < 1e-6, 30)

    app.click("model.module")
    app.wait_for("the module list open", lambda s: app.has_item("model.module.multihead"), 30)
    # A popup is laid out a frame before it is shown where it stays (several frames under ASan):
    # the item is clicked where it is drawn, not where it was measured.
    app.frames_advance(3)
    app.click("model.module.multihead")
    app.wait_for("MultiHeadAttention", lambda s: s["settings"]["module"] == "multihead", 30)
    return app.wait_ready("the pass of the new settings drawn")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    work = fresh_folder(args.work)
    session = os.path.join(work, "session.json")

    watcher = SessionWatcher(session)
    watcher.start()
    app = App(args.app, work, "first", ["--session", session, "--export-dir", os.path.join(work, "export")])
    try:
        edit_like_a_person(app)
        time.sleep(1.5)
        before = app.state()["settings"]
        app.kill()
        print(f"killed with SIGKILL (pid {app.proc.pid}), exit {app.proc.returncode}")
    finally:
        app.close()
        time.sleep(0.3)
        watcher.stop.set()
        watcher.join()

    print(f"the session file was read {watcher.reads} times ({len(watcher.versions)} versions), "
          f"{len(watcher.bad)} of them not valid JSON")
    if watcher.bad:
        fail("the session file was not valid JSON at some moment: " + "; ".join(watcher.bad[:3]))
    if watcher.reads == 0 or len(watcher.versions) < 2:
        fail("the session file was not saved as the settings changed")
    with open(session) as f:
        on_disk = json.load(f)
    if on_disk != before:
        diff = {k: (before.get(k), on_disk.get(k)) for k in set(before) | set(on_disk) if before.get(k) != on_disk.get(k)}
        fail(f"the session file differs from what the window showed before the kill: {diff}")
    leftovers = [n for n in os.listdir(work) if n.startswith("session.json.tmp")]
    if leftovers:
        print(f"note: temporary files left by the kill: {leftovers}")

    copy = os.path.join(work, "session-for-screenshot.json")
    shutil.copyfile(session, copy)
    app = App(args.app, work, "restored", ["--session", session, "--export-dir", os.path.join(work, "export")])
    try:
        st = app.wait_ready("the restored session drawn")
        after = st["settings"]
        if after != before:
            diff = {k: (before.get(k), after.get(k)) for k in before if before.get(k) != after.get(k)}
            fail(f"restored settings differ (before, after): {diff}", app)
        if st["sentences"][-1] != NEW_SENTENCE or st["pass"]["heads"] != 4:
            fail("the restored window does not show the typed sentence and 4 heads", app)
        errors = [m["text"] for m in st["message_log"] if m["kind"] == "error"]
        if errors:
            fail(f"the restored session gave error messages: {errors}", app)
        print("ok: every setting restored: " + json.dumps(after, ensure_ascii=False))
        app.quit()
    finally:
        app.close()

    shot = os.path.join(work, "restored.png")
    p = subprocess.run([args.app, "--session", copy, "--screenshot", shot], capture_output=True, text=True,
                       timeout=280)
    if p.returncode != 0 or not os.path.exists(shot):
        fail(f"--screenshot of the restored session exited {p.returncode}: {p.stderr}")
    print(f"ok: screenshot of the restored session: {shot}")


if __name__ == "__main__":
    run_main(main)
