#!/bin/bash
# The way /etc/fstab mounts: mount(8) -> mount.fuse3 -> `csvfs SOURCE MOUNTPOINT -o OPTS`, with
# csvfs options (key=, sync=) mixed with mount(8)'s own, once as is and once with mount.fuse3's
# drop_privileges (it opens /dev/fuse itself and passes the mountpoint as /dev/fd/N). Then the
# table works (rows, append, MAP_SHARED mmap) and mount-helpers/csvfs-umount unmounts and waits
# until BACKING holds everything. (Type `fuse` with "PROGRAM#SOURCE" names the daemon by its
# path; type fuse.csvfs, as in fstab.example, runs the same command with csvfs from the PATH
# that mount.fuse3 sets.)
. "$(dirname "$0")/lib.sh"
it_init "$@"

[ "$(id -u)" = 0 ] || skip "mount(8) needs root"
command -v mount.fuse3 >/dev/null || skip "no mount.fuse3 (package fuse3)"
UMOUNT=$IT_DIR/../../mount-helpers/csvfs-umount

for extra in "" ",drop_privileges" ",allow_other,default_permissions"; do  # the last: the documented line
  printf 'id,name\n1,a\n' >"$B"
  printf 'id,name\n1,a\n2,"b, c"\n' >"$T/expected"
  IT_EXTRA_MOUNTS+=("$M")
  t mount -t fuse "$CSVFS#$B" "$M" -o "key=id,sync=close,nosuid,nodev$extra" ||
    fail "mount -t fuse (options key=id,sync=close$extra) failed"
  is_mounted "$M" || fail "not mounted after mount(8) returned"
  assert_eq "1" "$(t ls "$R")" "rows/ after mount(8)$extra"
  t bash -c 'printf "2,\"b, c\"\n" >>"$1"' _ "$TB" || fail "append"
  assert_eq "1 2" "$(t ls "$R" | tr '\n' ' ' | sed 's/ $//')" "rows/ after an append$extra"
  assert_eq OK "$(py fsops.py mmap "$TB" "$T/mapped")" "MAP_SHARED mmap$extra"
  assert_same_file "$T/expected" "$T/mapped" "mmap of the table$extra"
  # (With drop_privileges mount.fuse3 makes the mount itself and names it after the program.)
  if [ -z "$extra" ]; then
    grep -q " $M fuse.csvfs " /proc/mounts || fail "/proc/mounts does not show type fuse.csvfs"
  fi
  t "$UMOUNT" "$M" 20 || fail "csvfs-umount$extra"
  assert_same_file "$T/expected" "$B" "BACKING right after csvfs-umount$extra"
done
