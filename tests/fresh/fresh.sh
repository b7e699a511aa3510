#!/usr/bin/env bash
# The fresh-machine test: what a newcomer's first `make demo` meets.
#
# Builds (or takes from the cache) a Debian 12 root made by
# `debootstrap --variant=minbase` with nothing added but `make`, copies a
# clean export of the repository (`git archive HEAD`) into it, and inside it,
# with chroot, runs `make demo` and then `make unit` (the unit tests, whose
# only extra dependency is cmocka). The demo's tabular file must have 80 rows
# whose f is sum((x_i - 1)^4). Then `make demo` runs once more (a second run
# must also work) and once after an interrupted configure.
#
#   tests/fresh/fresh.sh            as root; needs debootstrap (installed if missing)
#
# The bootstrapped root is cached as a tarball under $BT_FRESH_CACHE
# (default /var/cache/batchtile-fresh), and so are the .deb files apt
# downloads inside it, so that a rerun costs minutes; an empty cache works,
# only slower. Everything mounted inside the root is unmounted on every exit,
# failure included, before the root is deleted.
# Exit status: 0 passed, 1 failed, 77 skipped (not root, or no Debian apt).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${BT_FRESH_CACHE:-/var/cache/batchtile-fresh}
suite=bookworm

[ "$(id -u)" = 0 ] || { echo "skipped: the fresh-machine test needs root (debootstrap, chroot)"; exit 77; }
command -v apt-get >/dev/null || { echo "skipped: no apt-get on this machine"; exit 77; }

log() { printf 'fresh: %s\n' "$*"; }

# The host's own Debian mirror: the first deb URI of its apt sources that
# serves the suite (deb822 .sources files or one-line .list files).
mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v suite="$suite" '
            /^[ \t]*$/ { if (uri != "" && has) { print uri; exit } uri = ""; has = 0; next }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
            END { if (uri != "" && has) print uri }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v suite="$suite" '$1 == "deb" { u = $2; s = $3; if ($2 ~ /^\[/) { u = $3; s = $4 } if (s == suite) print u }' || true
}
url=$(mirror | head -n 1)
[ -n "$url" ] || { echo "skipped: no Debian $suite mirror in this machine's apt sources"; exit 77; }

if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
fi

mkdir -p "$cache/debs"
base="$cache/$suite-minbase-make.tar"
work=$(mktemp -d /var/tmp/batchtile-fresh.XXXXXX)
root="$work/root"
mounts=()

