#!/bin/bash
# Other files made in the mount root are real files in the sidecar directory beside BACKING
# (.table.csv.csvfs-files/): logrotate's copytruncate copy, sed -i.bak and perl -i.bak backups,
# emacs's lock symlink, hard links (perl's link()), subdirectories. They keep their bytes,
# owner and mode across unmounts and kill -9; renaming one (from a subdirectory too) over the
# table merges it and removes it; the daemon's memory never holds them.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v logrotate >/dev/null || skip "logrotate is not installed"
command -v perl >/dev/null || skip "perl is not installed"

SIDE=$D/.table.csv.csvfs-files
printf 'id,v\n1,a\n2,b\n3,c\n' >"$B"
# allow_other: another user makes a file below (without default_permissions, as the daemon
# checks nothing itself, any user may: the documented reason to add it in real use).
mount_csvfs "$B" "$M" -o allow_other

# logrotate copytruncate: the rotated copy holds the rows, the table is emptied in place.
cat >"$T/rotate.conf" <<EOF
$TB {
  copytruncate
  rotate 1
  missingok
}
EOF
t logrotate -f -s "$T/rotate.state" "$T/rotate.conf"
assert_eq "$(printf 'id,v\n1,a\n2,b\n3,c')" "$(t cat "$M/table.csv.1")" "logrotate's copy"
assert_eq "" "$(t cat "$TB")" "the table after copytruncate"

# Refill, then sed -i.bak and perl -i.bak: the backups hold the table before each edit.
t bash -c 'printf "id,v\n1,a\n2,b\n3,c\n" >>"$1"' _ "$TB"
t sed -i.bak 's/^2,b$/2,B/' "$TB"
assert_eq "$(printf 'id,v\n1,a\n2,b\n3,c')" "$(t cat "$M/table.csv.bak")" "sed -i.bak backup"
t perl -i.orig -pe 's/^3,c$/3,C/' "$TB"
assert_eq "$(printf 'id,v\n1,a\n2,B\n3,c')" "$(t cat "$M/table.csv.orig")" "perl -i.orig backup"
printf 'id,v\n1,a\n2,B\n3,C\n' >"$T/expected"
assert_table "$T/expected"

# emacs's lock file is a dangling symlink; perl's link() makes a hard link.
t ln -s 'root@host.1234:1700000000' "$M/.#table.csv"
assert_eq 'root@host.1234:1700000000' "$(readlink "$M/.#table.csv")" "lock symlink"
t perl -e 'link($ARGV[0], $ARGV[1]) or die "link: $!"' "$M/table.csv.bak" "$M/hard.bak"
assert_eq "2 2" "$(stat -c %h "$M/table.csv.bak") $(stat -c %h "$M/hard.bak")" "link counts"
assert_eq "$(stat -c %i "$M/table.csv.bak")" "$(stat -c %i "$M/hard.bak")" "one inode for a hard link"
assert_errno EPERM link "$TB" "$M/hard.csv"

# A file made by another user is owned by that user, with the mode it asked for.
chmod 755 "$T"  # mktemp -d made it 0700: let that user reach the mount
t setpriv --reuid 65534 --regid 65534 --clear-groups bash -c \
  'umask 027; mkdir "$1/tmpdir" && echo mine >"$1/tmpdir/owned"' _ "$M" ||
  fail "an unprivileged user could not create files in the mount"
assert_eq "65534:65534 640" "$(stat -c '%u:%g %a' "$SIDE/tmpdir/owned")" "owner and mode on disk"

# A file in a subdirectory renamed over the table commits as a rewrite and disappears.
printf 'id,v\n1,a\n2,B\n3,C\n4,d\n' >"$M/tmpdir/next.csv"
t mv "$M/tmpdir/next.csv" "$TB"
printf 'id,v\n1,a\n2,B\n3,C\n4,d\n' >"$T/expected"
assert_table "$T/expected"
[ ! -e "$M/tmpdir/next.csv" ] || fail "the renamed file is still there"
[ ! -e "$SIDE/tmpdir/next.csv" ] || fail "the renamed file is still in the sidecar"

# Everything is a real file on disk, nothing else is in the backing directory.
listing() { (cd "$1" && find . -mindepth 1 \( -type l -printf '%p -> %l\n' \) -o \( -printf '%p %y\n' \) | sort); }
expected_listing=$(printf '%s\n' "./.#table.csv -> root@host.1234:1700000000" "./hard.bak f" \
  "./table.csv.1 f" "./table.csv.bak f" "./table.csv.orig f" "./tmpdir d" "./tmpdir/owned f" | sort)
assert_eq "$expected_listing" "$(listing "$SIDE")" "the sidecar directory"
assert_eq "$expected_listing" "$(listing "$M" | grep -v -e '^./rows' -e '^./table.csv f' -e '^./.csvfs-status')" \
  "the mount root's other files"

# kill -9: the files are on disk already (fsync'ed by sync, as on any file system).
t bash -c 'echo "late" >"$1" && sync "$1"' _ "$M/late.txt"
crash_daemon "$M"
mount_csvfs "$B" "$M"
assert_eq "late" "$(t cat "$M/late.txt")" "a file written before kill -9"
assert_eq "$(printf 'id,v\n1,a\n2,b\n3,c')" "$(t cat "$M/table.csv.1")" "logrotate's copy after kill -9"
assert_eq mine "$(t cat "$M/tmpdir/owned")" "a file in a subdirectory after kill -9"
finish "$T/expected"

# After a clean unmount too, and a remount still shows them.
mount_csvfs "$B" "$M"
assert_eq 'root@host.1234:1700000000' "$(readlink "$M/.#table.csv")" "lock symlink after remount"
t rm -r "$M/tmpdir" "$M/.#table.csv" "$M/hard.bak" "$M/late.txt" "$M/table.csv.1" \
  "$M/table.csv.bak" "$M/table.csv.orig"
assert_root_clean
finish "$T/expected"
[ ! -e "$SIDE" ] || fail "the emptied sidecar directory stayed after unmount"
