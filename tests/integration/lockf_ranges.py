#!/usr/bin/env python3
"""fcntl record locks on the table through csvfs, between two processes (stdlib only).

usage: lockf_ranges.py TABLE SED_SCRIPT

The parent holds write locks and the child probes them; SED_SCRIPT (an argument to
`sed -i -e`) is run on TABLE in the middle, so that the table gets a new version (a new inode)
while the locks are held. Prints one line per step; the test compares the output exactly.
"""
import fcntl
import os
import signal
import struct
import subprocess
import sys
import time

table, sed_script = sys.argv[1], sys.argv[2]


def try_lock(fd, kind, start, length):
    try:
        fcntl.lockf(fd, kind | fcntl.LOCK_NB, length, start)
        return "granted"
    except OSError as e:
        return "refused " + ("EAGAIN" if e.errno in (11, 13) else str(e.errno))


def getlk(fd, kind, start, length):
    # struct flock on x86_64 / aarch64 Linux: short type, short whence, off_t start, off_t len,
    # pid_t pid (+ padding).
    fmt = "hhqqi4x"
    arg = struct.pack(fmt, kind, os.SEEK_SET, start, length, 0)
    t, _, s, n, pid = struct.unpack(fmt, fcntl.fcntl(fd, fcntl.F_GETLK, arg))
    name = {fcntl.F_RDLCK: "F_RDLCK", fcntl.F_WRLCK: "F_WRLCK", fcntl.F_UNLCK: "F_UNLCK"}[t]
    if t == fcntl.F_UNLCK:
        return name
    return "%s %d+%d pid=%s" % (name, s, n, "parent" if pid == parent_pid else pid)


class Alarm(Exception):
    pass


def on_alarm(signum, frame):
    raise Alarm()


parent_pid = os.getpid()
to_child_r, to_child_w = os.pipe()
to_parent_r, to_parent_w = os.pipe()

pid = os.fork()
if pid == 0:  # the prober
    os.close(to_child_w)
    os.close(to_parent_r)

    def wait_parent():
        assert os.read(to_child_r, 1) == b"g"

    def tell_parent():
        os.write(to_parent_w, b"g")

    wait_parent()  # the parent holds a write lock on bytes [0, 10)
    fd = os.open(table, os.O_RDWR | os.O_APPEND)
    out = []
    out.append("overlap 5+10: " + try_lock(fd, fcntl.LOCK_EX, 5, 10))
    out.append("shared 9+1: " + try_lock(fd, fcntl.LOCK_SH, 9, 1))
    out.append("beside 10+10: " + try_lock(fd, fcntl.LOCK_EX, 10, 10))
    out.append("getlk 0+100: " + getlk(fd, fcntl.F_WRLCK, 0, 100))
    r = subprocess.run(["sed", "-i", "-e", sed_script, table])
    out.append("sed -i: exit %d" % r.returncode)
    fd2 = os.open(table, os.O_RDONLY)  # the new version of the table
    out.append("after sed, overlap 0+1: " + try_lock(fd2, fcntl.LOCK_SH, 0, 1))
    out.append("after sed, getlk 3+1: " + getlk(fd2, fcntl.F_RDLCK, 3, 1))
    # A blocking wait is interrupted by a signal (EINTR reaches the handler), in bounded time.
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    began = time.monotonic()
    try:
        fcntl.lockf(fd2, fcntl.LOCK_SH, 1, 0)
        out.append("blocking wait: granted?!")
    except Alarm:
        out.append("blocking wait: interrupted after %s" %
                   ("<10s" if time.monotonic() - began < 10 else ">=10s"))
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("\n".join(out), flush=True)
    tell_parent()  # the parent now closes another descriptor of the table
    wait_parent()
    # The close of any descriptor of the file drops all the parent's record locks (POSIX).
    print("after the parent's close: " + try_lock(fd, fcntl.LOCK_EX, 0, 100), flush=True)
    # Blocking waits: granted when the holder unlocks.
    tell_parent()
    wait_parent()  # the parent holds [200, 300) again and unlocks it 0.3 s later
    began = time.monotonic()
    fcntl.lockf(fd, fcntl.LOCK_EX, 100, 200)
    print("blocking wait: granted after the unlock (%s)" %
          ("<10s" if time.monotonic() - began < 10 else ">=10s"), flush=True)
    os._exit(0)

os.close(to_child_r)
os.close(to_parent_w)
fd = os.open(table, os.O_RDWR | os.O_APPEND)
fcntl.lockf(fd, fcntl.LOCK_EX, 10, 0)
os.write(to_child_w, b"g")
assert os.read(to_parent_r, 1) == b"g"
other = os.open(table, os.O_RDONLY)
os.close(other)
os.write(to_child_w, b"g")
assert os.read(to_parent_r, 1) == b"g"
fcntl.lockf(fd, fcntl.LOCK_EX, 100, 200)
os.write(to_child_w, b"g")
time.sleep(0.3)
fcntl.lockf(fd, fcntl.LOCK_UN, 100, 200)
_, status = os.waitpid(pid, 0)
print("child exit %d" % os.waitstatus_to_exitcode(status))

# Open file description locks (F_OFD_SETLK) belong to the open file and go with its last close.
F_OFD_SETLK = 37


def ofd_lock(fd):
    try:
        fcntl.fcntl(fd, F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 10, 0))
        return "granted"
    except OSError as e:
        return "refused " + ("EAGAIN" if e.errno in (11, 13) else str(e.errno))


fd_a = os.open(table, os.O_RDWR | os.O_APPEND)
fd_b = os.open(table, os.O_RDWR | os.O_APPEND)
print("ofd lock: " + ofd_lock(fd_a))
print("ofd lock of another open file: " + ofd_lock(fd_b))
os.close(fd_a)
print("ofd lock after the holder's close: " + ofd_lock(fd_b))
os.close(fd_b)
