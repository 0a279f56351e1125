#!/bin/bash
# ctest "svg_export_xmllint": attnscope-cli --export-maps DIR --format svg on several scenes, then
# xmllint (an XML parser that is not ours) must parse every file, and its XPath must find one
# cell rectangle per (query, key), one value per grid cell, and the labels as they were typed.
#   tests/cli/svg_export_test.sh build/app/attnscope-cli
# Exit 0 when everything holds, 1 otherwise, 77 (ctest's SKIP_RETURN_CODE) without xmllint.
set -u
cli="$1"
if ! command -v xmllint >/dev/null 2>&1; then
  echo "SKIPPED: xmllint not found (Debian package libxml2-utils)"
  exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/attnscope-svg.XXXXXX")"
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL  $*"; failed=1; }

run() {  # run NAME ARGS...: the CLI into $work/NAME, quietly; a failure is reported
  local name="$1"; shift
  if ! "$cli" run "$@" --export-maps "$work/$name" >"$work/$name.out" 2>"$work/$name.err"; then
    fail "$name: attnscope-cli exit $?: $(tail -1 "$work/$name.err")"
  fi
}

# xpath FILE EXPR: the XPath value, the SVG namespace ignored with local-name().
xpath() { xmllint --xpath "$2" "$1" 2>/dev/null; }
count() { xpath "$1" "count(//*[local-name()=\"$2\"][@class=\"$3\"])"; }

run tokens --module multihead --emb-dim 16 --heads 2 --format svg --export-grid \
  --text 'Tom <chases> & "Jerry" 汤姆 😀' --text "the cat's"
run causal --module torch-mha --emb-dim 8 --heads 2 --format svg --theme light --causal
run cross --module cross-multihead --emb-dim 16 --heads 2 --grid 6x6 --format svg --export-grid
run lightpng --module self --emb-dim 8 --theme light

for f in "$work"/*/*.svg; do
  xmllint --noout "$f" 2>"$work/lint.err" || fail "$(basename "$f"): xmllint: $(head -1 "$work/lint.err")"
done
n_svg=$(ls "$work"/*/*.svg 2>/dev/null | wc -l)
[ "$n_svg" -ge 20 ] || fail "only $n_svg SVG files were written"

# Eleven tokens in the first sentence: tom < chases > & " jerry " 汤 姆 😀
f="$work/tokens/b0_h0.svg"
[ "$(count "$f" rect cell)" = "121" ] || fail "b0_h0.svg: $(count "$f" rect cell) cells, expected 11 x 11"
[ "$(xpath "$f" 'string((//*[local-name()="text"][@class="query"])[2])')" = "<" ] || fail "b0_h0.svg: query 1 is not <"
[ "$(xpath "$f" 'string((//*[local-name()="text"][@class="key"])[6])')" = '"' ] || fail "b0_h0.svg: key 5 is not \""
[ "$(xpath "$f" 'string((//*[local-name()="text"][@class="key"])[11])')" = "😀" ] || fail "b0_h0.svg: key 10 is not 😀"
[ "$(xpath "$f" 'string((//*[local-name()="text"][@class="key"])[9])')" = "汤" ] || fail "b0_h0.svg: key 8 is not 汤"
[ "$(count "$work/tokens/b1_grid.svg" text caption)" = "2" ] || fail "b1_grid.svg: not one caption per head"
[ "$(count "$work/tokens/b1_h1.svg" rect padding)" = "1" ] || fail "b1_h1.svg: the padding keys are not hatched"
# maps.json lists the .svg files, each of them there
grep -o '"file": "[^"]*"' "$work/tokens/maps.json" | sed 's/"file": "\(.*\)"/\1/' | while read -r name; do
  case "$name" in *.svg) ;; *) echo "FAIL  maps.json lists $name" ;; esac
  [ -f "$work/tokens/$name" ] || echo "FAIL  maps.json lists $name, which is not there"
done | grep -q FAIL && fail "tokens/maps.json does not list the SVG files"

# The seed's batch under --causal: 5 x 5 cells, the page white.
f="$work/causal/b0_h1.svg"
[ "$(count "$f" rect cell)" = "25" ] || fail "causal b0_h1.svg: $(count "$f" rect cell) cells, expected 25"
[ "$(xpath "$f" 'string(//*[local-name()="rect"][@class="background"]/@fill)')" = "#ffffff" ] ||
  fail "causal b0_h1.svg: the light theme's page is not white"
# above the diagonal the weight is exactly 0: query 0, key 4
title=$(xpath "$f" 'string(//*[local-name()="rect"][@class="cell"][@data-q="0"][@data-k="4"]/*[local-name()="title"])')
[ "${title##*: }" = "0" ] || fail "causal b0_h1.svg: query 0, key 4 is \"$title\", expected weight 0"

# Cross maps: 36 pixels, each with its value; the picture a PNG data URI.
f="$work/cross/b0_h0_t0_tom.svg"
[ "$(count "$f" rect value)" = "36" ] || fail "cross b0_h0_t0_tom.svg: $(count "$f" rect value) values, expected 36"
case "$(xpath "$f" 'string(//*[local-name()="image"]/@*[local-name()="href"])' | head -c 22)" in
  "data:image/png;base64,") ;;
  *) fail "cross b0_h0_t0_tom.svg: no embedded PNG" ;;
esac
[ -f "$work/cross/b0_grid.svg" ] || fail "cross: no b0_grid.svg"
ls "$work"/lightpng/*.png >/dev/null 2>&1 || fail "lightpng: no PNG written with --theme light"

# Bad settings: exit 2 and one line.
"$cli" run --module self --emb-dim 8 --export-maps "$work/bad" --format pdf >/dev/null 2>"$work/bad.err"
[ $? -eq 2 ] && grep -q 'not png or svg' "$work/bad.err" || fail "--format pdf: not refused with exit 2"
"$cli" run --module self --emb-dim 8 --format svg >/dev/null 2>"$work/bad2.err"
[ $? -eq 2 ] && grep -q 'need --export-maps' "$work/bad2.err" || fail "--format without --export-maps: not refused"

if [ "$failed" -eq 0 ]; then
  echo "svg_export_xmllint: $n_svg SVG files parse, cells, values and labels as expected"
fi
exit "$failed"
