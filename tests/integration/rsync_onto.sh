#!/bin/bash
# `rsync new.csv MNT/table.csv` (a temp file in the root renamed over the table) replaces the
# table's content with new.csv's.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v rsync >/dev/null || skip "rsync is not installed"

printf 'id,v\n1,a\n2,b\n3,c\n' >"$B"
printf 'id,v\n1,a\n3,"c, changed"\n4,d\n5,"e\nf"\n' >"$T/new.csv"
mount_csvfs "$B" "$M"

t rsync "$T/new.csv" "$TB"
assert_table "$T/new.csv"
assert_eq 4 "$(ls "$R" | wc -l)" "number of row files"
assert_root_clean
# A second rsync of the same content changes nothing.
t rsync -c "$T/new.csv" "$TB"
finish "$T/new.csv"
