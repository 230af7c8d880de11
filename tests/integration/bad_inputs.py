#!/usr/bin/env python3
"""bad_inputs.py CSVFS: the bad-input catalogue.

Each row is one bad input: (name, action, expected result).
  - catalogue(): changes tried on a mounted table, grouped by mount options (default, key=id,
    max_record=1000, max_image=2000, ro). The action runs in a child process (so that the daemon's log can be
    searched for its pid) and must give "OK", an errno name ("EINVAL": whichever call fails) or
    "CALL:ERRNO" ("close:EINVAL": exactly that call fails, where the README or the man page says which). After each
    row the table read through the mount must be byte for byte what it was, rows/ must list
    the same ids and the root nothing new; for a refusal the daemon makes itself (not one the
    kernel answers before asking it) its log must gain a line naming the refusal and the pid.
    After each group, a clean unmount must leave BACKING byte for byte as it was.
  - run_startup(): daemon starts that must fail with an exit status and exactly one line on
    stderr naming the file (and the line, for malformed CSV), mount nothing and leave the
    backing directory (names, modes, sizes, mtimes, bytes) unchanged.
  - run_accepted(): inputs accepted on purpose, which must be kept byte for byte.

Prints one line per row and the number of bad inputs tried. Exits 1 if any row failed (the
daemon behaving differently from the README and the man page is a failure, never a skip), 77 if it cannot run
here. Cleanup (always, also on SIGTERM): unmounts everything the test mounted, kills its
daemons by pid, removes the work directory; a mount left behind fails the test.
"""
import errno
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time

