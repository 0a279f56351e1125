#!/usr/bin/python3
"""`attnscope --screenshot` of a fixed scene against the committed reference.

The scene is fixed by a session file (tests/gui/data/screenshot_session.json: the default
scene, written out) and the window size (1440 x 900, the app's default). Run under
`xvfb-run -a -s "-screen 0 1600x1000x24"`. The comparison and its tolerance are in
compare_png.cpp. With --update, the reference is rewritten from a fresh screenshot
(`cmake --build build --target update_gui_screenshot`); look at it before committing it.
"""
import argparse
import os
import shutil
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--app", required=True)
parser.add_argument("--compare", required=True)
parser.add_argument("--session", required=True)
parser.add_argument("--reference", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--update", action="store_true")
args = parser.parse_args()

shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
# A copy of the session: the app never writes a session in --screenshot mode, but the committed
# file must stay untouched whatever happens.
session = os.path.join(args.work, "session.json")
shutil.copyfile(args.session, session)
shot = os.path.join(args.work, "screenshot.png")
p = subprocess.run([args.app, "--session", session, "--export-dir", os.path.join(args.work, "export"),
                    "--screenshot", shot], capture_output=True, text=True, timeout=280)
print(p.stdout + p.stderr)
if p.returncode != 0 or not os.path.exists(shot):
    print(f"FAIL: attnscope --screenshot exited {p.returncode}")
    sys.exit(1)

if args.update:
    shutil.copyfile(shot, args.reference)
    print(f"reference rewritten: {args.reference}")
    sys.exit(0)

c = subprocess.run([args.compare, shot, args.reference, os.path.join(args.work, "diff.png")],
                   capture_output=True, text=True)
print(c.stdout + c.stderr)
print(f"screenshot: {shot}")
sys.exit(c.returncode)
