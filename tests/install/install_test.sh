#!/usr/bin/env bash
# The installed package as a user gets it: installs the build into a temporary prefix, then
# checks the tool runs from there with no LD_LIBRARY_PATH (RUNPATH), libember has no link
# dependency on CUDA or OpenCL (the GPU backends are plugins beside it, loaded at run time),
# a missing or broken plugin is reported by `ember device` and never crashes it, the
# pkg-config files point inside the prefix, and a copy of examples/ (the model zoo header
# included) builds and runs against the prefix both with find_package(ember) and pkg-config.
# Usage: install_test.sh BUILD_DIR EXAMPLES_DIR
set -uo pipefail
build=$(realpath "$1")
examples=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/ember-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
failed=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failed=1; }
unset LD_LIBRARY_PATH CMAKE_PREFIX_PATH PKG_CONFIG_PATH

cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; echo "FAIL cmake --install"; exit 1; }
lib=$(dirname "$(find "$prefix" -name 'libember.so' | head -n1)")
[ -f "$lib/libember.so" ] || { echo "FAIL no libember.so under $prefix"; exit 1; }

# The tool finds libember through its RUNPATH, relative to itself.
if readelf -d "$prefix/bin/ember" | grep -E 'RUNPATH|RPATH' | grep -q '\$ORIGIN/'; then ok "bin/ember has an \$ORIGIN RUNPATH"
else fail "bin/ember has no \$ORIGIN-relative RUNPATH: $(readelf -d "$prefix/bin/ember" | grep -E 'RUNPATH|RPATH')"; fi

# libember itself links no GPU runtime: those live in the plugins.
gpu_needed=$(readelf -d "$lib/libember.so" | grep NEEDED | grep -Ei 'cuda|cublas|cudnn|opencl|clblast')
if [ -z "$gpu_needed" ]; then ok "libember.so NEEDs no CUDA/OpenCL library"
else fail "libember.so NEEDs GPU libraries:"; echo "$gpu_needed"; fi

# The tool runs from the prefix, and sees the same devices as the build tree's tool.
if out=$("$prefix/bin/ember" device 2>&1); then ok "installed ember device runs"
else fail "installed ember device: $out"; fi
echo "$out" | grep -q '^cpu: ' && ok "installed ember lists the cpu" || fail "installed ember lists no cpu: $out"
for be in opencl cuda; do
  [ -f "$build/src/libember-$be.so" ] || continue
  [ -f "$lib/libember-$be.so" ] && ok "plugin libember-$be.so installed" || fail "plugin libember-$be.so not installed"
  line=$(echo "$out" | grep -E "^  $be ")
  case "$line" in *"not built"*|*"failed to load"*|*"not installed"*) fail "$be plugin did not load: $line";;
                  *) ok "$be plugin loaded: $line";; esac
done
if "$build/tools/ember/ember" device 2>/dev/null | grep -q '^opencl:0'; then
  echo "$out" | grep -q '^opencl:0' && ok "installed ember lists opencl:0" || fail "build tree lists opencl:0, the installed tool does not: $out"
fi

# A broken plugin is reported with the loader's reason; a missing one as not installed.
plugin=$lib/libember-cuda.so
[ -f "$plugin" ] && mv "$plugin" "$work/cuda-plugin.so"
echo "not an ELF file" >"$plugin"
if out=$("$prefix/bin/ember" device 2>&1) && echo "$out" | grep -E '^  cuda ' | grep -q 'failed to load.*libember-cuda.so'; then
  ok "a broken plugin is reported: $(echo "$out" | grep -E '^  cuda ')"
else fail "a broken plugin is not reported with dlerror's text: $out"; fi
# A plugin whose own dependency is missing (as libcudart on a machine without CUDA).
echo 'int ember_test_dep() { return 1; }' >"$work/dep.cpp"
echo 'int ember_test_dep(); extern "C" int ember_fake() { return ember_test_dep(); }' >"$work/fake.cpp"
g++ -shared -fPIC -o "$work/libember_test_dep.so" "$work/dep.cpp" &&
  g++ -shared -fPIC -o "$plugin" "$work/fake.cpp" -L"$work" -lember_test_dep && rm "$work/libember_test_dep.so"
if out=$("$prefix/bin/ember" device 2>&1) && echo "$out" | grep -E '^  cuda ' | grep -q 'failed to load.*libember_test_dep.so: cannot open shared object file'; then
  ok "a plugin missing a dependency is reported: $(echo "$out" | grep -E '^  cuda ')"
else fail "a plugin missing a dependency is not reported with dlerror's text: $out"; fi
rm -f "$plugin"
if out=$("$prefix/bin/ember" device 2>&1) && echo "$out" | grep -E '^  cuda ' | grep -Eq 'not installed|not built'; then
  ok "a missing plugin is reported: $(echo "$out" | grep -E '^  cuda ')"
else fail "a missing plugin is not reported as not installed/not built: $out"; fi
[ -f "$work/cuda-plugin.so" ] && mv "$work/cuda-plugin.so" "$plugin"

# pkg-config: relocatable files whose paths lie inside this prefix.
export PKG_CONFIG_PATH=$lib/pkgconfig
for pc in ember ember-models; do
  if ! flags=$(pkg-config --cflags --libs "$pc" 2>&1); then fail "pkg-config $pc: $flags"; continue; fi
  bad=""
  for f in $flags; do
    case "$f" in -I*|-L*) d=$(realpath -m "${f:2}"); case "$d" in "$prefix"/*) ;; *) bad="$bad $f";; esac;; esac
  done
  [ -z "$bad" ] && ok "pkg-config $pc paths inside the prefix: $flags" || fail "pkg-config $pc points outside $prefix:$bad"
done

# Consumers, built from a copy of examples/ (never the source tree) against the prefix.
cp -r "$examples" "$work/examples"
if cmake -S "$work/examples" -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 && ninja -C "$work/cmake-build" -j2 >>"$work/cmake.log" 2>&1; then
  ok "examples build with find_package(ember)"
  "$work/cmake-build/train_mlp" 100 1 >/dev/null && ok "find_package train_mlp runs" || fail "find_package train_mlp failed"
  "$work/cmake-build/zoo_lenet" "$work/lenet.safetensors" && ok "find_package zoo_lenet runs" || fail "find_package zoo_lenet failed"
else fail "examples do not build with find_package(ember):"; tail -n 30 "$work/cmake.log"; fi

if g++ -O1 -o "$work/zoo_lenet_pc" "$work/examples/zoo_lenet.cpp" $(pkg-config --cflags --libs ember-models) \
     -Wl,-rpath,"$(pkg-config --variable=libdir ember)" >"$work/pc.log" 2>&1; then
  ok "zoo_lenet builds with pkg-config ember-models"
  "$work/zoo_lenet_pc" && ok "pkg-config zoo_lenet runs" || fail "pkg-config zoo_lenet failed"
else fail "zoo_lenet does not build with pkg-config:"; tail -n 30 "$work/pc.log"; fi

[ "$failed" -eq 0 ] && echo "install test passed" || echo "install test FAILED"
exit "$failed"
