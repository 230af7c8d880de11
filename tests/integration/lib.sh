# lib.sh: the harness of csvfs's integration tests. Sourced by every test:
#
#   . "$(dirname "$0")/lib.sh"
#   it_init "$@"          # $1 = path of the csvfs daemon; the rest lands in IT_ARGS
#
# it_init makes a fresh work directory T (backing dir D, mountpoint M, BACKING B) and installs
# an EXIT trap that ALWAYS cleans up: kills the test's background jobs, unmounts every mount the
# test made (fusermount3 -u with retries, then -z), kills the daemons, removes T and fails the
# test if a mount under T is left over. A test that cannot run here exits 77 (CTest: skipped).
#
# Every call that touches the mount goes through `t` (timeout) so that a hung daemon fails the
# test instead of hanging it. Waiting is always a bounded poll on a condition (wait_for).

set -euo pipefail
export LC_ALL=C
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
# The distribution's tools first (python3 from deps.sh, not a slow version-manager shim).
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:$PATH

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_TIMEOUT=${IT_TIMEOUT:-60}   # seconds allowed to any single tool call
declare -a IT_MOUNTS=() IT_PIDS=() IT_LOGS=()  # aligned: one entry per daemon started
declare -a IT_EXTRA_MOUNTS=()                # mountpoints that must not end up mounted
declare -a IT_TMPFS=()                       # small filesystems a test mounted (mount_tmpfs)
T=""

note() { printf '# %s\n' "$*"; }
skip() { printf 'SKIP: %s\n' "$*"; exit 77; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

# t CMD...: runs CMD with the per-call time bound (SIGKILL 5 s after SIGTERM).
t() { timeout -k 5 "$IT_TIMEOUT" "$@"; }

# py SCRIPT ARGS...: runs one of this directory's python helpers, bounded.
py() {
  local script=$1
  shift
  t python3 "$IT_DIR/$script" "$@"
}

it_init() {
  CSVFS=${1:?usage: TEST PATH_TO_CSVFS [ARGS...]}
  shift
  IT_ARGS=("$@")
  [ -c /dev/fuse ] || skip "no /dev/fuse"
  # fusermount3 mounts for non-root users and is how every test unmounts, root included.
  command -v fusermount3 >/dev/null || skip "no fusermount3 (package fuse3)"
  command -v python3 >/dev/null || skip "python3 is not installed"
  [ -x "$CSVFS" ] || fail "daemon $CSVFS is not an executable"
  T=$(mktemp -d "${TMPDIR:-/tmp}/csvfs-it.XXXXXX")
  trap it_cleanup EXIT
  D=$T/data
  M=$T/mnt
  B=$D/table.csv
  TB=$M/table.csv
  R=$M/rows
  mkdir "$D" "$M"
}

# Is PATH a mountpoint? Bounded: a hung daemon must not hang the poll.
is_mounted() { timeout -k 1 5 mountpoint -q "$1" 2>/dev/null; }

# Is any mount left under T? (reads /proc/mounts: never touches the FUSE fs)
mounts_under_t() { awk -v p="$T/" 'index($2, p) == 1 { print $2 }' /proc/mounts; }

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 50 ms until it succeeds; fails after
# SECONDS. For conditions that legitimately need time (tail -f output, a daemon starting).
wait_for() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for: $what"
    sleep 0.05
  done
}

