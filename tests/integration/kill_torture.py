#!/usr/bin/env python3
"""kill_torture.py: the workers and the verifier of kill_torture.sh.

  kill_torture.py init BACKING N
      writes the initial table: header tag,writer,seq,val,pad and N rows i<n>,init,<n>,v0,p<n>
      (row n gets the id n when it is first mounted).
  kill_torture.py append MNT LOGDIR STOPFILE W
  kill_torture.py delete MNT LOGDIR STOPFILE FIRST LAST
  kill_torture.py rewrite MNT LOGDIR STOPFILE FIRST LAST
      the workers; each runs until STOPFILE exists and survives the daemon being killed and
      remounted under it any number of times (see Worker).
  kill_torture.py verify MNT LOGDIR N KILLS COPY
      checks the mounted table against the workers' logs and writes the table's bytes to COPY.

Every worker writes a log in LOGDIR (outside the mount), one line per event, flushed and
fsync'd before the next operation starts:
  T ...   an attempt is about to be made (it may or may not land)
  A ...   that attempt was ACKNOWLEDGED (the call that makes it durable returned 0)
  F ... E the attempt failed with errno name E (not acknowledged; may or may not have landed)
  G ID    (deleter) unlink said ENOENT on a live mount: an earlier failed attempt had landed
  X ...   the worker saw something impossible (fails the verification)

The workers never touch the mountpoint's path once they hold a directory descriptor of the
live mount: they open the mount root (and rows/) as directory descriptors, check that the
descriptor is on the FUSE file system (st_dev differs from the mountpoint's parent) and do every
operation relative to it. While the daemon is dead, a stale descriptor fails with ENOTCONN and a
fresh open of the path lands on the empty mountpoint directory, which is recognised and never
written to (no file is ever created under the mountpoint by mistake).
"""
import csv
import errno
import faulthandler
import io
import os
import random
import re
import signal
import sys
import time

HEADER = b"tag,writer,seq,val,pad\n"
NFIELDS = 5
TABLE = "table.csv"


def initial_row(n):
    return b"i%d,init,%d,v0,p%d\n" % (n, n, n)


def appended_row(w, k):
    """The record writer w appends as its attempt k: a quoted field with a comma and a line
    break, and a pad of varying length."""
    pad = b"x" * ((k * 7 + w * 13) % 61)
    return b'a%d-%d,%d,%d,"q,%d\n%d",%s\n' % (w, k, w, k, w, k, pad)


def errname(e):
    return errno.errorcode.get(e.errno, "E%s" % e.errno)


class Log:
    def __init__(self, path):
        self.f = open(path, "a")

    def put(self, *fields):
        """One event; the last field is "@" + the wall-clock time (to relate it to kills)."""
        self.f.write(" ".join(str(x) for x in fields) + " @%.6f\n" % time.time())
        self.f.flush()
        os.fsync(self.f.fileno())


class Worker:
    """Holds a directory descriptor of the live mount root; reacquires it after a crash."""

    def __init__(self, mnt, stopfile):
        self.mnt = mnt
        self.stopfile = stopfile
        self.parent_dev = os.stat(os.path.dirname(os.path.abspath(mnt))).st_dev
        self.root = None
        self.errors = 0

    def stopped(self):
        return os.path.exists(self.stopfile)

    def drop(self):
        if self.root is not None:
            try:
                os.close(self.root)
            except OSError:
                pass
            self.root = None

    def get_root(self):
        """A directory descriptor of the live mount's root, or None once stopped."""
        if self.stopped():
            self.drop()
            return None
        while self.root is None:
            if self.stopped():
                return None
            fd = None
            try:
                fd = os.open(self.mnt, os.O_RDONLY | os.O_DIRECTORY)
                if os.fstat(fd).st_dev != self.parent_dev:
                    os.stat(TABLE, dir_fd=fd)  # the daemon answers: the mount is live
                    self.root, fd = fd, None
            except OSError:
                pass
            finally:
                if fd is not None:
                    os.close(fd)
            if self.root is None:
                time.sleep(0.01)
        return self.root

    def failed(self, e, log, *what):
        """An operation failed. The errnos of a daemon that died (ENOTCONN, ECONNABORTED, EIO,
        or ENOENT for a name looked up on the empty mountpoint) are expected; any other is
        logged as an X event, which fails the verification."""
        self.errors += 1
        if e.errno not in (errno.ENOTCONN, errno.EIO, errno.ENOENT, errno.ECONNABORTED):
            log.put("X", *what, "unexpected", errname(e), "from", repr(str(e)).replace(" ", "_"))
            print("unexpected %s at %s: %s" % (errname(e), " ".join(map(str, what)), e),
                  file=sys.stderr, flush=True)
        self.drop()


