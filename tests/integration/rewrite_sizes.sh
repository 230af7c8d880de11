#!/bin/bash
# Sizes during and after a rewrite (issue 11): a writer's own fstat shows the size of what it
# has written so far (its image), not the table's; truncating in the middle of a record keeps
# exactly the size asked for (no line ending added); the table mounts again.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,abc\n2,def\n' >"$B"
mount_csvfs "$B" "$M"

got=$(t python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
sizes = [os.fstat(fd).st_size]
os.write(fd, b"id,v\n1,x\n")
sizes.append(os.fstat(fd).st_size)
os.write(fd, b"2,yy\n3,zzz\n")
sizes.append(os.fstat(fd).st_size)
sizes.append(os.stat(sys.argv[1]).st_size)  # by name, from the writing process: its image
os.close(fd)
sizes.append(os.stat(sys.argv[1]).st_size)
print(*sizes)' "$TB")
assert_eq "0 9 20 20 20" "$got" "fstat sizes during the rewrite"
other=$(stat -c %s "$TB")
assert_eq 20 "$other" "size seen by another process after the commit"
printf 'id,v\n1,x\n2,yy\n3,zzz\n' >"$T/expected"
assert_table "$T/expected"

# truncate -s in the middle of the last record: exactly that size, no line ending added.
t truncate -s 17 "$TB" || fail "truncate -s 17 failed"
assert_eq 17 "$(stat -c %s "$TB")" "size after truncate -s 17"
printf 'id,v\n1,x\n2,yy\n3,z' >"$T/expected"
assert_table "$T/expected"
assert_rows "1 2 3"
# An append after it gets its own line.
t bash -c 'echo "4,w" >>"$1"' _ "$TB"
printf '\n4,w\n' >>"$T/expected"
assert_table "$T/expected"
unmount_csvfs "$M"
assert_same_file "$T/expected" "$B" "BACKING after unmount"
mount_csvfs "$B" "$M"
finish "$T/expected"