# mount_csvfs BACKING MNT [ARGS...]: starts `csvfs BACKING MNT -f ARGS` in the background and
# waits (at most 10 s) until MNT is mounted. Sets DAEMON_PID and DAEMON_LOG.
mount_csvfs() {
  local backing=$1 mnt=$2
  shift 2
  local n=${#IT_PIDS[@]}
  DAEMON_LOG=$T/daemon.$n.log
  "$CSVFS" "$backing" "$mnt" -f "$@" </dev/null >"$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  IT_PIDS+=("$DAEMON_PID")
  IT_MOUNTS+=("$mnt")
  IT_LOGS+=("$DAEMON_LOG")
  local deadline=$((SECONDS + 10))
  until is_mounted "$mnt"; do
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      local rc=0
      wait "$DAEMON_PID" || rc=$?
      cat "$DAEMON_LOG" >&2
      fail "csvfs $backing $mnt $* exited with $rc before mounting"
    fi
    [ $SECONDS -lt $deadline ] || fail "csvfs $backing $mnt $*: not mounted after 10 s"
    sleep 0.05
  done
}

# unmount_csvfs MNT: the clean path. fusermount3 -u (retried while busy), then the daemon must
# exit 0 within 20 s.
unmount_csvfs() {
  local mnt=$1 i pid="" rc=0
  for i in "${!IT_MOUNTS[@]}"; do
    [ "${IT_MOUNTS[$i]}" = "$mnt" ] && pid=${IT_PIDS[$i]}
  done
  for i in $(seq 1 50); do
    timeout -k 1 10 fusermount3 -u "$mnt" 2>/dev/null && break
    [ "$i" -lt 50 ] || fail "fusermount3 -u $mnt kept failing"
    sleep 0.1
  done
  ! is_mounted "$mnt" || fail "$mnt is still mounted after fusermount3 -u"
  if [ -n "$pid" ]; then
    local deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || fail "daemon $pid did not exit within 20 s of the unmount"
      sleep 0.05
    done
    wait "$pid" || rc=$?
    [ "$rc" = 0 ] || fail "daemon for $mnt exited with $rc after a clean unmount"
  fi
}

# The EXIT trap. Never trusts the test to have cleaned up.
it_cleanup() {
  local rc=$? i j pid mnt
  set +e
  trap - EXIT
  # 1. The test's own background jobs (writers, tail -f, ...), not the daemons.
  for pid in $(jobs -p); do
    [[ " ${IT_PIDS[*]} " == *" $pid "* ]] && continue
    pkill -TERM -P "$pid" 2>/dev/null
    kill -TERM "$pid" 2>/dev/null
  done
  # 2. Every mount this test made: -u with retries, then lazy.
  for mnt in "${IT_MOUNTS[@]}" "${IT_EXTRA_MOUNTS[@]}"; do
    for j in 1 2 3 4 5; do
      is_mounted "$mnt" || break
      timeout -k 1 10 fusermount3 -u "$mnt" 2>/dev/null && break
      sleep 0.2
    done
    if is_mounted "$mnt" || mounts_under_t | grep -qxF "$mnt"; then
      timeout -k 1 10 fusermount3 -uz "$mnt" 2>/dev/null
    fi
  done
  # 3. The daemons: TERM, then KILL after 5 s.
  for pid in "${IT_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null
    for j in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
  done
  for pid in $(jobs -p); do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  # 3b. Filesystems the test mounted for its BACKING (after the daemons that used them).
  for mnt in "${IT_TMPFS[@]}"; do
    mountpoint -q "$mnt" || continue
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
  done
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    for i in "${!IT_LOGS[@]}"; do
      echo "---- daemon log ${IT_LOGS[$i]} (last 40 lines)" >&2
      tail -n 40 "${IT_LOGS[$i]}" >&2 2>/dev/null
    done
  fi
  # 4. No mount may be left behind.
  local left
  left=$(mounts_under_t)
  if [ -n "$left" ]; then
    echo "FAIL: mounts left over after cleanup: $left" >&2
    rc=1
  else
    rm -rf "$T"
  fi
  exit "$rc"
}

# mount_tmpfs DIR SIZE: a small tmpfs at DIR (for ENOSPC tests); skips the test unless root
# may mount one. Unmounted by the EXIT trap.
mount_tmpfs() {
  mkdir -p "$1"
  [ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
  mount -t tmpfs -o "size=$2,mode=0755" csvfs-test "$1" 2>/dev/null || skip "cannot mount a tmpfs"
  IT_TMPFS+=("$1")
}

# ---- assertions ------------------------------------------------------------------------------

assert_eq() {  # EXPECTED ACTUAL WHAT
  [ "$1" = "$2" ] && return 0
  if [[ $1$2 == *$'\n'* ]]; then  # several lines: show where they differ
    echo "---- $3: diff expected actual" >&2
    diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") | head -n 20 >&2 || true
    fail "$3: differs"
  fi
  fail "$3: expected [$1], got [$2]"
}

# assert_same_file EXPECTED ACTUAL WHAT: byte-exact; shows where they differ.
assert_same_file() {
  if ! cmp -s "$1" "$2"; then
    echo "---- $3: $1 and $2 differ: $(cmp "$1" "$2" 2>&1 | head -n 1)" >&2
    echo "---- sizes: $(stat -c %s "$1" 2>&1) vs $(stat -c %s "$2" 2>&1)" >&2
    diff <(od -c "$1" | head -c 200000) <(od -c "$2" | head -c 200000) | head -n 20 >&2 || true
    fail "$3: content differs"
  fi
}

# assert_table FILE_WITH_EXPECTED_BYTES [TABLE]: reads the table through the mount (one cat)
# and compares byte for byte.
assert_table() {
  local expected=$1 table=${2:-$TB}
  t cat "$table" >"$T/actual.table" || fail "cat $table failed"
  assert_same_file "$expected" "$T/actual.table" "table $table"
}

# assert_rows "ID ID ...": rows/ lists exactly these ids, in this (directory) order.
assert_rows() {
  local got
  got=$(py fsops.py listdir "${2:-$R}")
  assert_eq "$1" "$got" "rows/ listing"
}

# assert_errno ERRNO OP ARGS...: fsops.py OP must fail with exactly ERRNO (or print OK).
assert_errno() {
  local want=$1 got
  shift
  got=$(py fsops.py "$@") || fail "fsops.py $* crashed"
  assert_eq "$want" "$got" "fsops.py $*"
}

# snapshot_dir DIR: a listing of names, sizes, modes and mtimes (to prove nothing changed).
snapshot_dir() {
  (cd "$1" && find . -mindepth 1 -printf '%p %s %m %T@\n' | sort)
}

# check_backing_dir DIR NAME [strict]: DIR holds NAME and, besides it, only csvfs's own files
# `.NAME.csvfs-journal`, `.NAME.csvfs-ids` and `.NAME.csvfs-lock` (no temp file, no scratch
# file of a program, no leftover `.new`). With `strict` (README "Durability": "after a clean
# unmount BACKING alone holds every change") there must be no journal and no
# lock file; the ids file (row ids of BACKING's rows, no table data) may remain.
check_backing_dir() {
  local dir=$1 name=$2 strict=${3:-} f
  [ -f "$dir/$name" ] || fail "$dir/$name is missing"
  while IFS= read -r f; do
    case $f in
      "$name") ;;
      ".$name.csvfs-ids") ;;
      ".$name.csvfs-files") ;;  # the other files users made in the mount (kept by design)
      ".$name.csvfs-journal" | ".$name.csvfs-lock")
        if [ -n "$strict" ]; then
          fail "after a clean unmount $dir/$f is still there ($(stat -c %s "$dir/$f") bytes)"
        fi
        ;;
      *) fail "unexpected file in the backing directory after unmount: $dir/$f" ;;
    esac
  done < <(ls -A "$dir")
}

