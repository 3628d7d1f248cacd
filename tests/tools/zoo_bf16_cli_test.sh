#!/usr/bin/env bash
# `ember train --precision bf16` on a zoo ResNet: a short resnet20 run (256 MNIST digits, one
# epoch: 2 steps of the ResNet recipe's batch of 128) exits 0, reports bf16 with no skipped
# steps and a finite test loss within 0.1 of the same run in fp32, saves weights that `ember eval` reproduces the accuracy of, and --precision
# with an unknown name exits 2.
# Usage: zoo_bf16_cli_test.sh PATH_TO_EMBER MNIST_DIR
set -u
EMBER=$1
DATA=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
last_json() { python3 -c "import json,sys; print(json.dumps(json.loads(sys.stdin.read().strip().splitlines()[-1])))"; }
COMMON=(--model resnet20 --dataset mnist --data-dir "$DATA" --train-limit 256 --epochs 1 --seed 5 --json)

for p in bf16 fp32; do
  "$EMBER" train "${COMMON[@]}" --precision "$p" --out "$WORK/$p" >"$WORK/$p.out" 2>"$WORK/$p.err" ||
    { echo "FAIL train --precision $p exit $?"; cat "$WORK/$p.err"; exit 1; }
  last_json <"$WORK/$p.out" >"$WORK/$p.json" || { echo "FAIL no JSON summary for $p"; cat "$WORK/$p.out"; exit 1; }
  echo "$p: $(cat "$WORK/$p.json")"
done

python3 - "$WORK/bf16.json" "$WORK/fp32.json" <<'PY' && echo "ok   resnet20 bf16 run: summary and test loss close to fp32" || { echo "FAIL bf16 summary"; fail=1; }
import json, math, sys
bf, fp = (json.load(open(p)) for p in sys.argv[1:3])
assert bf["precision"] == "bf16" and fp["precision"] == "fp32", (bf["precision"], fp["precision"])
assert bf["model"] == "resnet20" and bf["steps"] == 2 and bf["skipped_steps"] == 0, bf
assert bf["precision_support"], bf
assert math.isfinite(bf["test_loss"]) and bf["test_loss"] < 3.0, bf["test_loss"]
assert abs(bf["test_loss"] - fp["test_loss"]) < 0.1, (bf["test_loss"], fp["test_loss"])
PY
grep -q "precision bf16:" "$WORK/bf16.err" || { echo "FAIL the log does not name the precision"; fail=1; }

out=$("$EMBER" eval --model resnet20 --weights "$WORK/bf16/model.safetensors" --dataset mnist --data-dir "$DATA" --json) ||
  { echo "FAIL eval of the bf16 weights exit $?"; fail=1; }
python3 - "$WORK/bf16.json" "$out" <<'PY' && echo "ok   eval reproduces the bf16 run's accuracy" || { echo "FAIL eval accuracy"; fail=1; }
import json, sys
train = json.load(open(sys.argv[1]))
ev = json.loads(sys.argv[2].strip().splitlines()[-1])
assert abs(ev["accuracy"] - train["test_accuracy"]) < 1e-9, (ev["accuracy"], train["test_accuracy"])
PY

"$EMBER" train "${COMMON[@]}" --precision bf8 --out "$WORK/bad" >"$WORK/bad.out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q "bf8" "$WORK/bad.out"; then echo "ok   --precision bf8 exits 2 naming it"
else echo "FAIL --precision bf8: exit $rc"; cat "$WORK/bad.out"; fail=1; fi
exit $fail
