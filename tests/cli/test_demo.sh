#!/usr/bin/env bash
# `cspflow demo` on the in-process mock cluster: exits 0 and its summary
# matches what `cspflow simulate` says of the same examples (outputs,
# rejections), every output it lists was read back from the actions topic,
# and every migration of the examples has a timeline.
set -euo pipefail
bin=$1
out=$(mktemp); err=$(mktemp); sim=$(mktemp)
trap 'rm -f "$out" "$err" "$sim"' EXIT
fail=0; pass=0
check() { if eval "$2"; then echo "ok   $1"; pass=$((pass+1)); else echo "FAIL $1"; fail=$((fail+1)); fi; }

timeout 120 "$bin" demo >"$out" 2>"$err" && rc=0 || rc=$?
check "demo exits 0 (rc=$rc)" '[ "$rc" -eq 0 ]'

for ex in examples/*.jsonl; do
        cat="${ex%.jsonl}.catalog.json"; args=()
        [ -f "$cat" ] && args=(--catalog "$cat")
        "$bin" simulate "${args[@]}" "$ex"
done >"$sim"
inputs=$(cat examples/*.jsonl | grep -c .)
outputs=$(grep -vc '"type":"event-rejected"' "$sim")
rejected=$(grep -c '"type":"event-rejected"' "$sim")
summary=$(tail -1 "$out")
echo "summary: $summary"
echo "simulate: $inputs inputs, $outputs outputs, $rejected rejected"
check "inputs counted" '[[ "$summary" == "$inputs inputs:"* ]]'
check "DLQ count = simulate's rejections" '[[ "$summary" == *" $rejected to the DLQ;"* ]]'
check "outputs = simulate's, all read back" '[[ "$summary" == *"; $outputs outputs ($outputs read back"* ]]'
check "no output missing from the actions topic" '! grep -q "not found on the actions topic" "$out"'
keys=$(sed -n 's/.*"partner_id":"\([^"]*\)","customer_tenant_id":"\([^"]*\)".*/\1\/\2/p' examples/*.jsonl | sort -u)
missing=0
for k in $keys; do grep -qx "$k" "$out" || { echo "no timeline for $k"; missing=$((missing+1)); }; done
check "a timeline per migration ($(echo "$keys" | wc -l) keys)" '[ "$missing" -eq 0 ]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
