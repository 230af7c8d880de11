#!/bin/bash
# deps.sh [build|all]: installs the Debian packages that csvfs needs to build (`build`) or to
# build and run every test (`all`, the default) when any of them is missing. Needs root and
# apt-get; without them it only lists what is missing and fails.
set -euo pipefail

build=(build-essential g++ cmake pkg-config libfuse3-dev fuse3 libspdlog-dev libfmt-dev catch2)
# The integration tests' tools (python3 stdlib only), the man page check, and what the
# benchmarks and the clang sanitizer builds use.
tests=(python3 perl vim rsync miller logrotate psmisc util-linux procps coreutils findutils man-db groff-base
       sqlite3 clang libclang-rt-14-dev gnuplot-nox)

case ${1:-all} in
  build) want=("${build[@]}") ;;
  all) want=("${build[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 [build|all]" >&2; exit 1 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
    missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "deps.sh: missing packages (install them as root): ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
