#!/bin/bash
# kill -9 at random moments loses no acknowledged change.
#
# A table of 200 rows (sync=close) is driven by 3 appenders (open O_APPEND, write, close per
# row), 1 deleter (unlink rows/ID of rows 1..100) and 1 rewriter (reads the table, changes one
# field of a row in 101..200, writes a scratch file in the mount root and os.replace()s it over
# the table). Meanwhile the daemon is killed with SIGKILL 50-400 ms after each remount and
# mounted again, CSVFS_KILLS times (default 50). The workers log every attempt and every
# acknowledgement (fsync'd, outside the mount) and ride through the crashes. At the end the
# table must hold every acknowledged change exactly once and nothing torn: see kill_torture.py.
. "$(dirname "$0")/lib.sh"
it_init "$@"

KILLS=${CSVFS_KILLS:-50}
STRICT=${CSVFS_TORTURE_STRICT:-0}  # 1: a daemon that SIGKILL cannot end fails the test
STUCK=0
FUSECTL=/sys/fs/fuse/connections
FUSECTL_MOUNTED=""
# Unmount fusectl again if this test mounted it, then lib.sh's cleanup (with the exit status).
trap 'rc=$?; set +e; [ -z "$FUSECTL_MOUNTED" ] || umount "$FUSECTL" 2>/dev/null; (exit $rc); it_cleanup' EXIT

# conn_of MNT: the FUSE connection number of MNT (its minor device, from mountinfo).
conn_of() { awk -v m="$1" '$5 == m { split($3, d, ":"); c = d[2] } END { print c }' /proc/self/mountinfo; }

# live_threads PID: the threads of PID that have not exited yet (with their wait channel).
live_threads() {
  local task st
  for task in /proc/"$1"/task/*; do
    st=$(sed 's/.*) //' "$task/stat" 2>/dev/null | cut -d' ' -f1) || continue
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ] && echo "${task##*/}:$st:$(cat "$task/wchan" 2>/dev/null)"
  done
  return 0
}

# abort_conn N: what `umount -f` or an administrator does with a FUSE connection whose daemon
# cannot die: abort it through fusectl (mounted here if the system has not).
abort_conn() {
  if [ ! -e "$FUSECTL/$1/abort" ] && ! grep -q " $FUSECTL fusectl " /proc/mounts; then
    mount -t fusectl fusectl "$FUSECTL" 2>/dev/null && FUSECTL_MOUNTED=1
  fi
  [ -e "$FUSECTL/$1/abort" ] || fail "cannot abort FUSE connection $1 (no $FUSECTL)"
  echo 1 >"$FUSECTL/$1/abort"
}

# crash: kill -9 the daemon of M, make sure it is gone, detach its dead mount. If a thread of
# the killed daemon stays stuck in the kernel (a FUSE notification that waits for a directory
# lock held by a client whose request the dead daemon will never answer: the process cannot
# exit and keeps its lock on BACKING), the connection is aborted as an administrator would, and
# the event is counted and reported.
crash() {
  local pid=$DAEMON_PID conn live deadline
  conn=$(conn_of "$M")
  [ -n "$conn" ] || fail "no FUSE connection found for $M"
  echo "$1 $(date +%s.%N)" >>"$LOGS/kills"
  kill -KILL "$pid"
  deadline=$((SECONDS + 3))
  while live=$(live_threads "$pid") && [ -n "$live" ]; do
    if [ $SECONDS -ge $deadline ]; then
      [ "$deadline" -lt 0 ] && fail "daemon $pid still alive after its connection was aborted: $live"
      STUCK=$((STUCK + 1))
      note "kill $1: 3 s after SIGKILL daemon $pid still has a live thread [$live];" \
        "aborting FUSE connection $conn"
      [ "$STRICT" = 1 ] && fail "SIGKILL did not end the daemon (CSVFS_TORTURE_STRICT=1)"
      abort_conn "$conn"
      deadline=-1
      for _ in $(seq 1 200); do
        [ -z "$(live_threads "$pid")" ] && break
        sleep 0.05
      done
    fi
    sleep 0.02
  done
  { wait "$pid"; } 2>/dev/null || true
  timeout -k 1 10 fusermount3 -u "$M" 2>/dev/null || timeout -k 1 10 fusermount3 -uz "$M"
  [ -z "$(mounts_under_t | grep -xF "$M")" ] || fail "$M still mounted after the crash"
}

N=200
LOGS=$T/logs
STOP=$T/stop
mkdir "$LOGS"
py kill_torture.py init "$B" "$N"
mount_csvfs "$B" "$M"

declare -a WORKERS=()
for w in 0 1 2; do
  python3 "$IT_DIR/kill_torture.py" append "$M" "$LOGS" "$STOP" "$w" >"$LOGS/out.append.$w" 2>&1 &
  WORKERS+=($!)
done
python3 "$IT_DIR/kill_torture.py" delete "$M" "$LOGS" "$STOP" 1 100 >"$LOGS/out.delete" 2>&1 &
WORKERS+=($!)
python3 "$IT_DIR/kill_torture.py" rewrite "$M" "$LOGS" "$STOP" 101 200 >"$LOGS/out.rewrite" 2>&1 &
WORKERS+=($!)

start=$SECONDS
for i in $(seq 1 "$KILLS"); do
  ms=$((50 + RANDOM % 351))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  for pid in "${WORKERS[@]}"; do
    kill -0 "$pid" 2>/dev/null || {
      cat "$LOGS"/out.* >&2
      fail "a worker died during kill $i"
    }
  done
  crash "$i"
  mount_csvfs "$B" "$M"
done
note "$KILLS kills in $((SECONDS - start)) s; $STUCK of them left a daemon that SIGKILL could" \
  "not end until its FUSE connection was aborted"

# Let the workers do some work on the last mount, then stop them.
sleep 0.5
touch "$STOP"
for pid in "${WORKERS[@]}"; do
  deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      kill -USR1 "$pid"  # faulthandler: the worker's Python stack to its out.* file
      sleep 0.5
      note "worker $pid: $(tr '\0' ' ' </proc/"$pid"/cmdline); kernel stack:"
      cat /proc/"$pid"/stack 2>/dev/null | sed 's/^/#   /'
      tail -n 30 "$LOGS"/out.* | sed 's/^/#   /'
      fail "worker $pid did not stop within 30 s"
    fi
    sleep 0.05
  done
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || {
    cat "$LOGS"/out.* >&2
    fail "worker $pid exited with $rc"
  }
done
cat "$LOGS"/out.*

if ! py kill_torture.py verify "$M" "$LOGS" "$N" "$KILLS" "$T/final.csv"; then
  note "what the daemons logged besides info:"
  grep -hv '] info: ' "$T"/daemon.*.log | head -n 40 | sed 's/^/#   /'
  fail "the table after $KILLS kills does not hold exactly the acknowledged changes"
fi
unmount_csvfs "$M"
py kill_torture.py verify_backing "$B" "$T/final.csv" || fail "BACKING after the clean unmount"
check_backing_dir "$D" table.csv strict
