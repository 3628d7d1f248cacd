#!/usr/bin/env bash
# End-to-end: Fashion-MNIST through the CLI, offline and small. A stand-in for Debian's package
# folder holds synthetic 60,000/10,000 IDX .gz files (ten shapes, one per class, each spanning
# the full height as Fashion-MNIST's garments do); `data fetch fashion-mnist --source debian
# --debian-dir` copies them; lenet trains briefly on 2,000; eval names the classes; an image
# written by `data export-image` comes back as the same 28x28 input (byte-identical PNG via
# --save-input) and the same class name; a 4x larger dark-on-white "product photo" of the same
# sample is inverted and gives that class too; mismatched datasets and sources are refused.
# Usage: fashion_mnist_cli_test.sh PATH_TO_EMBER
set -u
EMBER=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0
check() {  # check NAME EXPECTED_RC CMD... ; stdout+stderr in $out
  local name=$1 want=$2; shift 2
  out=$("$@" 2>&1); local rc=$?
  if [ "$rc" -ne "$want" ]; then echo "FAIL $name: exit $rc, expected $want"; echo "$out"; fail=1; else echo "ok   $name"; fi
}
expect() {  # expect NAME PATTERN: $out must match the extended regex
  echo "$out" | grep -Eq -- "$2" || { echo "FAIL $1: output lacks /$2/"; echo "$out"; fail=1; }
}

python3 - "$WORK/debian" <<'PY'
import gzip, os, struct, sys
d = sys.argv[1]
os.makedirs(d)
def template(k, level):
    w = 4 + 2 * k                       # class k: a full-height block 4+2k wide, centred,
    x0 = (28 - w) // 2                  # with a dark band at rows depending on k
    band = range(6 + 4 * (k % 4), 9 + 4 * (k % 4)) if k % 2 else range(0)
    return bytes(level if x0 <= x < x0 + w and y not in band else 0 for y in range(28) for x in range(28))
