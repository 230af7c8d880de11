#!/bin/bash
# A program that reads the table, later re-opens it (to check the header) and then saves its
# edited copy (os.replace of a temp file, or open(p, 'w')) keeps every row appended after its
# first read (SPEC 3: the base is the earliest snapshot read since the process's last commit).
# After that commit its next save starts from a fresh base: a second save that drops a row it
# read after the first save deletes that row.
. "$(dirname "$0")/lib.sh"
it_init "$@"

run() {  # MODE: replace or w
  printf 'id,v\n1,a\n2,b\n' >"$B"
  mount_csvfs "$B" "$M"
  t python3 - "$TB" "$1" <<'PY' || fail "python ($1) failed"
import os, subprocess, sys
p, mode = sys.argv[1], sys.argv[2]
def save(text):
    if mode == "replace":
        tmp = os.path.join(os.path.dirname(p), ".edit.tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, p)
    else:
        with open(p, "w") as f:
            f.write(text)
def append(row):  # another process
    subprocess.run(["bash", "-c", 'echo "$1" >> "$2"', "_", row, p], check=True)
with open(p) as f:
    lines = f.read().splitlines()
append("3,c")
with open(p) as f:          # the header check: a later snapshot (it holds 3,c)
    assert f.readline() == "id,v\n"
save("\n".join(l.replace(",a", ",A") for l in lines) + "\n")   # 3,c must stay
# The commit restarts the base: what it reads now is what its next save is measured against.
with open(p) as f:
    lines = f.read().splitlines()
assert lines == ["id,v", "1,A", "2,b", "3,c"], lines
append("4,d")
save("\n".join(l for l in lines if l != "2,b") + "\n")   # deletes 2, keeps 4,d
PY
  printf 'id,v\n1,A\n3,c\n4,d\n' >"$T/expected"
  finish "$T/expected"
  IT_MOUNTS=() IT_PIDS=() IT_LOGS=()
}

run replace
run w
