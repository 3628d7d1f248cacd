#!/usr/bin/env bash
# End-to-end checks of the ember CLI contract: exit codes, --help, --json output, short
# messages for bad values, "did you mean" for unknown flags, `ember help`, and a refused run
# that leaves its --out alone (no folder created, an old run not overwritten).
# Usage: cli_test.sh PATH_TO_EMBER
set -u
EMBER=$1
fail=0
check() {  # check NAME EXPECTED_RC CMD... ; stdout+stderr in $out
  local name=$1 want=$2; shift 2
  out=$("$@" 2>&1); local rc=$?
  if [ "$rc" -ne "$want" ]; then echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fail=1; else echo "ok   $name"; fi
}
check "help exits 0" 0 "$EMBER" --help
echo "$out" | grep -q "device" || { echo "FAIL help lists device"; fail=1; }
check "version" 0 "$EMBER" --version
echo "$out" | grep -Eq "^ember [0-9]+\.[0-9]+" || { echo "FAIL version format: $out"; fail=1; }
check "device table" 0 "$EMBER" device
echo "$out" | grep -q "^cpu:" || { echo "FAIL device lists cpu"; fail=1; }
check "device json" 0 "$EMBER" device --json
echo "$out" | /usr/bin/env python3 -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); assert d["devices"][0]["device"]=="cpu" and d["devices"][0]["compute_units"]>0' \
  || { echo "FAIL device json parse: $out"; fail=1; }
# Mixed precision: the device says how it runs bf16/fp16; bf16 bench runs where it is available.
bf16=$(echo "$out" | /usr/bin/env python3 -c 'import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1])["devices"][0]; assert d["fp16"]; print(d["bf16"].split()[0])') \
  || { echo "FAIL device json lacks bf16/fp16: $out"; fail=1; }
# A thread count the OpenMP runtime would crash on (70,000: it segfaulted) is refused before any
# parallel region runs; --threads is bounded the same way.
OMP_NUM_THREADS=70000 check "OMP_NUM_THREADS=70000 exits 2" 2 "$EMBER" bench --workload tiny-op --repeats 1 --warmup 0
echo "$out" | grep -q "OMP_NUM_THREADS='70000': ember runs 1 to 4096 threads" || { echo "FAIL OMP_NUM_THREADS message: $out"; fail=1; }
OMP_NUM_THREADS=abc check "OMP_NUM_THREADS=abc exits 2" 2 "$EMBER" device
check "--threads 70000 exits 2" 2 "$EMBER" bench --workload tiny-op --threads 70000
OMP_NUM_THREADS=1 check "OMP_NUM_THREADS=1 runs" 0 "$EMBER" bench --workload tiny-op --repeats 1 --warmup 0
check "train unknown precision exits 2" 2 "$EMBER" train --data-dir /nonexistent --out /nonexistent --precision fp8
# bf16 runs on every x86 CPU: oneDNN's kernels on AVX-512, ember's reference loops on AVX2.
case "$bf16" in native|emulated|reference) ;; *) echo "FAIL device bf16 support '$bf16'"; fail=1;; esac
check "bench bf16" 0 "$EMBER" bench --workload mlp-infer --precision bf16 --repeats 2 --warmup 1 --json
echo "$out" | grep -q '"precision":"bf16"' || { echo "FAIL bench bf16 json: $out"; fail=1; }
if [ "$bf16" = reference ]; then  # slow loops are never silent
  echo "$out" | grep -q "bf16 on cpu runs on ember's reference loops" || { echo "FAIL no note on reference bf16: $out"; fail=1; }
