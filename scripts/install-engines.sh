#!/bin/sh
# Install the builds of flux-core and Dakota that DEPS holds (the project's
# shared deps folder: flux-core-*-debian12-amd64.tar.xz unpacking to
# /opt/flux, dakota-*-debian12-amd64.tar.xz unpacking to /opt/dakota), with
# the Debian packages they need at run time. Neither is a Debian package; a
# user's machine has them where its site installed them. What is already
# installed (the same version) is left alone; a tarball that is absent is
# skipped with a line.
# Usage: scripts/install-engines.sh DEPS     (as root)
# Then: PKG_CONFIG_PATH=/opt/flux/lib/pkgconfig finds flux-core (the Flux
# backend is built), and /opt/flux/bin, /opt/dakota/bin hold flux and dakota.
set -eu
deps=${1:?usage: scripts/install-engines.sh DEPS}
here=$(cd "$(dirname "$0")" && pwd)

# install NAME TARBALL-GLOB PROGRAM VERSION-FILE
install_one() {
    name=$1 glob=$2 prog=$3
    tarball=""
    for f in "$deps"/$glob; do [ -f "$f" ] && tarball=$f; done
    if [ -z "$tarball" ]; then
        echo "batchtile: no $name build in $deps: its tests will skip"
        return 0
    fi
    sh "$here/install-deps.sh" "$name"
    stamp=/opt/.batchtile-$name
    if [ -x "$prog" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$(basename "$tarball")" ]; then
        return 0
    fi
    echo "batchtile: installing $(basename "$tarball")"
    tar -C / -xJf "$tarball"
    [ -x "$prog" ] || { echo "batchtile: $tarball did not give $prog" >&2; exit 1; }
    basename "$tarball" >"$stamp"
}
install_one flux 'flux-core-*-debian12-amd64.tar.xz' /opt/flux/bin/flux
install_one dakota 'dakota-*-debian12-amd64.tar.xz' /opt/dakota/bin/dakota
