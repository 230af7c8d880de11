#!/bin/bash
# After a clean unmount BACKING alone holds every change (appends, row deletes and updates, a
# sed -i rewrite), the backing directory holds no scratch file and no non-empty journal, and a
# remount shows the same table with the same row ids. Other files made in the mount persist
# in the sidecar directory (.table.csv.csvfs-files/), owned and moded as created; once they
# are removed, the sidecar directory goes at the next unmount.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n2,b\n3,c\n4,d\n5,e\n' >"$B"
mount_csvfs "$B" "$M"

t bash -c 'printf "6,f\n7,g\n" >>"$1"' _ "$TB"
t rm "$R/2"
t bash -c 'printf "3,\"C, changed\"\n" >"$1"' _ "$R/3"
t sed -i 's/^4,d$/4,D/' "$TB"
t rm "$R/7"
t bash -c 'printf "8,h\n" >>"$1"' _ "$TB"
t bash -c 'umask 077; echo scratch >"$1"' _ "$M/notes.txt"
assert_eq scratch "$(t cat "$M/notes.txt")" "scratch file content"
[ ! -e "$D/notes.txt" ] || fail "a file of the mount reached the backing directory itself"
SIDE=$D/.table.csv.csvfs-files
printf 'id,v\n1,a\n3,"C, changed"\n4,D\n5,e\n6,f\n8,h\n' >"$T/expected"
assert_rows "1 3 4 5 6 8"   # 7 is never reused: the row appended after its removal is 8
finish "$T/expected"

assert_eq "scratch" "$(cat "$SIDE/notes.txt")" "notes.txt in the sidecar after unmount"
assert_eq "700 600" "$(stat -c %a "$SIDE") $(stat -c %a "$SIDE/notes.txt")" "sidecar modes"

mount_csvfs "$B" "$M"
assert_table "$T/expected"
assert_rows "1 3 4 5 6 8"
assert_eq scratch "$(t cat "$M/notes.txt")" "notes.txt after a remount"
t rm "$M/notes.txt"
assert_root_clean
t bash -c 'printf "9,i\n" >>"$1"' _ "$TB"
assert_rows "1 3 4 5 6 8 9"
printf '9,i\n' >>"$T/expected"
finish "$T/expected" "$B" "$M" strict
[ ! -e "$SIDE" ] || fail "the empty sidecar directory was kept after unmount"
