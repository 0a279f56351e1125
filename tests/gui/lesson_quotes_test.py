#!/usr/bin/python3
"""The bundled lessons quote the seed article's code exactly.

    lesson_quotes_test.py --lessons assets/lessons --seeds DIR

Every line of a step's "code" (leading and trailing blanks aside) must be a line of one of the
seed documents in DIR (*.txt), typos included ("batch_szie"): the lessons teach the article's own
lines and shape comments, and a quote that drifted from them would teach something else. The seed
documents are not part of the repository; without DIR (or $ATTNSCOPE_SEED_DIR) the test is skipped
(exit 77).
"""
import argparse
import glob
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lessons", required=True)
    parser.add_argument("--seeds", default=os.environ.get("ATTNSCOPE_SEED_DIR", ""))
    args = parser.parse_args()
    seeds = sorted(glob.glob(os.path.join(args.seeds, "*.txt"))) if args.seeds else []
    if not seeds:
        print("SKIP: no seed documents (set ATTNSCOPE_SEED_DIR to the folder of 000_*.txt and 002_*.txt)")
        return 77
    lines = set()
    for path in seeds:
        with open(path, encoding="utf-8") as f:
            lines.update(line.strip() for line in f)
    bad = checked = 0
    for path in sorted(glob.glob(os.path.join(args.lessons, "*.json"))):
        with open(path, encoding="utf-8") as f:
            lesson = json.load(f)
        for step in lesson["steps"]:
            code = step.get("code", [])
            for line in [code] if isinstance(code, str) else code:
                checked += 1
                if line.strip() not in lines:
                    bad += 1
                    print(f"FAIL: {os.path.basename(path)}: step {step['id']}: not a line of the seed: {line}")
    if checked == 0:
        print("FAIL: no quoted line found")
        return 1
    print(f"{checked - bad} of {checked} quoted lines are the seed's own" + ("" if bad else "\nPASS"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
