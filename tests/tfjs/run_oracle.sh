#!/bin/sh
# ctest entry of the TensorFlow.js comparison: installs the exact, locked TensorFlow.js packages
# (package-lock.json: versions and integrity hashes) into the build tree, never the source tree,
# then runs oracle.js. Skips (77) only where node or npm is missing.
#   run_oracle.sh NODE_ENV_DIR PROBE WORK_DIR [CLI]  (the model: where `attnscope-cli fetch` put it;
#   with CLI, the batch is also run through `attnscope-cli run --model use-lite --dump`)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
env_dir=$1 probe=$2 work=$3 cli=${4:-}
model_dir=$("$probe" where)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "node or npm is missing (install Debian's npm: sudo apt-get install npm): TensorFlow.js comparison skipped"
  exit 77
fi

mkdir -p "$env_dir"
if [ ! -d "$env_dir/node_modules/@tensorflow/tfjs-core" ] || ! cmp -s "$here/package-lock.json" "$env_dir/package-lock.json"; then
  rm -rf "$env_dir/node_modules"
  cp "$here/package.json" "$here/package-lock.json" "$env_dir/"
  (cd "$env_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

rm -rf "$work"
mkdir -p "$work"
NODE_PATH="$env_dir/node_modules" exec node "$here/oracle.js" --probe "$probe" --model-dir "$model_dir" --work "$work" \
  ${cli:+--cli "$cli"}
