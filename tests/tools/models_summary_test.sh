#!/usr/bin/env bash
# End-to-end checks of `ember models` and `ember summary`: the zoo table and its JSON (every
# model, resnet18's 11.69M parameters, the smaller count at ember train's 1x28x28/10 input),
# summary tables and JSON (resnet18's 3.64 GFLOPs at 3x224x224, rows adding up to the totals,
# memory scaling with --batch, agreement with `ember models`), --help, and bad input refused
# with exit 2 and a message naming the problem.
# Usage: models_summary_test.sh PATH_TO_EMBER
set -u
EMBER=$1
PY=/usr/bin/python3
fail=0
check() {  # check NAME EXPECTED_RC CMD... ; stdout+stderr in $out, stdout alone in $stdout
  local name=$1 want=$2; shift 2
  local err; err=$(mktemp)
  stdout=$("$@" 2>"$err"); local rc=$?
  out="$stdout$(cat "$err")"; rm -f "$err"
  if [ "$rc" -ne "$want" ]; then echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fail=1; else echo "ok   $name"; fi
}
expect() {  # expect NAME FRAGMENT : $out contains FRAGMENT
  echo "$out" | grep -qF -- "$2" || { echo "FAIL $1: output lacks '$2'"; echo "$out"; fail=1; }
}
pycheck() {  # pycheck NAME PYTHON : runs PYTHON with the JSON of $stdout's last line as `d`
  echo "$stdout" | "$PY" -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1])
$2" || { echo "FAIL $1"; echo "$stdout" | head -c 2000; fail=1; }
}

# ---- ember models ------------------------------------------------------------------------------
check "help lists models and summary" 0 "$EMBER" --help
expect "help lists models" "models"
expect "help lists summary" "summary"
check "models table" 0 "$EMBER" models
for m in mlp lenet resnet20 resnet18 resnet34 resnet50 charlstm gpt; do expect "models lists $m" "$m "; done
echo "$out" | grep -E "^resnet18 +11\.69M +3x224x224/1000 +11\.17M" >/dev/null \
  || { echo "FAIL models resnet18 row: $out"; fail=1; }
echo "$out" | grep -E "^mlp +669\.7K +1x28x28/10 +same" >/dev/null || { echo "FAIL models mlp row: $out"; fail=1; }
check "models json" 0 "$EMBER" models --json
models_json=$stdout
pycheck "models json content" '
m = {x["name"]: x for x in d["models"]}
assert list(m) == ["mlp", "lenet", "resnet20", "resnet18", "resnet34", "resnet50", "charlstm", "gpt"], list(m)
assert m["gpt"]["task"] == "language model" and m["gpt"]["default_input"]["context"] == 128
assert m["gpt"]["params"] == 4 * (12 * 128 * 128 + 13 * 128) + (256 + 128 + 2) * 128, m["gpt"]["params"]
assert m["resnet18"]["task"] == "image classifier"
assert m["resnet18"]["params"] == 11689512 and m["resnet50"]["params"] == 25557032
assert m["resnet18"]["default_input"] == {"channels": 3, "height": 224, "width": 224, "classes": 1000}
assert m["resnet18"]["train_input"] == {"channels": 1, "height": 28, "width": 28, "classes": 10}
assert m["resnet18"]["train_params"] < m["resnet18"]["params"]
assert m["mlp"]["fixed_input"] and m["mlp"]["params"] == m["mlp"]["train_params"] == 669706
assert 0.26e6 < m["resnet20"]["params"] < 0.28e6
assert all(x["description"] for x in d["models"])'
check "models --bogus exits 2" 2 "$EMBER" models --bogus
expect "models --bogus names the flag" "unknown option '--bogus' for 'ember models'"

# ---- ember summary -----------------------------------------------------------------------------
check "summary help" 0 "$EMBER" help summary
expect "summary help --input" "--input"
expect "summary help --batch" "--batch"
check "summary table resnet20" 0 "$EMBER" summary --model resnet20
expect "summary title" "resnet20 for 1x28x28 images, 10 classes, batch 1"
expect "summary indented row" "      layer1.0.conv1"
expect "summary total params" "Total params:"
expect "summary gflops" "Forward GFLOPs:"
expect "summary activations" "Forward activations (MB):"
expect "summary estimated total" "Estimated total size (MB):"

