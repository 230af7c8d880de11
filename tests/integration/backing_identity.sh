#!/bin/bash
# BACKING's identity (issue 10): a BACKING with several hard links is refused (exit 2, one line
# naming it and why: checkpoints replace it by rename, which would split the links); a symlinked
# BACKING mounts (the lock and journal live beside the real file) and a second daemon is refused
# whatever path names the file: the real path, the symlink, another symlink.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n' >"$B"
cp "$B" "$T/expected"
mkdir "$T/mnt2" "$T/links"

# Hard links: refused through either name, nothing created or changed.
ln "$B" "$T/links/hard.csv"
snap=$(snapshot_dir "$D")
start_expect_failure 2 "$M" "$B" "$M"
[[ $START_ERR == *table.csv* ]] || fail "the refusal does not name table.csv: $START_ERR"
[[ $START_ERR == *"hard links"* ]] || fail "the refusal does not give the reason: $START_ERR"
start_expect_failure 2 "$M" "$T/links/hard.csv" "$M"
[[ $START_ERR == *hard.csv* ]] || fail "the refusal does not name hard.csv: $START_ERR"
assert_eq "$snap" "$(snapshot_dir "$D")" "backing directory after the refused mounts"
[ -z "$(ls -A "$T/links" | grep -v '^hard.csv$')" ] || fail "files created beside the link"
rm "$T/links/hard.csv"

# A symlink: mounts the real file; its lock excludes every other path to it.
ln -s "$B" "$T/links/abs.csv"
ln -s ../data/table.csv "$T/links/rel.csv"
mount_csvfs "$T/links/rel.csv" "$M"
[ -z "$(ls -A "$T/links" | grep -Ev '^(abs|rel)\.csv$')" ] ||
  fail "the daemon created files beside the symlink: $(ls -A "$T/links")"
[ -e "$D/.table.csv.csvfs-lock" ] || fail "no lock beside the real file: $(ls -A "$D")"
start_expect_failure 3 "$T/mnt2" "$B" "$T/mnt2"
start_expect_failure 3 "$T/mnt2" "$T/links/abs.csv" "$T/mnt2"
start_expect_failure 3 "$T/mnt2" "$T/links/rel.csv" "$T/mnt2"

# The mount through the symlink works and folds into the real file.
t bash -c 'printf "2,b\n" >>"$1"' _ "$TB"
printf '2,b\n' >>"$T/expected"
assert_rows "1 2"
finish "$T/expected"
[ -L "$T/links/rel.csv" ] || fail "the symlink was replaced by the checkpoint"
assert_same_file "$T/expected" "$T/links/rel.csv" "the table through the symlink"
