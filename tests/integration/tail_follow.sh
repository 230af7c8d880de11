#!/bin/bash
# `tail -f` (which reads on from its open descriptor) sees rows appended after it started.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n2,"b, quoted"\n' >"$B"
cp "$B" "$T/expected"
mount_csvfs "$B" "$M"

timeout -k 5 "$IT_TIMEOUT" tail -s 0.1 -n +1 -f "$TB" >"$T/tail.out" 2>"$T/tail.err" &
tail_pid=$!
wait_for 10 "tail -f prints the table" cmp -s "$T/expected" "$T/tail.out"
for i in 3 4 5; do
  t bash -c 'printf "%s,\"new\nrow %s\"\n" "$1" "$1" >>"$2"' _ "$i" "$TB"
  printf '%s,"new\nrow %s"\n' "$i" "$i" >>"$T/expected"
  wait_for 10 "tail -f shows appended row $i" cmp -s "$T/expected" "$T/tail.out"
done
kill "$tail_pid"
wait "$tail_pid" || true
assert_same_file "$T/expected" "$T/tail.out" "tail -f output"
finish "$T/expected"
