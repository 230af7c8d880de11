#!/bin/sh
# Fails if core/ includes a FUSE header, names FUSE types or struct stat, or if the core
# library target links libfuse.
top=${1:-.}
bad=$(grep -rnE '#include *[<"](fuse|fuse3/)|fuse_(req|ino)_t|struct stat\b' "$top/core" || true)
if [ -n "$bad" ]; then
  echo "core/ must not depend on FUSE:"; echo "$bad"; exit 1
fi
if grep -nE 'csvfs_core[^)]*(fuse|FUSE)' "$top/CMakeLists.txt"; then
  echo "csvfs_core must not link FUSE"; exit 1
fi
echo "core/ is FUSE-free"
