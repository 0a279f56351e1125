#!/usr/bin/python3
"""An install that runs anywhere: `cmake --install` to a prefix, the prefix moved elsewhere, and
both programs run from there with the source and build trees out of sight.

  1. `cmake --install BUILD --prefix TMP/prefix`, then check the tree: bin/attnscope,
     bin/attnscope-cli, share/attnscope/{images,fonts,lessons,README.md}, the .desktop file and the icons
     (scalable SVG and the PNG sizes, each of its directory's size);
  2. move the prefix to TMP/moved/elsewhere, so nothing can be found at the path installed to;
  3. check that no installed program holds the path of the source or the build tree (in builds
     with debug information, which names the sources for debuggers, that no program holds the
     path of an asset folder of either tree);
  4. hide both trees: a private mount namespace (unshare -m, as root) mounts an empty tmpfs over
     each, and checks that they look empty; where that is not possible the test says so and goes
     on with the trees in place (step 3 still holds);
  5. there, with $ATTNSCOPE_ASSETS unset: `attnscope-cli run` of the default cross-multihead scene
     exports its maps (its default picture comes from share/attnscope), and `xvfb-run attnscope
     --screenshot` saves a 1440 x 900 window whose test hook reports the pass computed and no
     missing font or picture.
Exit 0 on success, 1 with "FAIL: ..." otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gui"))
from png_util import png_size  # noqa: E402


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print("ok:", what)


def installed_tree(prefix):
    files = []
    for root, _, names in os.walk(prefix):
        for n in names:
            files.append(os.path.relpath(os.path.join(root, n), prefix))
    return sorted(files)


def hidden_runner(trees):
    """A command prefix that runs its command with `trees` covered by empty tmpfs mounts, or None."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return None
    mounts = " && ".join(f"mount -t tmpfs tmpfs '{t}'" for t in trees)
    empty = " && ".join(f"test -z \"$(ls -A '{t}')\"" for t in trees)
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"{mounts} && {empty}"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("note: the trees cannot be hidden here (unshare -m: %s); running with them in place"
              % probe.stderr.strip())
        return None
    return ["unshare", "-m", "sh", "-c", f"{mounts} && {empty} && exec \"$@\"", "hidden"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--xvfb-run", required=True)
    parser.add_argument("--config", default="Release", help="the build type ($<CONFIG>)")
    parser.add_argument("--sanitized", action="store_true",
                        help="an ASan build: its binaries name their source files, by design")
    args = parser.parse_args()
    build, source = os.path.realpath(args.build), os.path.realpath(args.source)

    tmp = tempfile.mkdtemp(prefix="attnscope_install_")
    try:
        # 1. Install.
        prefix = os.path.join(tmp, "prefix")
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
        check(r.returncode == 0, "cmake --install to a fresh prefix" + ("" if r.returncode == 0 else ": " + r.stderr))
        files = installed_tree(prefix)
        for f in ["bin/attnscope", "bin/attnscope-cli", "share/attnscope/images/chelsea.png",
                  "share/attnscope/images/coffee.png", "share/attnscope/images/astronaut.png",
                  "share/attnscope/fonts/DejaVuSans.ttf", "share/attnscope/README.md",
                  "share/attnscope/python/attnscope_save.py",
                  "share/attnscope/lessons/seed_tour.json", "share/attnscope/lessons/README.md",
                  "share/applications/attnscope.desktop", "share/icons/hicolor/scalable/apps/attnscope.svg"]:
            check(f in files, "installed " + f)
        pngs = [f for f in files if f.startswith("share/icons/hicolor/") and f.endswith("/apps/attnscope.png")]
        check(len(pngs) >= 1, "the icon in bitmap sizes too: " + ", ".join(pngs))
        for f in pngs:
            side = int(f.split("/")[3].split("x")[0])
            check(png_size(os.path.join(prefix, f)) == (side, side), f"{f} is {side} x {side}")
        with open(os.path.join(prefix, "share/applications/attnscope.desktop")) as fh:
            desktop = fh.read().splitlines()
        check(desktop[0] == "[Desktop Entry]" and "Type=Application" in desktop and "Icon=attnscope" in desktop
              and any(line.startswith("Exec=attnscope") for line in desktop), "the .desktop entry runs attnscope")
        stray = [f for f in files if not (f.startswith("bin/") or f.startswith("share/"))]
        check(not stray, "nothing outside bin/ and share/" + (": " + ", ".join(stray) if stray else ""))

        # 2. Move the prefix.
        moved = os.path.join(tmp, "moved", "elsewhere")
        os.makedirs(os.path.dirname(moved))
        shutil.move(prefix, moved)
        check(not os.path.exists(prefix), "the prefix moved to " + moved)

        # 3. No path of the trees inside the programs.
        debug_info = args.config in ("Debug", "RelWithDebInfo")
        paths = ([os.path.join(source, "assets"), os.path.join(build, "share"), os.path.join(build, "app")]
                 if debug_info else [source, build])
        for program in ["attnscope", "attnscope-cli"] if not args.sanitized else []:
            with open(os.path.join(moved, "bin", program), "rb") as fh:
                data = fh.read()
            for path in sorted(set(paths)):
                check(path.encode() not in data, f"bin/{program} holds no path of {path}")
        if args.sanitized:
            print("ok: a sanitized build: the binaries name their sources (ASan's reports); not searched")

        # 4. Hide the trees.
        trees = sorted({build, source}, key=len, reverse=True)  # the deeper one first
        runner = hidden_runner(trees)
        if runner:
            print("ok: the source and build trees are hidden (empty tmpfs mounts) for the runs below")
        prefix_cmd = runner or []
        env = {k: v for k, v in os.environ.items() if k not in ("ATTNSCOPE_ASSETS", "ATTNSCOPE_SHADER_DIR")}
        # Sanitizer builds (scripts/test's second pass) read their suppression files from the
        # source tree, which is hidden below: the runs get copies of them.
        for name in ("LSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            options = env.get(name, "").split(":")
            for i, option in enumerate(options):
                if option.startswith("suppressions=") and os.path.isfile(option.split("=", 1)[1]):
                    copy = os.path.join(tmp, name.lower() + ".supp")
                    shutil.copyfile(option.split("=", 1)[1], copy)
                    options[i] = "suppressions=" + copy
            if name in env:
                env[name] = ":".join(options)

        # 5a. The CLI.
        maps = os.path.join(tmp, "maps")
        r = subprocess.run(prefix_cmd + [os.path.join(moved, "bin", "attnscope-cli"), "run", "--module",
                                         "cross-multihead", "--heads", "2", "--emb-dim", "16", "--grid", "8x8",
                                         "--export-maps", maps],
                           capture_output=True, text=True, cwd=tmp, env=env)
        check(r.returncode == 0, "attnscope-cli run from the moved prefix" + ("" if r.returncode == 0 else ": " + r.stderr))
        exported = sorted(os.listdir(maps))
        check("b0_h0_t0_tom.png" in exported and "maps.json" in exported,
              f"it exported the maps over the bundled picture ({len(exported)} files)")
        check(png_size(os.path.join(maps, "b0_h0_t0_tom.png")) == (451, 300), "at the picture's size, 451 x 300")

        # 5b. The window.
        shot, layout = os.path.join(tmp, "shot.png"), os.path.join(tmp, "layout.json")
        env_gui = dict(env, ATTNSCOPE_TEST_LAYOUT=layout)
        r = subprocess.run(prefix_cmd + [args.xvfb_run, "-a", "-s", "-screen 0 1600x1000x24",
                                         os.path.join(moved, "bin", "attnscope"), "--session",
                                         os.path.join(tmp, "session.json"), "--screenshot", shot],
                           capture_output=True, text=True, cwd=tmp, env=env_gui, timeout=300)
        check(r.returncode == 0, "xvfb-run attnscope --screenshot from the moved prefix" +
              ("" if r.returncode == 0 else f" (exit {r.returncode}): {r.stdout}{r.stderr}"))
        check(png_size(shot) == (1440, 900), "the screenshot is the 1440 x 900 window")
        with open(layout) as fh:
            state = json.load(fh)["state"]
        check(state["engine_error"] == "", "the first pass was computed")
        texts = [m["text"] for m in state["message_log"]]
        check(not any("font missing" in t or "no such file" in t.lower() or "cannot" in t.lower() for t in texts),
              "no missing font or picture: " + (" | ".join(texts) if texts else "no messages"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print("FAIL:", e)
        sys.exit(1)
    print("PASS")
