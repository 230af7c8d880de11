#!/bin/sh
# Fails if core/ includes a FUSE header, names FUSE types or struct stat, if the csvfs_core
# target is declared to link FUSE, or if the built core library needs any fuse_* symbol.
# usage: check_layering.sh SOURCE_DIR [CORE_LIBRARY]
top=${1:-.}
bad=$(grep -rnE '#include *[<"](fuse|fuse3/)|fuse_(req|ino)_t|struct stat\b' "$top/core" || true)
if [ -n "$bad" ]; then
  echo "core/ must not depend on FUSE:"; echo "$bad"; exit 1
fi
if grep -nE 'target_link_libraries\(csvfs_core[^)]*(fuse|FUSE)' "$top/CMakeLists.txt"; then
  echo "csvfs_core must not link FUSE"; exit 1
fi
if [ -n "$2" ]; then
  syms=$(nm -u "$2" 2>/dev/null | grep -E ' fuse_' || true)
  if [ -n "$syms" ]; then
    echo "$2 needs FUSE symbols:"; echo "$syms"; exit 1
  fi
fi
echo "core/ is FUSE-free"
