#!/usr/bin/python3
"""The mask lab of the real window against torch (issue 12, "the mask lab's four cases against
torch through the live comparison"), driven with xdotool under Xvfb like a person:

  1. open the lab from the View menu; wait until its cases are computed (each case is a pass of
     its own on a worker thread: key_padding_mask, attn_mask, both, a fully masked row under -inf
     and under -1e9, the float 0/1 trap);
  2. check what the lab shows against torch's semantics it teaches: the -inf row is NaN, the
     -1e9 row is not;
  3. click "Save for torch" and run tests/torch/mask_lab_compare.py on what it wrote: every case's
     weights through torch's own nn.MultiheadAttention, within 1e-5, NaN in the same places.

Run by ctest (gui_mask_lab) inside xvfb-run; exits 77 (skipped) only when /usr/bin/python3 has
no torch, as the other live comparisons do.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_harness import App, fail, fresh_folder, run_main  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "..", "torch", "mask_lab_compare.py")


def lab(st):
    return st.get("probes", {}).get("mask_lab")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    probe = subprocess.run(["/usr/bin/python3", "-c", "import torch, numpy"], capture_output=True)
    if probe.returncode != 0:
        print("SKIPPED: torch not available to /usr/bin/python3")
        sys.exit(77)
    work = fresh_folder(args.work)
    export = os.path.join(work, "export")
    app = App(args.app, work, "mask_lab", ["--session", os.path.join(work, "session.json"), "--export-dir", export])
    try:
        app.focus()
        app.wait_ready()
        app.click("menu.view")
        app.wait_for("the View menu", lambda s: app.has_item("menu.view.mask_lab"), quiet=True)
        app.click("menu.view.mask_lab")
        st = app.wait_for("the mask lab's cases computed",
                          lambda s: lab(s) and not lab(s)["busy"] and len(lab(s)["cases"]) >= 4, 120)
        cases = {c["id"]: c for c in lab(st)["cases"]}
        print("the lab shows: " + ", ".join("%s (%d NaN)" % (c, cases[c]["nan"]) for c in cases))
        inf = [c for c in cases if "inf" in c]
        big = [c for c in cases if "1e9" in c]
        if not inf or not big:
            fail("the lab has no -inf / -1e9 pair of a fully masked row: %s" % sorted(cases), app)
        if not all(cases[c]["nan"] > 0 for c in inf):
            fail("a fully masked row under -inf should be NaN, as torch gives: %s" % [cases[c] for c in inf], app)
        if any(cases[c]["nan"] for c in big):
            fail("a fully masked row under -1e9 should be uniform, not NaN: %s" % [cases[c] for c in big], app)
        app.wait_for("the Save button", lambda s: app.has_item("mask_lab.save"), quiet=True)
        app.click("mask_lab.save")
        st = app.wait_for("Save for torch written", lambda s: lab(s) and lab(s)["saves"] >= 1)
        saved = lab(st)["last_save"]
        if not os.path.isfile(os.path.join(saved, "cases.json")):
            fail("Save for torch wrote no cases.json in %s" % saved, app)
        p = subprocess.run(["/usr/bin/python3", COMPARE, saved], capture_output=True, text=True, timeout=300)
        print(p.stdout.strip())
        if p.returncode != 0:
            fail("the lab's cases disagree with torch:\n" + p.stdout[-2000:] + p.stderr[-1000:], app)
        with open(os.path.join(saved, "cases.json")) as f:
            saved_cases = json.load(f)
        print("ok: %d cases of the lab equal torch's nn.MultiheadAttention" % len(saved_cases.get("cases", saved_cases)))
        app.quit()
    finally:
        app.close()


if __name__ == "__main__":
    run_main(main)
