#!/bin/bash
# Refused edits made by the shell fail visibly (SPEC 3 "Rewriting"): bash discards the error
# of the close that restores its stdout, so each record is checked by the write() that
# completes it and that write fails. Each case: bash exits non-zero, says why, and the table
# is unchanged byte for byte. `: > rows/ID` writes nothing, so no write can fail and bash
# discards both close errors: it exits 0, but the row is kept and the refusal logged.
. "$(dirname "$0")/lib.sh"
it_init "$@"

{
  echo "id,a,b,c,d"
  for i in $(seq 1 9); do echo "$i,a$i,b$i,c$i,d$i"; done
} >"$B"
cp "$B" "$T/orig.csv"

# refused_sh MESSAGE SCRIPT: bash -c SCRIPT (with $1 = the mount) exits non-zero, its stderr
# holds MESSAGE, and the table is unchanged.
refused_sh() {
  local want=$1 script=$2 rc=0
  t bash -c "$script" _ "$M" 2>"$T/err" || rc=$?
  [ "$rc" != 0 ] || fail "[$script] exited 0"
  grep -q "$want" "$T/err" || fail "[$script]: stderr [$(cat "$T/err")] lacks [$want]"
  assert_table "$T/orig.csv"
}

mount_csvfs "$B" "$M"
refused_sh "Invalid argument" 'echo "bad,row" > "$1/rows/9"'                  # field count
refused_sh "Invalid argument" 'printf "more\n" >> "$1/rows/5"'               # a second record
refused_sh "Invalid argument" 'printf "h\n1,2\n" > "$1/table.csv"'           # vs its own header
refused_sh "Invalid argument" 'printf "9,a,b,c,d\n9,a,b,c,d\n" > "$1/rows/9"'  # two records
refused_sh "Invalid argument" 'truncate -s +10 "$1/table.csv"'               # NUL bytes
refused_sh "Invalid argument" 'truncate -s 0 "$1/rows/4"'                    # an empty row file
refused_sh "Invalid argument" 'python3 -c "open(\"$1/rows/4\", \"w\").close()"'

# `: > rows/4`: exit 0 (nothing bash can see fails), the row is kept, the refusal logged.
pid=$(t bash -c 'echo $$; : > "$1/rows/4"' _ "$M")
assert_table "$T/orig.csv"
wait_for 5 "the refusal of : > rows/4 by pid $pid in the log" \
  grep -q "refused truncate of rows/4 by pid $pid" "$DAEMON_LOG"

# What is right still works, record by record.
t bash -c 'echo "4,A,B,C,D" > "$1/rows/4"' _ "$M" || fail "echo > rows/4 failed"
sed -i 's/^4,.*/4,A,B,C,D/' "$T/orig.csv"
assert_table "$T/orig.csv"
t bash -c 'head -n 3 "$1/table.csv" > "$1/t.tmp" && cat "$1/t.tmp" > "$1/table.csv" && rm "$1/t.tmp"' _ "$M" ||
  fail "cat > table.csv failed"
head -n 3 "$T/orig.csv" >"$T/orig3.csv" && mv "$T/orig3.csv" "$T/orig.csv"
assert_table "$T/orig.csv"
unmount_csvfs "$M"

mount_csvfs "$B" "$M" -o key=id,max_record=1500000
refused_sh "Invalid argument" 'echo "5,a,b,c,d" > "$1/rows/2"'              # key mismatch
# A record over max_record, written with one write() that FUSE splits into several requests:
# the program gets EFBIG (not a short write whose rest becomes a new record).
refused_sh "File too large" 'printf "7,%03000000d,b,c,d\n" 0 >> "$1/table.csv"'
refused_sh "File too large" 'python3 -c "import os,sys; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
data = b\"8,\" + b\"x\" * 3000000 + b\",b,c,d\n\"
while data: data = data[os.write(fd, data):]" "$1/table.csv"'
finish "$T/orig.csv"
