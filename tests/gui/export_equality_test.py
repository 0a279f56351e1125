"""The app's export equals the CLI's (issue: one map model for both front ends).

    export_equality_test.py --app build/app/attnscope --cli build/app/attnscope-cli \
        --compare build/tests/gui/compare_exports --assets assets --work DIR

For each scene, `attnscope --session S --export A` (the real window under Xvfb, GPU colormap) and
`attnscope-cli run ... --export-maps B` (CPU colormap) must write the same file names, the same
maps.json, and pictures of the same sizes within 2/255 (compare_exports). Scenes: the default
(CrossMultiAttention over the cat, 8 heads, the seed's batch padded to 5), a self-attention
matrix scene with padding, a CJK sentence over another picture with one shared colour range and
another colormap, and a fully padded sentence with -inf (NaN maps).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

SCENES = [
    # name, session fields, CLI arguments
    ("default", {}, ["--module", "cross-multihead", "--heads", "8", "--emb-dim", "512", "--max-len", "5"]),
    ("matrices", {"module": "multihead", "heads": 4, "emb_dim": 64, "max_len": 0,
                  "sentences": ["the quick brown fox jumps over the lazy dog", "a cat"]},
     ["--module", "multihead", "--heads", "4", "--emb-dim", "64", "--max-len", "0",
      "--text", "the quick brown fox jumps over the lazy dog", "--text", "a cat"]),
    ("cjk_shared", {"module": "cross", "emb_dim": 32, "max_len": 0, "sentences": ["汤姆追逐杰瑞"],
                    "image_path": "@coffee", "grid_h": 12, "grid_w": 18, "shared_normalisation": True,
                    "colormap": "magma", "opacity": 0.8},
     ["--module", "cross", "--emb-dim", "32", "--max-len", "0", "--text", "汤姆追逐杰瑞", "--image", "@coffee",
      "--grid", "12x18", "--shared-range", "--colormap", "magma", "--opacity", "0.8"]),
    ("nan_rows", {"module": "torch-mha", "heads": 2, "emb_dim": 16, "max_len": 3, "mask_fill": "-inf",
                  "sentences": ["tom sees jerry", ""]},
     ["--module", "torch-mha", "--heads", "2", "--emb-dim", "16", "--max-len", "3", "--mask-fill", "-inf",
      "--text", "tom sees jerry", "--text", ""]),
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--compare", required=True)
    p.add_argument("--assets", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "screenshot_session.json")) as f:
        base = json.load(f)
    coffee = os.path.join(os.path.abspath(a.assets), "images", "coffee.png")
    env = dict(os.environ, ATTNSCOPE_ASSETS=os.path.abspath(a.assets), XDG_CONFIG_HOME=os.path.join(a.work, "config"))
    failed = 0
    for name, fields, cli_args in SCENES:
        session = dict(base, **fields)
        session = {k: (coffee if v == "@coffee" else v) for k, v in session.items()}
        cli_args = [coffee if x == "@coffee" else x for x in cli_args]
        session_path = os.path.join(a.work, name + "_session.json")
        with open(session_path, "w") as f:
            json.dump(session, f, ensure_ascii=False)
        app_dir, cli_dir = os.path.join(a.work, name + "_app"), os.path.join(a.work, name + "_cli")
        app = subprocess.run([a.app, "--session", session_path, "--export", app_dir], env=env,
                             capture_output=True, text=True, timeout=240)
        cli = subprocess.run([a.cli, "run", *cli_args, "--export-maps", cli_dir], env=env,
                             capture_output=True, text=True, timeout=240)
        if app.returncode != 0 or cli.returncode != 0:
            print(f"{name}: app exit {app.returncode}: {app.stderr.strip()}\n{name}: cli exit {cli.returncode}: "
                  f"{cli.stderr.strip()[-400:]}")
            failed += 1
            continue
        cmp = subprocess.run([a.compare, app_dir, cli_dir], capture_output=True, text=True)
        print(f"{name}: {cmp.stdout.strip()}")
        failed += cmp.returncode != 0
    print(f"{len(SCENES) - failed} scenes equal, {failed} different")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
