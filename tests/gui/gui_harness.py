"""Driving the real attnscope window from a test, under Xvfb: start it with the test hook
(ATTNSCOPE_TEST_LAYOUT, a JSON file the app rewrites about every 0.1 s with where its widgets are
and what it shows: settings, messages with their kind, a frame counter and recent frame times),
wait for what it shows, and move the real X pointer and keyboard with xdotool like a person.

Shared by bad_inputs_test.py, crash_restore_test.py and scripts/load-test (drop_test.py and
drive_app.py take find_window from here); standard library only.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib


class Failure(Exception):
    pass


def fail(message, app=None):
    raise Failure(message + (("\napp state: " + app.state_text()) if app is not None else ""))


def xdotool(*args):
    subprocess.run(["xdotool", *args], check=True, timeout=30)


def key(keys):
    """A key press like a person's, with a pause after it so frames see it before the next one."""
    xdotool("key", "--delay", "80", keys)
    time.sleep(0.2)


def type_text(text, delay_ms=60):
    """Types like a person. Characters outside the keyboard map (CJK, emoji) need a slower hand:
    xdotool binds each to a spare key code first, and at 60 ms the window can read that key before
    the new binding reaches it and lose the character; 250 ms is safe under Xvfb."""
    xdotool("type", "--delay", str(delay_ms), text)
    time.sleep(0.2)


def find_window(pid=None):
    """The X window id of the attnscope window (title "attnscope"), or None. With `pid`, that
    process's window first: another attnscope may be open on the same display."""
    def search(*args):
        return subprocess.run(["xdotool", "search", *args, "--name", "^attnscope$"], capture_output=True,
                              text=True, timeout=30).stdout.split()

    wids = (search("--pid", str(pid)) if pid is not None else []) or search()
    return wids[-1] if wids else None


class App:
    """One attnscope process with the test hook on. `args` go to the app after the binary."""

    def __init__(self, binary, work, name, args, env=None):
        self.work = work
        self.name = name
        self.layout_path = os.path.join(work, name + ".layout.json")
        if os.path.exists(self.layout_path):
            os.remove(self.layout_path)
        full_env = dict(os.environ, ATTNSCOPE_TEST_LAYOUT=self.layout_path)
        full_env.update(env or {})
        self.log_path = os.path.join(work, name + ".stderr")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, *args], env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self.last = None

    # --- what the app shows

    def layout(self):
        try:
            with open(self.layout_path, "rb") as f:
                self.last = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError):
            pass
        return self.last

    def state(self):
        lay = self.layout()
        return lay["state"] if lay else None

    def state_text(self):
        st = self.last["state"] if self.last else None
        if st:
            st = dict(st, frame_starts="(%d times)" % len(st.get("frame_starts", [])))
        return json.dumps(st, indent=1, ensure_ascii=False)[:6000]

    def alive(self):
        return self.proc.poll() is None

    def check_alive(self, what):
        if not self.alive():
            fail(f"the app died ({self.proc.returncode}) {what}; its output:\n{self.output()}", self)

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def wait_for(self, what, predicate, timeout=60.0, quiet=False):
        start = time.time()
        while time.time() - start < timeout:
            self.check_alive(f"while waiting for: {what}")
            st = self.state()
            if st is not None:
                try:
                    if predicate(st):
                        if not quiet:
                            print(f"ok: {what} ({time.time() - start:.1f} s)")
                        return st
                except (KeyError, IndexError, TypeError):
                    pass
            time.sleep(0.05)
        fail(f"timed out after {timeout:.0f} s waiting for: {what}", self)

    def wait_ready(self, what="the pass drawn", timeout=120.0):
        return self.wait_for(what, lambda s: s["ready"] and not s["busy"], timeout)

    def frames_advance(self, count=5, timeout=10.0):
        """The window keeps drawing: its frame counter moves on by `count` within `timeout` s."""
        first = self.wait_for("a frame", lambda s: "frame" in s, timeout, quiet=True)["frame"]
        self.wait_for(f"{count} more frames", lambda s: s["frame"] >= first + count, timeout, quiet=True)

    # --- a person's hands

    def focus(self):
        """Keyboard focus to the window (no window manager under Xvfb), pointer over it."""
        self.wait_for("the window's layout", lambda s: True, 120.0, quiet=True)
        wid = find_window(self.proc.pid)
        if wid:
            subprocess.run(["xdotool", "windowfocus", "--sync", wid], timeout=30)
        win = self.last["window"]
        xdotool("mousemove", "--sync", str(win[0] + 200), str(win[1] + 200))
        time.sleep(0.3)

    def has_item(self, name):
        lay = self.layout()
        return lay is not None and name in lay["items"]

    def centre(self, name, dx=None):
        """Screen coordinates of a widget: the window's position plus the item's rectangle."""
        lay = self.layout()
        if name not in lay["items"]:
            fail(f"no widget {name} on screen", self)
        x0, y0, x1, y1 = lay["items"][name]
        wx, wy = lay["window"][0], lay["window"][1]
        x = x0 + (dx if dx is not None else (x1 - x0) / 2)
        return int(wx + x), int(wy + (y0 + y1) / 2)

    def click(self, name, dx=None, ctrl=False):
        x, y = self.centre(name, dx)
        xdotool("mousemove", "--sync", str(x), str(y))
        time.sleep(0.15)
        if ctrl:
            xdotool("keydown", "ctrl")
        xdotool("click", "1")
        if ctrl:
            xdotool("keyup", "ctrl")
        time.sleep(0.25)

    def replace_field(self, name, text, dx=None, enter=False):
        """Click a text field, select all it holds and type `text` over it."""
        self.click(name, dx)
        key("ctrl+a")
        type_text(text)
        if enter:
            key("Return")

    def quit(self):
        """Ctrl+Q, as a person quits: the app must exit 0 (in the sanitizer pass LeakSanitizer
        checks then, which a kill would skip)."""
        self.focus()
        key("ctrl+q")
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            fail("the app did not quit on Ctrl+Q", self)
        if code != 0:
            fail(f"the app exited {code} on Ctrl+Q; its output:\n{self.output()}", self)

    def kill(self):
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def close(self):
        self.kill()
        self.log.close()


