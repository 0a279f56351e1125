#!/usr/bin/python3
"""attnscope reads only the files the user names and writes only where the user exports (and its
session file); a session file cannot make it write anywhere else; and nothing opens a network
connection. Checked on the real processes, traced with strace (-f: every thread and child):

  1. the app with --screenshot on a session file that also holds keys naming places to write
     ("export_dir", "session_path", "screenshot", ... pointing into a folder of their own), in a
     temporary HOME and working folder;
  2. the app live (under Xvfb) on the same kind of session: an edit (+ Add sentence, so the
     session is saved), Ctrl+E (every map exported), Ctrl+Q;
  3. attnscope-cli run with --export-maps and --dump.

For each: every file opened for writing, created, renamed to, removed or made a folder must lie
in the places the user named (the session file, the export folder, the screenshot, the test
hook's file: each with the temporary file its atomic write renames from) or /dev; the one
exception is Mesa's own shader cache (.cache/mesa_shader_cache in the passwd entry's home, not
$HOME), which the GL driver keeps and the app does not choose. The folder the session's extra keys name stays empty, the
session file is never rewritten by the screenshot, and no socket of family AF_INET, AF_INET6 or
AF_PACKET is made (AF_UNIX to the X server is expected). Files found in the temporary HOME and
working folder afterwards are listed.

Skipped (exit 77, with the reason) where strace is missing or cannot trace (no ptrace).
"""
import argparse
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gui_harness import App, fail, fresh_folder, key, run_main  # noqa: E402

WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")
FORBIDDEN_FAMILIES = ("AF_INET", "AF_INET6", "AF_PACKET")
TRACED = "openat,open,creat,rename,renameat,renameat2,mkdir,mkdirat,unlink,unlinkat,link,linkat,symlink," \
         "symlinkat,truncate,socket,connect"
FAST = {"sentences": ["Tom chases Jerry!", "The cat sleeps"], "max_len": 5, "module": "cross-multihead",
        "emb_dim": 16, "heads": 4, "grid_h": 8, "grid_w": 8}


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def strace_usable():
    if not shutil.which("strace"):
        skip("strace is not installed (scripts/setup.sh installs it)")
    p = subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "true"], capture_output=True, text=True)
    if p.returncode != 0:
        skip(f"strace cannot trace here: {p.stderr.strip()[:200]}")


def strace_cmd(log, argv):
    # -y: file descriptors shown with their paths, so openat(fd, "name") names its folder.
    return ["strace", "-f", "-qq", "-y", "-s", "4096", "-e", "trace=" + TRACED, "-o", log, "--", *argv]


CALL = re.compile(r"^(?:\[pid\s+)?\d+\]?\s+(\w+)\((.*)")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
FD_PATH = re.compile(r"^(?:AT_FDCWD|\d+<([^>]*)>)")


def unescape(s):
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode(
        "utf-8", "replace")


def resolve(dirfd_path, name, cwd):
    if os.path.isabs(name):
        return os.path.normpath(name)
    return os.path.normpath(os.path.join(dirfd_path or cwd, name))


def parse(log, cwd):
    """(writes, families): every path a call could write or remove, and the socket families made."""
    writes, families = [], []
    with open(log, encoding="latin-1") as f:
        for line in f:
            m = CALL.match(line)
            if not m:
                continue
            call, args = m.group(1), m.group(2)
            if call == "socket":
                families.append(args.split(",")[0].strip())
                continue
            if call == "connect":
                fam = re.search(r"sa_family=(\w+)", args)
                if fam:
                    families.append(fam.group(1))
                continue
            names = [unescape(q) for q in QUOTED.findall(args)]
            if not names:
                continue
            dirs = [d for d in re.findall(r"(?:^|, )(?:AT_FDCWD|\d+<([^>]*)>)", args)]
            if call in ("open", "openat", "creat"):
                if call != "creat" and not any(flag in args for flag in WRITE_FLAGS):
                    continue
                base = dirs[0] if call == "openat" and dirs else None
                writes.append((call, resolve(base, names[0], cwd)))
            elif call in ("rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat"):
                base = dirs[-1] if call.endswith("at") or call == "renameat2" else None
                writes.append((call, resolve(base, names[-1], cwd)))
            elif call in ("unlink", "unlinkat", "mkdir", "mkdirat", "truncate"):
                base = dirs[0] if call.endswith("at") and dirs else None
                writes.append((call, resolve(base, names[0], cwd)))
    return writes, families


