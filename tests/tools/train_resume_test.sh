#!/usr/bin/env bash
# End-to-end: `ember train` killed with SIGKILL mid-epoch and resumed with --resume ends where an
# uninterrupted run with the same seed ends; `ember eval` reproduces the final accuracy exactly;
# `ember predict` classifies an exported digit; bad flags exit 2 and runtime failures exit 1.
# Also: samples/s is one figure (bar, epoch line, metrics.jsonl, summary) and a resumed run's
# bar counts only its own samples; --resume refuses an --lr it would ignore; an existing run is
# not overwritten without --force; a checkpoint is not taken as --weights; on a terminal the bar
# fits the width (80 and 50 columns) with a whole-run ETA, and `ember eval` draws one too.
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
# One samples/s per epoch: the bar's last (100%) line, the epoch line and metrics.jsonl agree, and
# the summary's is the metrics' samples over their seconds.
python3 - "$WORK/a.err" "$WORK/a/metrics.jsonl" "$WORK/a.out" <<'PY' || { echo "FAIL samples/s figures disagree"; cat "$WORK/a.err"; fail=1; }
import json, re, sys
log = open(sys.argv[1]).read()
metrics = [json.loads(l) for l in open(sys.argv[2])]
summary = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])
for m in metrics:
    e = m["epoch"]
    bar = re.findall(r"^epoch %d/2 100%% \S+ (\d+) samples/s" % e, log, re.M)
    line = re.findall(r"^epoch %d/2  train loss.* (\d+) samples/s$" % e, log, re.M)
    want = "%.0f" % m["samples_per_s"]
    assert bar == [want] and line == [want], (e, bar, line, want)
total = sum(m["train_samples"] for m in metrics) / sum(m["epoch_seconds"] for m in metrics)
assert abs(summary["samples_per_s"] - total) <= 1e-9 * total, (summary["samples_per_s"], total)
PY

# 2. The same run, killed with SIGKILL once a checkpoint from step 9 on exists (mid-epoch 1 of 16
# steps: most of the epoch is restored, which once inflated the resumed bar's samples/s tenfold).
late_checkpoint() { [ -f "$WORK/b/checkpoint" ] && head -c 65536 "$WORK/b/checkpoint" | tr -d '\0' | grep -Eq '"step":"(9|1[0-9])"'; }
"$EMBER" train "${COMMON[@]}" --out "$WORK/b" >"$WORK/b1.out" 2>"$WORK/b1.err" &
pid=$!
for _ in $(seq 1 3000); do late_checkpoint && break; sleep 0.01; done
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
# The resumed run's first progress line counts only the samples it processed itself: not several
# times the uninterrupted run's pace (the restored batches once inflated it by their number).
python3 - "$WORK/b2.err" "$WORK/a/metrics.jsonl" <<'PY' || { echo "FAIL resumed samples/s inflated"; cat "$WORK/b2.err"; fail=1; }
import json, re, sys
first = re.findall(r"^epoch 1/2 .*?(\d+) samples/s", open(sys.argv[1]).read(), re.M)[0]
pace = json.loads(open(sys.argv[2]).readline())["samples_per_s"]
assert float(first) < 3 * pace, (first, pace)
PY
# --lr on resume would not take effect (the saved optimizer and schedule carry it): refused.
out=$("$EMBER" train "${COMMON[@]}" --out "$WORK/b" --resume --lr 0.001 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "was written with --lr 0.006 but this run has 0.001" || { echo "FAIL resume with another --lr should exit 1 naming it: $rc $out"; fail=1; }
# Training into a folder that holds a run: refused without --resume/--force, the run untouched.
sum_before=$(cat "$WORK/b/metrics.jsonl" "$WORK/b/checkpoint" | md5sum)
out=$("$EMBER" train "${COMMON[@]}" --out "$WORK/b" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q -- "--out $WORK/b already holds a run" || { echo "FAIL training over a run should exit 1 naming the folder: $rc $out"; fail=1; }
[ "$(cat "$WORK/b/metrics.jsonl" "$WORK/b/checkpoint" | md5sum)" = "$sum_before" ] || { echo "FAIL the refused run changed the old one"; fail=1; }
# --force replaces it: the old run's files go first.
out=$("$EMBER" train --data-dir "$DATA" --out "$WORK/a" --force --epochs 1 --train-limit 128 --json 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(wc -l <"$WORK/a/metrics.jsonl")" -eq 1 ] || { echo "FAIL --force should replace the run: $rc $out"; fail=1; }
# A checkpoint is not a weights file: one line that says so, not the list of its keys.
for cmd in eval predict; do
  if [ $cmd = eval ]; then args=(--data-dir "$DATA"); else args=("$WORK/b/model.safetensors"); fi
  out=$("$EMBER" $cmd --weights "$WORK/b/checkpoint" "${args[@]}" 2>&1); rc=$?
  [ $rc -eq 1 ] && echo "$out" | grep -q "checkpoint is a training checkpoint, not a weights file: use \`ember train --resume\`" \
    && [ "$(echo "$out" | wc -c)" -lt 400 ] || { echo "FAIL $cmd --weights checkpoint: $rc $out"; fail=1; }
done
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

# 7. On a terminal (a pty of 80, then 50 columns): every redraw of the bar fits the width and shows
# the whole run's ETA; `ember eval` draws a bar too.
python3 - "$EMBER" "$DATA" "$WORK" <<'PY' || fail=1
import fcntl, os, pty, re, struct, subprocess, sys, termios
ember, data, work = sys.argv[1:4]
def run_pty(cols, argv):
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    env = dict(os.environ); env.pop("COLUMNS", None); env.pop("NO_COLOR", None)
    p = subprocess.Popen(argv, stdin=s, stdout=s, stderr=s, env=env)
    os.close(s)
    out = b""
    while True:
        try: d = os.read(m, 65536)
        except OSError: break
        if not d: break
        out += d
    p.wait(); os.close(m)
    segs = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", x) for x in re.split(r"[\r\n]", out.decode("utf-8", "replace"))]
    return p.returncode, [x for x in segs if x]
ok = True
for cols in (80, 50):
    rc, segs = run_pty(cols, [ember, "train", "--data-dir", data, "--out", "%s/pty%d" % (work, cols), "--epochs", "2",
                              "--train-limit", "512", "--seed", "7"])
    bars = [x for x in segs if re.match(r"(epoch \d+/2|test) \[", x)]  # the redrawn lines
    wide = [x for x in bars if len(x) > cols - 1]
    if rc != 0 or wide or not bars or (cols == 80 and not any("run ETA" in x for x in bars)):
        print("FAIL progress bar on %d columns: rc %d, too wide: %r, bars: %r" % (cols, rc, wide[:3], bars[:3])); ok = False
    else: print("ok   progress bar fits %d columns: %r" % (cols, bars[-1]))
rc, segs = run_pty(80, [ember, "eval", "--weights", work + "/pty80/model.safetensors", "--data-dir", data, "--batch-size", "100"])
if rc != 0 or not any(x.startswith("eval [") for x in segs):
    print("FAIL eval on a terminal shows no bar: rc %d %r" % (rc, segs[:5])); ok = False
else: print("ok   eval draws a bar on a terminal")
sys.exit(0 if ok else 1)
PY

[ $fail -eq 0 ] && echo "all train/resume/eval/predict checks passed"
exit $fail
