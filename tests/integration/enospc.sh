#!/bin/bash
# A full disk through the real mount (BACKING on a 16 MiB tmpfs):
#  - appends that need a new journal segment fail with ENOSPC, and nothing else is lost: the
#    table holds exactly the acknowledged appends, and appends work again once there is room;
#  - background checkpoints (checkpoint_bytes=1M) that find no room leave BACKING intact, are
#    logged, and succeed once there is room again;
#  - a checkpoint that finds no room at unmount: BACKING intact, no temp file, exit status 5,
#    and the next mount recovers every acknowledged change from the journal.
# The temp file is looked for only once the daemon has exited: while it runs, the checkpointer
# retries in the background and a retry in progress legitimately has its temp file open (a
# failed checkpoint's cleanup is the same code at unmount; tests/unit/fault_test.cc checks it
# without a race).
. "$(dirname "$0")/lib.sh"
it_init "$@"

S=$T/small
mount_tmpfs "$S" 16M
B=$S/table.csv
printf 'id,payload\n1,first\n' >"$B"
cp "$B" "$T/original"
mount_csvfs "$B" "$M" -o checkpoint_bytes=1M
checkpoints() { t sed -n 's/^checkpoints: //p' "$M/.csvfs-status"; }

# Fill the disk; the journal's preallocated segment (4 MiB) is already there.
dd if=/dev/zero of="$S/filler" bs=64k status=none 2>/dev/null || true
df -k "$S" | tail -n 1 | awk '{ print "# free after filling: " $4 " KiB" }'

# Append 200 kB records until one fails: the commit that needs a new segment gets ENOSPC.
t python3 - "$TB" "$T/acked" <<'PY' || fail "appends on a full disk"
import errno, os, sys
path, acked = sys.argv[1:3]
ok = []
for i in range(2, 60):
    rec = b"%d,%s\n" % (i, b"x" * 200_000)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, rec)
        finally:
            os.close(fd)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            sys.exit("append %d failed with %s, not ENOSPC" % (i, errno.errorcode[e.errno]))
        print("# append %d: ENOSPC after %d acknowledged appends" % (i, len(ok)))
        break
    ok.append(rec)
else:
    sys.exit("no append failed on a full disk")
if not ok:
    sys.exit("not even one append fitted the preallocated journal")
with open(acked, "wb") as f:
    f.write(b"".join(ok))
PY
cat "$T/original" "$T/acked" >"$T/expected"
assert_table "$T/expected" "$TB"
cmp -s "$T/original" "$B" || fail "BACKING changed while the disk was full"
assert_eq 0 "$(checkpoints)" "checkpoints while the disk was full"
# The first attempt may still be writing its temp file when the appends stop: wait for its end.
checkpoint_failure_logged() { grep -qi "checkpoint.*No space\|No space.*checkpoint" "$DAEMON_LOG"; }
wait_for 20 "the failed background checkpoint to be logged" checkpoint_failure_logged
note "failed background checkpoints logged while full: $(grep -c 'checkpoint failed' "$DAEMON_LOG")"

# Room again: appends work (the store did not turn read-only on ENOSPC).
rm -f "$S/filler"
cp "$T/expected" "$T/acked_while_full"
t bash -c 'printf "100,after\n" >>"$1"' _ "$TB" || fail "append after freeing space"
printf '100,after\n' >>"$T/expected"
cp "$T/expected" "$T/acked_after"
assert_table "$T/expected" "$TB"
# The background checkpoint is retried and now succeeds. A retry may already be pending, so
# it may fold the table before or after the append above (and one folding it before leaves
# too small a journal to ask for another): BACKING then holds every append acknowledged while
# the disk was full, with or without that last one. Either is right; anything else is not.
backing_is_a_checkpoint() { cmp -s "$T/acked_while_full" "$B" || cmp -s "$T/acked_after" "$B"; }
checkpointed() { [ "$(checkpoints)" -ge 1 ]; }
wait_for 20 "a background checkpoint after freeing space" checkpointed
backing_is_a_checkpoint || fail "BACKING after the retried checkpoint is not the table as of a commit"

# Full again; one more small append still fits the journal's preallocated segment. Then
# unmount: the final checkpoint (a ~4 MB temp copy) cannot be written.
dd if=/dev/zero of="$S/filler" bs=64k status=none 2>/dev/null || true
t bash -c 'printf "101,last\n" >>"$1"' _ "$TB" || fail "small append on a full disk"
printf '101,last\n' >>"$T/expected"
t fusermount3 -u "$M" || fail "fusermount3 -u"
rc=0
wait "$DAEMON_PID" || rc=$?
# Exit status 5 (failure while running): the last change stays in the journal.
assert_eq 5 "$rc" "daemon exit status with no room for the final checkpoint"
backing_is_a_checkpoint || fail "BACKING changed by a failed checkpoint"
# The daemon is gone, so no checkpoint can be in progress: any temp file now was left behind.
ls -a "$S" | grep -q 'csvfs-tmp' && fail "a checkpoint temp file was left: $(ls -a "$S")"

# The next mount (with room) recovers every acknowledged change from the journal.
rm -f "$S/filler"
mount_csvfs "$B" "$M"
assert_table "$T/expected" "$TB"
finish "$T/expected" "$B" "$M"
