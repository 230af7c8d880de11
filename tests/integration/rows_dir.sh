#!/bin/bash
# rows/ lists the ids in table order (numbers, or key values with key=); `echo ... > rows/ID`
# replaces that row; creating rows/KEY inserts at the end; mv rows/A rows/B changes a key.
. "$(dirname "$0")/lib.sh"
it_init "$@"

{ echo "id,v"; for i in $(seq 1 12); do echo "$i,v$i"; done; } >"$B"
mount_csvfs "$B" "$M"
assert_rows "1 2 3 4 5 6 7 8 9 10 11 12"
t bash -c 'printf "13,v13\n14,\"v\n14\"\n" >>"$1"' _ "$TB"
assert_rows "1 2 3 4 5 6 7 8 9 10 11 12 13 14"
printf '14,"v\n14"\n' >"$T/row.want"
t cat "$R/14" >"$T/row.got"
assert_same_file "$T/row.want" "$T/row.got" "rows/14"
assert_eq 10 "$(t stat -c %s "$R/14")" "size of rows/14"

t bash -c 'echo "five,\"replaced, 5\"" >"$1"' _ "$R/5"
assert_eq 'five,"replaced, 5"' "$(t cat "$R/5")" "rows/5 after echo >"
{
  echo "id,v"
  for i in $(seq 1 13); do if [ "$i" = 5 ]; then echo 'five,"replaced, 5"'; else echo "$i,v$i"; fi; done
  printf '14,"v\n14"\n'
} >"$T/expected"
assert_table "$T/expected"
assert_rows "1 2 3 4 5 6 7 8 9 10 11 12 13 14"
finish "$T/expected"

# Key mode: ids are the key column's values, in table order (not sorted).
mkdir "$T/data2"
B2=$T/data2/keyed.csv
printf 'name,v\nzed,1\nalpha,2\nmid,3\n' >"$B2"
mount_csvfs "$B2" "$M" -o key=name
assert_rows "zed alpha mid"
t bash -c 'echo "new,4" >"$1"' _ "$R/new"
assert_rows "zed alpha mid new"
t bash -c 'echo "mid,30" >"$1"' _ "$R/mid"
t mv "$R/alpha" "$R/beta"
assert_rows "zed beta mid new"
assert_eq "beta,2" "$(t cat "$R/beta")" "rows/beta after mv rows/alpha rows/beta"
printf 'name,v\nzed,1\nbeta,2\nmid,30\nnew,4\n' >"$T/expected"
finish "$T/expected" "$B2"