check "summary json resnet18 224" 0 "$EMBER" summary --model resnet18 --input 3x224x224 --json
pycheck "resnet18 json" '
t = d["totals"]
assert d["output_shape"] == [1, 1000] and d["input_shape"] == [1, 3, 224, 224]
assert t["params"] == 11689512 and t["trainable_params"] == t["params"] and t["non_trainable_params"] == 0
assert abs(t["flops"] / 3.64e9 - 1) < 0.01, t["flops"]
rows = {r["name"]: r for r in d["rows"]}
r = rows["layer4.1.conv2"]
assert r["type"] == "Conv2d" and r["output_shape"] == [1, 512, 7, 7] and r["depth"] == 3 and r["params"] == 2359296
assert r["flops"] == 2 * 7 * 7 * 512 * 512 * 9
leaves = [r for r in d["rows"] if r["innermost"]]
assert sum(r["flops"] for r in leaves) == t["flops"] == d["rows"][0]["flops"]
numel = lambda s: __import__("math").prod(s)
assert t["activation_bytes"] == 4 * sum(numel(r["output_shape"]) for r in leaves)
assert t["input_bytes"] == 4 * 3 * 224 * 224 and t["param_bytes"] == 4 * t["params"]
assert t["param_bytes_by_dtype"] == {"float32": t["param_bytes"]}
assert t["total_bytes"] == t["input_bytes"] + t["param_bytes"] + t["buffer_bytes"] + t["activation_bytes"]'

check "summary lenet batch 1" 0 "$EMBER" summary --model lenet --json
lenet1=$stdout
check "summary lenet batch 4" 0 "$EMBER" summary --model lenet --batch 4 --json
echo "$lenet1" | "$PY" -c "import json,sys
one = json.loads(sys.stdin.read().strip().splitlines()[-1]); four = json.loads('''$(echo "$stdout" | tail -1)''')
assert four['output_shape'] == [4, 10] and four['batch'] == 4
for k in ('activation_bytes', 'input_bytes', 'flops'): assert four['totals'][k] == 4 * one['totals'][k], k
assert four['totals']['params'] == one['totals']['params'] == 421834" || { echo "FAIL lenet batch scaling"; fail=1; }

check "summary resnet18 at the train input" 0 "$EMBER" summary --model resnet18 --input 1x28x28 --classes 10 --json
echo "$models_json" | "$PY" -c "import json,sys
m = {x['name']: x for x in json.loads(sys.stdin.read().strip().splitlines()[-1])['models']}
s = json.loads('''$(echo "$stdout" | tail -1)''')
assert s['totals']['params'] == m['resnet18']['train_params'], (s['totals']['params'], m['resnet18']['train_params'])
assert s['output_shape'] == [1, 10]
assert not any(r['type'] == 'MaxPool2d' for r in s['rows'])  # the small-image stem" \
  || { echo "FAIL summary vs models at 1x28x28"; fail=1; }

check "summary gpt (byte tokens)" 0 "$EMBER" summary --model gpt --context 64 --batch 2 --json
echo "$models_json" | "$PY" -c "import json,sys
m = {x['name']: x for x in json.loads(sys.stdin.read().strip().splitlines()[-1])['models']}
s = json.loads('''$(echo "$stdout" | tail -1)''')
assert s['totals']['params'] == m['gpt']['params'] - 64 * 128 and s['output_shape'] == [2, 64, 256] and s['context'] == 64, s" \
  || { echo "FAIL summary gpt"; fail=1; }
check "summary gpt --context 0 exits 2" 2 "$EMBER" summary --model gpt --context 0
check "summary gpt --input exits 2" 2 "$EMBER" summary --model gpt --input 1x28x28
check "summary lenet --context exits 2" 2 "$EMBER" summary --model lenet --context 5

# ---- bad input ---------------------------------------------------------------------------------
check "--input 0x28x28 exits 2" 2 "$EMBER" summary --model lenet --input 0x28x28
expect "--input 0x28x28 message" "'0x28x28': every size must be >= 1"
check "--input 1x28 exits 2" 2 "$EMBER" summary --model lenet --input 1x28
expect "--input 1x28 message" "'1x28' is not CxHxW"
check "--input 3x224x200 exits 2" 2 "$EMBER" summary --model resnet18 --input 3x224x200
expect "--input non-square message" "height and width must be equal"
check "--input 1x99999x99999 exits 2" 2 "$EMBER" summary --model resnet18 --input 1x99999x99999
expect "--input too large message" "at most 4096 channels and 4096 pixels a side"
check "mlp at 3x224x224 exits 2" 2 "$EMBER" summary --model mlp --input 3x224x224
expect "mlp at 3x224x224 message" "model 'mlp' takes only 1x28x28 images and 10 classes"
check "lenet with 5 classes exits 2" 2 "$EMBER" summary --model lenet --classes 5
check "unknown model exits 2" 2 "$EMBER" summary --model resnet101
expect "unknown model message" "resnet101 not in {mlp,lenet,resnet20,resnet18,resnet34,resnet50,charlstm,gpt}"
check "missing --model exits 2" 2 "$EMBER" summary
expect "missing --model message" "--model is required"
check "--batch 0 exits 2" 2 "$EMBER" summary --model lenet --batch 0
expect "--batch 0 message" "--batch: '0' must be between 1 and 4096"
check "--classes abc exits 2" 2 "$EMBER" summary --model resnet20 --classes abc
expect "--classes abc message" "'abc' is not a whole number"
check "--inptu suggests --input" 2 "$EMBER" summary --model lenet --inptu 1x28x28
expect "--inptu suggestion" "did you mean '--input'?"

exit $fail
