#!/bin/bash
# 4 python writers append 8 records of 256 KiB each at the same time, with different write
# patterns (one write, 3 uneven writes, 4 KiB writes, a buffered file): every record arrives
# once, byte for byte, never interleaved.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'writer,seq,payload\n' >"$B"
mount_csvfs "$B" "$M"

pids=()
for w in 0 1 2 3; do
  py records.py big "$w" 8 "$TB" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a writer failed"; done
t cat "$TB" >"$T/got"
py records.py verify "$T/got" writer,seq,payload big:0:8 big:1:8 big:2:8 big:3:8
finish "$T/got"
