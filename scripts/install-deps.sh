#!/bin/sh
# Install the Debian packages batchtile needs to build and test, only those
# that are missing. Runs apt-get only as root; otherwise lists what is missing.
# Usage: scripts/install-deps.sh [build|unit|check|bench]
#   build  what `make` and `make demo` need
#   unit   and cmocka, for the unit tests (`make unit`)
#   check  and everything the whole suite uses (`make check`)
#   flux   the runtime libraries of a flux-core build (scripts/install-engines.sh)
#   dakota the runtime libraries of a Dakota build (scripts/install-engines.sh)
set -eu
what=${1:-build}

pkgs="cmake make gcc libc6-dev pkg-config libjansson-dev libhwloc-dev mpich libmpich-dev"
if [ "$what" = unit ]; then
    pkgs="$pkgs libcmocka-dev"
fi
if [ "$what" = check ]; then
    pkgs="$pkgs libcmocka-dev libhwloc-plugins clang libclang-rt-dev libxml2-utils python3 slurm-wlm slurmdbd mariadb-server munge chromium strace"
fi
if [ "$what" = bench ]; then
    pkgs="$pkgs libcmocka-dev clang libclang-rt-dev libxml2-utils python3 slurm-wlm slurmdbd mariadb-server munge chromium parallel bc strace time"
fi

if [ "$what" = flux ]; then
    pkgs="libzmq5 libjansson4 libuuid1 liblz4-1 libarchive13 libhwloc15 libsqlite3-0 libncursesw6
          liblua5.1-0 lua5.1 lua-posix libpython3.11 python3 python3-cffi-backend python3-yaml python3-ply"
fi
if [ "$what" = dakota ]; then
    pkgs="libboost-filesystem1.74.0 libboost-program-options1.74.0 libboost-regex1.74.0
          libboost-serialization1.74.0 liblapack3 libblas3 libgfortran5 libquadmath0 libicu72"
fi

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "batchtile: missing Debian packages:$missing" >&2
    echo "batchtile: install them as root (apt-get install$missing) and run again" >&2
    exit 1
fi
echo "batchtile: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
