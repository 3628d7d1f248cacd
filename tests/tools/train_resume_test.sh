#!/usr/bin/env bash
# End-to-end: `ember train` killed with SIGKILL mid-epoch and resumed with --resume ends where an
# uninterrupted run with the same seed ends; `ember eval` reproduces the final accuracy exactly;
# `ember predict` classifies an exported digit; bad flags exit 2 and runtime failures exit 1.
# Usage: train_resume_test.sh PATH_TO_EMBER MNIST_DIR
set -u
EMBER=$1
DATA=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
json_field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

COMMON=(--model lenet --dataset mnist --data-dir "$DATA" --epochs 2 --train-limit 1024 --batch-size 64
        --checkpoint-every 3 --seed 7 --json)

# 1. Uninterrupted run.
"$EMBER" train "${COMMON[@]}" --out "$WORK/a" >"$WORK/a.out" 2>"$WORK/a.err" || { echo "FAIL uninterrupted run"; cat "$WORK/a.err"; exit 1; }
acc_a=$(json_field test_accuracy <"$WORK/a.out")
echo "uninterrupted: test_accuracy $acc_a"
python3 -c "import sys; sys.exit(0 if $acc_a > 0.6 else 1)" || { echo "FAIL 2 short epochs should already beat 60%"; fail=1; }

# 2. The same run, killed with SIGKILL as soon as its first checkpoint exists (mid-epoch 1).
"$EMBER" train "${COMMON[@]}" --out "$WORK/b" >"$WORK/b1.out" 2>"$WORK/b1.err" &
pid=$!
for _ in $(seq 1 3000); do [ -f "$WORK/b/checkpoint" ] && break; sleep 0.01; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -f "$WORK/b/checkpoint" ] || { echo "FAIL no checkpoint before the kill"; cat "$WORK/b1.err"; exit 1; }
ls "$WORK/b" | grep -q '\.tmp\.' && { echo "FAIL temporary files left behind"; fail=1; }

# 3. Resume.
"$EMBER" train "${COMMON[@]}" --out "$WORK/b" --resume >"$WORK/b2.out" 2>"$WORK/b2.err" || { echo "FAIL resumed run"; cat "$WORK/b2.err"; exit 1; }
grep -E "resuming from .*checkpoint: epoch [0-9]+, batch [0-9]+" "$WORK/b2.err" || { echo "FAIL did not resume from the checkpoint"; cat "$WORK/b2.err"; fail=1; }
grep -q "resuming from .*: epoch 1, batch 0 " "$WORK/b2.err" && { echo "FAIL resumed from the very start"; fail=1; }
acc_b=$(json_field test_accuracy <"$WORK/b2.out")
resumed=$(json_field resumed <"$WORK/b2.out")
echo "killed and resumed: test_accuracy $acc_b (resumed=$resumed)"
python3 -c "import sys; a,b=$acc_a,$acc_b; sys.exit(0 if abs(a-b) <= 0.002 else 1)" || { echo "FAIL accuracies differ by more than 0.2%"; fail=1; }
[ "$resumed" = "True" ] || { echo "FAIL summary does not say resumed"; fail=1; }
[ "$(wc -l <"$WORK/b/metrics.jsonl")" -eq 2 ] || { echo "FAIL metrics.jsonl should have one line per epoch"; fail=1; }
head -c 8 "$WORK/b/curves.png" | od -An -tx1 | grep -q "89 50 4e 47" || { echo "FAIL curves.png is not a PNG"; fail=1; }

# 3b. Resuming with another length of the one-cycle schedule is refused up front, naming the flag.
LONGER=("${COMMON[@]/#2/3}")  # COMMON with --epochs 3 (its only argument that is exactly "2")
[ "${LONGER[*]}" != "${COMMON[*]}" ] || { echo "FAIL test setup: --epochs not replaced"; fail=1; }
out=$("$EMBER" train "${LONGER[@]}" --out "$WORK/b" --resume 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q -- "--epochs 2" || { echo "FAIL resume with other --epochs should exit 1 naming it: $rc $out"; fail=1; }

# 4. eval reproduces the final accuracy exactly.
acc_eval=$("$EMBER" eval --model lenet --weights "$WORK/b/model.safetensors" --dataset mnist --data-dir "$DATA" --json | json_field accuracy)
[ "$acc_eval" = "$acc_b" ] || { echo "FAIL eval accuracy $acc_eval != training's $acc_b"; fail=1; }

# 5. predict an exported test digit.
"$EMBER" data export-image mnist --dir "$DATA" --index 0 --out "$WORK/digit.png" >/dev/null || { echo "FAIL export-image"; fail=1; }
"$EMBER" predict --model lenet --weights "$WORK/b/model.safetensors" "$WORK/digit.png" --json >"$WORK/p.out" || { echo "FAIL predict"; fail=1; }
python3 -c "
import json; d=json.loads(open('$WORK/p.out').read().strip().splitlines()[-1])
assert 0 <= d['class'] < 10 and len(d['probabilities']) == 10 and abs(sum(d['probabilities'])-1) < 1e-4, d" || { echo "FAIL predict JSON"; fail=1; }

# 6. Usage errors exit 2, runtime errors exit 1 with a message.
"$EMBER" train --dataset mnist --out "$WORK/c" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL missing --data-dir should exit 2"; fail=1; }
"$EMBER" train --data-dir "$DATA" --out "$WORK/c" --epochs zero >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL bad --epochs should exit 2"; fail=1; }
"$EMBER" train --data-dir "$DATA" --out "$WORK/c" --model resnet9000 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL unknown model should exit 2"; fail=1; }
"$EMBER" train --data-dir "$DATA" --out "$WORK/c" --device tpu:0 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL bad device should exit 2"; fail=1; }
out=$("$EMBER" train --data-dir "$WORK/nowhere" --out "$WORK/c" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "nowhere" || { echo "FAIL missing data should exit 1 naming the path: $rc $out"; fail=1; }
out=$("$EMBER" eval --weights "$WORK/digit.png" --data-dir "$DATA" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "digit.png" || { echo "FAIL bad weights file should exit 1 naming it: $rc $out"; fail=1; }
out=$("$EMBER" eval --model mlp --weights "$WORK/b/model.safetensors" --data-dir "$DATA" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "missing" || { echo "FAIL lenet weights into mlp should exit 1 listing keys: $rc $out"; fail=1; }

[ $fail -eq 0 ] && echo "all train/resume/eval/predict checks passed"
exit $fail