def peak_memory_kib(pid):
    """VmHWM (the peak resident set) from /proc/<pid>/status, in KiB; None when unreadable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# --- files built byte by byte

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width, height, rows=None, idat=None):
    """An 8-bit RGB PNG. `rows(y)` gives a row's width * 3 bytes; `idat` overrides the pixel data
    (e.g. a header that claims 100000 x 100000 over a few bytes)."""
    head = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if idat is None:
        comp = zlib.compressobj(6)
        parts = []
        for y in range(height):
            parts.append(comp.compress(b"\x00" + rows(y)))  # filter type 0 for each row
        parts.append(comp.flush())
        idat = b"".join(parts)
    return head + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def safetensors_bytes(tensors, metadata=None):
    """A .safetensors file of F32 tensors: {name: (shape, [values...])}, and `metadata` (strings)
    as its __metadata__."""
    header, body = {}, b""
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, (shape, values) in tensors.items():
        data = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def same_exports(compare, mine, theirs, what, app=None):
    """compare_exports on two export folders (same names, same maps.json, pictures within 2/255):
    fails naming `what` when they differ; returns compare_exports' one-line verdict."""
    cmp = subprocess.run([compare, mine, theirs], capture_output=True, text=True)
    verdict = (cmp.stdout.strip() + " " + cmp.stderr.strip()).strip()
    print(f"{what}: {verdict}")
    if cmp.returncode != 0:
        fail(f"{what}: {mine} differs from {theirs}", app)
    return verdict


def app_export_equals_cli(a, work, env, name, app_args, cli_args):
    """`attnscope APP_ARGS --export W/NAME_app` against `attnscope-cli run CLI_ARGS --export-maps
    W/NAME_cli` (a: the test's arguments with .app, .cli and .compare), with an empty session;
    returns the app's folder."""
    app_dir, cli_dir = os.path.join(work, name + "_app"), os.path.join(work, name + "_cli")
    session = os.path.join(work, name + "_session.json")
    with open(session, "w") as f:
        json.dump({}, f)
    for cmd, what in (([a.app, "--session", session, *app_args, "--export", app_dir], f"attnscope ({name})"),
                      ([a.cli, "run", *cli_args, "--export-maps", cli_dir], f"attnscope-cli run ({name})")):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
        if r.returncode != 0:
            fail(f"{what} exited {r.returncode}: {r.stderr[-2000:]}")
    same_exports(a.compare, app_dir, cli_dir, name)
    return app_dir


def require_numpy():
    """numpy (Debian's python3-numpy), or exit 77: the test is skipped where it is missing."""
    try:
        import numpy
    except ImportError:
        print("SKIP: numpy is missing (python3-numpy)")
        sys.exit(77)
    return numpy


def fresh_folder(path):
    """Empties (or makes) a test's work folder; returns its absolute path."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return os.path.abspath(path)


def run_main(main):
    """Runs main(), turning a Failure into 'FAIL: ...' and exit status 1."""
    if not os.environ.get("DISPLAY"):
        print("FAIL: no DISPLAY: run me under xvfb-run")
        sys.exit(1)
    try:
        main()
    except Failure as e:
        print("FAIL:", e)
        sys.exit(1)
    print("PASS")
