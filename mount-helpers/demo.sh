#!/bin/bash
# demo.sh: installs what is missing (Debian, as root), builds csvfs and mounts a demo table:
#   /tmp/csvfs-demo/table.csv (BACKING)  ->  /tmp/csvfs-demo/mnt
# Run it again to start over with a fresh table.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
demo=/tmp/csvfs-demo
cd "$repo"

bash tests/integration/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target csvfs

if mountpoint -q "$demo/mnt" 2>/dev/null; then
  mount-helpers/csvfs-umount "$demo/mnt" 20  # waits until the old daemon has exited
fi
rm -rf "$demo"
mkdir -p "$demo/mnt"
cat >"$demo/table.csv" <<'CSV'
id,name,city,note
1,Ada Lovelace,London,"wrote the first program, 1843"
2,Grace Hopper,New York,"""It's easier to ask forgiveness"""
3,Edsger Dijkstra,Nuenen,"shortest paths,
and a note on two lines"
4,Barbara Liskov,Boston,substitution principle
CSV
build/csvfs "$demo/table.csv" "$demo/mnt" -o "log=$demo/csvfs.log"

cat <<MSG

csvfs serves $demo/table.csv at $demo/mnt (log: $demo/csvfs.log). Try:

  cd $demo/mnt
  cat table.csv                                   # the file, byte for byte
  ls rows; cat rows/3                             # one file per row
  echo '5,Ken Thompson,Murray Hill,unix' >> table.csv
  rm rows/1                                       # deletes Ada's row
  echo '2,Grace Hopper,Arlington,COBOL' > rows/2  # replaces a row
  sed -i 's/Boston/Cambridge/' table.csv          # edits merge with concurrent appends
  tail -f table.csv                               # and append from another shell
  cat .csvfs-status
  cd /; $repo/mount-helpers/csvfs-umount $demo/mnt
                     # unmount; when it returns, $demo/table.csv holds every change
MSG
