#!/bin/bash
# Empty lines (issue 10 item 1): a BACKING with empty lines (leading, in the middle, trailing)
# mounts and reads back byte for byte; they are never rows; `echo >> table` succeeds and
# changes nothing; rows appended after a trailing empty line work; editors that save with a
# trailing empty line (sed -i, a python rewrite) work; the table mounts again. A UTF-8 BOM is kept
# and ignored by key=.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf '\nid,v\n1,a\n\n\n2,"x\n\ny"\n3,c\n\n' >"$B"
cp "$B" "$T/expected"
mount_csvfs "$B" "$M"
assert_table "$T/expected"
assert_rows "1 2 3"
assert_eq "1,a" "$(t cat "$R/1")" "rows/1"
printf '2,"x\n\ny"\n' >"$T/row2"
t cat "$R/2" >"$T/got2"
assert_same_file "$T/row2" "$T/got2" "rows/2"

# echo >> table: succeeds, no change at all (not even the version).
version() { t cat "$M/.csvfs-status" | grep '^version:'; }
v0=$(version)
t bash -c 'echo >>"$1"' _ "$TB" || fail "echo >> table failed"
t bash -c 'printf "\r\n\n" >>"$1"' _ "$TB" || fail "appending empty lines failed"
assert_table "$T/expected"
assert_rows "1 2 3"
assert_eq "$v0" "$(version)" "the version after appending empty lines"

# A row appended after the trailing empty line.
t bash -c 'echo "4,d" >>"$1"' _ "$TB" || fail "appending a row failed"
printf '4,d\n' >>"$T/expected"
assert_table "$T/expected"
assert_rows "1 2 3 4"

# Editor saves: sed -i (keeps the empty lines), then a rewrite ending with an empty line.
t sed -i 's/^3,c$/3,C/' "$TB" || fail "sed -i on a table with empty lines failed"
sed -i 's/^3,c$/3,C/' "$T/expected"
assert_table "$T/expected"
assert_rows "1 2 3 4"
t python3 -c 'import sys; open(sys.argv[1], "a").close()
data = open(sys.argv[1], "rb").read()
open(sys.argv[1], "wb").write(data.replace(b"4,d\n", b"4,D\n") + b"\n")' "$TB" ||
  fail "a rewrite with a trailing empty line failed"
sed -i 's/^4,d$/4,D/' "$T/expected"
printf '\n' >>"$T/expected"
assert_table "$T/expected"
assert_rows "1 2 3 4"
assert_eq "4,D" "$(t cat "$R/4")" "rows/4 after the rewrite"

# The table mounts again and reads the same.
unmount_csvfs "$M"
assert_same_file "$T/expected" "$B" "BACKING after unmount"
mount_csvfs "$B" "$M"
assert_rows "1 2 3 4"
finish "$T/expected"

# A UTF-8 byte order mark: kept as bytes, ignored when key= matches the column name.
mkdir "$T/bomdir"
printf '\xef\xbb\xbfid,v\r\nk1,a\r\nk2,b\r\n' >"$T/bomdir/bom.csv"
cp "$T/bomdir/bom.csv" "$T/bom.expected"
mount_csvfs "$T/bomdir/bom.csv" "$M" -o key=id
assert_rows "k1 k2" "$M/rows"
assert_eq "k2,b" "$(t cat "$M/rows/k2" | tr -d '\r')" "rows/k2 of the BOM table"
t bash -c 'printf "k3,c\r\n" >>"$1"' _ "$M/bom.csv"
printf 'k3,c\r\n' >>"$T/bom.expected"
finish "$T/bom.expected" "$T/bomdir/bom.csv"
