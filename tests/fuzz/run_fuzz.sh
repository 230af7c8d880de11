#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz/, clang) and runs each for SECONDS_PER_TARGET
# seconds (default 60) over a scratch copy of its seed corpus: the corpus in the repository
# never grows. Prints the executions per target; exits non-zero if any target crashed (the
# crashing input is kept under build-fuzz/fuzz-artifacts/<target>/) or failed to run.
# Needs no network; works as root.
#
# Usage: tests/fuzz/run_fuzz.sh [SECONDS_PER_TARGET]
# Environment: CSVFS_FUZZ_TARGETS (default: all three), CSVFS_FUZZ_JOBS (build parallelism).
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$root/build-fuzz"
read -r -a targets <<<"${CSVFS_FUZZ_TARGETS:-fuzz_csv_scanner fuzz_journal fuzz_merge}"
jobs="${CSVFS_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"

echo "== configuring and building $build"
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCSVFS_BUILD_FUZZ=ON -DCSVFS_BUILD_FS=OFF \
  -DCSVFS_BUILD_TESTS=OFF >"$build/fuzz-configure.log" 2>&1 || {
  cat "$build/fuzz-configure.log" >&2
  exit 1
}
cmake --build "$build" --target "${targets[@]}" -j "$jobs"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/csvfs-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
logs="$build/fuzz-logs"
mkdir -p "$logs"

failed=0
summary=()
for target in "${targets[@]}"; do
  corpus="$scratch/$target"
  artifacts="$build/fuzz-artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp -R "$root/tests/fuzz/corpus/$target/." "$corpus/"
  log="$logs/$target.log"
  echo "== $target: ${seconds}s over a copy of tests/fuzz/corpus/$target (log: $log)"
  # fuzz_merge runs slowly (an Engine per input): let its scripts grow long at once.
  extra=()
  [[ $target == fuzz_merge ]] && extra=(-max_len=512 -len_control=0)
  rc=0
  (cd "$scratch" && "$build/tests/fuzz/$target" -max_total_time="$seconds" \
    -print_final_stats=1 -timeout=60 "${extra[@]}" -artifact_prefix="$artifacts/" "$corpus") \
    >"$log" 2>&1 || rc=$?
  execs="$(awk '/stat::number_of_executed_units:/ {n = $2} END {print n + 0}' "$log")"
  if [[ $rc -ne 0 ]]; then
    failed=1
    summary+=("$target: FAILED (exit $rc) after $execs executions; artifacts in $artifacts")
    grep -E "invariant violated|ERROR:|runtime error|SUMMARY|Test unit written" "$log" >&2 || true
  else
    summary+=("$target: $execs executions in ${seconds}s")
  fi
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
