#!/bin/bash
# A line composed one after another by several processes on one open file (a shell group
# redirected with >>) is one record, as on a plain file (SPEC 3 "Appending"): a child
# continues its waiting parent's unfinished record, the parent continues one left by a child
# that exited, and a child's close does not commit its unfinished record (the opener's does).
. "$(dirname "$0")/lib.sh"
it_init "$@"
printf 'id,t\n' >"$B"
mount_csvfs "$B" "$M"
ext_printf=$(type -P printf)  # /usr/bin/printf: a child process, unlike the builtin
[ -n "$ext_printf" ] || skip "no external printf"

compose() {  # WHAT SCRIPT: runs SCRIPT in bash with TB as $1; it must exit 0
  t bash -c "$2" _ "$TB" "$ext_printf" 2>"$T/err" || fail "$1: exit $? ($(cat "$T/err"))"
  [ ! -s "$T/err" ] || fail "$1: stderr: $(cat "$T/err")"
}
compose "builtin then child" '{ printf "2,"; "$2" "b\n"; } >>"$1"'
compose "child without newline then builtin" '{ echo 3 | tr -d "\n"; printf ",c\n"; } >>"$1"'
compose "builtins only" '{ echo -n 4,; echo d; } >>"$1"'
compose "parent, child, parent" '{ printf 5; "$2" ,; printf "e\n"; } >>"$1"'
compose "child, child" '{ "$2" 6,; "$2" "f\n"; } >>"$1"'
compose "date" '{ printf "7,"; date +%s; } >>"$1"'
compose "a child leaves the last record unterminated" '{ "$2" "8,h"; } >>"$1"'
compose "nested subshell child" '{ printf 9,; ( "$2" i; printf "\n" ); } >>"$1"'

t cat "$TB" >"$T/got"
date_row=$(sed -n 7p "$T/got")
[[ $date_row =~ ^7,[0-9]+$ ]] || fail "the date row is [$date_row]"
printf 'id,t\n2,b\n3,c\n4,d\n5,e\n6,f\n%s\n8,h\n9,i\n' "$date_row" >"$T/expected"
finish "$T/expected"
