#!/bin/bash
# Times and permissions.
#  1. A row file's mtime is the time of the last commit that changed that row: after an edit
#     of one row file, a `sed -i` changing one row and an append, `find rows -newer REF` lists
#     exactly the changed rows and rsync's quick check (size + mtime) sees only them.
#     `touch` on the table and a row file succeeds and changes no byte and no mtime.
#  2. The table shows BACKING's mode; chmod on it applies to BACKING and survives the
#     checkpoint of an unmount and a remount. Row files show it without x bits.
#  3. With `-o allow_other,default_permissions` another user gets EACCES appending to a 0644
#     table and succeeds once root gave the table that user's group and g+w.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v rsync >/dev/null || skip "no rsync"

printf 'id,v\n1,a\n2,b\n3,c\n4,d\n' >"$B"
chmod 0644 "$B"
# An old BACKING: rsync's quick check compares whole seconds, so unchanged rows (which show
# BACKING's mtime) must not share a second with the commits below.
touch -d '2020-01-02 03:04:05' "$B"
mount_csvfs "$B" "$M"

# Timestamps of files on disk come from a coarse clock (a few ms); a pause longer than that
# between a commit and a reference file keeps "newer" unambiguous.
tick() { sleep 0.05; }

t cp -a "$R" "$T/copy"  # what rsync's quick check compares against (sizes and mtimes)
declare -A before
for id in 1 2 3 4; do before[$id]=$(stat -c %.9Y "$R/$id"); done

# ---- 1. row mtimes follow the row's own commits ------------------------------------------------
tick; touch "$T/ref1"; tick
t sh -c 'echo 2,B >"$1"' _ "$R/2"
assert_eq "$R/2" "$(t find "$R" -type f -newer "$T/ref1" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "rows newer than ref1 after echo > rows/2"
tick; touch "$T/ref2"; tick
t sed -i 's/^3,c$/3,C/' "$TB"
assert_eq "$R/3" "$(t find "$R" -type f -newer "$T/ref2" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "rows newer than ref2 after sed -i changed row 3"
[ "$TB" -nt "$T/ref2" ] || fail "the table's mtime did not move with the sed -i commit"
t sh -c 'echo 5,e >>"$1"' _ "$TB"
assert_eq "$R/3 $R/5" "$(t find "$R" -type f -newer "$T/ref2" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "rows newer than ref2 after an append"
for id in 1 4; do
  assert_eq "${before[$id]}" "$(stat -c %.9Y "$R/$id")" "mtime of unchanged rows/$id"
done
# rsync's quick check: only the changed and the new rows are transferred.
got=$(t rsync -ai --dry-run "$R/" "$T/copy/" | awk '$2 != "./" { print $2 }' | sort | tr '\n' ' ')
assert_eq "2 3 5 " "$got" "rows rsync's quick check would transfer"
# touch succeeds and changes nothing.
m_table=$(stat -c %.9Y "$TB")
t touch "$TB" "$R/1" || fail "touch on the table and a row file failed"
assert_eq "$m_table" "$(stat -c %.9Y "$TB")" "table mtime after touch"
assert_eq "${before[1]}" "$(stat -c %.9Y "$R/1")" "rows/1 mtime after touch"
printf 'id,v\n1,a\n2,B\n3,C\n4,d\n5,e\n' >"$T/expected"
assert_table "$T/expected"

# ---- 2. the table's mode is BACKING's; chmod applies to BACKING and lasts -----------------------
assert_eq 644 "$(stat -c %a "$TB")" "the table's mode at mount"
t chmod 0640 "$TB"
assert_eq 640 "$(stat -c %a "$TB")" "the table's mode after chmod 0640"
assert_eq 640 "$(stat -c %a "$B")" "BACKING's mode after chmod 0640 through the mount"
assert_eq 640 "$(stat -c %a "$R/1")" "a row file's mode"
t chmod 0750 "$TB"
assert_eq 640 "$(stat -c %a "$R/1")" "a row file's mode has no x bits"
t chmod 0640 "$TB"
unmount_csvfs "$M"
assert_same_file "$T/expected" "$B" "BACKING after unmount (a checkpoint replaced it)"
assert_eq 640 "$(stat -c %a "$B")" "BACKING's mode after the checkpoint of the unmount"
mount_csvfs "$B" "$M"
assert_eq 640 "$(stat -c %a "$TB")" "the table's mode after a remount"

# ---- 3. default_permissions enforces the table's mode for other users ---------------------------
unmount_csvfs "$M"
[ "$(id -u)" = 0 ] || { note "part 3 needs root"; exit 0; }
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
chmod 0644 "$B"
chown 0:0 "$B"
chmod 0711 "$T"  # let the other user reach the mountpoint
other=64123
as_other() { t setpriv --reuid=$other --regid=$other --clear-groups "$@"; }
mount_csvfs "$B" "$M" -o allow_other,default_permissions
as_other cat "$TB" >"$T/other.cat" || fail "another user cannot read a 0644 table"
assert_same_file "$T/expected" "$T/other.cat" "the table as read by another user"
out=$(as_other sh -c 'echo 6,f >>"$1"' _ "$TB" 2>&1) && fail "another user appended to a 0644 table"
case $out in *"Permission denied"*) ;; *) fail "append by another user: expected EACCES, got: $out" ;; esac
out=$(as_other rm "$R/4" 2>&1) && fail "another user removed a row of a 0644 table"
case $out in *"Permission denied"*) ;; *) fail "rm rows/4 by another user: expected EACCES, got: $out" ;; esac
out=$(as_other chmod 0666 "$TB" 2>&1) && fail "another user chmodded the table"
assert_table "$T/expected"
t chgrp $other "$TB"
t chmod g+w "$TB"
assert_eq "664 0 $other" "$(stat -c '%a %u %g' "$B")" "BACKING's mode and owner after chgrp, chmod g+w"
as_other sh -c 'echo 6,f >>"$1"' _ "$TB" || fail "append by a group member after chmod g+w"
as_other rm "$R/4" || fail "rm rows/4 by a group member after chmod g+w"
printf 'id,v\n1,a\n2,B\n3,C\n5,e\n6,f\n' >"$T/expected"
finish "$T/expected"
assert_eq "664 0 $other" "$(stat -c '%a %u %g' "$B")" "BACKING's mode and owner after the unmount"

# Without default_permissions the kernel checks nothing, but chmod/chown of the table (which
# the daemon applies to BACKING as root) are still checked by csvfs: EPERM for others.
mount_csvfs "$B" "$M" -o allow_other
for cmd in "chmod 0666" "chown $other" "chgrp 0"; do
  out=$(as_other $cmd "$TB" 2>&1) && fail "another user could $cmd the table"
  case $out in *"Operation not permitted"*) ;; *) fail "$cmd by another user: expected EPERM, got: $out" ;; esac
done
assert_eq "664 0 $other" "$(stat -c '%a %u %g' "$B")" "BACKING's mode and owner after refused changes"
grep -q "refused chmod of table.csv by pid" "$DAEMON_LOG" || fail "no log line for the refused chmod"
unmount_csvfs "$M"
