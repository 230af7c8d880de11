#!/usr/bin/env python3
"""replace_filter.py [--threads] PATH SUFFIX: rewrites PATH without the lines ending in SUFFIX,
the way careful programs do: a tempfile in the same directory, then os.replace over PATH.
With --threads the table is read on one thread and the result renamed over it on another (as
Go programs such as Miller do): the kernel tags FUSE requests with the thread's id."""
import os
import sys
import tempfile
import threading

args = sys.argv[1:]
threads = args[0] == "--threads"
if threads:
    args = args[1:]
path, suffix = args[0], args[1].encode()


def read():
    with open(path, "rb") as f:
        return f.readlines()


if threads:
    box = []
    reader = threading.Thread(target=lambda: box.append(read()))
    reader.start()
    reader.join()
    lines = box[0]
else:
    lines = read()
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
with os.fdopen(fd, "wb") as out:
    out.writelines(l for l in lines if not l.rstrip(b"\r\n").endswith(suffix))
    out.flush()
    os.fsync(out.fileno())
if threads:
    renamer = threading.Thread(target=os.replace, args=(tmp, path))
    renamer.start()
    renamer.join()
else:
    os.replace(tmp, path)
