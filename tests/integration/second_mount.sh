#!/bin/bash
# A second csvfs on the same BACKING (by the same or another path) is refused with exit 3 and
# one line naming the file; the first mount keeps working.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n' >"$B"
mount_csvfs "$B" "$M"
mkdir "$T/mnt2"
snap=$(snapshot_dir "$D")

start_expect_failure 3 "$T/mnt2" "$B" "$T/mnt2"
[[ $START_ERR == *table.csv* ]] || fail "the refusal does not name table.csv: $START_ERR"
(cd "$D" && start_expect_failure 3 "$T/mnt2" ./table.csv ../mnt2 -o key=id)
start_expect_failure 3 "$T/mnt2" "$D/../data/table.csv" "$T/mnt2" -f
assert_eq "$snap" "$(snapshot_dir "$D")" "backing directory after the refused mounts"

t bash -c 'printf "2,b\n" >>"$1"' _ "$TB"
printf 'id,v\n1,a\n2,b\n' >"$T/expected"
assert_rows "1 2"
finish "$T/expected"
