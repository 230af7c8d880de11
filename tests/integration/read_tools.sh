#!/bin/bash
# cat, cp, dd, head, tail, wc, grep and awk on the table equal the same tools on BACKING, byte for
# byte, right after mount; rows/ holds each record plus the table's line ending.
# Variant (IT_ARGS[0]): lf or crlf. Both tables have quoted fields with commas, doubled quotes,
# embedded newlines, an empty field, a byte that is not UTF-8 and no final newline.
. "$(dirname "$0")/lib.sh"
it_init "$@"
variant=${IT_ARGS[0]:-lf}

if [ "$variant" = crlf ]; then
  printf 'id,name,note\r\n1,"a, b","say ""hi"""\r\n2,"multi\r\nline",x\r\n3,"lf\ninside",y\r\n4,caf\351,\r\n5,plain,"last, no newline"' >"$B"
  rows=('1,"a, b","say ""hi"""\r\n' '2,"multi\r\nline",x\r\n' '3,"lf\ninside",y\r\n'
        '4,caf\351,\r\n' '5,plain,"last, no newline"\r\n')
else
  printf 'id,name,note\n1,"a, b","say ""hi"""\n2,"multi\nline",x\n3,,""\n4,caf\351,plain\n5,plain,"last, no newline"' >"$B"
  rows=('1,"a, b","say ""hi"""\n' '2,"multi\nline",x\n' '3,,""\n'
        '4,caf\351,plain\n' '5,plain,"last, no newline"\n')
fi
cp "$B" "$T/orig.csv"
mount_csvfs "$B" "$M"

assert_table "$T/orig.csv"
t cp "$TB" "$T/copy.csv"
assert_same_file "$T/orig.csv" "$T/copy.csv" "cp"
t dd if="$TB" of="$T/dd.csv" bs=7 status=none
assert_same_file "$T/orig.csv" "$T/dd.csv" "dd bs=7"

# same_output DESCRIPTION CMD...: CMD with {} = the file gives the same output on BACKING's
# copy (an ordinary file) and on the mounted table.
same_output() {
  local what=$1
  shift
  local want got
  want=$("${@//\{\}/$T/orig.csv}") || true
  got=$(t "${@//\{\}/$TB}") || true
  assert_eq "$want" "$got" "$what"
}
same_output "wc" sh -c 'wc <"$1"' _ {}
same_output "head -c 17" head -c 17 {}
same_output "tail -c 9" tail -c 9 {}
same_output "tail -n 2" tail -n 2 {}
same_output "grep -c ," grep -c , {}
same_output "grep -n multi" grep -n multi {}
same_output "grep -c quoted comma" grep -c 'a, b' {}
same_output "awk NR NF length" awk -F, '{ print NR ": " NF ": " length($0) ": " $1 }' {}
same_output "awk END" awk 'END { print NR, $0 }' {}

assert_rows "1 2 3 4 5"
for i in 1 2 3 4 5; do
  printf "${rows[$((i - 1))]}" >"$T/row.want"
  t cat "$R/$i" >"$T/row.got"
  assert_same_file "$T/row.want" "$T/row.got" "rows/$i"
done
assert_errno ENOENT read "$R/6"

finish "$T/orig.csv"