def under(path, folder):
    folder = os.path.normpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def mesa_caches(home):
    """Where Mesa keeps its shader cache: under $XDG_CACHE_HOME (unset here), else the home of the
    user's passwd entry (not $HOME); the temporary HOME is listed too in case a Mesa reads it."""
    homes = {home, pwd.getpwuid(os.getuid()).pw_dir}
    return [os.path.join(h, ".cache", "mesa_shader_cache") for h in sorted(homes)]


def check_trace(what, log, cwd, allowed_files, allowed_dirs, home):
    writes, families = parse(log, cwd)
    caches = mesa_caches(home)
    outside, driver = [], []
    for call, path in writes:
        ok_file = any(path == a or path.startswith(a + ".tmp-") for a in allowed_files)
        ok_dir = any(under(path, d) for d in allowed_dirs)
        ok_dev = under(path, "/dev")
        # make_directories: the user's folders and their parents may be "made" (EEXIST).
        ok_parent = call in ("mkdir", "mkdirat") and any(under(a, path) for a in allowed_files + allowed_dirs)
        if ok_file or ok_dir or ok_dev or ok_parent:
            continue
        # The cache folders and the .cache folder they are made in.
        if any(under(path, c) or path == os.path.dirname(c) for c in caches):
            driver.append(path)
            continue
        outside.append(f"{call} {path}")
    bad_families = sorted({f for f in families if f in FORBIDDEN_FAMILIES})
    print(f"{what}: {len(writes)} writing calls traced; socket families: {sorted(set(families)) or 'none'}")
    if driver:
        print(f"   Mesa's shader cache (the GL driver's, not chosen by the app): {len(driver)} calls in "
              f"{sorted({c for c in caches for p in driver if under(p, c) or p == os.path.dirname(c)})}")
    if outside:
        fail(f"{what} wrote outside the places the user named: " + "; ".join(sorted(set(outside))[:20]))
    if bad_families:
        fail(f"{what} made network sockets: {bad_families}")


def tree(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        for n in dirs + files:
            found.append(os.path.relpath(os.path.join(root, n), folder))
    return sorted(found)


def evil_session(path, elsewhere):
    data = dict(FAST, export_dir=os.path.join(elsewhere, "export"),
                session_path=os.path.join(elsewhere, "session.json"),
                screenshot=os.path.join(elsewhere, "shot.png"),
                test_layout=os.path.join(elsewhere, "layout.json"),
                weights_save_path=os.path.join(elsewhere, "w.safetensors"),
                output=elsewhere, dump_dir=elsewhere)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f)


