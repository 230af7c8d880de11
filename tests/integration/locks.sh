#!/bin/bash
# flock(1) and fcntl record locks on the table exclude across commits, although every commit
# other than an append gives the table a new inode: the daemon keeps the locks per table.
#  1. While one process holds `flock t.csv`, `flock -n t.csv` fails, also right after a
#     `sed -i` commit by a third process; `flock -w 1` gives up after about a second (the
#     blocked request is interrupted); once the holder exits, `flock -n` succeeds.
#  2. 4 processes appending read-max+1 rows and 2 processes bumping a counter with `sed -i`,
#     all under `flock t.csv`, give exact counts; `tail -f` follows appends made under flock.
#  3. python3 fcntl.lockf byte ranges exclude across processes and survive a `sed -i`; close
#     drops the process's record locks; blocking waits are granted or interrupted.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v flock >/dev/null || skip "no flock(1) (util-linux)"

printf 'k,v\ncounter,0\n0,start\n' >"$B"
mount_csvfs "$B" "$M"

# ---- 1. exclusion across a commit; -w gives up; release at exit --------------------------------
t flock "$TB" sh -c 'touch "$1/held"; while [ ! -e "$1/release" ]; do sleep 0.05; done' _ "$T" &
holder=$!
wait_for 10 "the holder has the lock" test -e "$T/held"
rc=0; t flock -n "$TB" true || rc=$?
assert_eq 1 "$rc" "flock -n while another process holds the lock"
rc=0; t flock -n -s "$TB" true || rc=$?
assert_eq 1 "$rc" "flock -n -s while another process holds it exclusively"
ino_before=$(stat -c %i "$TB")
t sed -i 's/^counter,0$/counter,0/;s/^0,start$/0,begin/' "$TB"
ino_after=$(stat -c %i "$TB")
[ "$ino_before" != "$ino_after" ] || fail "sed -i did not give the table a new inode (test premise)"
rc=0; t flock -n "$TB" true || rc=$?
assert_eq 1 "$rc" "flock -n right after a sed -i commit"
began=$SECONDS
rc=0; t flock -w 1 "$TB" true || rc=$?
assert_eq 1 "$rc" "flock -w 1 while another process holds the lock"
[ $((SECONDS - began)) -le 10 ] || fail "flock -w 1 took $((SECONDS - began)) s"
touch "$T/release"
wait "$holder" || fail "the holder failed"
t flock -n "$TB" true || fail "flock -n after the holder exited"

# ---- 2. counters under flock; tail -f follows the appends -------------------------------------
appender() {  # read the last row's number, append number+1: lost updates give duplicates
  local i
  for i in $(seq 1 "$1"); do
    flock "$TB" sh -c 'n=$(tail -n 1 "$1" | cut -d, -f1); echo "$((n + 1)),a" >>"$1"' _ "$TB" ||
      return 1
  done
}
bumper() {  # read the counter, sed -i it to counter+1: a lost update leaves it short
  local i
  for i in $(seq 1 "$1"); do
    flock "$TB" sh -c 'c=$(grep "^counter," "$1" | cut -d, -f2)
                       sed -i "s/^counter,$c\$/counter,$((c + 1))/" "$1"' _ "$TB" || return 1
  done
}
run_workers() {  # APPENDERS ROUNDS BUMPERS ROUNDS
  local pids=() w p
  for ((w = 0; w < $1; w++)); do
    t bash -c "$(declare -f appender); TB='$TB'; appender $2" & pids+=($!)
  done
  for ((w = 0; w < $3; w++)); do
    t bash -c "$(declare -f bumper); TB='$TB'; bumper $4" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "a worker under flock failed"; done
}

# 2a. Appends only, while tail -f follows (a reader follows appends to its version).
printf 'k,v\ncounter,0\n0,begin\n' >"$T/tail.expected"
timeout -k 5 "$IT_TIMEOUT" tail -s 0.1 -n +1 -f "$TB" >"$T/tail.out" 2>"$T/tail.err" &
tail_pid=$!
wait_for 10 "tail -f prints the table" cmp -s "$T/tail.expected" "$T/tail.out"
run_workers 4 15 0 0
for n in $(seq 1 60); do echo "$n,a"; done >>"$T/tail.expected"
wait_for 10 "tail -f shows all 60 appended rows" cmp -s "$T/tail.expected" "$T/tail.out"
kill "$tail_pid"
wait "$tail_pid" || true
# 2b. Appends and sed -i rewrites, all under flock.
run_workers 4 10 2 10
{ printf 'k,v\ncounter,20\n0,begin\n'; for n in $(seq 1 100); do echo "$n,a"; done; } >"$T/expected"
assert_table "$T/expected"

# ---- 3. byte-range locks between processes -----------------------------------------------------
py lockf_ranges.py "$TB" 's/^0,begin$/0,BEGIN/' >"$T/lockf.out" || fail "lockf_ranges.py failed"
assert_eq "overlap 5+10: refused EAGAIN
shared 9+1: refused EAGAIN
beside 10+10: granted
getlk 0+100: F_WRLCK 0+10 pid=parent
sed -i: exit 0
after sed, overlap 0+1: refused EAGAIN
after sed, getlk 3+1: F_WRLCK 0+10 pid=parent
blocking wait: interrupted after <10s
after the parent's close: granted
blocking wait: granted after the unlock (<10s)
child exit 0
ofd lock: granted
ofd lock of another open file: refused EAGAIN
ofd lock after the holder's close: granted" "$(cat "$T/lockf.out")" "fcntl record locks"
sed -i 's/^0,begin$/0,BEGIN/' "$T/expected"

# Nothing is left locked: every holder has exited.
t flock -n "$TB" true || fail "flock -n at the end"
finish "$T/expected"

# ---- 4. SIGTERM while a flock waiter is blocked: the waiter fails, the daemon exits cleanly -----
mount_csvfs "$B" "$M"
rm -f "$T/held" "$T/release"
t flock "$TB" sh -c 'touch "$1/held"; while [ ! -e "$1/release" ]; do sleep 0.05; done' _ "$T" &
holder=$!
wait_for 10 "the holder has the lock" test -e "$T/held"
flock "$TB" true 2>"$T/waiter.err" &  # the cleanup trap kills it if it hangs
waiter=$!
# The waiter is blocked in the daemon, which says so in its status file.
wait_for 10 "the status file shows one lock waiter" grep -qx 'lock_waiters: 1' "$M/.csvfs-status"
grep -qx 'locked_files: 1' "$M/.csvfs-status" || fail "the status file does not show the locked table"
kill -TERM "$DAEMON_PID"
rc=0; wait "$waiter" || rc=$?
[ "$rc" != 0 ] || fail "the blocked waiter succeeded at unmount"
rc=0; wait "$DAEMON_PID" || rc=$?
assert_eq 0 "$rc" "the daemon's exit status after SIGTERM with a blocked lock waiter"
touch "$T/release"
wait "$holder" || true
assert_same_file "$T/expected" "$B" "BACKING after SIGTERM"
