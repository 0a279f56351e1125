#!/usr/bin/python3
"""Frame time of the model view at bert-base's shapes (issue 11): 12 layers x 12 heads, 128 tokens,
random weights (make_model_folders.py --bert-base), while the model view's grid is scrolled with
the mouse wheel, under Xvfb (Mesa's software GL). Not in ctest (it makes a 440 MB folder and takes a
minute); run by hand:

    xvfb-run -a -s "-screen 0 1600x1000x24" /usr/bin/python3 tests/gui/explore_frame_time.py \
        --app build/app/attnscope --work /tmp/frame_time [--folders /tmp/folders]

Prints the median, 95th percentile and worst of the frames' own cost (building and drawing one
frame: frame_costs of the test hook) and of the gaps between frames while scrolling.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gui_harness import App, fail, fresh_folder, run_main, xdotool  # noqa: E402

WORDS = "the quick brown fox jumps over the lazy dog while a cat sleeps on the warm mat".split()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--folders", default=None)
    p.add_argument("--tab", type=int, default=0, help="the Explore tab shown (0: the model view; 2: similarity)")
    a = p.parse_args()
    work = fresh_folder(a.work)
    folders = a.folders or os.path.join(work, "folders")
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_model_folders.py"), folders, "--bert-base"])
    if r.returncode != 0:
        sys.exit(r.returncode)
    # 126 words + [CLS] and [SEP] = 128 tokens (the random vocabulary has every word).
    sentence = " ".join(WORDS[i % len(WORDS)] for i in range(126))
    session = os.path.join(work, "session.json")
    with open(session, "w") as f:
        json.dump({"sentences": [sentence], "explore_tab": a.tab}, f)
    app = App(a.app, work, "frames", ["--session", session, "--model", os.path.join(folders, "bert_base")])
    try:
        st = app.wait_for("bert-base shapes drawn", lambda s: s.get("model", {}).get("layers") == 12 and s["ready"]
                          and not s["busy"] and "head_view" in (s.get("views") or {}), timeout=300)
        app.focus()
        x, y = app.centre("model_view.grid" if a.tab == 0 else "attention.map")
        xdotool("mousemove", "--sync", str(x), str(y))
        time.sleep(1.0)
        first = app.state()["frame"]
        start = time.time()
        for i in range(40):
            xdotool("click", "5" if (i // 10) % 2 == 0 else "4")
            time.sleep(0.05)
        st = app.wait_for("frames after scrolling", lambda s: s["frame"] > first + 20, timeout=30)
        seconds = time.time() - start
        costs = sorted(st["frame_costs"][-(st["frame"] - first):])
        starts = st["frame_starts"][-(st["frame"] - first):]
        gaps = sorted(b - a for a, b in zip(starts, starts[1:]))
        tokens = st.get("views", {}).get("large_map", {})
        print(json.dumps({"frames": st["frame"] - first, "seconds": round(seconds, 1),
                          "cost_median_ms": round(statistics.median(costs) * 1000, 1),
                          "cost_p95_ms": round(costs[int(0.95 * (len(costs) - 1))] * 1000, 1),
                          "cost_max_ms": round(costs[-1] * 1000, 1),
                          "gap_median_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
                          "gap_max_ms": round(gaps[-1] * 1000, 1) if gaps else None,
                          "tokens": st["views"]["head_view"]["queries"],
                          "model_view": st["views"].get("model_view"), "large_map": tokens}, indent=1))
        app.quit()
    finally:
        app.close()


if __name__ == "__main__":
    run_main(main)
