#!/usr/bin/env bash
# End-to-end checks of the ember CLI contract: exit codes, --help, --json output.
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
check "train unknown precision exits 2" 2 "$EMBER" train --data-dir /nonexistent --out /nonexistent --precision fp8
# bf16 runs on every x86 CPU: oneDNN's kernels on AVX-512, ember's reference loops on AVX2.
case "$bf16" in native|emulated|reference) ;; *) echo "FAIL device bf16 support '$bf16'"; fail=1;; esac
check "bench bf16" 0 "$EMBER" bench --workload mlp-infer --precision bf16 --repeats 2 --warmup 1 --json
echo "$out" | grep -q '"precision":"bf16"' || { echo "FAIL bench bf16 json: $out"; fail=1; }
check "unknown flag exits 2" 2 "$EMBER" device --no-such-flag
echo "$out" | grep -q "no-such-flag" || { echo "FAIL error names the flag"; fail=1; }
check "unknown command exits 2" 2 "$EMBER" frobnicate
echo "$out" | grep -q "unknown command 'frobnicate'" || { echo "FAIL error names the command: $out"; fail=1; }
check "unknown top-level flag exits 2" 2 "$EMBER" --bogus
echo "$out" | grep -q "unknown option '--bogus'" || { echo "FAIL error names the top-level flag: $out"; fail=1; }
check "no command exits 2" 2 "$EMBER"
exit $fail
