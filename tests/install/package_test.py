#!/usr/bin/python3
"""`cpack -G DEB` makes a package that apt can install: its control file names the runtime
libraries the programs link as Depends (dpkg-shlibdeps), the GL driver and the CJK font as
Recommends, and it holds both programs, the assets and the desktop entry under /usr. (Installing
it with apt, running it and removing it again is done by hand: see docs; a test suite does not
install packages into the machine it runs on.)"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def fail(what):
    print("FAIL:", what)
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} is not installed")
            sys.exit(77)
    out = tempfile.mkdtemp(prefix="attnscope_deb_")
    try:
        r = subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(args.build, "CPackConfig.cmake"), "-B", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("cpack -G DEB: " + r.stdout + r.stderr)
        debs = [f for f in os.listdir(out) if f.startswith("attnscope_") and f.endswith(".deb")]
        if len(debs) != 1:
            fail("expected one attnscope_*.deb, got " + ", ".join(os.listdir(out)))
        deb = os.path.join(out, debs[0])
        print("ok: built", debs[0])

        def field(name):
            return subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True, text=True).stdout.strip()

        depends = [d.split()[0] for d in field("Depends").split(",") if d.strip()]
        for lib in ("libc6", "libstdc++6", "libgomp1", "libglfw3"):
            if lib not in depends:
                fail(f"Depends lacks {lib}: {field('Depends')}")
        print("ok: Depends:", field("Depends"))
        recommends = field("Recommends")
        for pkg in ("libgl1-mesa-dri", "fonts-droid-fallback"):
            if pkg not in recommends:
                fail(f"Recommends lacks {pkg}: {recommends}")
        print("ok: Recommends:", recommends)
        if field("Package") != "attnscope" or not field("Version"):
            fail("Package / Version fields")
        if " ;" in field("Description"):
            fail("the description holds a CMake list separator: " + field("Description"))
        listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
        for path in ("./usr/bin/attnscope", "./usr/bin/attnscope-cli", "./usr/share/attnscope/images/chelsea.png",
                     "./usr/share/attnscope/fonts/DejaVuSans.ttf", "./usr/share/attnscope/lessons/seed_tour.json",
                     "./usr/share/applications/attnscope.desktop",
                     "./usr/share/icons/hicolor/scalable/apps/attnscope.svg"):
            if path not in listing:
                fail("the package lacks " + path)
        print("ok: it holds the programs, the assets, the desktop entry and the icon under /usr")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print("PASS")


main()
