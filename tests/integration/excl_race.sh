#!/bin/bash
# Key mode: 10 processes create rows/KEY with O_CREAT|O_EXCL at once: exactly one wins, the
# others get EEXIST; the winner's record is appended at the end of the table. Creating an
# existing key with O_EXCL fails with EEXIST for everyone.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'name,writer\nalice,0\nbob,0\n' >"$B"
cp "$B" "$T/expected"
mount_csvfs "$B" "$M" -o key=name

for key in k1 k2 k3 k4 k5; do
  py fsops.py race 10 create_excl "$R/$key" "$key,{i}\n" >"$T/race"
  assert_eq 1 "$(grep -c ' OK$' "$T/race")" "O_EXCL creators of rows/$key that won ($(tr '\n' ';' <"$T/race"))"
  assert_eq 9 "$(grep -c ' EEXIST$' "$T/race")" "O_EXCL creators of rows/$key that got EEXIST"
  winner=$(awk '$2 == "OK" { print $1 }' "$T/race")
  printf '%s,%s\n' "$key" "$winner" >>"$T/expected"
  printf '%s,%s\n' "$key" "$winner" >"$T/row.want"
  t cat "$R/$key" >"$T/row.got"
  assert_same_file "$T/row.want" "$T/row.got" "rows/$key"
done
py fsops.py race 10 create_excl "$R/alice" "alice,{i}\n" >"$T/race"
assert_eq 10 "$(grep -c ' EEXIST$' "$T/race")" "O_EXCL creators of the existing rows/alice"
assert_rows "alice bob k1 k2 k3 k4 k5"
finish "$T/expected"
