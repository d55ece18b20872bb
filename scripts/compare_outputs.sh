#!/bin/bash
# Runs a fixed set of rung command lines and saves every stdout, stderr and
# exit status, so that a change meant to leave behaviour alone (a refactor)
# can be checked byte for byte:
#
#   cargo build && cp target/debug/rung /tmp/rung-before
#   scripts/compare_outputs.sh /tmp/rung-before /tmp/before
#   … change, cargo build …
#   scripts/compare_outputs.sh target/debug/rung /tmp/after
#   diff -r /tmp/before /tmp/after      # only the binary's and folders' paths differ
#
# Generated extracts are cached in /tmp/rung-compare-data.
set -u
BIN=$(realpath "$1"); OUT=$2
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
S=sample-data/quarterly
T="--generated-at 2026-01-01T00:00:00Z"
D=/tmp/rung-compare-data
[ -d $D/search ] || "$BIN" generate --applications 3000 --seed 7 --ladder search --out $D/search >/dev/null
[ -d $D/big ] || "$BIN" generate --applications 20000 --seed 3 --out $D/big >/dev/null
i=0
run() {
  i=$((i + 1))
  "$BIN" "$@" >"$OUT/$i.out" 2>"$OUT/$i.err"
  echo "$? $*" >"$OUT/$i.cmd"
}
for f in json table csv markdown html; do
  run audit $S --format $f $T
  run audit $S --by organisation --by grade --format $f $T
  run audit $S --by organisation --publish --format $f $T
done
run audit $S --by quarter --format json $T
run audit $S --by organisation,sex --intersect sex --format json $T
run audit $S --by organisation --scorecard --format json $T
run audit $S --direction sc-wres --by agency --format json $T
run audit $S --adjust holm --confidence 0.9 --format json $T
run audit $S --grouping ons5 --format json $T
run audit $S --previous $S --format json $T
run audit $D/big --by organisation --publish --format json $T
run audit $D/big --memory 512MiB --format json $T
run audit tests/fixtures/nhs-trust-export --profile nhs-flat --format json $T
run audit tests/fixtures/nhs-flat --profile nhs-flat --format json $T
run audit tests/fixtures/greenhouse --profile greenhouse --format json $T
run audit tests/fixtures/lever --profile lever --format json $T
run counts $S --by organisation --out "$OUT/counts.csv"
run audit --counts "$OUT/counts.csv" --format json $T
run labels $S
run labels $S --format json
run slates $D/search --format json $T
run slates $D/search --format table $T
run slates $D/search --publish --format json $T
run sql --dialect duckdb $S
run sql --dialect postgres --applications apps --stage-events ev --by organisation
echo "$i command lines run; outputs in $OUT"
