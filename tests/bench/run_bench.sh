#!/usr/bin/env bash
# run_bench.sh [--quick] [--build-dir DIR] [--csvfs PATH --append-writer PATH --trivial-fuse PATH]
#              [--only 1,2,3,4,5,6] [--rewrite-size SIZE]... [--rewrite-10g] [--keep-results]
#
# Runs every csvfs benchmark against what users would otherwise use (local files with
# fdatasync/flock, sed -i, sqlite3, cat from the page cache, wc -l, a trivial in-memory FUSE fs,
# libfuse's passthrough_ll example) and prints a table of medians, ratios and PASS/MISS per
# target (targets never fail the run).
#
#   --quick   tiny sizes, one repetition: the CI smoke test ("bench: quick smoke", < 5 min).
#             Prints the tables only.
#   (full)    several repetitions, tables up to 1M rows / 1.5 GB, about an hour on 2 vCPUs;
#             writes tests/bench/RESULTS.md and tests/bench/delete_cost.png (a run with --only
#             prints only, unless --keep-results).
#   --only 6  benchmark 6 alone: sed -i, perl -i, Python tempfile + os.replace, cp, dd in
#             place and sort -o on a generated table, on local disk, through passthrough_ll
#             (-o cache=never; built from libfuse3-dev's installed examples) and through csvfs,
#             with the daemon's memory and an appender's latency (tests/bench/rewrite_bench.py).
#             Sizes: 20 MB with --quick (about a minute), else 150 MB and 1.5 GB;
#             --rewrite-size SIZE (repeatable: 150M, 1.5G, 10GiB) picks others, --rewrite-10g
#             is --rewrite-size 10GiB (needs ~60 GiB free and hours). A csvfs daemon whose
#             RssAnon passes 70% of the memory available is killed and reported as an error.
#
# Without the binary paths, builds csvfs, append_writer and trivial_fuse in DIR (default: build/
# at the root of the checkout). Needs /dev/fuse, fusermount3, python3, sqlite3, flock, sed, perl,
# gcc, pkg-config, libfuse3-dev's examples and, in full mode, gnuplot; exits 77 when FUSE is
# unavailable.
#
# Every mount lives in a mktemp work directory; the EXIT trap (also on INT/TERM/HUP) unmounts
# anything left there (fusermount3 -u, retried, then -z), kills the processes it started and
# removes the directory.
set -euo pipefail
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QUICK=0 BUILD=$ROOT/build CSVFS="" WRITER="" TRIVIAL="" ONLY="" KEEP=0 SIZES=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --build-dir) BUILD=$2; shift ;;
    --csvfs) CSVFS=$2; shift ;;
    --append-writer) WRITER=$2; shift ;;
    --trivial-fuse) TRIVIAL=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --rewrite-size) SIZES+=(--rewrite-size "$2"); shift ;;
    --rewrite-10g) SIZES+=(--rewrite-size 10GiB) ;;
    --keep-results) KEEP=1 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run_bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

[ -c /dev/fuse ] || { echo "SKIP: no /dev/fuse"; exit 77; }
command -v fusermount3 >/dev/null || { echo "SKIP: no fusermount3"; exit 77; }
for tool in python3 sqlite3 flock sed perl gcc pkg-config; do
  command -v $tool >/dev/null || { echo "run_bench.sh: $tool is missing (apt-get install -y sqlite3 util-linux python3 perl gcc pkg-config)" >&2; exit 1; }
done
if [ "$QUICK" = 0 ] && ! command -v gnuplot >/dev/null; then
  echo "run_bench.sh: gnuplot is missing (apt-get install -y gnuplot-nox)" >&2
  exit 1
fi

if [ -z "$CSVFS" ] || [ -z "$WRITER" ] || [ -z "$TRIVIAL" ]; then
  echo "# building csvfs, append_writer and trivial_fuse in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target csvfs append_writer trivial_fuse >/dev/null
  CSVFS=${CSVFS:-$BUILD/csvfs}
  WRITER=${WRITER:-$BUILD/tests/bench/append_writer}
  TRIVIAL=${TRIVIAL:-$BUILD/tests/bench/trivial_fuse}
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/csvfs-bench.XXXXXX")
PY_PID=""
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  [ -n "$PY_PID" ] && kill -TERM "$PY_PID" 2>/dev/null && wait "$PY_PID" 2>/dev/null
  local mnt i
  for mnt in $(awk -v p="$WORK/" 'index($2, p) == 1 { print $2 }' /proc/mounts); do
    for i in 1 2 3 4 5; do
      timeout -k 1 10 fusermount3 -u "$mnt" 2>/dev/null && break
      sleep 0.2
    done
    grep -qF " $mnt " /proc/mounts && timeout -k 1 10 fusermount3 -uz "$mnt"
  done
  local pid
  for pid in $(jobs -p); do kill -KILL "$pid" 2>/dev/null; done
  left=$(awk -v p="$WORK/" 'index($2, p) == 1 { print $2 }' /proc/mounts)
  if [ -n "$left" ]; then
    echo "FAIL: mounts left behind: $left" >&2
    rc=1
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

args=(--csvfs "$CSVFS" --append-writer "$WRITER" --trivial-fuse "$TRIVIAL" --workdir "$WORK")
[ "$QUICK" = 1 ] && args+=(--quick)
[ -n "$ONLY" ] && args+=(--only "$ONLY")
args+=("${SIZES[@]}")
if { [ "$QUICK" = 0 ] && [ -z "$ONLY" ]; } || [ "$KEEP" = 1 ]; then
  args+=(--results "$HERE/RESULTS.md" --plot "$HERE/delete_cost.png")
fi
# In the background so that the traps run at once on a signal.
python3 "$HERE/run_bench.py" "${args[@]}" &
PY_PID=$!
rc=0
wait "$PY_PID" || rc=$?
PY_PID=""
exit "$rc"
