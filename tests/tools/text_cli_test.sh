#!/usr/bin/env bash
# End-to-end language modelling: `ember train --dataset text` for gpt and charlstm on a small
# English-like text (written here), metrics.jsonl in nats and bits per character, curves.png;
# a run killed with SIGKILL mid-epoch and resumed ends with the same weights, byte for byte, as
# an uninterrupted one; `ember generate` streams the asked number of bytes, reproducibly for a
# seed; bad combinations of flags exit non-zero with a message naming the problem.
# Usage: text_cli_test.sh PATH_TO_EMBER
set -u
EMBER=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
json_field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

python3 - "$WORK/text.txt" <<'PY'
import random, sys
random.seed(1)
words = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge every boxing match".split()
lines = []
for _ in range(1500):
    lines.append(" ".join(random.choice(words) for _ in range(random.randint(4, 12))).capitalize() + ".")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY

GPT=(--model gpt --data-file "$WORK/text.txt" --epochs 2 --steps-per-epoch 40 --batch-size 8 --context 32
     --layers 2 --heads 2 --width 32 --checkpoint-every 5 --seed 3 --json)

# 1. Uninterrupted gpt run: the loss falls well below a uniform guess (ln 256 = 5.55 nats).
"$EMBER" train "${GPT[@]}" --out "$WORK/a" >"$WORK/a.out" 2>"$WORK/a.err" || { echo "FAIL gpt run"; cat "$WORK/a.err"; exit 1; }
python3 - "$WORK/a/metrics.jsonl" "$WORK/a.out" <<'PY' || { echo "FAIL gpt metrics"; cat "$WORK/a.err"; fail=1; }
import json, math, sys
m = [json.loads(l) for l in open(sys.argv[1])]
s = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
assert len(m) == 2, m
for h in m:
    assert abs(h["train_bits_per_char"] - h["train_loss"] / math.log(2)) < 1e-9, h
    assert abs(h["test_bits_per_char"] - h["test_loss"] / math.log(2)) < 1e-9, h
    assert h["train_samples"] == 40 * 8 * 32, h  # characters scored
assert m[-1]["test_loss"] < 3.0, m[-1]
assert s["dataset"] == "text" and abs(s["test_bits_per_char"] - m[-1]["test_bits_per_char"]) < 1e-9, s
print("gpt validation loss", m[-1]["test_loss"], "nats/char")
PY
[ -s "$WORK/a/curves.png" ] || { echo "FAIL no curves.png"; fail=1; }
grep -q "chars/s" "$WORK/a.err" || { echo "FAIL the log does not count chars/s"; fail=1; }

# 2. Killed once a checkpoint from step 45 on exists (mid-epoch 2), then resumed: same weights.
late_checkpoint() { [ -f "$WORK/b/checkpoint" ] && head -c 65536 "$WORK/b/checkpoint" | tr -d '\0' | grep -Eq '"step":"(4[5-9]|[5-7][0-9])"'; }
"$EMBER" train "${GPT[@]}" --out "$WORK/b" >"$WORK/b1.out" 2>"$WORK/b1.err" &
pid=$!
for _ in $(seq 1 6000); do late_checkpoint && break; sleep 0.01; done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -f "$WORK/b/checkpoint" ] || { echo "FAIL no checkpoint before the kill"; cat "$WORK/b1.err"; exit 1; }
"$EMBER" train "${GPT[@]}" --out "$WORK/b" --resume >"$WORK/b2.out" 2>"$WORK/b2.err" || { echo "FAIL resume"; cat "$WORK/b2.err"; exit 1; }
if grep -q "resuming from" "$WORK/b2.err"; then
  cmp -s "$WORK/a/model.safetensors" "$WORK/b/model.safetensors" || { echo "FAIL resumed weights differ"; fail=1; }
  cmp -s "$WORK/a/metrics.jsonl" "$WORK/b/metrics.jsonl" >/dev/null
  python3 - "$WORK/a/metrics.jsonl" "$WORK/b/metrics.jsonl" <<'PY' || { echo "FAIL resumed losses differ"; fail=1; }
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert [x["train_loss"] for x in a] == [x["train_loss"] for x in b] and [x["test_loss"] for x in a] == [x["test_loss"] for x in b], (a, b)
PY
else
  echo "note: the run finished before it could be killed; resume not exercised"; cat "$WORK/b2.err"; fail=1
