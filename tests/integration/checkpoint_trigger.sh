#!/bin/bash
# BACKING does not lag the mount for long (issue 11): with checkpoint_interval=1 appended rows
# reach BACKING on their own; with the default interval (300 s) they do not, until SIGUSR1
# asks for a checkpoint. Bad checkpoint_interval= values are usage errors.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n' >"$B"
cp "$B" "$T/expected"
start_expect_failure 1 "$M" "$B" "$M" -o checkpoint_interval=soon
[[ $START_ERR == *checkpoint_interval* ]] || fail "the error does not name the option: $START_ERR"
start_expect_failure 1 "$M" "$B" "$M" -o checkpoint_interval=-1

backing_is() { cmp -s "$1" "$B"; }

# Default interval: an append stays in the journal; SIGUSR1 folds it.
mount_csvfs "$B" "$M"
t bash -c 'printf "2,b\n" >>"$1"' _ "$TB"
printf '2,b\n' >>"$T/expected"
cp "$B" "$T/before"
printf 'id,v\n1,a\n' >"$T/original"
assert_same_file "$T/original" "$T/before" "BACKING right after the append (default interval)"
kill -USR1 "$DAEMON_PID"
wait_for 10 "SIGUSR1 folds the append into BACKING" backing_is "$T/expected"
grep -q 'SIGUSR1' "$DAEMON_LOG" || fail "the checkpoint request is not logged"
kill -0 "$DAEMON_PID" || fail "SIGUSR1 killed the daemon"
assert_table "$T/expected"
unmount_csvfs "$M"

# checkpoint_interval=1: appends reach BACKING within a few seconds, no signal needed.
mount_csvfs "$B" "$M" -o checkpoint_interval=1
t bash -c 'printf "3,c\n4,d\n" >>"$1"' _ "$TB"
printf '3,c\n4,d\n' >>"$T/expected"
wait_for 10 "checkpoint_interval=1 folds the appends into BACKING" backing_is "$T/expected"
finish "$T/expected"
