#!/bin/bash
# Schema changes while others append (issue 10 item 1): rows committed meanwhile are carried
# into the new header by column name (each logged as a conflict), rows appended after it are
# checked against the new header, names that cannot map refuse the rename with EBUSY and change
# nothing, and the table always mounts again.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,v\n1,a\n2,"b,c"\n' >"$B"
mount_csvfs "$B" "$M"

# Deterministic: read, others append 2 rows, then the editor adds column c.
got=$(py schema_edit.py "$TB" 'id,v,c' ',x' '3,d' '4,"e ""q"""')
assert_eq OK "$got" "the rename adding column c"
printf 'id,v,c\n1,a,x\n2,"b,c",x\n3,d,\n4,"e ""q""",\n' >"$T/expected"
assert_table "$T/expected"
assert_rows "1 2 3 4"
assert_eq 2 "$(grep -c 'conflict on row "[34]" ' "$DAEMON_LOG")" "conflicts logged for rows 3 and 4"
grep -Eiq 'conflicts[^0-9]*2' <(t cat "$M/.csvfs-status") || fail "status does not count 2 conflicts"

# Appends after the change are checked against the new header.
assert_errno EINVAL append "$TB" $'5,f\n'
assert_errno OK append "$TB" $'5,f,y\n'
printf '5,f,y\n' >>"$T/expected"

# Names that cannot map: EBUSY, nothing changes (the appended row stays as it was).
for header in 'id,v,c,c' 'id,v,,w'; do
  got=$(py schema_edit.py "$TB" "$header" ',z' '6,g,h')
  assert_eq EBUSY "$got" "a rename to header $header while others append"
  printf '6,g,h\n' >>"$T/expected"
  assert_table "$T/expected"
  sed -i '$d' "$T/expected"
  t sed -i '$d' "$TB"  # drop row 6 again
  assert_table "$T/expected"
done

# The user's report: sed adds a column while a >> loop appends; then mount again.
unmount_csvfs "$M"
printf 'id,v\n' >"$B"
for i in $(seq 1 200); do echo "$i,r$i"; done >>"$B"
mount_csvfs "$B" "$M"
t bash -c 'for i in $(seq 1 400); do
             if echo "A$i,app" >>"$1" 2>/dev/null; then echo "A$i" >>"$2"; fi
           done' _ "$TB" "$T/ok" &
loop=$!
appended() { [ "$(grep -c . "$T/ok" 2>/dev/null || true)" -ge 20 ]; }
wait_for 20 "the appender to start" appended
t sed -i '1s/$/,c/;2,$s/$/,x/' "$TB" || fail "sed -i adding a column failed"
wait "$loop" || fail "the appending loop failed"
t cat "$TB" >"$T/got"
assert_eq "id,v,c" "$(head -n 1 "$T/got")" "the new header"
assert_eq "" "$(awk -F, 'NF != 3' "$T/got")" "lines without 3 fields"
assert_eq "$(sort "$T/ok")" "$(grep '^A' "$T/got" | cut -d, -f1 | sort)" "appended rows: each acknowledged one, once"
assert_eq "$(seq 1 200 | sed 's/.*/&,r&,x/')" "$(grep -v '^A' "$T/got" | tail -n +2)" "the edited rows"
unmount_csvfs "$M"
assert_same_file "$T/got" "$B" "BACKING after unmount"
mount_csvfs "$B" "$M"
finish "$T/got"