cleanup() {
    local rc=$? m i
    # unmount in reverse order, lazily if busy; never delete through a mount
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        m=${mounts[$i]}
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    if grep -q " $root" /proc/mounts; then
        echo "fresh: something is still mounted under $root; not deleting it" >&2
        grep " $root" /proc/mounts >&2
        exit 1
    fi
    rm -rf --one-file-system "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mount_in() { # mount_in OPTIONS... TARGET
    local target=${!#}
    mkdir -p "$target"
    mount "$@"
    mounts+=("$target")
}

# ---- the base root: Debian minbase + make, cached -------------------------
if [ ! -s "$base" ]; then
    log "bootstrapping Debian $suite (minbase) from the host's mirror; cached in $cache"
    mkdir -p "$work/boot"
    debootstrap --variant=minbase --include=make "$suite" "$work/boot" "$url" >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log" >&2; echo "fresh: debootstrap failed" >&2; exit 1; }
    tar -C "$work/boot" -cf "$base.tmp" . && mv "$base.tmp" "$base"
    rm -rf --one-file-system "$work/boot"
else
    log "using the cached root $base"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"

# apt inside the root: the host's sources and keyrings, packages kept for reuse
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
rm -f "$root/etc/apt/sources.list"
mkdir -p "$root/etc/apt/sources.list.d" "$root/usr/share/keyrings"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
cp /etc/apt/sources.list.d/*.list "$root/etc/apt/sources.list.d/" 2>/dev/null || true
cp /usr/share/keyrings/*.gpg "$root/usr/share/keyrings/" 2>/dev/null || true
cat >"$root/etc/apt/apt.conf.d/90batchtile-fresh" <<'EOF'
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Keep-Downloaded-Packages "true";
Acquire::Check-Valid-Until "false";
EOF
rm -f "$root/etc/apt/apt.conf.d/docker-clean"

mount_in -t proc proc "$root/proc"
mount_in --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
mount_in --bind /dev "$root/dev"
mount_in -t devpts devpts "$root/dev/pts" 2>/dev/null || true
mount_in --bind "$cache/debs" "$root/var/cache/apt/archives"
mkdir -p "$root/var/cache/apt/archives/partial"

# ---- the repository, as a clone would have it -----------------------------
mkdir -p "$root/src/batchtile"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" archive HEAD | tar -C "$root/src/batchtile" -xf -
else
    tar -C "$top" --exclude=./build --exclude='./build-*' --exclude=./demo -cf - . | tar -C "$root/src/batchtile" -xf -
fi

in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 /bin/sh -c "cd /src/batchtile && $1"; }

fail() { echo "fresh: FAILED: $*" >&2; exit 1; }

check_tabular() {
    local tab="$root/src/batchtile/demo/dakota_tabular.dat"
    [ -f "$tab" ] || fail "make demo left no demo/dakota_tabular.dat"
    awk '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
                  if (!("f" in col) || !("x1" in col)) { print "no f or x1 column"; bad = 1; exit }
                  next }
        { rows++
          f = 0
          for (i = 1; ("x" i) in col; i++) { x = $(col["x" i]); f += (x - 1) ^ 4 }
          got = $(col["f"])
          if ((got - f) > 1e-9 * (1 + f) || (f - got) > 1e-9 * (1 + f)) { print "row " NR ": f " got ", expected " f; bad = 1 } }
        END { if (!bad && rows != 80) { print rows " rows, expected 80"; bad = 1 } exit bad }' "$tab" ||
        fail "demo/dakota_tabular.dat is wrong"
    log "demo/dakota_tabular.dat: 80 rows, f = sum((x_i - 1)^4) in every one"
}

log "make demo in a root that has only Debian minbase and make"
in_root "make demo" >"$work/demo1.log" 2>&1 || { tail -40 "$work/demo1.log" >&2; fail "make demo"; }
check_tabular

log "make unit (the unit tests, in the same root)"
in_root "make unit" >"$work/unit.log" 2>&1 || { tail -40 "$work/unit.log" >&2; fail "make unit"; }
grep -q "tests passed" "$work/unit.log" || { tail -20 "$work/unit.log" >&2; fail "make unit ran no test"; }
grep "tests passed" "$work/unit.log" | sed 's/^/fresh: /'

log "make demo again"
rm -rf "$root/src/batchtile/demo"
in_root "make demo" >"$work/demo2.log" 2>&1 || { tail -40 "$work/demo2.log" >&2; fail "the second make demo"; }
check_tabular

log "make demo after an interrupted configure"
rm -rf "$root/src/batchtile/build" "$root/src/batchtile/demo"
# the configure is killed half-way: CMake has written part of build/ by then
in_root "timeout -s INT 0.3 make configure >/dev/null 2>&1" || true
[ -e "$root/src/batchtile/build/.bt-configured" ] &&
    log "(the configure finished within 0.3 s: the left-over cache below is the case then)"
# and the state a failed configure leaves: a cache and no Makefile
rm -f "$root/src/batchtile/build/Makefile" "$root/src/batchtile/build/.bt-configured"
mkdir -p "$root/src/batchtile/build" && touch "$root/src/batchtile/build/CMakeCache.txt"
in_root "make demo" >"$work/demo3.log" 2>&1 || { tail -40 "$work/demo3.log" >&2; fail "make demo after an interrupted configure"; }
check_tabular

log "passed"
