#!/usr/bin/env bash
# Builds the libFuzzer targets with clang + ASan in their own build dir and runs each for a few
# seconds from a seed corpus. Exits non-zero only when a fuzzer found a real crash (a crash-* or
# leak-* artifact: sanitizer report, deadly signal, uncaught exception); a missing toolchain, a
# build problem, or a slow/oversized input (timeout-*/oom-*) is reported and exits 0.
#
#   tests/fuzz/run.sh                     # 10 s per target
#   WEFT_FUZZ_SECONDS=60 tests/fuzz/run.sh
# Environment: WEFT_FUZZ_SECONDS, WEFT_FUZZ_BUILD_DIR (default <repo>/build-fuzz),
#              WEFT_FUZZ_JOBS (build parallelism, default 2), WEFT_FUZZ_CMAKE_ARGS (extra cmake args),
#              WEFT_FUZZ_STRICT=1 (also fail when the toolchain is missing or the build fails).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${WEFT_FUZZ_BUILD_DIR:-$repo/build-fuzz}"
seconds="${WEFT_FUZZ_SECONDS:-10}"
jobs="${WEFT_FUZZ_JOBS:-2}"
strict="${WEFT_FUZZ_STRICT:-0}"

skip() {
  echo "fuzz: SKIPPED: $*" >&2
  [ "$strict" = 1 ] && exit 2
  exit 0
}

cc="$(command -v clang || true)"
cxx="$(command -v clang++ || true)"
[ -n "$cc" ] && [ -n "$cxx" ] || skip "clang/clang++ not found"
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long){return 0;}' |
     "$cxx" -x c++ -fsanitize=fuzzer,address -o /dev/null - 2>/dev/null; then
  skip "clang cannot link -fsanitize=fuzzer (libFuzzer runtime missing)"
fi

extra=()
# Debian's oneDNN CMake config insists on OpenCL; without its headers point it at the runtime only.
if [ ! -f /usr/include/CL/cl.h ]; then
  ocl="$(ls /usr/lib/x86_64-linux-gnu/libOpenCL.so* 2>/dev/null | head -n1 || true)"
  if [ -n "$ocl" ]; then
    mkdir -p "$build/no-opencl-headers"
    extra+=("-DOpenCL_INCLUDE_DIR=$build/no-opencl-headers" "-DOpenCL_LIBRARY=$ocl")
  fi
fi

flags="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer -g"
log="$build/build.log"
mkdir -p "$build"
if ! cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address" \
      -DWEFT_BUILD_FUZZ=ON -DWEFT_BUILD_TESTS=ON -DWEFT_BUILD_BENCH=OFF \
      "${extra[@]}" ${WEFT_FUZZ_CMAKE_ARGS:-} >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  skip "cmake configure failed (log: $log)"
fi
if ! cmake --build "$build" --target fuzz_safetensors fuzz_pickle fuzz_make_seeds -j "$jobs" >>"$log" 2>&1; then
  grep -E "error|FAILED" "$log" | head -n 30 >&2
  skip "build failed (log: $log)"
fi

corpus="$build/corpus"
"$build/tests/fuzz/fuzz_make_seeds" "$corpus/safetensors" "$corpus/pickle" || skip "seed generation failed"

status=0
for name in safetensors pickle; do
  art="$build/artifacts/$name"
  rm -rf "$art"
  mkdir -p "$art"
  echo "fuzz: running fuzz_$name for ${seconds}s"
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$art/" "$corpus/$name" >"$build/fuzz_$name.log" 2>&1
  rc=$?
  tail -n 12 "$build/fuzz_$name.log"
  if compgen -G "$art/crash-*" >/dev/null || compgen -G "$art/leak-*" >/dev/null; then
    echo "fuzz: fuzz_$name FOUND A CRASH (rc $rc): $(ls "$art")" >&2
    grep -m1 -A25 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|deadly signal|uncaught" "$build/fuzz_$name.log" >&2
    status=1
  elif [ "$rc" -ne 0 ]; then
    echo "fuzz: fuzz_$name WARNING: exit $rc without a crash artifact ($(ls "$art")); see $build/fuzz_$name.log" >&2
  else
    echo "fuzz: fuzz_$name ok"
  fi
done
exit "$status"