def close_quietly(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def write_all(fd, buf):
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def run_append(mnt, logdir, stopfile, w):
    w = int(w)
    wk = Worker(mnt, stopfile)
    log = Log(os.path.join(logdir, "append.%d" % w))
    k = 0
    while True:
        root = wk.get_root()
        if root is None:
            break
        k += 1
        rec = appended_row(w, k)
        log.put("T", k)
        fd = None
        try:
            fd = os.open(TABLE, os.O_WRONLY | os.O_APPEND, dir_fd=root)
            if k % 3 == 0:  # one record over two write() calls: never torn, never half-committed
                cut = len(rec) // 2
                write_all(fd, rec[:cut])
                write_all(fd, rec[cut:])
            else:
                write_all(fd, rec)
            fd2, fd = fd, None
            os.close(fd2)  # sync=close: the append is durable when close returns 0
            log.put("A", k)
        except OSError as e:
            if fd is not None:
                close_quietly(fd)
            log.put("F", k, errname(e))
            wk.failed(e, log, "append", k)
    print("appender %d: %d attempts, %d failures" % (w, k, wk.errors))


def run_delete(mnt, logdir, stopfile, first, last):
    wk = Worker(mnt, stopfile)
    log = Log(os.path.join(logdir, "delete"))
    todo = list(range(int(first), int(last) + 1))
    random.shuffle(todo)
    failed_before = set()
    rows = None
    while todo:
        root = wk.get_root()
        if root is None:
            break
        try:
            if rows is None:
                rows = os.open("rows", os.O_RDONLY | os.O_DIRECTORY, dir_fd=root)
        except OSError as e:
            wk.failed(e, log, "opendir-rows")
            continue
        rid = todo[0]
        log.put("T", rid)
        try:
            os.unlink(str(rid), dir_fd=rows)
            log.put("A", rid)
            todo.pop(0)
        except OSError as e:
            live = True
            if e.errno == errno.ENOENT:
                # The mount is live if the root still answers: then the row is really gone.
                try:
                    os.stat(TABLE, dir_fd=root)
                    os.fstat(rows)
                except OSError:
                    live = False
            if e.errno == errno.ENOENT and live:
                if rid in failed_before:
                    log.put("G", rid)
                else:
                    log.put("X", rid, "ENOENT for a row never deleted before")
                todo.pop(0)
                continue
            log.put("F", rid, errname(e))
            failed_before.add(rid)
            close_quietly(rows)
            rows = None
            wk.failed(e, log, "unlink", rid)
            continue
        time.sleep(0.1 + random.random() * 0.2)  # spread the deletes over the kills
    print("deleter: %d left, %d failures" % (len(todo), wk.errors), flush=True)
    while not wk.stopped():  # done early: stay alive (the test watches its workers)
        time.sleep(0.05)


def torn(data):
    """'' if `data` can be a whole table read in one snapshot, else what is wrong with it."""
    if not data.startswith(HEADER):
        return "does_not_start_with_the_header"
    nul = data.find(b"\0")
    if nul >= 0:
        end = nul
        while end < len(data) and data[end] == 0:
            end += 1
        return "%d_bytes,_NUL_bytes_at_[%d,%d)" % (len(data), nul, end)
    if not data.endswith(b"\n"):
        return "%d_bytes,_no_final_newline:_...%r" % (len(data), data[-40:])
    if data.count(b'"') % 2:
        return "%d_bytes,_ends_inside_a_quoted_field" % len(data)
    return ""


class AckedAppends:
    """Follows the appenders' logs: the appends acknowledged so far (complete lines only)."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.pos = {}
        self.rest = {}
        self.acked = set()

    def refresh(self):
        for name in os.listdir(self.logdir):
            if not name.startswith("append."):
                continue
            w = int(name.split(".")[1])
            with open(os.path.join(self.logdir, name), "rb") as f:
                f.seek(self.pos.get(name, 0))
                chunk = self.rest.get(name, b"") + f.read()
                self.pos[name] = f.tell()
            lines = chunk.split(b"\n")
            self.rest[name] = lines.pop()
            for line in lines:
                if line.startswith(b"A "):
                    self.acked.add((w, int(line.split()[1])))
        return set(self.acked)


APPENDED_TAG = re.compile(rb"\na(\d+)-(\d+),")


def read_table(root):
    fd = os.open(TABLE, os.O_RDONLY, dir_fd=root)
    try:
        chunks = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            chunks.append(b)
    finally:
        close_quietly(fd)
    return b"".join(chunks)


def appended_in(data):
    return {(int(a), int(b)) for a, b in APPENDED_TAG.findall(data)}


def names(rows):
    rows = sorted(rows)
    return ",".join("a%d-%d" % m for m in rows[:5]) + (",..." if len(rows) > 5 else "")


def run_rewrite(mnt, logdir, stopfile, first, last):
    """Rewrites one field of row n (first..last) per round, sed -i's way: read the table,
    write the edited copy to a scratch file in the mount root, rename it over the table.

    Besides, it checks what it reads against the appenders' logs: a read must hold every append
    acknowledged before its open, and after a rename every append acknowledged so far must
    still be there (the merge keeps rows others appended). Each violation is an X event,
    reported once per lost row; a read that misses rows or is torn is never committed."""
    first, last = int(first), int(last)
    wk = Worker(mnt, stopfile)
    log = Log(os.path.join(logdir, "rewrite"))
    acks = AckedAppends(logdir)
    reported = set()  # appends already reported missing
    k = 0
    pid = os.getpid()

    def problem(n, k, what):
        log.put("X", n, k, what.replace(" ", "_"))
        print("rewrite %d: %s" % (k, what), file=sys.stderr, flush=True)

    while True:
        root = wk.get_root()
        if root is None:
            break
        k += 1
        n = first + (k - 1) % (last - first + 1)
        log.put("T", n, k)
        scratch = ".rw%d.%d.tmp" % (pid, k)
        made = False
        try:
            acked_before = acks.refresh()
            data = read_table(root)
            bad = torn(data)
            if bad:
                problem(n, k, "torn read of the table: " + bad)
                continue
            seen = appended_in(data)
            missing = acked_before - seen - reported
            if missing:
                reported |= missing
                problem(n, k, "a read of %d bytes misses %d appends acknowledged before its "
                        "open: %s (not committed)" % (len(data), len(missing), names(missing)))
                continue
            prefix = b"\ni%d,init,%d," % (n, n)
            at = data.find(prefix)
            if at < 0:
                problem(n, k, "row i%d missing from the table read" % n)
                break
            start = at + len(prefix)
            end = data.index(b",", start)
            new = data[:start] + b"rw%d" % k + data[end:]
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=root)
            made = True
            try:
                write_all(fd, new)
            finally:
                os.close(fd)
            os.replace(scratch, TABLE, src_dir_fd=root, dst_dir_fd=root)
            made = False
            log.put("A", n, k)
            # After the rename: every append acknowledged until now must still be there.
            acked_now = acks.refresh()
            after = read_table(root)
            gone = acked_now - appended_in(after) - reported
            if gone and not torn(after):
                reported |= gone
                problem(n, k, "rename %d committed and %d acknowledged appends are gone: "
                        "in the image it renamed over the table: %s; not in it (appended by "
                        "others while it read and edited): %s"
                        % (k, len(gone), names(gone & seen) or "none",
                           names(gone - seen) or "none"))
        except OSError as e:
            if made:
                try:
                    os.unlink(scratch, dir_fd=root)
                except OSError:
                    pass
            log.put("F", n, k, errname(e))
            wk.failed(e, log, "rewrite", n, k)
        time.sleep(random.random() * 0.02)
    print("rewriter: %d attempts, %d failures" % (k, wk.errors))


def read_log_t(path):
    """[(fields, time)] of a worker's log (time: the "@" field, None if missing)."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            ev = line.split()
            t = None
            if ev and ev[-1].startswith("@"):
                t = float(ev.pop()[1:])
            out.append((ev, t))
    return out


def read_log(path):
    return [ev for ev, _ in read_log_t(path)]


def read_kills(logdir):
    """[(kill number, time of the SIGKILL)] from the kills file the test script writes."""
    out = []
    path = os.path.join(logdir, "kills")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                i, t = line.split()
                out.append((int(i), float(t)))
    return out


def when(t, kills, rewrites):
    """Where time t stands relative to the kills and to the rewriter's renames."""
    if t is None:
        return ""
    before = [(i, kt) for i, kt in kills if kt <= t]
    after = [(i, kt) for i, kt in kills if kt > t]
    parts = []
    if before:
        parts.append("%.0f ms after kill #%d" % ((t - before[-1][1]) * 1000, before[-1][0]))
    if after:
        parts.append("%.0f ms before kill #%d" % ((after[0][1] - t) * 1000, after[0][0]))
    horizon = after[0][1] if after else float("inf")
    later = [(k, what) for k, what, rt in rewrites if rt is not None and t <= rt < horizon]
    if later:
        parts.append("renames that returned in between: " + ", ".join(
            "k=%s %s" % (k, what) for k, what in later[:4]) + (" ..." if len(later) > 4 else ""))
    else:
        parts.append("no rename returned in between")
    return " (acknowledged " + "; ".join(parts) + ")"


class Checker:
    def __init__(self):
        self.failures = []

    def fail(self, msg):
        if len(self.failures) < 40:
            print("FAIL: " + msg, file=sys.stderr)
        self.failures.append(msg)


def verify(mnt, logdir, n_initial, kills, copy):
    n_initial = int(n_initial)
    chk = Checker()
    with open(os.path.join(mnt, TABLE), "rb") as f:
        data = f.read()
    with open(copy, "wb") as f:
        f.write(data)
    if not data.startswith(HEADER):
        chk.fail("the table does not start with the header: %r" % data[:60])
    # Split into records with the csv module (strict): every record complete and 5 fields.
    records = []  # (raw bytes, fields)
    text = data.decode("latin-1")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as e:
        chk.fail("the table is not valid CSV: %s" % e)
        rows = []
    for r in rows[1:]:
        if len(r) != NFIELDS:
            chk.fail("a record with %d fields: %r" % (len(r), r))
    if not data.endswith(b"\n"):
        chk.fail("the table does not end with a newline: %r" % data[-60:])
    # Exact bytes of every record: rebuild each from its fields and look it up.
    body = rows[1:]
    present_init = {}     # n -> (val, count)
    present_app = {}      # (w, k) -> count
    order = {}            # w -> [k in table order]
    rebuilt = [HEADER]
    for r in body:
        if len(r) != NFIELDS:
            continue
        tag, writer, seq, val, pad = r
        if writer == "init":
            n = int(seq)
            exp = initial_row(n)
            if val != "v0":
                exp = exp.replace(b",v0,", b",%s," % val.encode("latin-1"))
            rebuilt.append(exp)
            v, c = present_init.get(n, (None, 0))
            present_init[n] = (val, c + 1)
        else:
            w, k = int(writer), int(seq)
            rebuilt.append(appended_row(w, k))
            present_app[(w, k)] = present_app.get((w, k), 0) + 1
            order.setdefault(w, []).append(k)
    if b"".join(rebuilt) != data:
        chk.fail("the table's bytes differ from the records it parses to (a torn or altered row)")

    kill_times = read_kills(logdir)
    rewrites = [(ev[2], {"A": "ok", "F": "failed"}[ev[0]], t)
                for ev, t in read_log_t(os.path.join(logdir, "rewrite")) if ev[0] in "AF"]
    # Appenders.
    n_app_acked = n_app_unacked = n_app_landed = n_app_bad = 0
    w = 0
    while os.path.exists(os.path.join(logdir, "append.%d" % w)):
        acked, tried, ack_t = set(), set(), {}
        for ev, t in read_log_t(os.path.join(logdir, "append.%d" % w)):
            if ev[0] == "T":
                tried.add(int(ev[1]))
            elif ev[0] == "A":
                acked.add(int(ev[1]))
                ack_t[int(ev[1])] = t
            elif ev[0] == "X":
                chk.fail("appender %d: %s" % (w, " ".join(ev[1:])))
        for k in sorted(acked):
            c = present_app.get((w, k), 0)
            if c != 1:
                n_app_bad += 1
                chk.fail("writer %d: acknowledged append %d is present %d times%s"
                         % (w, k, c, when(ack_t.get(k), kill_times, rewrites)))
        for k in sorted(tried - acked):
            c = present_app.get((w, k), 0)
            n_app_unacked += 1
            n_app_landed += c
            if c > 1:
                chk.fail("writer %d: unacknowledged append %d is present %d times" % (w, k, c))
        for (ww, k), c in present_app.items():
            if ww == w and k not in tried:
                chk.fail("writer %d: row %d is present but was never written" % (w, k))
        ks = order.get(w, [])
        if ks != sorted(ks):
            chk.fail("writer %d: its rows are not in the order they were written" % w)
        n_app_acked += len(acked)
        w += 1
    n_writers = w
    for (ww, k) in present_app:
        if ww >= n_writers:
            chk.fail("a row of an unknown writer %d" % ww)

    # Deleter.
    del_acked, del_tried, del_gone = set(), set(), set()
    for ev in read_log(os.path.join(logdir, "delete")):
        if ev[0] == "T":
            del_tried.add(int(ev[1]))
        elif ev[0] == "A":
            del_acked.add(int(ev[1]))
        elif ev[0] == "G":
            del_gone.add(int(ev[1]))
        elif ev[0] == "X":
            chk.fail("deleter: " + " ".join(ev[1:]))
    # Rewriter.
    rw_last_acked = {}  # n -> k of the last acknowledged rewrite
    rw_tried = {}       # n -> set of k attempted
    n_rw_acked = 0
    for ev in read_log(os.path.join(logdir, "rewrite")):
        if ev[0] == "T":
            rw_tried.setdefault(int(ev[1]), set()).add(int(ev[2]))
        elif ev[0] == "A":
            rw_last_acked[int(ev[1])] = int(ev[2])
            n_rw_acked += 1
        elif ev[0] == "X":
            chk.fail("rewriter: " + " ".join(ev[1:]))
    rewritten = set(rw_tried)
    if rewritten & del_tried:
        chk.fail("the test is broken: rows both rewritten and deleted")

    for n in range(1, n_initial + 1):
        val, c = present_init.get(n, (None, 0))
        if c > 1:
            chk.fail("initial row %d is present %d times" % (n, c))
        if n in del_acked or n in del_gone:
            if c:
                what = "acknowledged" if n in del_acked else "landed (ENOENT on retry)"
                chk.fail("initial row %d: its delete was %s but it is present" % (n, what))
            continue
        if c == 0:
            if n in del_tried:
                continue  # an unacknowledged delete that landed
            chk.fail("initial row %d is missing (never deleted)" % n)
            continue
        if n in rw_last_acked:
            last = rw_last_acked[n]
            later = {k for k in rw_tried.get(n, ()) if k > last}
            ok = val == "rw%d" % last or (val.startswith("rw") and int(val[2:]) in later)
            if not ok:
                chk.fail("initial row %d: last acknowledged rewrite rw%d, the table has %s"
                         % (n, last, val))
        elif n in rw_tried:
            if val != "v0" and not (val.startswith("rw") and int(val[2:]) in rw_tried[n]):
                chk.fail("initial row %d has %s, never written" % (n, val))
        elif val != "v0":
            chk.fail("initial row %d has %s, never rewritten" % (n, val))

    # rows/: unique ids, one per record, in table order (appended rows get max+1), and every
    # surviving initial row still has its first id.
    ids = os.listdir(os.path.join(mnt, "rows"))
    nrec = len(body)
    if len(ids) != len(set(ids)):
        chk.fail("rows/ lists %d ids, only %d distinct" % (len(ids), len(set(ids))))
    if len(ids) != nrec:
        chk.fail("rows/ lists %d ids for %d records" % (len(ids), nrec))
    try:
        nums = [int(x) for x in ids]
        if nums != sorted(nums):
            chk.fail("rows/ ids are not increasing in table order")
    except ValueError:
        chk.fail("rows/ holds a non-numeric id")
    for n, (val, c) in sorted(present_init.items()):
        try:
            with open(os.path.join(mnt, "rows", str(n)), "rb") as f:
                got = f.read()
        except OSError as e:
            chk.fail("rows/%d: %s" % (n, errname(e)))
            continue
        if not got.startswith(b"i%d,init,%d," % (n, n)):
            chk.fail("rows/%d holds %r, not initial row %d" % (n, got[:60], n))

    print("kills survived: %s" % kills)
    print("verified: %d acknowledged appends (%d of them not present exactly once); "
          "%d unacknowledged attempts (%d of them landed); %d acknowledged deletes "
          "(%d more landed unacknowledged); %d acknowledged rewrites (the last one checked on "
          "%d rows); %d records, %d distinct rows/ ids"
          % (n_app_acked, n_app_bad, n_app_unacked, n_app_landed, len(del_acked),
             len(del_gone), n_rw_acked, len(rw_last_acked), nrec, len(set(ids))))
    if n_app_acked < 10 * n_writers or n_rw_acked < 3:
        chk.fail("too little progress: %d acknowledged appends, %d acknowledged rewrites"
                 % (n_app_acked, n_rw_acked))
    if chk.failures:
        print("%d verification failures" % len(chk.failures), file=sys.stderr)
        return 1
    return 0


def verify_backing(path, copy):
    """After the clean unmount: BACKING equals the last table read and is valid CSV."""
    with open(path, "rb") as f:
        data = f.read()
    with open(copy, "rb") as f:
        want = f.read()
    if data != want:
        print("FAIL: BACKING (%d bytes) differs from the table read before the unmount (%d)"
              % (len(data), len(want)), file=sys.stderr)
        return 1
    rows = list(csv.reader(io.StringIO(data.decode("latin-1"), newline=""), strict=True))
    bad = [r for r in rows if len(r) != NFIELDS]
    if bad:
        print("FAIL: BACKING has records with a wrong field count: %r" % bad[:3], file=sys.stderr)
        return 1
    print("BACKING: %d bytes, %d records of %d fields, valid CSV" % (len(data), len(rows) - 1,
                                                                     NFIELDS))
    return 0


def main(argv):
    faulthandler.register(signal.SIGUSR1)
    cmd = argv[1]
    if cmd == "init":
        with open(argv[2], "wb") as f:
            f.write(HEADER + b"".join(initial_row(n) for n in range(1, int(argv[3]) + 1)))
        return 0
    if cmd == "append":
        run_append(*argv[2:6])
        return 0
    if cmd == "delete":
        run_delete(*argv[2:7])
        return 0
    if cmd == "rewrite":
        run_rewrite(*argv[2:7])
        return 0
    if cmd == "verify":
        return verify(*argv[2:7])
    if cmd == "verify_backing":
        return verify_backing(*argv[2:4])
    print("unknown command " + cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
