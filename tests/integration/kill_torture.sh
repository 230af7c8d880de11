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
  crash_daemon "$M"
  mount_csvfs "$B" "$M"
done
note "$KILLS kills in $((SECONDS - start)) s"

# Let the workers do some work on the last mount, then stop them.
sleep 0.5
touch "$STOP"
for pid in "${WORKERS[@]}"; do
  deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "worker $pid did not stop within 30 s"
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

py kill_torture.py verify "$M" "$LOGS" "$N" "$KILLS" "$T/final.csv" ||
  fail "the table after $KILLS kills lost or duplicated acknowledged changes"
unmount_csvfs "$M"
py kill_torture.py verify_backing "$B" "$T/final.csv" || fail "BACKING after the clean unmount"
check_backing_dir "$D" table.csv strict