variants = [[template(k, level) for level in (140, 180, 220, 255)] for k in range(10)]
def write(prefix, n):
    images = b"".join(variants[i % 10][(i // 10) % 4] for i in range(n))
    labels = bytes(i % 10 for i in range(n))
    with open(f"{d}/{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(gzip.compress(struct.pack(">IIII", 0x803, n, 28, 28) + images, 1))
    with open(f"{d}/{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(gzip.compress(struct.pack(">II", 0x801, n) + labels, 1))
write("train", 60000)
write("t10k", 10000)
PY
D="$WORK/fashion"

# 1. Fetch: the Debian source (a given --debian-dir is never installed into), then the cache.
check "fetch debian" 0 "$EMBER" data fetch fashion-mnist --dir "$D" --source debian --debian-dir "$WORK/debian"
expect "fetch debian" "^fashion-mnist in $D: 60000 train \+ 10000 test samples \(source: debian, $WORK/debian\)"
check "fetch again is the cache" 0 "$EMBER" data fetch fashion-mnist --dir "$D" --json --source debian --debian-dir /nonexistent
expect "fetch cache json" '"dataset":"fashion-mnist".*"source":"cache"'
check "fetch without the package" 1 "$EMBER" data fetch fashion-mnist --dir "$WORK/none" --source debian --debian-dir "$WORK/nothing"
expect "fetch without the package" "dataset-fashion-mnist.*sudo apt install dataset-fashion-mnist"
check "npm source for fashion-mnist" 2 "$EMBER" data fetch fashion-mnist --dir "$WORK/x" --source npm
expect "npm source message" "--source npm does not apply to fashion-mnist \(sources: auto, mirrors, debian\)"
check "debian source for mnist" 2 "$EMBER" data fetch mnist --dir "$WORK/x" --source debian
check "--debian-dir for mnist" 2 "$EMBER" data fetch mnist --dir "$WORK/x" --debian-dir "$WORK/debian"
check "unknown dataset" 2 "$EMBER" data fetch cifar100 --dir "$WORK/x"

# 2. Train briefly; the weights record their dataset.
check "train" 0 "$EMBER" train --model lenet --dataset fashion-mnist --data-dir "$D" --epochs 2 --train-limit 2000 \
  --seed 1 --out "$WORK/run" --json
acc=$(echo "$out" | tail -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["test_accuracy"])')
echo "test accuracy $acc"; python3 -c "import sys; sys.exit(0 if $acc >= 0.95 else 1)" || { echo "FAIL synthetic shapes only reach $acc"; fail=1; }
W=(--model lenet --weights "$WORK/run/model.safetensors")
check "resume on another dataset" 1 "$EMBER" train --model lenet --dataset mnist --data-dir "$D" --epochs 2 --train-limit 2000 \
  --seed 1 --out "$WORK/run" --resume
expect "resume message" "written with --dataset \"fashion-mnist\" but this run has \"mnist\""

# 3. Eval: the dataset comes from the weights; rows are named; another --dataset is refused.
check "eval" 0 "$EMBER" eval "${W[@]}" --data-dir "$D"
expect "eval header" "on fashion-mnist test \(10000 samples\)"
expect "eval rows" "^ +0 T-shirt/top +[0-9]+"
expect "eval rows" "^ +9 Ankle boot +[0-9]+"
check "eval json" 0 "$EMBER" eval "${W[@]}" --data-dir "$D" --dataset fashion-mnist --json
expect "eval json" '"classes":\["T-shirt/top","Trouser",.*"Ankle boot"\].*"dataset":"fashion-mnist"'
check "eval --dataset mnist" 1 "$EMBER" eval "${W[@]}" --data-dir "$D" --dataset mnist
expect "eval --dataset mnist" "were trained on fashion-mnist"

# 4. export-image -> predict: the same 28x28 input, the same class; a product photo too.
names=("T-shirt/top" "Trouser" "Pullover" "Dress" "Coat" "Sandal" "Shirt" "Sneaker" "Bag" "Ankle boot")
mkdir "$WORK/seen"
for i in 3 7 14; do
  check "export-image $i" 0 "$EMBER" data export-image fashion-mnist --dir "$D" --index $i --out "$WORK/img/s$i.png"
  expect "export-image $i label" "label $((i % 10)): ${names[$((i % 10))]}\)"
  check "predict s$i" 0 "$EMBER" predict "${W[@]}" --save-input "$WORK/seen" "$WORK/img/s$i.png"
  expect "predict s$i" "s$i.png: ${names[$((i % 10))]}  \(${names[$((i % 10))]}: "
  cmp -s "$WORK/img/s$i.png" "$WORK/seen/s$i.png.28x28.png" || { echo "FAIL s$i: the model's input differs from the exported sample"; fail=1; }
done
python3 - "$D/t10k-images-idx3-ubyte.gz" "$WORK/photo.pgm" <<'PY'
import gzip, sys
raw = gzip.open(sys.argv[1]).read()[16 + 7 * 784:16 + 8 * 784]   # test sample 7, class 7
rows = [bytes(255 - raw[(y // 4) * 28 + x // 4] for x in range(112)) for y in range(112)]
pad = bytes([255]) * 40                                         # on a wider white page
open(sys.argv[2], "wb").write(b"P5 192 112 255\n" + b"".join(pad + r + pad for r in rows))
PY
check "predict product photo" 0 "$EMBER" predict "${W[@]}" --json "$WORK/photo.pgm"
expect "predict product photo" '"class":7,"name":"Sneaker"'
expect "photo inverted" '"inverted":true'
check "predict --dataset mnist" 1 "$EMBER" predict "${W[@]}" --dataset mnist "$WORK/photo.pgm"

# 5. --help says what happens to a garment picture and where the data comes from.
check "predict --help" 0 "$EMBER" predict --help
expect "predict --help" "fashion-mnist: each picture"
expect "predict --help" "export-image"
check "data fetch --help" 0 "$EMBER" data fetch --help
expect "data fetch --help" "dataset-fashion-mnist"
expect "data fetch --help" "--debian-dir"
check "train --help" 0 "$EMBER" train --help
expect "train --help" "fashion-mnist"

[ $fail -eq 0 ] && echo "all fashion-mnist checks passed"
exit $fail
