#!/bin/bash
# Reading the table through mmap (MAP_SHARED and MAP_PRIVATE, read-only) works.
. "$(dirname "$0")/lib.sh"
it_init "$@"

{
  printf 'id,payload\n'
  for i in $(seq 1 3000); do printf '%d,"row %d, ""quoted""\nsecond line"\n' "$i" "$i"; done
} >"$B"
cp "$B" "$T/orig.csv"
mount_csvfs "$B" "$M"

assert_eq OK "$(py fsops.py mmap "$TB" "$T/mapped")" "mmap of the table"
assert_same_file "$T/orig.csv" "$T/mapped" "mmap of the table"
# And again after the table grew by an append (a new mapping sees the new size).
t bash -c 'printf "3001,last\n" >>"$1"' _ "$TB"
printf '3001,last\n' >>"$T/orig.csv"
assert_eq OK "$(py fsops.py mmap "$TB" "$T/mapped")" "mmap of the table after an append"
assert_same_file "$T/orig.csv" "$T/mapped" "mmap of the table after an append"
finish "$T/orig.csv"
