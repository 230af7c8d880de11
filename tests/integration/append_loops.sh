#!/bin/bash
# 8 shell loops append 200 rows each with `>>` at the same time: exactly 1600 rows arrive, each
# intact, each writer's rows in its order.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'w,i,payload\n' >"$B"
mount_csvfs "$B" "$M"

pids=()
for w in 1 2 3 4 5 6 7 8; do
  t bash -c 'for i in $(seq 1 200); do printf "w%s,%s,\"p, \"\"%s-%s\"\"\"\n" "$1" "$i" "$1" "$i" >>"$2"; done' \
    _ "$w" "$TB" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "an appending loop failed"; done

for w in 1 2 3 4 5 6 7 8; do
  for i in $(seq 1 200); do printf 'w%s,%s,"p, ""%s-%s"""\n' "$w" "$i" "$w" "$i"; done
done >"$T/want.body"
t cat "$TB" >"$T/got"
assert_eq "w,i,payload" "$(head -n 1 "$T/got")" "header"
assert_eq 1601 "$(wc -l <"$T/got")" "line count"
tail -n +2 "$T/got" | sort >"$T/got.sorted"
sort "$T/want.body" >"$T/want.sorted"
assert_same_file "$T/want.sorted" "$T/got.sorted" "the set of appended rows"
for w in 1 2 3 4 5 6 7 8; do
  assert_eq "$(grep "^w$w," "$T/want.body")" "$(grep "^w$w," "$T/got")" "order of writer $w's rows"
done
finish "$T/got"