os.environ["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin:" + os.environ.get("PATH", "")
os.environ["LC_ALL"] = "C"
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

TIMEOUT = int(os.environ.get("IT_TIMEOUT", "60"))
BASE = b'id,a,b\n1,x,y\n2,"q, r",z\n'
BASE_IDS = ["1", "2"]
NOBODY = 65534

CSVFS = None
T = None
DAEMONS = []       # (pid, Popen or None, mountpoint)
EXTRA_MOUNTS = []  # mountpoints that must not end up mounted
FAILURES = []
TRIED = 0
ACCEPTED = 0


def note(msg):
    print("# " + msg, flush=True)


class Skip(Exception):
    pass


class TestError(Exception):
    """The harness itself could not do what it needed (not a row's failure)."""


# ---- mounts -----------------------------------------------------------------------------------

def mounts_under(prefix):
    out = []
    with open("/proc/mounts") as f:
        for line in f:
            mp = line.split()[1].replace("\\040", " ")
            if mp.startswith(prefix + "/"):
                out.append(mp)
    return out


def is_mounted(mnt):
    return mnt in mounts_under(os.path.dirname(mnt))


def fusermount_u(mnt, lazy=False):
    args = ["fusermount3", "-uz" if lazy else "-u", mnt]
    try:
        return subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


class Daemon:
    """csvfs BACKING MNT -f OPTS..., logging to a file; mounted when the constructor returns."""

    def __init__(self, backing, mnt, opts=()):
        self.mnt = mnt
        self.log = os.path.join(T, "daemon.%d.log" % len(DAEMONS))
        cmd = [CSVFS, backing, mnt, "-f"] + list(opts)
        with open(self.log, "wb") as lf:
            self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
        DAEMONS.append(self)
        deadline = time.time() + 10
        while not is_mounted(mnt):
            if self.p.poll() is not None:
                raise TestError("csvfs %s %s %s exited with %d before mounting: %s"
                                % (backing, mnt, " ".join(opts), self.p.returncode,
                                   self.log_text()))
            if time.time() > deadline:
                raise TestError("csvfs %s %s: not mounted after 10 s" % (backing, mnt))
            time.sleep(0.05)

    def log_text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_size(self):
        return os.path.getsize(self.log)

    def unmount(self):
        """The clean path: fusermount3 -u (retried while busy); the daemon must exit 0."""
        for _ in range(50):
            if fusermount_u(self.mnt):
                break
            time.sleep(0.1)
        else:
            raise TestError("fusermount3 -u %s kept failing" % self.mnt)
        try:
            rc = self.p.wait(20)
        except subprocess.TimeoutExpired:
            raise TestError("daemon %d did not exit within 20 s of the unmount" % self.p.pid)
        if rc != 0:
            raise TestError("daemon for %s exited with %d after a clean unmount" % (self.mnt, rc))

    def crash(self):
        """kill -9, then detach the dead mount."""
        self.p.send_signal(signal.SIGKILL)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            raise TestError("daemon %d still there 10 s after SIGKILL" % self.p.pid)
        if not fusermount_u(self.mnt):
            fusermount_u(self.mnt, lazy=True)
        if is_mounted(self.mnt):
            raise TestError("%s still mounted after the crash" % self.mnt)


def cleanup():
    for d in DAEMONS:
        for _ in range(5):
            if not is_mounted(d.mnt) or fusermount_u(d.mnt):
                break
            time.sleep(0.2)
        if is_mounted(d.mnt):
            fusermount_u(d.mnt, lazy=True)
    for mnt in EXTRA_MOUNTS:
        if is_mounted(mnt) and not fusermount_u(mnt):
            fusermount_u(mnt, lazy=True)
    for d in DAEMONS:
        if d.p.poll() is None:
            d.p.terminate()
            try:
                d.p.wait(5)
            except subprocess.TimeoutExpired:
                d.p.kill()
                d.p.wait()
    left = mounts_under(T) if T else []
    if left:
        print("FAIL: mounts left over after cleanup: %s" % " ".join(left), file=sys.stderr)
        return False
    if T:
        for root, dirs, _ in os.walk(T):
            for x in dirs:
                try:
                    os.chmod(os.path.join(root, x), 0o755)
                except OSError:
                    pass
        shutil.rmtree(T, ignore_errors=True)
    return True


# ---- operations, run in a child process ------------------------------------------------------

class Failed(Exception):
    def __init__(self, call, err):
        super().__init__(call, err)
        self.call = call
        self.err = err


def call(name, fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except OSError as e:
        raise Failed(name, e.errno)


def write_all(fd, buf):
    view = memoryview(buf)
    while view:
        n = call("write", os.write, fd, view)
        view = view[n:]


def open_write_close(path, flags, data, pieces=1):
    fd = call("open", os.open, path, flags, 0o644)
    try:
        if pieces > 1:
            step = max(1, len(data) // pieces)
            for i in range(0, len(data), step):
                write_all(fd, data[i:i + step])
        else:
            write_all(fd, data)
    except Failed:
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    call("close", os.close, fd)


def append(path, data, pieces=1):
    return lambda: open_write_close(path, os.O_WRONLY | os.O_APPEND, data, pieces)


def write(path, data):
    return lambda: open_write_close(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, data)


def update(path, data):
    return lambda: open_write_close(path, os.O_WRONLY, data)


def create_excl(path, data):
    return lambda: open_write_close(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, data)


def grow(path, extra):
    """`truncate -s +EXTRA`: open without O_TRUNC, ftruncate past the end, close."""
    def run():
        fd = call("open", os.open, path, os.O_WRONLY)
        try:
            call("ftruncate", os.ftruncate, fd, os.fstat(fd).st_size + extra)
        except Failed:
            os.close(fd)
            raise
        call("close", os.close, fd)
    return run


def syscall(name, fn, *args):
    return lambda: call(name, fn, *args)


def rename_noreplace(src, dst):
    import ctypes

    def run():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.renameat2(-100, src.encode(), -100, dst.encode(), 1) != 0:
            raise Failed("renameat2", ctypes.get_errno())
    return run


def scratch_rename(mnt, table, data):
    """Writes a scratch file in the mount root, renames it over the table (sed -i's way); the
    scratch file is removed again if the rename is refused."""
    def run():
        scratch = os.path.join(mnt, ".bad-input.tmp")
        try:
            open_write_close(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, data)
        except Failed as f:
            try:
                os.unlink(scratch)
            except OSError:
                pass
            raise Failed("scratch-" + f.call, f.err)
        try:
            call("rename", os.rename, scratch, table)
        finally:
            try:
                os.unlink(scratch)
            except OSError:
                pass
    return run


def sparse_write(path):
    """O_WRONLY without O_TRUNC, pwrite one line 100 bytes past the end: the hole is NUL
    bytes (what a program seeking past EOF produces)."""
    def run():
        fd = call("open", os.open, path, os.O_WRONLY)
        try:
            size = call("fstat", os.fstat, fd).st_size
            call("pwrite", os.pwrite, fd, b"9,x,y\n", size + 100)
        except Failed:
            os.close(fd)
            raise
        call("close", os.close, fd)
    return run


def write_to_deleted_row(path):
    """Opens PATH for writing (O_TRUNC), another process removes it, then write + close."""
    def run():
        fd = call("open", os.open, path, os.O_WRONLY | os.O_TRUNC)
        pid = os.fork()
        if pid == 0:
            try:
                os.unlink(path)
                os._exit(0)
            except OSError:
                os._exit(1)
        _, st = os.waitpid(pid, 0)
        if st != 0:
            os.close(fd)
            raise Failed("rm-by-other-process", errno.EPERM)
        try:
            write_all(fd, b"1,n,n\n")
        except Failed:
            os.close(fd)
            raise
        call("close", os.close, fd)
    return run


def in_child(fn):
    """Runs fn in a child process; returns (pid, 'OK' | 'CALL:ERRNO')."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        signal.alarm(TIMEOUT)
        try:
            fn()
            res = "OK"
        except Failed as f:
            res = "%s:%s" % (f.call, errno.errorcode.get(f.err, str(f.err)))
        except BaseException as e:  # noqa: B902 - report anything
            res = "CRASH:%r" % e
        os.write(w, res.encode())
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 4096)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    return pid, b"".join(chunks).decode() or "CRASH:no result"


def matches(expect, got):
    if ":" in expect:
        return expect == got
    return got == expect or got.endswith(":" + expect)


# ---- checks -----------------------------------------------------------------------------------

def read_table(path):
    with open(path, "rb") as f:
        return f.read()


def refusal_logged(daemon, offset, pid):
    """Polls (5 s) for a log line after `offset` that names a refusal by `pid`."""
    pat = re.compile(r"refus.*\bpid %d\b|\bpid %d\b.*refus" % (pid, pid), re.I)
    deadline = time.time() + 5
    while True:
        with open(daemon.log, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        for line in text.splitlines():
            if pat.search(line):
                return line
        if time.time() > deadline:
            return None
        time.sleep(0.05)


def report(name, ok, expect, got, extra=""):
    status = "ok  " if ok else "FAIL"
    print("%s %-46s expected %-16s got %s%s" % (status, name, expect, got,
                                                ("   " + extra) if extra else ""), flush=True)
    if not ok:
        FAILURES.append("%s: expected %s, got %s%s" % (name, expect, got,
                                                        ("; " + extra) if extra else ""))


# ---- the mounted catalogue --------------------------------------------------------------------

def catalogue(M, TB, R, OUT):
    """Rows grouped by mount options: (group opts, [(name, action, expect, log), ...])."""
    big = b"9" * 1500
    mid = b"8" * 900
    long_name = "n" * 256
    plain = [
        # Appends (open O_APPEND, write, close).
        ("append: unterminated quote", append(TB, b'3,"unterminated\n'), "close:EINVAL", True),
        ("append: unterminated quote, no newline", append(TB, b'3,"open'), "close:EINVAL", True),
        ("append: too many fields", append(TB, b"3,a,b,c\n"), "EINVAL", True),
        ("append: too few fields", append(TB, b"3,a\n"), "EINVAL", True),
        ("append: stray quote in an unquoted field", append(TB, b'3,ab"c,d\n'), "EINVAL", True),
        ("append: text after a closing quote", append(TB, b'3,"ab"c,d\n'), "EINVAL", True),
        ("append: NUL byte", append(TB, b"3,a\0b,c\n"), "EINVAL", True),
        ("append: NUL byte alone", append(TB, b"\0"), "EINVAL", True),
        ("append: CR-only line endings", append(TB, b"3,x,y\r4,x,y\r"), "EINVAL", True),
        ("append: good record then a bad one", append(TB, b"3,ok,ok\n4,bad\n"), "EINVAL", True),
        ("append: bad record split over 3 writes", append(TB, b'3,"a,b\n', 3), "close:EINVAL",
         True),
        # Rewrites of the whole table.
        ("rewrite table: unterminated quote", write(TB, b'id,a,b\n1,"x,y\n'), "close:EINVAL",
         True),
        # SPEC 3: a record is checked by the write() that completes it.
        ("rewrite table: wrong field count", write(TB, b'id,a,b\n1,x\n2,"q, r",z\n'),
         "write:EINVAL", True),
        ("rewrite table: field count against its own new header",
         write(TB, b"h\n1,2\n"), "write:EINVAL", True),
        ("rewrite table: ftruncate grows it with NUL bytes", grow(TB, 10), "close:EINVAL", True),
        ("rewrite table: NUL hole from pwrite past EOF", sparse_write(TB), "close:EINVAL", True),
        ("rename over table: unterminated quote", scratch_rename(M, TB, b'id,a,b\n1,"x,y\n'),
         "rename:EINVAL", True),
        ("rename over table: NUL byte", scratch_rename(M, TB, b"id,a,b\n1,x\0,y\n"),
         "rename:EINVAL", True),
        ("rename over table: CR-only line endings",
         scratch_rename(M, TB, b"id,a,b\r1,x,y\r2,q,z\r"), "rename:EINVAL", True),
        # Row files.
        ("row file: two records", write(R + "/1", b"1,x,y\n1,x,y\n"), "write:EINVAL", True),
        ("row file: a record appended (>>)", append(R + "/1", b"more,x,y\n"), "write:EINVAL",
         True),
        ("row file: no record (empty)", write(R + "/1", b""), "close:EINVAL", True),
        ("row file: only a line break", write(R + "/1", b"\n"), "close:EINVAL", True),
        ("row file: wrong field count", write(R + "/1", b"1,x\n"), "write:EINVAL", True),
        ("row file: unterminated quote", write(R + "/1", b'1,"x,y\n'), "close:EINVAL", True),
        ("row file: NUL byte", write(R + "/1", b"1,x\0,y\n"), "write:EINVAL", True),
        ("row file: truncate(2) to 0 bytes", syscall("truncate", os.truncate, R + "/1", 0),
         "EINVAL", True),
        ("row file: create without key=", write(R + "/9", b"9,x,y\n"), "EPERM", True),
        ("row file: update of a row that does not exist", update(R + "/9", b"9,x,y\n"),
         "open:ENOENT", False),
        # Names.
        ("name: 256 bytes, read", syscall("open", os.open, R + "/" + long_name, os.O_RDONLY),
         "open:ENAMETOOLONG", False),
        ("name: 256 bytes, unlink", syscall("unlink", os.unlink, R + "/" + long_name),
         "unlink:ENAMETOOLONG", False),
        ("name: rows/. unlinked (kernel)", syscall("unlink", os.unlink, R + "/."),
         "unlink:EISDIR", False),
        ("name: rows/.. opened for writing (kernel)",
         syscall("open", os.open, R + "/..", os.O_WRONLY), "open:EISDIR", False),
        # The table and the tree.
        ("remove the table", syscall("unlink", os.unlink, TB), "unlink:EPERM", True),
        ("rename the table out of the root (into rows/)",
         syscall("rename", os.rename, TB, R + "/9"), "rename:EPERM", True),
        ("rename the table out of the mount (kernel)",
         syscall("rename", os.rename, TB, OUT + "/moved.csv"), "rename:EXDEV", False),
        ("rename a row onto the table", syscall("rename", os.rename, R + "/1", TB),
         "rename:EPERM", True),
        ("mkdir in rows/", syscall("mkdir", os.mkdir, R + "/dir"), "mkdir:EPERM", True),
        ("symlink in rows/", syscall("symlink", os.symlink, "1", R + "/9"), "symlink:EPERM",
         True),
        ("hard link of the table", syscall("link", os.link, TB, M + "/hard"), "link:EPERM",
         True),
        ("hard link of the status file",
         syscall("link", os.link, M + "/.csvfs-status", M + "/hard"), "link:EPERM", True),
        ("symlink named like rows/", syscall("symlink", os.symlink, "x", M + "/rows"),
         "symlink:EEXIST", False),
        ("hard link of a row", syscall("link", os.link, R + "/1", R + "/9"), "link:EPERM", True),
        ("mknod (character device)",
         syscall("mknod", os.mknod, M + "/dev", 0o600 | stat.S_IFCHR, os.makedev(1, 3)),
         "mknod:EPERM", True),
        ("mkfifo", syscall("mkfifo", os.mkfifo, M + "/fifo"), "mkfifo:EPERM", True),
    ]
    key = [
        ("key: row file's key field does not match its name", write(R + "/1", b"2,x,y\n"),
         "write:EINVAL", True),
        ("key: new row file with another key", write(R + "/9", b"8,x,y\n"), "write:EINVAL",
         True),
        ("key: row file with no record", write(R + "/1", b""), "close:EINVAL", True),
        ("key: duplicate key appended", append(TB, b"1,dup,dup\n"), "EEXIST", True),
        ("key: duplicate key twice in one append", append(TB, b"5,a,b\n5,c,d\n"), "EEXIST",
         True),
        # The kernel answers these two itself (the name is known to exist): nothing to log.
        ("key: duplicate key by O_EXCL create", create_excl(R + "/1", b"1,n,n\n"),
         "open:EEXIST", False),
        ("key: rename onto an existing key, NOREPLACE", rename_noreplace(R + "/1", R + "/2"),
         "renameat2:EEXIST", False),
        ("key: rewrite of the table duplicating a key", write(TB, b"id,a,b\n1,x,y\n1,q,z\n"),
         "close:EEXIST", True),
        ("key: appended key '..'", append(TB, b"..,x,y\n"), "EINVAL", True),
        ("key: appended key '.'", append(TB, b".,x,y\n"), "EINVAL", True),
        ("key: appended key with '/'", append(TB, b"a/b,x,y\n"), "EINVAL", True),
        ("key: appended empty key", append(TB, b",x,y\n"), "EINVAL", True),
        ("key: appended key of 256 bytes", append(TB, long_name.encode() + b",x,y\n"), "EINVAL",
         True),
        ("key: create rows/<256 bytes>",
         create_excl(R + "/" + long_name, long_name.encode() + b",x,y\n"),
         "open:ENAMETOOLONG", False),
        ("key: O_EXCL create of rows/.. (kernel)", create_excl(R + "/..", b"..,x,y\n"),
         "open:EEXIST", False),
    ]
    small = [
        ("max_record=1000: appended record of 1.5 kB", append(TB, b"3," + big + b",y\n"),
         "EFBIG", True),
        ("max_record=1000: row file of 1.5 kB", write(R + "/1", b"1," + big + b",y\n"),
         "close:EFBIG", True),
        ("max_record=1000: table rewrite with a 1.5 kB record",
         write(TB, BASE + b"3," + big + b",y\n"), "close:EFBIG", True),
        ("max_record=1000: rename with a 1.5 kB record",
         scratch_rename(M, TB, BASE + b"3," + big + b",y\n"), "rename:EFBIG", True),
        ("max_record=1000: 1.5 kB record over 2 appends",
         append(TB, b"3," + mid + b"," + mid + b"\n", 2), "EFBIG", True),
    ]
    rows = b"".join(b"%d,%s,y\n" % (i, b"p" * 40) for i in range(3, 60))  # 2.6 kB
    image = [
        ("max_image=2000: table rewrite of 2.6 kB", write(TB, BASE + rows), "write:EFBIG", True),
        # Other files are real files (the limit is disk space); renaming one over the table
        # is what max_image refuses.
        ("max_image=2000: rename of a 2.6 kB file over the table",
         scratch_rename(M, TB, BASE + rows), "rename:EFBIG", True),
        ("max_image=2000: truncate the table to 3000 bytes",
         syscall("truncate", os.truncate, TB, 3000), "truncate:EFBIG", True),
    ]
    ro = [
        ("ro: append", append(TB, b"3,x,y\n"), "EROFS", False),
        ("ro: rm rows/1", syscall("unlink", os.unlink, R + "/1"), "unlink:EROFS", False),
        ("ro: rename a scratch copy of the table", syscall("rename", os.rename, TB, M + "/bak"),
         "rename:EROFS", False),
    ]
    return [((), plain), (("-o", "key=id"), key), (("-o", "max_record=1000"), small),
            (("-o", "max_image=2000"), image), (("-o", "ro"), ro)]


def fresh_backing(content):
    """A new backing directory holding table.csv (no ids file of an earlier mount)."""
    D = tempfile.mkdtemp(prefix="data.", dir=T)
    B = os.path.join(D, "table.csv")
    with open(B, "wb") as f:
        f.write(content)
    return D, B


def run_catalogue(M):
    global TRIED
    TB = os.path.join(M, "table.csv")
    R = os.path.join(M, "rows")
    OUT = os.path.join(T, "out")
    os.makedirs(OUT, exist_ok=True)
    for opts, rows in catalogue(M, TB, R, OUT):
        D, B = fresh_backing(BASE)
        d = Daemon(B, M, opts)
        note("mounted with %s" % (" ".join(opts) or "default options"))
        for name, action, expect, log in rows:
            TRIED += 1
            off = d.log_size()
            pid, got = in_child(action)
            problems = []
            if matches(expect, got):
                if log and expect != "OK":
                    line = refusal_logged(d, off, pid)
                    if line is None:
                        problems.append("no log line names the refusal by pid %d" % pid)
            table = read_table(TB)
            if table != BASE:
                problems.append("table changed: %r" % table[:200])
            ids = os.listdir(R)
            if ids != BASE_IDS:
                problems.append("rows/ lists %s" % " ".join(ids[:10]))
            root = sorted(os.listdir(M))
            if root != [".csvfs-status", "rows", "table.csv"]:
                problems.append("mount root holds %s" % " ".join(root))
            report(name, matches(expect, got) and not problems, expect, got,
                   "; ".join(problems))
        d.unmount()
        check_backing_after("after the %s group" % (" ".join(opts) or "default"), D, B, BASE)

    # Writing to a row that another process deleted meanwhile: ENOENT (README "Errors": no such row).
    TRIED += 1
    D, B = fresh_backing(BASE)
    d = Daemon(B, M)
    off = d.log_size()
    expect = "ENOENT"
    pid, got = in_child(write_to_deleted_row(R + "/1"))
    problems = []
    if matches(expect, got) and refusal_logged(d, off, pid) is None:
        problems.append("no log line names the refusal by pid %d" % pid)
    after = b'id,a,b\n2,"q, r",z\n'
    table = read_table(TB)
    if table != after:
        problems.append("table is %r, expected only the deletion: %r" % (table, after))
    if os.listdir(R) != ["2"]:
        problems.append("rows/ lists %s" % " ".join(os.listdir(R)))
    report("write to a row removed meanwhile", matches(expect, got) and not problems, expect,
           got, "; ".join(problems))
    d.unmount()
    check_backing_after("after the write to a removed row", D, B, after)



def check_backing_after(what, D, B, expected):
    with open(B, "rb") as f:
        got = f.read()
    if got != expected:
        report("BACKING " + what, False, "unchanged", "%r" % got[:200])
    extra = sorted(set(os.listdir(D)) - {"table.csv", ".table.csv.csvfs-ids"})
    if extra:
        report("backing directory " + what, False, "clean", " ".join(extra))


# ---- startup failures -------------------------------------------------------------------------

def snapshot(d):
    out = []
    for root, dirs, files in os.walk(d):
        for x in sorted(dirs + files):
            p = os.path.join(root, x)
            st = os.lstat(p)
            data = b""
            if stat.S_ISREG(st.st_mode):
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                except OSError:
                    data = b"?"
            out.append((os.path.relpath(p, d), st.st_mode, st.st_size, st.st_mtime_ns, data))
    return sorted(out)


def describe(entries):
    return "[" + ", ".join("%s mode %o size %d mtime %d" % e[:4] for e in sorted(entries)) + "]"


def priv_prefix():
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


def start(args, user=None, mnt=None):
    """Runs csvfs ARGS (background mode, no -f); returns (exit status, stderr)."""
    cmd = [CSVFS] + args
    if user is not None:
        cmd = priv_prefix() + cmd
    if mnt:
        EXTRA_MOUNTS.append(mnt)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "TIMEOUT", ""
    return p.returncode, p.stderr.decode("utf-8", "replace")


def startup_row(name, args, expect_rc, watch, names=(), line=None, user=None, mnt=None):
    """One startup failure: exit status, one stderr line naming `names` (and `line`), nothing
    mounted at mnt, and the directory `watch` unchanged byte for byte."""
    global TRIED
    TRIED += 1
    before = snapshot(watch)
    rc, err = start(args, user=user, mnt=mnt)
    problems = []
    lines = [x for x in err.splitlines() if x.strip()]
    if len(lines) != 1:
        problems.append("%d lines on stderr: %r" % (len(lines), err[:300]))
    msg = err.replace(T, "")
    for n in names:
        if n not in msg:
            problems.append("the message does not name %s: %r" % (n, err.strip()[:200]))
    if line is not None and not re.search(r"(^|[^0-9])%d([^0-9]|$)" % line, msg):
        problems.append("the message does not give line %d: %r" % (line, err.strip()[:200]))
    if mnt and is_mounted(mnt):
        problems.append("%s is mounted" % mnt)
        fusermount_u(mnt) or fusermount_u(mnt, lazy=True)
    after = snapshot(watch)
    if after != before:
        b, a = set(before), set(after)
        problems.append("the backing directory changed: before %s, after %s"
                        % (describe(b - a), describe(a - b)))
    report(name, rc == expect_rc and not problems, "exit %s" % expect_rc, "exit %s" % rc,
           "; ".join(problems + ["[%s]" % err.strip()[:150]]))


def journal_frames(data):
    """(offset, length) of each frame: magic u32, length u32, crc u32, payload."""
    frames, off = [], 0
    while off + 12 <= len(data):
        magic, length, _ = struct.unpack_from("<III", data, off)
        if magic != 0x4A465343 or off + 12 + length > len(data):
            break
        frames.append((off, length))
        off += 12 + length
    return frames


def run_startup(D, M):
    B = os.path.join(D, "table.csv")
    with open(B, "wb") as f:
        f.write(BASE)
    bad = {
        "unterminated.csv": (b'id,v\n1,a\n2,"b\nc"\n4,"never closed\n5,x\n', 5),
        "ragged.csv": (b"id,v\n1,a\n2,b,extra\n3,c\n", 3),
        "strayquote.csv": (b'id,v\n1,a"b\n2,c\n', 2),
        "nul.csv": (b"id,v\n1,a\n2,b\x00c\n", 3),
        "cronly.csv": (b"id,v\r1,a\r2,b\r", 1),
        "textafterquote.csv": (b'id,v\n1,"a"b\n', 2),
    }
    for fname, (content, line) in bad.items():
        with open(os.path.join(D, fname), "wb") as f:
            f.write(content)
    with open(os.path.join(D, "dupkey.csv"), "wb") as f:
        f.write(b"id,v\n1,a\n1,b\n")
    with open(os.path.join(D, "dotkey.csv"), "wb") as f:
        f.write(b"id,v\n1,a\n..,b\n")
    with open(os.path.join(D, "longkey.csv"), "wb") as f:
        f.write(b"id,v\n1,a\n" + b"k" * 256 + b",b\n")
    os.mkdir(os.path.join(D, "adir.csv"))
    notdir = os.path.join(T, "file")
    with open(notdir, "wb") as f:
        f.write(b"not a directory\n")

    for fname, (content, line) in bad.items():
        startup_row("start: malformed BACKING (%s)" % fname, [os.path.join(D, fname), M], 2, D,
                    names=(fname,), line=line, mnt=M)
    startup_row("start: missing BACKING", [os.path.join(D, "missing.csv"), M], 2, D,
                names=("missing.csv",), mnt=M)
    startup_row("start: BACKING is a directory", [os.path.join(D, "adir.csv"), M], 2, D,
                names=("adir.csv", "directory"), mnt=M)
    startup_row("start: key=id with a duplicate key", [os.path.join(D, "dupkey.csv"), M,
                                                       "-o", "key=id"], 2, D,
                names=("dupkey.csv",), line=3, mnt=M)
    startup_row("start: key=id with the key '..'", [os.path.join(D, "dotkey.csv"), M,
                                                    "-o", "key=id"], 2, D,
                names=("dotkey.csv",), line=3, mnt=M)
    startup_row("start: key=id with a 256-byte key", [os.path.join(D, "longkey.csv"), M,
                                                      "-o", "key=id"], 2, D,
                names=("longkey.csv",), line=3, mnt=M)
    startup_row("start: mountpoint is a regular file", [B, notdir], 4, D, names=("file",))
    startup_row("start: mountpoint does not exist", [B, os.path.join(T, "nodir")], 4, D,
                names=("nodir",))
    startup_row("start: bad -o value sync=sometimes", [B, M, "-o", "sync=sometimes"], 1, D,
                names=("sync",), mnt=M)
    startup_row("start: bad -o value max_record=lots", [B, M, "-o", "max_record=lots"], 1, D,
                names=("max_record",), mnt=M)
    startup_row("start: unknown -o option", [B, M, "-o", "no_such_option"], 1, D,
                names=("no_such_option",), mnt=M)
    startup_row("start: no MOUNTPOINT", [B], 1, D, mnt=M)
    if os.path.exists(os.path.join(T, "nodir")):
        report("start: missing mountpoint left alone", False, "absent", "created")

    # A second mount of the same BACKING while the first runs: exit 3, the first keeps working.
    d = Daemon(B, M)
    M2 = os.path.join(T, "mnt2")
    os.mkdir(M2)
    startup_row("start: second mount of a served BACKING", [B, M2], 3, D, names=("table.csv",),
                mnt=M2)
    if read_table(os.path.join(M, "table.csv")) != BASE:
        report("first mount after the second start", False, "unchanged", "changed")
    d.unmount()

    # A journal corrupt in the middle: 3 changes, kill -9, flip a byte in the middle frame.
    J = os.path.join(D, ".table.csv.csvfs-journal")
    d = Daemon(B, M)
    for i in (3, 4, 5):
        pid, got = in_child(append(os.path.join(M, "table.csv"), b"%d,c%d,d\n" % (i, i)))
        if got != "OK":
            raise TestError("journal setup: append %d: %s" % (i, got))
    d.crash()
    with open(J, "rb") as f:
        jdata = bytearray(f.read())
    frames = journal_frames(bytes(jdata))
    if len(frames) < 3:
        raise TestError("journal setup: %d frames in %d bytes" % (len(frames), len(jdata)))
    off, length = frames[len(frames) // 2]
    pos = off + 12 + length // 2
    jdata[pos] ^= 0x5A
    with open(J, "wb") as f:
        f.write(jdata)
    note("journal: %d frames, flipped the byte at %d (middle of frame %d)"
         % (len(frames), pos, len(frames) // 2))
    startup_row("start: journal corrupt in the middle", [B, M], 2, D, names=("journal",),
                mnt=M)
    os.unlink(J)
    lock = os.path.join(D, ".table.csv.csvfs-lock")
    if os.path.exists(lock):
        os.unlink(lock)

    # As an unprivileged user (root ignores permissions): unwritable directory, unreadable file.
    run_unprivileged()


def run_unprivileged():
    if priv_prefix() is None:
        note("SKIP unprivileged rows: neither setpriv nor runuser")
        return
    U = tempfile.mkdtemp(prefix="priv.", dir=T)
    os.chmod(T, 0o711)
    os.chmod(U, 0o755)
    probe = subprocess.run(priv_prefix() + [CSVFS, "--version"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        note("SKIP unprivileged rows: uid %d cannot run %s" % (NOBODY, CSVFS))
        return
    UM = os.path.join(U, "mnt")
    os.mkdir(UM)
    os.chown(UM, NOBODY, NOBODY)
    ro_dir = os.path.join(U, "rodata")
    os.mkdir(ro_dir)
    with open(os.path.join(ro_dir, "table.csv"), "wb") as f:
        f.write(BASE)
    os.chmod(os.path.join(ro_dir, "table.csv"), 0o644)
    os.chmod(ro_dir, 0o555)
    startup_row("start: backing directory not writable (uid %d)" % NOBODY,
                [os.path.join(ro_dir, "table.csv"), UM], 2, ro_dir, names=("rodata",),
                user=NOBODY, mnt=UM)
    un_dir = os.path.join(U, "undata")
    os.mkdir(un_dir)
    os.chown(un_dir, NOBODY, NOBODY)
    with open(os.path.join(un_dir, "table.csv"), "wb") as f:
        f.write(BASE)
    os.chmod(os.path.join(un_dir, "table.csv"), 0o600)
    startup_row("start: BACKING not readable (uid %d)" % NOBODY,
                [os.path.join(un_dir, "table.csv"), UM], 2, un_dir, names=("table.csv",),
                user=NOBODY, mnt=UM)


# ---- accepted on purpose ----------------------------------------------------------------------

def run_accepted(D, M):
    """Inputs accepted on purpose, each kept byte for byte (through the mount and in BACKING)."""
    global ACCEPTED
    B = os.path.join(D, "table.csv")
    TB = os.path.join(M, "table.csv")
    R = os.path.join(M, "rows")
    start_bytes = (b'id,a,b\n1,\xff\xfe,\xc3(\n2,,\n3,"\n",z\n4,"",""\n5,"a ""b"" c",'
                   + b"L" * 100000 + b"\n6,x,y")  # last record without a final newline
    with open(B, "wb") as f:
        f.write(start_bytes)
    d = Daemon(B, M)
    got = read_table(TB)
    report("accepted: BACKING with all of them, read back", got == start_bytes, "same bytes",
           "same bytes" if got == start_bytes else "%r..." % got[:80])
    expected = start_bytes + b"\n"  # the missing line ending is supplied by the first append
    accepted = [
        ("accepted: bytes that are not UTF-8", b"7,\xff\xfe\x80,\xc3(\xe9\n"),
        ("accepted: a 1 MiB line (under max_record)", b"8," + b"M" * (1 << 20) + b",z\n"),
        ("accepted: empty fields", b"9,,\n"),
        ("accepted: a quoted field holding only a newline", b'10,"\n",z\n'),
        ("accepted: quoted empty fields", b'11,"",""\n'),
        ("accepted: doubled quotes in a quoted field", b'12,"say ""hi""",z\n'),
        ("accepted: a record written one byte per write", b'13,"a,\nb",c\n'),
    ]
    ACCEPTED = len(accepted) + 2  # + the BACKING holding them all, + the row file rewrite
    for name, rec in accepted:
        pieces = len(rec) if "one byte" in name else 1
        pid, res = in_child(append(TB, rec, pieces))
        expected += rec
        problems = []
        table = read_table(TB)
        if table != expected:
            problems.append("table differs (%d bytes, expected %d)" % (len(table), len(expected)))
        rid = rec.split(b",", 1)[0].decode()
        try:
            with open(os.path.join(R, rid), "rb") as f:
                row = f.read()
            if row != rec:
                problems.append("rows/%s holds %r" % (rid, row[:80]))
        except OSError as e:
            problems.append("rows/%s: %s" % (rid, errno.errorcode.get(e.errno)))
        report(name, res == "OK" and not problems, "OK", res, "; ".join(problems))
    # A row file rewritten with non-UTF-8 bytes.
    rec = b"1,\xe9t\xe9,\x80\n"
    pid, res = in_child(write(os.path.join(R, "1"), rec))
    i = expected.index(b"\n1,") + 1
    j = expected.index(b"\n", i) + 1
    expected = expected[:i] + rec + expected[j:]
    table = read_table(TB)
    report("accepted: row file rewritten with non-UTF-8 bytes", res == "OK" and table == expected,
           "OK", res, "" if table == expected else "table differs")
    d.unmount()
    with open(B, "rb") as f:
        got = f.read()
    report("accepted: BACKING after the unmount", got == expected, "same bytes",
           "same bytes" if got == expected else "%d bytes, expected %d" % (len(got), len(expected)))


def main(argv):
    global CSVFS, T
    if len(argv) < 2:
        print("usage: bad_inputs.py PATH_TO_CSVFS", file=sys.stderr)
        return 2
    CSVFS = os.path.abspath(argv[1])
    if not os.path.exists("/dev/fuse"):
        print("SKIP: no /dev/fuse")
        return 77
    if shutil.which("fusermount3") is None:
        print("SKIP: no fusermount3 (package fuse3)")
        return 77
    if not os.access(CSVFS, os.X_OK):
        print("FAIL: daemon %s is not an executable" % CSVFS, file=sys.stderr)
        return 1
    T = tempfile.mkdtemp(prefix="csvfs-it.", dir=os.environ.get("TMPDIR", "/tmp"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    rc = 0
    try:
        M = os.path.join(T, "mnt")
        os.mkdir(M)
        run_catalogue(M)
        D2 = os.path.join(T, "data2")
        os.mkdir(D2)
        run_startup(D2, M)
        D3 = os.path.join(T, "data3")
        os.mkdir(D3)
        run_accepted(D3, M)
    except TestError as e:
        print("FAIL: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        logs = []
        if rc != 0 or FAILURES:
            for d in DAEMONS:
                try:
                    logs.append((d.log, d.log_text().splitlines()[-20:]))
                except OSError:
                    pass
        if not cleanup():  # first: nothing below may keep it from running
            rc = 1
        for path, text in logs:
            if text:
                print("---- daemon log %s (last lines)" % path, file=sys.stderr)
                print("\n".join(text), file=sys.stderr)
    print("bad inputs tried: %d; inputs accepted on purpose checked: %d; rows failed: %d"
          % (TRIED, ACCEPTED, len(FAILURES)))
    if FAILURES:
        print("FAILED rows (daemon differs from the README):", file=sys.stderr)
        for f in FAILURES:
            print("  " + f, file=sys.stderr)
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
