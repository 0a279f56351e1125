#!/usr/bin/python3
"""The README's pictures of lessons, presentation mode and the teaching windows, made from the
sessions in tests/gui/data:

    lesson_screenshots.py --app build/app/attnscope --data tests/gui/data --out assets/screenshots

lesson_step_en / lesson_step_zh / light_theme / diagram_transpose (the step diagram mid-
transpose) / inspector (the Q·K inspector at T = 2.5) / mask_lab: `attnscope --screenshot` of the session (the
window's 1440 x 900, a steady frame: the highlight at one moment of its pulse, no hover).
presentation_200: the same lesson step at 200 %, in a window resized to 1920 x 1080 as on a
projector, read back from the X server once it has drawn. Run under
`xvfb-run -a -s "-screen 0 2000x1200x24"`; look at the pictures before committing them.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lessons_test  # noqa: E402
from gui_harness import App, find_window, png_bytes, run_main  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="attnscope_shots_")
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"))  # no lessons of this machine's user
    for name in ["lesson_step_en", "lesson_step_zh", "light_theme", "diagram_transpose", "inspector", "mask_lab"]:
        session = os.path.join(work, name + ".json")
        shutil.copyfile(os.path.join(args.data, name + ".json"), session)
        out = os.path.join(args.out, name + ".png")
        subprocess.run([args.app, "--session", session, "--export-dir", os.path.join(work, "export"),
                        "--screenshot", out], check=True, timeout=280, env=env)
        print("wrote", out)
    session = os.path.join(work, "presentation.json")
    shutil.copyfile(os.path.join(args.data, "presentation_200.json"), session)
    app = App(args.app, work, "presentation", ["--session", session, "--export-dir", os.path.join(work, "export")],
              env={"XDG_DATA_HOME": os.path.join(work, "data")})
    try:
        app.wait_ready()
        subprocess.run(["xdotool", "windowsize", "--sync", find_window(app.proc.pid), "1920", "1080"], timeout=30)
        app.wait_for("the window at 1920 x 1080", lambda s: app.last["window"][2:] == [1920, 1080])
        app.frames_advance(20)
        time.sleep(1.0)
        w, h, rows = lessons_test.grab_window(app)
        out = os.path.join(args.out, "presentation_200.png")
        with open(out, "wb") as f:
            f.write(png_bytes(w, h, lambda r: rows[r]))
        print("wrote", out)
    finally:
        app.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