# finish EXPECTED_FILE [BACKING [MNT [strict]]]: the end of most tests. The table through the
# mount equals EXPECTED; after a clean unmount BACKING alone equals it too and its directory is
# clean.
finish() {
  local expected=$1 backing=${2:-$B} mnt=${3:-$M} strict=${4:-}
  assert_table "$expected" "$mnt/$(basename "$backing")"
  unmount_csvfs "$mnt"
  assert_same_file "$expected" "$backing" "BACKING after unmount"
  check_backing_dir "$(dirname "$backing")" "$(basename "$backing")" "$strict"
}

# assert_root_clean [MNT]: the mount root shows only the table, rows/ and the status file (no
# scratch file left behind by an editor).
assert_root_clean() {
  local mnt=${1:-$M} got
  got=$(cd "$mnt" && t ls -A | tr '\n' ' ')
  assert_eq ".csvfs-status rows $(basename "$B") " "$got" "ls -A of the mount root"
}

# start_expect_failure RC MNT ARGS...: `csvfs ARGS` (in the background mode, no -f) must exit
# with RC before mounting anything, with exactly one line on stderr (kept in START_ERR).
# MNT is registered for cleanup in case it mounts after all.
start_expect_failure() {
  local want=$1 mnt=$2 rc=0
  shift 2
  IT_EXTRA_MOUNTS+=("$mnt")
  t "$CSVFS" "$@" >"$T/start.out" 2>"$T/start.err" </dev/null || rc=$?
  START_ERR=$(cat "$T/start.err")
  [ "$rc" = "$want" ] || fail "csvfs $*: expected exit $want, got $rc; stderr: $START_ERR"
  ! is_mounted "$mnt" || fail "csvfs $*: failed with $rc but $mnt is mounted"
  assert_eq 1 "$(grep -c . "$T/start.err")" "csvfs $*: number of stderr lines ($START_ERR)"
}

# crash_daemon MNT: kill -9 the daemon serving MNT and detach its dead mount.
crash_daemon() {
  local mnt=$1 i pid=""
  for i in "${!IT_MOUNTS[@]}"; do
    [ "${IT_MOUNTS[$i]}" = "$mnt" ] && pid=${IT_PIDS[$i]}
  done
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  timeout -k 1 10 fusermount3 -u "$mnt" 2>/dev/null || timeout -k 1 10 fusermount3 -uz "$mnt"
  [ -z "$(mounts_under_t | grep -xF "$mnt")" ] || fail "$mnt still mounted after the crash"
}

# mount_csvfs_bg BACKING MNT [ARGS...]: starts csvfs WITHOUT -f. It must exit 0 and, since it
# forks only after the mount succeeded, MNT must be mounted the moment it returns.
mount_csvfs_bg() {
  local backing=$1 mnt=$2 rc=0
  shift 2
  IT_EXTRA_MOUNTS+=("$mnt")
  t "$CSVFS" "$backing" "$mnt" "$@" </dev/null >"$T/bg.out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "csvfs $backing $mnt $* (background) exited with $rc: $(cat "$T/bg.out")"
  is_mounted "$mnt" || fail "csvfs $backing $mnt $* returned before $mnt was mounted"
}
