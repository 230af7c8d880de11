#!/usr/bin/env python3
"""replace_filter.py PATH SUFFIX: rewrites PATH without the lines ending in SUFFIX, the way
careful programs do: a tempfile in the same directory, then os.replace over PATH."""
import os
import sys
import tempfile

path, suffix = sys.argv[1], sys.argv[2].encode()
with open(path, "rb") as f:
    lines = f.readlines()
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
with os.fdopen(fd, "wb") as out:
    out.writelines(l for l in lines if not l.rstrip(b"\r\n").endswith(suffix))
    out.flush()
    os.fsync(out.fileno())
os.replace(tmp, path)