fi
check "unknown flag exits 2" 2 "$EMBER" device --no-such-flag
echo "$out" | grep -q "no-such-flag" || { echo "FAIL error names the flag"; fail=1; }
check "unknown command exits 2" 2 "$EMBER" frobnicate
echo "$out" | grep -q "unknown command 'frobnicate'" || { echo "FAIL error names the command: $out"; fail=1; }
check "unknown top-level flag exits 2" 2 "$EMBER" --bogus
echo "$out" | grep -q "unknown option '--bogus'" || { echo "FAIL error names the top-level flag: $out"; fail=1; }
check "no command exits 2" 2 "$EMBER"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Bad numbers: a short message naming the value, never the double range or a wrapped integer.
check "--lr abc exits 2" 2 "$EMBER" train --data-dir /nonexistent --out "$WORK/x" --lr abc
echo "$out" | grep -q -- "--lr: 'abc' is not a number" || { echo "FAIL --lr abc message: $out"; fail=1; }
echo "$out" | grep -Eq '[0-9]{20}' && { echo "FAIL --lr abc prints a huge number: $out"; fail=1; }
check "--seed -1 exits 2" 2 "$EMBER" train --data-dir /nonexistent --out "$WORK/x" --seed -1
echo "$out" | grep -q -- "--seed: '-1' must be a whole number >= 0" || { echo "FAIL --seed -1 message: $out"; fail=1; }
check "--epochs 0 exits 2" 2 "$EMBER" train --data-dir /nonexistent --out "$WORK/x" --epochs 0
echo "$out" | grep -q -- "--epochs: '0' must be between 1 and 100000" || { echo "FAIL --epochs 0 message: $out"; fail=1; }
# A device that does not exist: named, with the devices there are (train, eval, bench, predict).
for cmd in "train --data-dir /nonexistent --out $WORK/x" "eval --weights /nonexistent --data-dir /nonexistent" "bench --workload tiny-op" \
           "predict --weights /nonexistent /nonexistent.png"; do
  check "${cmd%% *} --device cpu:1 exits 1" 1 "$EMBER" $cmd --device cpu:1
  echo "$out" | grep -q "device 'cpu:1' is not available (devices here: cpu" || { echo "FAIL ${cmd%% *} cpu:1 message: $out"; fail=1; }
done
# Unknown flags: the closest real one is suggested.
check "--epoch exits 2" 2 "$EMBER" train --data-dir /nonexistent --out "$WORK/x" --epoch 1
echo "$out" | grep -q "unknown option '--epoch' for 'ember train' (did you mean '--epochs'?)" || { echo "FAIL --epoch suggestion: $out"; fail=1; }
check "--batchsize exits 2" 2 "$EMBER" eval --weights w --data-dir d --batchsize 3
echo "$out" | grep -q "did you mean '--batch-size'?" || { echo "FAIL --batchsize suggestion: $out"; fail=1; }
check "--zzzz exits 2" 2 "$EMBER" device --zzzz
echo "$out" | grep -q "did you mean" && { echo "FAIL --zzzz should get no suggestion: $out"; fail=1; }
# A refused run creates no folder.
check "missing data exits 1" 1 "$EMBER" train --data-dir "$WORK/nowhere" --out "$WORK/refused"
[ -e "$WORK/refused" ] && { echo "FAIL a refused run left $WORK/refused behind"; fail=1; }
# A folder that holds a run is not trained into without --resume or --force.
mkdir -p "$WORK/old" && echo "old metrics" >"$WORK/old/metrics.jsonl"
check "existing run refused" 1 "$EMBER" train --data-dir "$WORK/nowhere" --out "$WORK/old"
echo "$out" | grep -q -- "--out $WORK/old already holds a run (metrics.jsonl); pass --resume to continue it, --force to replace it" \
  || { echo "FAIL existing run message: $out"; fail=1; }
[ "$(cat "$WORK/old/metrics.jsonl")" = "old metrics" ] || { echo "FAIL the old run was touched"; fail=1; }
check "--force with --resume exits 2" 2 "$EMBER" train --data-dir "$WORK/nowhere" --out "$WORK/old" --force --resume
# ember help [command].
check "ember help" 0 "$EMBER" help
echo "$out" | grep -q "^Usage: ember \[OPTIONS\] SUBCOMMAND" && echo "$out" | grep -q "train" || { echo "FAIL ember help: $out"; fail=1; }
check "ember help train" 0 "$EMBER" help train
echo "$out" | grep -q "^Usage: ember train" && echo "$out" | grep -q -- "--force" || { echo "FAIL ember help train: $out"; fail=1; }
check "ember help data fetch" 0 "$EMBER" help data fetch
echo "$out" | grep -q "^Usage: ember data fetch" || { echo "FAIL ember help data fetch: $out"; fail=1; }
check "ember help nope exits 2" 2 "$EMBER" help nope
# `ember data --help` promises only subcommands that exist.
check "data --help" 0 "$EMBER" data --help
echo "$out" | grep -qi "inspect" && { echo "FAIL data --help mentions a command that does not exist: $out"; fail=1; }
for sub in $(echo "$out" | sed -n '/^Subcommands:/,$p' | awk 'NR>1 && /^  [a-z]/ {print $1}'); do
  "$EMBER" data "$sub" --help >/dev/null 2>&1 || { echo "FAIL data --help lists '$sub', which has no --help"; fail=1; }
done
exit $fail
