#!/usr/bin/env bash
# End-to-end: `ember predict` reads the committed pictures of digits (tests/data/images: a digit
# off-centre on a white canvas, a dim photo, transparent PNGs, chalk, a thin pen) correctly
# with a briefly trained lenet; takes a folder (sorted, images only); reports a broken file, a
# blank picture, a decompression bomb and a missing file on stderr, still predicts the rest and
# exits 1; usage errors exit 2.
# Usage: predict_images_test.sh PATH_TO_EMBER MNIST_DIR IMAGES_DIR
set -u
EMBER=$1
DATA=$2
IMAGES=$3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail=0

"$EMBER" train --model lenet --dataset mnist --data-dir "$DATA" --epochs 2 --train-limit 4000 --seed 4 --out "$WORK/run" --json \
  >"$WORK/train.out" 2>"$WORK/train.err" || { echo "FAIL training"; cat "$WORK/train.err"; exit 1; }
tail -1 "$WORK/train.out"
W=(--model lenet --weights "$WORK/run/model.safetensors")

# 1. Each committed picture, one at a time: the class its name starts with.
n=0
for f in "$IMAGES"/*.png "$IMAGES"/*.jpg; do
  want=$(basename "$f" | cut -c1)
  out=$("$EMBER" predict "${W[@]}" --json "$f" 2>&1); rc=$?
  got=$(echo "$out" | python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['class'])" 2>/dev/null)
  if [ $rc -ne 0 ] || [ "$got" != "$want" ]; then echo "FAIL $(basename "$f"): read as '$got' (exit $rc), expected $want"; echo "$out"; fail=1
  else echo "ok   $(basename "$f") -> $got"; fi
  n=$((n + 1))
done
[ $n -ge 6 ] || { echo "FAIL expected at least 6 committed pictures, found $n"; fail=1; }

# 2. A folder with the pictures, a broken file, a blank picture, a 60-megapixel header and a
#    text file (not an image: skipped). Bad files are reported, the rest predicted, exit 1.
mkdir "$WORK/folder" "$WORK/seen"
cp "$IMAGES"/*.png "$IMAGES"/*.jpg "$WORK/folder/"
printf 'not an image' >"$WORK/folder/0_broken.png"
echo "notes" >"$WORK/folder/notes.txt"
python3 - "$WORK/folder" <<'PY'
import struct, sys, zlib
def png(path, w, h, rows):
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                           + (chunk(b"IDAT", zlib.compress(rows)) if rows is not None else b"") + chunk(b"IEND", b""))
png(sys.argv[1] + "/1_blank.png", 64, 48, b"".join(b"\0" + b"\xff" * 64 for _ in range(48)))
png(sys.argv[1] + "/9_bomb.png", 10000, 6000, None)
PY
"$EMBER" predict "${W[@]}" --save-input "$WORK/seen" "$WORK/folder" >"$WORK/f.out" 2>"$WORK/f.err"; rc=$?
cat "$WORK/f.out" "$WORK/f.err"
[ $rc -eq 1 ] || { echo "FAIL folder with bad files should exit 1, got $rc"; fail=1; }
grep -q "0_broken.png.*cannot decode" "$WORK/f.err" || { echo "FAIL broken file not reported by name"; fail=1; }
grep -q "1_blank.png.*blank" "$WORK/f.err" || { echo "FAIL blank picture not reported as blank"; fail=1; }
grep -q "9_bomb.png.*megapixels" "$WORK/f.err" || { echo "FAIL 60-megapixel header not refused"; fail=1; }
grep -q "3 of 9 inputs failed" "$WORK/f.err" || { echo "FAIL summary line"; fail=1; }
grep -q "notes.txt" "$WORK/f.out" "$WORK/f.err" && { echo "FAIL a text file was taken for an image"; fail=1; }
python3 - "$WORK/f.out" <<'PY' || fail=1
import os, sys
lines = open(sys.argv[1]).read().splitlines()
names = [os.path.basename(l.split(":")[0]) for l in lines]
assert names == sorted(names) and len(names) == 6, "FAIL folder: expected the 6 good pictures in name order: %s" % names
for l in lines:
    name, rest = l.split(": ", 1)
    assert rest.split()[0] == os.path.basename(name)[0], "FAIL folder: " + l
PY
[ "$(ls "$WORK/seen" | grep -c '\.28x28\.png$')" -eq 6 ] || { echo "FAIL --save-input should write 6 28x28 PNGs"; fail=1; }

# 3. A missing file among good ones: reported, the rest predicted, exit 1. An empty folder: exit 1.
mkdir "$WORK/empty"
out=$("$EMBER" predict "${W[@]}" "$WORK/nowhere.png" "$IMAGES/2_white_canvas.png" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "nowhere.png" && echo "$out" | grep -q "2_white_canvas.png: 2 " \
  || { echo "FAIL missing file: exit $rc: $out"; fail=1; }
out=$("$EMBER" predict "${W[@]}" "$WORK/empty" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "no image files" || { echo "FAIL empty folder: exit $rc: $out"; fail=1; }

# 4. --invert overrides; usage errors exit 2; --help says what preprocessing happens.
out=$("$EMBER" predict "${W[@]}" --invert no "$IMAGES/5_transparent_light.png" --json 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '"inverted":false' || { echo "FAIL --invert no: $out"; fail=1; }
"$EMBER" predict "${W[@]}" --invert maybe "$IMAGES/2_white_canvas.png" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL bad --invert should exit 2"; fail=1; }
"$EMBER" predict "${W[@]}" >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL no images should exit 2"; fail=1; }
help=$("$EMBER" predict --help 2>&1)
echo "$help" | grep -q "centred by mass" && echo "$help" | grep -q "folder" || { echo "FAIL predict --help: $help"; fail=1; }

[ $fail -eq 0 ] && echo "all predict checks passed"
exit $fail