fi

# 3. A different --context on resume is refused, naming the flag.
"$EMBER" train "${GPT[@]}" --context 16 --out "$WORK/b" --resume >/dev/null 2>"$WORK/c.err" && { echo "FAIL --context change accepted"; fail=1; }
grep -q -- "--context" "$WORK/c.err" || { echo "FAIL context refusal does not name --context"; cat "$WORK/c.err"; fail=1; }

# 4. generate: the prompt, then exactly N bytes; the same seed gives the same text; tokens/s on stderr.
"$EMBER" generate --model gpt --weights "$WORK/a/model.safetensors" --prompt "The " --tokens 200 --seed 5 \
  >"$WORK/g1.txt" 2>"$WORK/g1.err" || { echo "FAIL generate"; cat "$WORK/g1.err"; fail=1; }
"$EMBER" generate --model gpt --weights "$WORK/a/model.safetensors" --prompt "The " --tokens 200 --seed 5 \
  >"$WORK/g2.txt" 2>/dev/null
cmp -s "$WORK/g1.txt" "$WORK/g2.txt" || { echo "FAIL generate is not reproducible for a seed"; fail=1; }
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); assert d.startswith(b'The ') and len(d) == 4 + 200 + 1, len(d)" "$WORK/g1.txt" \
  || { echo "FAIL generate wrote the wrong number of bytes"; fail=1; }
grep -q "tokens/s" "$WORK/g1.err" || { echo "FAIL no tokens/s on stderr"; fail=1; }
echo "generated: $(head -c 120 "$WORK/g1.txt" | tr '\n' ' ')"

# 4b. eval on the held-out text reproduces the run's last validation loss.
"$EMBER" eval --model gpt --weights "$WORK/a/model.safetensors" --dataset text --data-file "$WORK/text.txt" --json \
  >"$WORK/ev.out" 2>"$WORK/ev.err" || { echo "FAIL eval --dataset text"; cat "$WORK/ev.err"; fail=1; }
python3 - "$WORK/a/metrics.jsonl" "$WORK/ev.out" <<'PY' || { echo "FAIL eval loss differs from the run's"; fail=1; }
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])][-1]
e = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
assert abs(e["loss"] - m["test_loss"]) < 1e-6 and e["context"] == 32, (e, m)
PY

# 5. charlstm trains and generates too.
"$EMBER" train --model charlstm --data-file "$WORK/text.txt" --epochs 1 --steps-per-epoch 6 --batch-size 8 \
  --context 24 --width 32 --out "$WORK/l" --json >"$WORK/l.out" 2>"$WORK/l.err" || { echo "FAIL charlstm run"; cat "$WORK/l.err"; fail=1; }
"$EMBER" generate --model charlstm --weights "$WORK/l/model.safetensors" --prompt "A" --tokens 50 >"$WORK/l.txt" 2>/dev/null \
  || { echo "FAIL charlstm generate"; fail=1; }
[ "$(wc -c <"$WORK/l.txt")" -eq 52 ] || { echo "FAIL charlstm generated $(wc -c <"$WORK/l.txt") bytes"; fail=1; }

# 5b. A run that diverges (lr 1e30) stops with exit 1 at the first non-finite loss, naming the
# step, and saves nothing non-finite: no weights, and a checkpoint only from finite steps.
"$EMBER" train --model gpt --data-file "$WORK/text.txt" --epochs 2 --steps-per-epoch 40 --batch-size 8 --context 32 --layers 2 --heads 2 --width 32 --lr 1e30 --checkpoint-every 1 --out "$WORK/div" >"$WORK/div.out" 2>"$WORK/div.err"; rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL a diverging run exited $rc"; cat "$WORK/div.err"; fail=1; }
grep -q "training diverged at epoch 1, step [0-9]*: the loss became nan" "$WORK/div.err" || grep -q "training diverged at epoch 1, step [0-9]*: the \(loss became inf\|weights became non-finite\)" "$WORK/div.err" \
  || { echo "FAIL divergence message"; cat "$WORK/div.err"; fail=1; }
