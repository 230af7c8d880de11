#!/usr/bin/env python3
"""schema_edit.py PATH NEW_HEADER SUFFIX [APPEND...]: an editor that changes the table's
header while others append, deterministically: it reads PATH, then (as other processes)
appends each APPEND record with `>>`, then writes NEW_HEADER and every row it read followed by
SUFFIX to a temp file beside PATH and renames it over PATH. Prints OK or the errno name of the
failed rename (the temp file is then removed)."""
import errno
import os
import subprocess
import sys

path, header, suffix = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
with open(path, "rb") as f:
    rows = f.read().split(b"\n")[1:]
for rec in sys.argv[4:]:
    subprocess.run(["sh", "-c", 'printf "%s\\n" "$1" >>"$2"', "_", rec, path], check=True)
tmp = os.path.join(os.path.dirname(path), ".schema_edit.tmp")
with open(tmp, "wb") as f:
    f.write(header + b"\n" + b"".join(r + suffix + b"\n" for r in rows if r))
try:
    os.replace(tmp, path)
    print("OK")
except OSError as e:
    os.unlink(tmp)
    print(errno.errorcode.get(e.errno, str(e.errno)))
