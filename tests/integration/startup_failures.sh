#!/bin/bash
# Startup failures exit with their code and one clear line (naming the file, and the line for
# malformed CSV) and modify nothing: usage 1, BACKING missing/malformed 2, bad mountpoint 4.
# --help and --version exit 0.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n' >"$B"
printf 'id,v\n1,a\n2,"b\nc"\n4,"never closed\n5,x\n' >"$D/unterminated.csv"
printf 'id,v\n1,a\n2,b,extra\n3,c\n' >"$D/ragged.csv"
printf 'id,v\n1,a\n,b\n' >"$D/emptykey.csv"
printf 'id,v\n1,a\n1,b\n' >"$D/dupkey.csv"
touch "$T/file"
snap=$(snapshot_dir "$D")

# mentions_line N: START_ERR, without the work directory's (random) name, mentions the number N.
mentions_line() {
  local msg=${START_ERR//$T/}
  grep -Eq "(^|[^0-9])$1([^0-9]|\$)" <<<"$msg" ||
    fail "the message does not give line $1: $START_ERR"
}
names() { [[ $START_ERR == *"$1"* ]] || fail "the message does not name $1: $START_ERR"; }

start_expect_failure 2 "$M" "$D/missing.csv" "$M"
names missing.csv
start_expect_failure 2 "$M" "$D/unterminated.csv" "$M"
names unterminated.csv
mentions_line 5
start_expect_failure 2 "$M" "$D/ragged.csv" "$M"
names ragged.csv
mentions_line 3
start_expect_failure 2 "$M" "$D/emptykey.csv" "$M" -o key=id
names emptykey.csv
start_expect_failure 2 "$M" "$D/dupkey.csv" "$M" -o key=id
names dupkey.csv
start_expect_failure 4 "$T/file" "$B" "$T/file"
start_expect_failure 4 "$T/nodir" "$B" "$T/nodir"
start_expect_failure 1 "$M" "$B" "$M" -o sync=sometimes
# A log= that cannot be opened fails the start (no silent loss of every log line) and creates
# no directory on the way.
start_expect_failure 1 "$M" "$B" "$M" -o log="$T/nolog/sub/x.log"
names nolog/sub/x.log
[ ! -e "$T/nolog" ] || fail "log= created the missing directory $T/nolog"
start_expect_failure 1 "$M" "$B"
start_expect_failure 1 "$M"
assert_eq "$snap" "$(snapshot_dir "$D")" "backing directory after the failed starts"
[ ! -e "$T/nodir" ] || fail "a failed start created the mountpoint"

t "$CSVFS" --help >"$T/help" 2>&1 || fail "--help exited with $?"
grep -q 'key=' "$T/help" || fail "--help does not describe the options"
version=$(t "$CSVFS" --version 2>&1) || fail "--version exited with $?"
grep -Eq '[0-9]+\.[0-9]+\.[0-9]+' <<<"$version" || fail "--version printed: $version"

# A daemon that died leaves a dead mount: the next start exits 4 and says how to recover; the
# recovery it names works.
mount_csvfs "$B" "$M"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
rc=0
t "$CSVFS" "$B" "$M" </dev/null >/dev/null 2>"$T/start.err" || rc=$?
START_ERR=$(cat "$T/start.err")
assert_eq 4 "$rc" "exit status on a dead mount ($START_ERR)"
assert_eq 1 "$(grep -c . "$T/start.err")" "stderr lines on a dead mount"
[[ $START_ERR == *"fusermount3 -u $M"* && $START_ERR == *-uz* ]] ||
  fail "the dead-mount error does not say how to recover: $START_ERR"
assert_eq 1 "$(mounts_under_t | grep -cxF "$M")" "mounts on $M (none stacked on the dead one)"
t fusermount3 -u "$M" || fail "the recovery the message names failed"
mount_csvfs "$B" "$M"
unmount_csvfs "$M"

# ragged accepts the ragged table as it is.
mkdir "$T/data2"
cp "$D/ragged.csv" "$T/data2/ragged.csv"
mount_csvfs "$T/data2/ragged.csv" "$M" -o ragged
finish "$D/ragged.csv" "$T/data2/ragged.csv"
