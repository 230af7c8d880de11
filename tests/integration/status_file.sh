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
# The last refusals (3 with the unlink above) are listed (time, pid, command, operation, reason): without syslog they
# would be invisible.
t python3 "$IT_DIR/fsops.py" append "$TB" $'3,c,extra\n' >/dev/null
t python3 "$IT_DIR/fsops.py" unlink "$TB" >/dev/null
t cat "$M/.csvfs-status" >"$T/status"
assert_eq 3 "$(grep -c '^refused: ' "$T/status")" "refusal lines in the status ($(cat "$T/status"))"
grep -Eq '^refused: [0-9T:.-]+Z pid [0-9]+ \(python3\) append table.csv: .*record has 3 fields, the table has 2' "$T/status" ||
  fail "the append refusal is not listed: $(cat "$T/status")"
grep -Eq '^refused: .* pid [0-9]+ \(python3\) unlink ' "$T/status" ||
  fail "the unlink refusal is not listed: $(cat "$T/status")"
for i in $(seq 1 12); do t python3 "$IT_DIR/fsops.py" append "$TB" $'x\n' >/dev/null; done
t cat "$M/.csvfs-status" >"$T/status"
assert_eq 10 "$(grep -c '^refused: ' "$T/status")" "refusal lines kept"
finish "$T/expected"
