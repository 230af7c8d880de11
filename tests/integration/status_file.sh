#!/bin/bash
# .csvfs-status is a readable, read-only view of the daemon (rows, commits, conflicts, ...).
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n2,b\n' >"$B"
cp "$B" "$T/expected"
mount_csvfs "$B" "$M"
t cat "$M/.csvfs-status" >"$T/status"
[ -s "$T/status" ] || fail ".csvfs-status is empty"
for word in rows commits conflicts; do
  grep -qi "$word" "$T/status" || fail ".csvfs-status does not mention $word: $(cat "$T/status")"
done
for op in "write $M/.csvfs-status x" "append $M/.csvfs-status x" "unlink $M/.csvfs-status"; do
  got=$(py fsops.py $op)
  case $got in
    EACCES | EPERM | EROFS) ;;
    *) fail "fsops.py $op on the status file: expected EACCES, EPERM or EROFS, got $got" ;;
  esac
done
finish "$T/expected"
