#!/bin/bash
# vim edits and saves the table with each of its save strategies: in place (vi defaults),
# backupcopy=auto (4913 probe, then a backup by rename), backupcopy=no (backup by rename) and
# backupcopy=yes (backup by copy). Each edit lands, nothing else changes, no scratch file stays.
. "$(dirname "$0")/lib.sh"
it_init "$@"
command -v vim >/dev/null || skip "vim is not installed"

printf 'id,word,note\n1,foo,"a, foo"\n2,bar,"multi\nline foo"\n3,foo,x\n' >"$B"
cp "$B" "$T/expected"
mount_csvfs "$B" "$M"

# vim_edit FROM TO VIM_ARGS...: replaces FROM by TO everywhere, in vim and in the expectation.
vim_edit() {
  local from=$1 to=$2
  shift 2
  HOME=$T t vim -es -i NONE "$@" -c "%s/$from/$to/g" -c 'wq' "$TB" </dev/null ||
    fail "vim $* failed with $?"
  sed -i "s/$from/$to/g" "$T/expected"
  assert_table "$T/expected"
  assert_root_clean
}
vim_edit foo one
vim_edit one two -u DEFAULTS -c 'set backupskip= backupcopy=auto'
vim_edit two three -u DEFAULTS -c 'set backupskip= backupcopy=no'
vim_edit three four -u DEFAULTS -c 'set backupskip= backupcopy=yes'
assert_rows "1 2 3"
finish "$T/expected"
