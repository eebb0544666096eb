#!/usr/bin/env bash
# Golden files: `cspflow simulate --state` on every examples/*.jsonl prints
# exactly tests/golden/<name>.jsonl, and the same bytes on a second run.
# examples/<name>.catalog.json, when present, is passed as --catalog.
# Regenerate after an intended change with scripts/update-golden, and read
# the diff.
set -euo pipefail
bin=$1
fail=0; n=0
for ex in examples/*.jsonl; do
        name=$(basename "$ex" .jsonl)
        golden=tests/golden/$name.jsonl
        args=()
        [ -f "examples/$name.catalog.json" ] && args=(--catalog "examples/$name.catalog.json")
        out1=$(mktemp); out2=$(mktemp)
        "$bin" simulate "${args[@]}" --state "$ex" >"$out1"
        "$bin" simulate "${args[@]}" --state "$ex" >"$out2"
        if [ ! -f "$golden" ]; then
                echo "FAIL $name: no golden file $golden"; fail=$((fail+1))
        elif ! cmp -s "$out1" "$golden"; then
                echo "FAIL $name: output differs from $golden"
                diff "$golden" "$out1" | head -20; fail=$((fail+1))
        elif ! cmp -s "$out1" "$out2"; then
                echo "FAIL $name: two runs gave different bytes"; fail=$((fail+1))
        else
                echo "ok   $name ($(wc -l <"$out1") lines)"
        fi
        n=$((n+1))
        rm -f "$out1" "$out2"
done
[ "$n" -ge 4 ] || { echo "FAIL: only $n examples"; fail=$((fail+1)); }
echo "$((n-fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