[ -e "$WORK/div/model.safetensors" ] && { echo "FAIL a diverged run wrote weights"; fail=1; }
if [ -e "$WORK/div/checkpoint" ]; then
  grep -q "hold the last finite state" "$WORK/div.err" || { echo "FAIL the message does not say the checkpoint is kept"; fail=1; }
  "$EMBER" train --model gpt --data-file "$WORK/text.txt" --epochs 2 --steps-per-epoch 40 --batch-size 8 --context 32 --layers 2 --heads 2 --width 32 --lr 1e30 --checkpoint-every 1 --out "$WORK/div" --resume >"$WORK/div2.err" 2>&1
  grep -q "resuming from" "$WORK/div2.err" || { echo "FAIL the kept checkpoint does not resume"; cat "$WORK/div2.err"; fail=1; }
fi

# 5c. Weights holding a NaN are refused by eval and generate (they once gave "loss nan", exit 0).
python3 - "$WORK/a/model.safetensors" "$WORK/nan.safetensors" <<'PY'
import json, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
name = sorted(k for k in h if k != "__metadata__" and h[k]["dtype"] == "F32")[0]
off = 8 + n + h[name]["data_offsets"][0]
b[off:off + 4] = struct.pack("<f", float("nan"))
open(sys.argv[2], "wb").write(b)
print(name)
PY
for cmd in "eval --model gpt --dataset text --data-file $WORK/text.txt" "generate --model gpt --tokens 5"; do
  # shellcheck disable=SC2086
  "$EMBER" $cmd --weights "$WORK/nan.safetensors" >"$WORK/nan.out" 2>&1 && { echo "FAIL NaN weights accepted by: $cmd"; fail=1; }
  grep -q "hold non-finite values" "$WORK/nan.out" || { echo "FAIL NaN weights message ($cmd)"; cat "$WORK/nan.out"; fail=1; }
done

# 6. Bad input: each a non-zero exit (2 for flags that do not go together) and a message naming the problem.
expect_error() {  # expect_error FRAGMENT ARGS...
  local frag=$1; shift
  if "$EMBER" "$@" >"$WORK/e.out" 2>"$WORK/e.err"; then echo "FAIL accepted: $*"; fail=1; return; fi
  grep -q -- "$frag" "$WORK/e.err" || { echo "FAIL '$*' error lacks '$frag':"; cat "$WORK/e.err"; fail=1; }
}
expect_error "needs --data-file" train --model gpt --out "$WORK/x1"
[ "$(cat "$WORK/e.out"; "$EMBER" train --model gpt --out "$WORK/x1" >/dev/null 2>&1; echo $?)" = "2" ] || { echo "FAIL a missing --data-file is not exit 2"; fail=1; }
expect_error "does not exist" train --model gpt --data-file "$WORK/missing.txt" --out "$WORK/x2"
printf 'tiny' >"$WORK/tiny.txt"
expect_error "too short" train --model gpt --data-file "$WORK/tiny.txt" --out "$WORK/x3"
expect_error "applies to image datasets" train --model gpt --data-file "$WORK/text.txt" --shift 2 --out "$WORK/x4"
expect_error "language model" train --model gpt --dataset mnist --data-dir "$WORK" --out "$WORK/x5"
expect_error "trains a language model" train --model lenet --dataset text --data-file "$WORK/text.txt" --out "$WORK/x6"
expect_error "multiple of the number of heads" train --model gpt --data-file "$WORK/text.txt" --heads 3 --out "$WORK/x7"
expect_error "hold model 'gpt'" generate --model charlstm --weights "$WORK/a/model.safetensors"
expect_error "training checkpoint" generate --model gpt --weights "$WORK/a/checkpoint"
expect_error "evaluates a language model" eval --model lenet --dataset text --data-file "$WORK/text.txt" --weights "$WORK/a/model.safetensors"
expect_error "temperature" generate --model gpt --weights "$WORK/a/model.safetensors" --temperature 0
[ -e "$WORK/x2" ] && { echo "FAIL a refused run left its folder"; fail=1; }

[ $fail -eq 0 ] && echo "PASS"
exit $fail
