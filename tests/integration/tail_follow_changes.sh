#!/bin/bash
# `tail -f` keeps following rows appended after another process ran `rm rows/N` or `sed -i`
# (SPEC 3 "Reading"): it never sees those changes, only the appends, byte for byte. `tail -F`
# (follow by name) sees each change as a new file and prints it anew. inotify reports nothing
# for any of these changes (tail on a FUSE mount polls).
. "$(dirname "$0")/lib.sh"
it_init "$@"
printf 'id,v\n1,a\n2,b\n3,c\n' >"$B"
mount_csvfs "$B" "$M"
append() { t bash -c 'echo "$1" >>"$2"' _ "$1" "$TB" || fail "append $1 failed"; }

# tail -f: the rows appended after each change, nothing else.
cp "$B" "$T/expected"
timeout -k 5 "$IT_TIMEOUT" tail -s 0.1 -n +1 -f "$TB" >"$T/tail.out" 2>"$T/tail.err" &
tail_pid=$!
wait_for 10 "tail -f prints the table" cmp -s "$T/expected" "$T/tail.out"
append 4,d && echo 4,d >>"$T/expected"
wait_for 10 "tail -f shows 4,d" cmp -s "$T/expected" "$T/tail.out"
t rm "$R/2" || fail "rm rows/2 failed"
append 5,e && echo 5,e >>"$T/expected"   # right after the delete: before tail polls again
wait_for 10 "tail -f shows 5,e after rm rows/2" cmp -s "$T/expected" "$T/tail.out"
t sed -i 's/^3,c$/3,C/' "$TB" || fail "sed -i failed"
append 6,f && echo 6,f >>"$T/expected"
wait_for 10 "tail -f shows 6,f after sed -i" cmp -s "$T/expected" "$T/tail.out"
t rm "$R/1" || fail "rm rows/1 failed"
t sed -i 's/^4,d$/4,D/' "$TB" || fail "sed -i failed"
append 7,g && echo 7,g >>"$T/expected"   # two changes between polls
wait_for 10 "tail -f shows 7,g after rm and sed -i" cmp -s "$T/expected" "$T/tail.out"
kill "$tail_pid"
wait "$tail_pid" || true
assert_same_file "$T/expected" "$T/tail.out" "tail -f output"
[ ! -s "$T/tail.err" ] || fail "tail -f complained: $(cat "$T/tail.err")"
printf 'id,v\n3,C\n4,D\n5,e\n6,f\n7,g\n' >"$T/table"
assert_table "$T/table"

# tail -F: each change is a new file, printed whole; appends follow.
cp "$T/table" "$T/expected"
timeout -k 5 "$IT_TIMEOUT" tail -s 0.1 -n +1 -F "$TB" >"$T/tailF.out" 2>"$T/tailF.err" &
tail_pid=$!
wait_for 10 "tail -F prints the table" cmp -s "$T/expected" "$T/tailF.out"
t rm "$R/3" || fail "rm rows/3 failed"
printf 'id,v\n4,D\n5,e\n6,f\n7,g\n' >>"$T/expected"
wait_for 10 "tail -F prints the new table" cmp -s "$T/expected" "$T/tailF.out"
append 8,h && echo 8,h >>"$T/expected"
wait_for 10 "tail -F shows 8,h" cmp -s "$T/expected" "$T/tailF.out"
kill "$tail_pid"
wait "$tail_pid" || true
assert_same_file "$T/expected" "$T/tailF.out" "tail -F output"
grep -q "has been replaced" "$T/tailF.err" || fail "tail -F did not see the change: $(cat "$T/tailF.err")"
printf 'id,v\n4,D\n5,e\n6,f\n7,g\n8,h\n' >"$T/table"
finish "$T/table"
