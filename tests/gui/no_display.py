#!/usr/bin/python3
"""Without a display, attnscope says so in one line on stderr, points to attnscope-cli, exits 2."""
import argparse
import os
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--app", required=True)
args = parser.parse_args()

env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
p = subprocess.run([args.app, "--session", "/nonexistent/never-written.json"], env=env,
                   capture_output=True, text=True, timeout=30)
lines = [l for l in p.stderr.splitlines() if l.strip()]
print("exit", p.returncode, "stderr:", p.stderr, sep="\n")
ok = p.returncode == 2 and len(lines) == 1 and "attnscope-cli" in lines[0] and lines[0].startswith("attnscope:")
sys.exit(0 if ok else 1)