def own_session_keys(app_bin, work, env):
    """The keys the window writes for its own settings: those of the session a window opened on an
    empty one saves after an edit (so the list grows with the app, not by hand here)."""
    folder = os.path.join(work, "own_keys")
    os.makedirs(folder)
    session = os.path.join(folder, "session.json")
    with open(session, "w") as f:
        f.write("{}")
    app = App(app_bin, folder, "own_keys", ["--session", session], env=env)
    try:
        app.wait_ready("a window on an empty session", timeout=240)
        app.focus()
        app.click("input.add_sentence")  # an edit: the window saves its whole session
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(session) as f:
                if json.load(f):
                    break
            time.sleep(0.1)
        app.quit()
    finally:
        app.close()
    with open(session) as f:
        keys = set(json.load(f))
    if not {"sentences", "module", "heads", "model"} <= keys:
        fail(f"the window on an empty session saved {sorted(keys)}, not its settings")
    return keys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    strace_usable()
    work = fresh_folder(args.work)
    home, cwd, elsewhere = (os.path.join(work, n) for n in ("home", "cwd", "elsewhere"))
    for d in (home, cwd, elsewhere):
        os.makedirs(d)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "ATTNSCOPE_TEST_LAYOUT"}
    env["HOME"] = home
    # In the sanitizer pass: LeakSanitizer cannot run under ptrace (it stops with a fatal error),
    # so the traced runs leave leak checking to the other tests, which run the same code untraced.
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":detect_leaks=0"

    # 1. --screenshot on a session whose extra keys name places to write.
    session = os.path.join(work, "config", "session.json")
    evil_session(session, elsewhere)
    with open(session, "rb") as f:
        session_bytes = f.read()
    export = os.path.join(work, "export")
    shot = os.path.join(work, "shots", "shot.png")
    os.makedirs(os.path.dirname(shot))
    log = os.path.join(work, "screenshot.strace")
    p = subprocess.run(strace_cmd(log, [args.app, "--session", session, "--export-dir", export, "--screenshot", shot]),
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=280)
    if p.returncode != 0 or not os.path.exists(shot):
        fail(f"attnscope --screenshot exited {p.returncode}: {p.stderr[-2000:]}")
    check_trace("attnscope --screenshot", log, cwd, [shot], [], home)
    with open(session, "rb") as f:
        if f.read() != session_bytes:
            fail("--screenshot rewrote the session file")

    # 2. The live window: an edit (the session is saved), Ctrl+E, Ctrl+Q.
    layout_dir = os.path.join(work, "hook")
    os.makedirs(layout_dir)
    log = os.path.join(work, "live.strace")
    live_env = dict(env, ATTNSCOPE_TEST_LAYOUT=os.path.join(layout_dir, "live.layout.json"))
    app = App("strace", layout_dir, "live",
              strace_cmd(log, [args.app, "--session", session, "--export-dir", export])[1:], env=live_env)
    try:
        st = app.wait_ready("the live window's first pass", timeout=240)
        app.focus()
        n = len(st["sentences"])
        app.click("input.add_sentence")
        app.wait_for("a sentence added", lambda s: len(s["sentences"]) == n + 1)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(session) as f:
                if len(json.load(f).get("sentences", [])) == n + 1:
                    break
            time.sleep(0.1)
        else:
            fail("the session was not saved after the edit", app)
        app.wait_ready("the pass of the edit")
        key("ctrl+e")
        app.wait_for("the export", lambda s: s["exports"] >= 1, 120)
        key("ctrl+q")
        if app.proc.wait(timeout=60) != 0:
            fail(f"the app exited {app.proc.returncode}", app)
    finally:
        app.close()
    check_trace("attnscope (live: edit, Ctrl+E, Ctrl+Q)", log, cwd, [session, app.layout_path], [export], home)
    if not any(n.endswith(".png") for n in os.listdir(export)):
        fail("Ctrl+E exported nothing into the export folder")
    with open(session) as f:
        saved = json.load(f)
    extra = sorted(set(saved) - own_session_keys(args.app, work, env))
    if extra:
        fail(f"the saved session holds keys beyond the settings: {extra}")

    # 3. The CLI.
    maps, dump = os.path.join(work, "cli-maps"), os.path.join(work, "cli-dump")
    log = os.path.join(work, "cli.strace")
    p = subprocess.run(strace_cmd(log, [args.cli, "run", "--module", "cross-multihead", "--emb-dim", "16",
                                        "--heads", "4", "--grid", "8x8", "--export-maps", maps, "--dump", dump]),
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=280)
    if p.returncode != 0:
        fail(f"attnscope-cli exited {p.returncode}: {p.stderr[-2000:]}")
    check_trace("attnscope-cli run --export-maps --dump", log, cwd, [], [maps, dump], home)

    if tree(elsewhere):
        fail(f"files appeared where the session's extra keys point: {tree(elsewhere)}")
    if tree(cwd):
        fail(f"files appeared in the working folder: {tree(cwd)}")
    found = tree(home)
    outside_cache = [n for n in found if not (n == ".cache" or n.startswith(".cache" + os.sep + "mesa_shader_cache"))]
    print(f"files in the temporary HOME: {len(found)}, all in Mesa's shader cache" if not outside_cache
          else f"files in the temporary HOME: {found}")
    if outside_cache:
        fail(f"files appeared in HOME outside Mesa's shader cache: {outside_cache}")


if __name__ == "__main__":
    run_main(main)
