# Shared by scripts/run and scripts/test: installs the Debian packages the project needs (only the
# missing ones) and configures and builds it. Sourced, not run.

ATTNSCOPE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATTNSCOPE_BUILD="${ATTNSCOPE_BUILD:-$ATTNSCOPE_ROOT/build}"

attnscope_packages=(
  build-essential cmake
  libeigen3-dev libstb-dev libcli11-dev nlohmann-json3-dev libgtest-dev
  libimgui-dev libglfw3-dev python3-glad fonts-dejavu-core
  xvfb xdotool
  strace  # tests/gui/security_test.py: what the app and the CLI write, and that they open no network socket
  python3-xlib  # tests/gui/xdnd_drop.py: drag and drop a file onto the window
  xauth libgl1-mesa-dri  # xvfb-run needs xauth (only recommended by xvfb); Mesa's llvmpipe for the GL tests
  fonts-droid-fallback  # the desktop app's Chinese glyphs (DroidSansFallbackFull.ttf)
  python3-torch python3-numpy
  python3-pil  # tests/image/pillow_reference.py: Pillow's own resize, the reference of the ViT preprocessing
  libopenblas0-pthread  # PyTorch's BLAS for the benchmark (Debian's torch otherwise gets the reference BLAS)
)

attnscope_install_packages() {
  local missing=()
  for p in "${attnscope_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "attnscope: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# attnscope_build [BUILD_DIR [EXTRA CMAKE ARGS...]]
attnscope_build() {
  local dir="${1:-$ATTNSCOPE_BUILD}"
  shift || true
  cmake -S "$ATTNSCOPE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$dir" -j"$(nproc)"
}
