#!/bin/bash
# Acknowledged changes (an append whose close returned, an rm that returned) survive kill -9 of
# the daemon; the lock dies with it, so the next mount succeeds and shows them.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n' >"$B"
mount_csvfs "$B" "$M"
for i in $(seq 2 60); do
  t bash -c 'printf "%s,\"v %s\"\n" "$2" "$2" >>"$1"' _ "$TB" "$i"
done
t rm "$R/1" "$R/30"
t bash -c 'printf "31,changed\n" >"$1"' _ "$R/31"
{
  echo "id,v"
  for i in $(seq 2 60); do
    case $i in 30) ;; 31) echo "31,changed" ;; *) printf '%s,"v %s"\n' "$i" "$i" ;; esac
  done
} >"$T/expected"
assert_table "$T/expected"

crash_daemon "$M"
mount_csvfs "$B" "$M"
assert_table "$T/expected"
assert_rows "$(seq 2 60 | grep -vx 30 | tr '\n' ' ' | sed 's/ $//')"
finish "$T/expected"
