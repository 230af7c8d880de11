#!/bin/bash
# stat on the table reflects an append as soon as the record's write() returns; a partial record
# is not visible; mtime moves with each commit; touch changes no byte.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n' >"$B"
mount_csvfs "$B" "$M"
size() { t stat -c %s "$1"; }
mtime() { t python3 -c 'import os, sys; print(os.stat(sys.argv[1]).st_mtime_ns)' "$1"; }

assert_eq 9 "$(size "$TB")" "size after mount"
m0=$(mtime "$TB")
t bash -c 'printf "2,b\n" >>"$1"' _ "$TB"
assert_eq 13 "$(size "$TB")" "size right after appending 4 bytes"
m1=$(mtime "$TB")
[ "$m1" != "$m0" ] || fail "mtime did not change with the append commit"

# One descriptor, two write()s, no close in between (a shell's `>&3` would close a duplicate,
# and every close commits a trailing partial record).
t python3 - "$TB" <<'PY'
import os, sys
path = sys.argv[1]
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
os.write(fd, b"3,par")
assert os.stat(path).st_size == 13, "size while a record is partial: %d" % os.stat(path).st_size
os.write(fd, b"tial\n")
assert os.stat(path).st_size == 23, "size once the record is complete: %d" % os.stat(path).st_size
os.close(fd)
PY
assert_eq 23 "$(size "$TB")" "size after close"

printf 'id,v\n1,a\n2,b\n3,partial\n' >"$T/expected"
t touch "$TB" "$R/1"
assert_eq 23 "$(size "$TB")" "size after touch"
assert_eq 4 "$(size "$R/1")" "size of rows/1"
finish "$T/expected"
