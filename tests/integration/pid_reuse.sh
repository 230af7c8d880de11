#!/bin/bash
# A process that got the pid of one that read the table and exited inherits nothing of it:
# `cp new.csv table.csv` by it replaces the table exactly (SPEC 3: processes are identified by
# pid and start time). Pid reuse is forced through /proc/sys/kernel/ns_last_pid inside a
# private pid namespace (the daemon runs there too, so it sees the same pids).
if [ -z "${CSVFS_IN_PIDNS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "SKIP: needs root for a pid namespace"; exit 77; }
  command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
  unshare -p -f --mount-proc true 2>/dev/null || { echo "SKIP: cannot unshare a pid namespace"; exit 77; }
  exec unshare -p -f --mount-proc env CSVFS_IN_PIDNS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
it_init "$@"
[ -w /proc/sys/kernel/ns_last_pid ] || skip "cannot write /proc/sys/kernel/ns_last_pid"

printf 'id,v\n1,a\n2,b\n' >"$B"
printf 'id,v\n9,z\n' >"$T/new.csv"
mount_csvfs "$B" "$M"

starttime() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }

# A: reads the table and exits; its pid and start time are kept.
read -r a_pid a_start < <(t bash -c 'echo $$ $(awk "{ sub(/.*\\) /, \"\"); print \$20 }" /proc/$$/stat);
                                    exec cat "$1" >/dev/null' _ "$TB")
[ -n "$a_pid" ] && [ "$a_pid" -gt 2 ] || fail "no pid for the reader"
t bash -c 'echo 3,c >>"$1"' _ "$TB"   # appended after A's read, by another process
! kill -0 "$a_pid" 2>/dev/null || fail "reader $a_pid still running"

# B: gets A's pid (a later start time) and replaces the table with cp.
done_it=""
for attempt in $(seq 1 20); do
  echo $((a_pid - 1)) >/proc/sys/kernel/ns_last_pid
  rc=0
  bash -c '[ $$ = "$1" ] || exit 99
           [ "$(awk "{ sub(/.*\\) /, \"\"); print \$20 }" /proc/$$/stat)" != "$2" ] || exit 98
           exec cp "$3" "$4"' _ "$a_pid" "$a_start" "$T/new.csv" "$TB" || rc=$?
  case $rc in
    0) done_it=1; break ;;
    98 | 99) note "attempt $attempt did not get pid $a_pid with a new start time ($rc)" ;;
    *) fail "cp new.csv table.csv by the recycled pid failed ($rc)" ;;
  esac
done
[ -n "$done_it" ] || fail "could not recycle pid $a_pid"
finish "$T/new.csv"
