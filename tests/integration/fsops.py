#!/usr/bin/env python3
"""fsops.py OP ARGS...: one file-system operation, reported exactly.

Prints OK, or the errno name of the FIRST failing system call (open, write, close, ...), and
exits 0 either way, so that a test can assert the exact errno. DATA arguments take backslash
escapes (\\n, \\r, \\x00, \\\\).

  append PATH DATA          open(O_WRONLY|O_APPEND), write all, close
  write PATH DATA           open(O_WRONLY|O_CREAT|O_TRUNC), write all, close
  update PATH DATA          open(O_WRONLY) without O_CREAT, write all, close
  create_excl PATH DATA     open(O_WRONLY|O_CREAT|O_EXCL), write all, close
  truncate_only PATH        open(O_WRONLY|O_TRUNC), close (no write)
  read PATH                 open(O_RDONLY), read to EOF, close
  unlink|mkdir|rmdir|mknod|mkfifo PATH
  symlink TARGET PATH | link SRC DST | rename SRC DST | rename_noreplace SRC DST
  listdir DIR               prints the entries in directory order, space separated
  race N OP ARGS...         forks N processes that wait on one barrier, then each runs
                            OP ARGS ("{i}" in an argument becomes the child's index);
                            prints one line "INDEX RESULT" per child, by index
  run CMD ARGS...           runs CMD; reports EXIT<code> and the first line of its stderr
  mmap PATH OUT             maps PATH (MAP_SHARED and MAP_PRIVATE, PROT_READ), checks both
                            views agree and writes the bytes to OUT
"""
import codecs
import ctypes
import errno
import mmap
import os
import stat
import subprocess
import sys


def data(arg):
    return codecs.escape_decode(arg.encode())[0]


def write_all(fd, buf):
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def open_write_close(path, flags, buf):
    fd = os.open(path, flags, 0o644)
    try:
        write_all(fd, buf)
    except OSError:
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    os.close(fd)


def op_read(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        while os.read(fd, 1 << 16):
            pass
    finally:
        os.close(fd)


def op_rename_noreplace(src, dst):
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, rename_noreplace = -100, 1
    if libc.renameat2(at_fdcwd, src.encode(), at_fdcwd, dst.encode(), rename_noreplace) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def op_mmap(path, out):
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        with mmap.mmap(f.fileno(), size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ) as m:
            shared = bytes(m)
        with mmap.mmap(f.fileno(), size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ) as m:
            private = bytes(m)
    if shared != private:
        raise SystemExit("MAP_SHARED and MAP_PRIVATE views differ")
    with open(out, "wb") as f:
        f.write(shared)


OPS = {
    "append": lambda p, d: open_write_close(p, os.O_WRONLY | os.O_APPEND, data(d)),
    "write": lambda p, d: open_write_close(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, data(d)),
    "update": lambda p, d: open_write_close(p, os.O_WRONLY, data(d)),
    "create_excl": lambda p, d: open_write_close(
        p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, data(d)),
    "truncate_only": lambda p: os.close(os.open(p, os.O_WRONLY | os.O_TRUNC)),
    "read": op_read,
    "unlink": os.unlink,
    "mkdir": os.mkdir,
    "rmdir": os.rmdir,
    "mknod": lambda p: os.mknod(p, 0o600 | stat.S_IFCHR, os.makedev(1, 3)),
    "mkfifo": os.mkfifo,
    "symlink": os.symlink,
    "link": os.link,
    "rename": os.rename,
    "rename_noreplace": op_rename_noreplace,
    "mmap": op_mmap,
}


def run(op, args):
    """Returns 'OK' or the errno name of the failure."""
    if op == "run":
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return ("EXIT%d %s" % (p.returncode, err[0] if err else "")).rstrip()
    try:
        OPS[op](*args)
        return "OK"
    except OSError as e:
        return errno.errorcode.get(e.errno, "E?%s" % e.errno)


def race(n, op, args):
    gate_r, gate_w = os.pipe()
    children = []
    for i in range(n):
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(gate_w)
            os.close(res_r)
            my_args = [a.replace("{i}", str(i)) for a in args]
            os.read(gate_r, 1)  # blocks until the parent closes the write end: EOF for all
            result = run(op, my_args)
            os.write(res_w, result.encode())
            os._exit(0)
        os.close(res_w)
        children.append((i, pid, res_r))
    os.close(gate_r)
    os.close(gate_w)  # opens the gate
    for i, pid, res_r in children:
        chunks = []
        while True:
            b = os.read(res_r, 100)
            if not b:
                break
            chunks.append(b)
        os.close(res_r)
        os.waitpid(pid, 0)
        print(i, b"".join(chunks).decode() or "CRASHED")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    op, args = argv[1], argv[2:]
    if op == "listdir":
        print(" ".join(os.listdir(args[0])))
    elif op == "race":
        race(int(args[0]), args[1], args[2:])
    elif op in OPS or op == "run":
        print(run(op, args))
    else:
        raise SystemExit("unknown op %s\n%s" % (op, __doc__))


if __name__ == "__main__":
    main(sys.argv)
