#!/bin/bash
# Readers never see a torn record while others append: 3 shell loops append 2500 rows each with
# `>>` while 2 readers open/read/close the table in a loop and a third keeps one descriptor open
# and reads on at its end (as `tail -f` does). Every read must be a byte-exact prefix of the
# final table that ends with a whole record (no NUL bytes, no cut record).
#
# This is the test that caught the kernel race of page-cached reads (a reader could copy zeros
# from the page at an earlier end of file: 1 in ~2,500 reads here); see fs/device_io.h.
. "$(dirname "$0")/lib.sh"
it_init "$@"

printf 'w,i\n' >"$B"
mount_csvfs "$B" "$M"

pids=()
for w in 1 2 3; do
  t bash -c 'for i in $(seq 1 2500); do echo "w$1,$i" >>"$2"; done' _ "$w" "$TB" &
  pids+=($!)
done
touch "$T/stop"
readers=()
for r in 1 2; do
  t python3 - "$TB" "$T/stop" "$T/reads.$r" <<'PY' &
import hashlib, os, sys
path, stop, out = sys.argv[1:4]
n = 0; seen = set()
while os.path.exists(stop):
    with open(path, "rb") as f:
        d = f.read()
    n += 1
    seen.add((len(d), hashlib.sha256(d).hexdigest()))
# One line per distinct content: its length and digest (checked against the final table).
with open(out, "w") as f:
    f.write("%d\n" % n)
    for ln, h in sorted(seen):
        f.write("%d %s\n" % (ln, h))
PY
  readers+=($!)
done
t python3 - "$TB" "$T/stop" "$T/reads.3" <<'PY' &
import os, sys, time
path, stop, out = sys.argv[1:4]
got = bytearray(); n = 0; cuts = []
with open(path, "rb") as f:
    while True:
        running = os.path.exists(stop)
        d = f.read(65536)
        n += 1
        if d:
            got += d
            cuts.append(len(got))  # every read must end at a record boundary
        elif not running:
            break
        else:
            time.sleep(0.001)
with open(out, "wb") as f:
    f.write(b"%d\n" % n)
    f.write(b"%d\n" % len(got)); f.write(bytes(got))
    f.write(b"".join(b"%d\n" % c for c in cuts))
PY
readers+=($!)
for p in "${pids[@]}"; do wait "$p" || fail "an appending loop failed"; done
rm -f "$T/stop"
for p in "${readers[@]}"; do wait "$p" || fail "a reader failed"; done

t cat "$TB" >"$T/final"
assert_eq 7501 "$(wc -l <"$T/final")" "line count after 3 x 2500 appends"
t python3 - "$T/final" "$T/reads.1" "$T/reads.2" "$T/reads.3" <<'PY' || fail "a reader saw a torn table"
import hashlib, sys
final = open(sys.argv[1], "rb").read()
bad = 0
total = 0
for path in sys.argv[2:4]:
    lines = open(path).read().split("\n")
    total += int(lines[0])
    for line in filter(None, lines[1:]):
        ln, digest = line.split()
        ln = int(ln)
        prefix = final[:ln]
        if hashlib.sha256(prefix).hexdigest() != digest or (ln and not prefix.endswith(b"\n")):
            bad += 1
            if bad <= 5:
                print(f"{path}: a read of {ln} bytes is not a whole-record prefix of the table")
blob = open(sys.argv[4], "rb").read()
n, _, rest = blob.partition(b"\n")
ln, _, rest = rest.partition(b"\n")
got, rest = rest[:int(ln)], rest[int(ln):]
if got != final:
    bad += 1
    z = got.find(b"\0")
    print(f"follower read {len(got)} bytes (first NUL at {z}), the table has {len(final)}")
for c in rest.split():
    if final[int(c) - 1:int(c)] != b"\n":
        bad += 1
        print(f"follower: a read ended inside a record at {int(c)}")
        break
print(f"# {total} whole-table reads, {int(n)} follower reads, {bad} torn")
sys.exit(1 if bad else 0)
PY
finish "$T/final"
