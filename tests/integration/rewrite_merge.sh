#!/bin/bash
# Rewrites (O_RDWR seek-and-write, `>`, cp, truncate) commit as a row-level merge against the
# snapshot they started from: rows appended by others meanwhile are kept; a truncate with no
# write yet (the shell's first flush) commits nothing.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n2,b\n3,c\n' >"$B"
mount_csvfs "$B" "$M"

# 1. O_RDWR: read, another process appends, write back an image without row 2 and with row 3
#    changed.
t python3 - "$TB" <<'PY'
import os, subprocess, sys
path = sys.argv[1]
fd = os.open(path, os.O_RDWR)
assert os.read(fd, 1 << 20) == b"id,v\n1,a\n2,b\n3,c\n"
subprocess.run(["sh", "-c", 'printf "4,d\\n" >> "$0"', path], check=True)
os.lseek(fd, 0, os.SEEK_SET)
os.ftruncate(fd, 0)
os.write(fd, b"id,v\n1,a\n3,C\n")
os.close(fd)
PY
printf 'id,v\n1,a\n3,C\n4,d\n' >"$T/expected"
assert_table "$T/expected"

# 2. The shell's `>`: open(O_TRUNC) and a first close with nothing written must not empty the
#    table; then an append by another process; then the write and the last close.
exec 3>"$TB"
assert_table "$T/expected"
t bash -c 'printf "5,e\n" >>"$1"' _ "$TB"
printf 'id,v\n1,A\n' >&3
exec 3>&-
printf 'id,v\n1,A\n5,e\n' >"$T/expected"
assert_table "$T/expected"

# 3. cp over the table.
printf 'id,v\n1,A\n5,e\n6,"f, g"\n' >"$T/new.csv"
t cp "$T/new.csv" "$TB"
assert_table "$T/new.csv"

# 4. truncate to nothing, then the first append becomes the header.
t truncate -s 0 "$TB"
assert_eq 0 "$(t stat -c %s "$TB")" "size after truncate -s 0"
assert_rows ""
t bash -c 'printf "h1,h2\nx,y\n" >>"$1"' _ "$TB"
printf 'h1,h2\nx,y\n' >"$T/expected"
assert_eq 1 "$(ls "$R" | wc -l)" "row files after the header and one row were appended"
finish "$T/expected"
