#!/bin/bash
# Options and modes the other tests do not use: -o create, sync=always and sync=off, noheader
# with key=1, and the background daemon (no -f) with log=FILE.
. "$(dirname "$0")/lib.sh"
it_init "$@"

# -o create: a missing BACKING becomes an empty table; the first record appended is the header.
mount_csvfs "$B" "$M" -o create
assert_eq 0 "$(t stat -c %s "$TB")" "size of a created table"
assert_rows ""
t bash -c 'printf "h1,h2\nx,\"y, z\"\n" >>"$1"' _ "$TB"
printf 'h1,h2\nx,"y, z"\n' >"$T/expected"
assert_rows "1"
finish "$T/expected"

# sync=always and sync=off: appends land the same way.
for mode in always off; do
  mount_csvfs "$B" "$M" -o "sync=$mode"
  t bash -c 'for i in $(seq 1 50); do printf "%s-%s,v\n" "$2" "$i" >>"$1"; done' _ "$TB" "$mode"
  for i in $(seq 1 50); do printf '%s-%s,v\n' "$mode" "$i"; done >>"$T/expected"
  finish "$T/expected"
done

# noheader with key=1: the first column's values are the ids.
mkdir "$T/data2"
B2=$T/data2/plain.csv
printf 'k2,a\nk1,b\n' >"$B2"
mount_csvfs "$B2" "$M" -o noheader,key=1
assert_rows "k2 k1"
t bash -c 'echo "k3,c" >"$1"' _ "$R/k3"
printf 'k2,a\nk1,b\nk3,c\n' >"$T/expected2"
assert_rows "k2 k1 k3"
finish "$T/expected2" "$B2"

# In the background (no -f): mounted when the command returns, logs to log=FILE.
mount_csvfs_bg "$B2" "$M" -o "noheader,key=1,log=$T/bg.log"
t bash -c 'printf "k4,d\n" >>"$1"' _ "$M/plain.csv"
printf 'k4,d\n' >>"$T/expected2"
assert_table "$T/expected2" "$M/plain.csv"
# mount-helpers/csvfs-umount returns only once the daemon has checkpointed and exited, so
# BACKING is complete the moment it returns (fusermount3 -u alone returns before that).
t "$IT_DIR/../../mount-helpers/csvfs-umount" "$M" 20 || fail "csvfs-umount $M failed"
assert_same_file "$T/expected2" "$B2" "BACKING right after csvfs-umount returned"
lock=$T/data2/.plain.csv.csvfs-lock
[ ! -e "$lock" ] || fail "the daemon left its lock file after csvfs-umount returned"
is_mounted "$M" && fail "still mounted after csvfs-umount"
out=$("$IT_DIR/../../mount-helpers/csvfs-umount" "$M" 2>&1) && fail "csvfs-umount of a non-mount succeeded"
case $out in *"not a csvfs mount"*) ;; *) fail "csvfs-umount of a non-mount said: $out" ;; esac
[ -s "$T/bg.log" ] || fail "log=$T/bg.log is empty"
check_backing_dir "$T/data2" plain.csv

# After a clean unmount BACKING is the whole truth: the next mount may use other options.
mount_csvfs "$B" "$M" -o key=h1
assert_rows "x $(seq -f 'always-%g' 1 50 | tr '\n' ' ')$(seq -f 'off-%g' 1 50 | tr '\n' ' ' | sed 's/ $//')"
finish "$T/expected"
mount_csvfs "$B2" "$M"
assert_rows "1 2 3"
finish "$T/expected2" "$B2"
