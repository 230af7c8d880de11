#!/bin/bash
# `sort -o table.csv table.csv` on a noheader table: the table ends up sorted, every row once.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'pear,3\napple,1\n"kiwi, gold",2\nbanana,9\napple,0\nfig,"x ""y"""\n' >"$B"
sort "$B" >"$T/expected"
mount_csvfs "$B" "$M" -o noheader

assert_rows "1 2 3 4 5 6"
t sort -o "$TB" "$TB"
assert_table "$T/expected"
assert_eq 6 "$(ls "$R" | wc -l)" "number of row files"
finish "$T/expected"
