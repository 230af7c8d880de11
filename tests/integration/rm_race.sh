#!/bin/bash
# 10 processes remove the same row file at once (rm(1), then unlink(2)): exactly one succeeds,
# the other nine fail with ENOENT; the row is gone and no other row is touched.
. "$(dirname "$0")/lib.sh"
it_init "$@"

{ echo "id,v"; for i in $(seq 1 20); do echo "$i,v$i"; done; } >"$B"
mount_csvfs "$B" "$M"

# rm(1): exit 0 once, exit 1 with "No such file or directory" nine times.
for id in 3 7 11; do
  py fsops.py race 10 run rm "$R/$id" >"$T/race"
  assert_eq 1 "$(grep -c ' EXIT0$' "$T/race")" "rm rows/$id winners ($(tr '\n' ';' <"$T/race"))"
  assert_eq 9 "$(grep -c ' EXIT1 .*No such file or directory' "$T/race")" "rm rows/$id losers with ENOENT"
done
# unlink(2): OK once, ENOENT nine times.
for id in 15 19; do
  py fsops.py race 10 unlink "$R/$id" >"$T/race"
  assert_eq 1 "$(grep -c ' OK$' "$T/race")" "unlink rows/$id winners ($(tr '\n' ';' <"$T/race"))"
  assert_eq 9 "$(grep -c ' ENOENT$' "$T/race")" "unlink rows/$id losers with ENOENT"
done

keep=$(seq 1 20 | grep -vxE '3|7|11|15|19')
{ echo "id,v"; for i in $keep; do echo "$i,v$i"; done; } >"$T/expected"
assert_rows "$(echo $keep)"
finish "$T/expected"
