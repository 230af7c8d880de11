#!/bin/bash
# `... | xargs -P4 -n1 ... >> table.csv`: 200 children share ONE inherited O_APPEND descriptor
# and each writes its record in five write() calls. Exactly 200 records arrive, none torn.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'id,text,pad\n' >"$B"
mount_csvfs "$B" "$M"

seq 1 200 | t xargs -P4 -n1 python3 "$IT_DIR/records.py" pieces >>"$TB"
t cat "$TB" >"$T/got"
py records.py verify "$T/got" id,text,pad pieces:1:200
finish "$T/got"
