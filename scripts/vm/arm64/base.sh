#!/usr/bin/env bash
# Prints the path of the arm64 guest's system layer, an uncompressed newc cpio archive cached
# under .cache/vm/arm64/ and keyed by the versions of its inputs: Debian's arm64 packages of
# busybox-static (the shell and tools), Debian's kmod (the peer, at /opt/kmod/bin) and the
# libraries node and kmod need, unpacked with dpkg-deb -x, plus Node for arm64 (node.sh) at
# /usr/bin/node. The arm64 twin of scripts/vm/base.sh, whose layer is the host's own binaries.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/scripts/vm/lib.sh"
arch=arm64
. "$top/scripts/debian-apt.sh"
cache="$top/.cache/vm/arm64"
mkdir -p "$cache"

# node: libc6, libstdc++6, libgcc-s1; kmod: libzstd1, liblzma5, libssl3 (libcrypto).
packages=(busybox-static libc6 libstdc++6 libgcc-s1 kmod libzstd1 liblzma5 libssl3)
node_dir=$("$top/scripts/vm/arm64/node.sh")

# The versions apt would download now: the cache key, read from the private package lists.
versions() {
  apt-cache "${apt_opts[@]}" show --no-all-versions "${packages[@]/%/:$arch}" 2>/dev/null \
    | awk '/^Package:/ { p = $2 } /^Version:/ { print p, $2 }'
}
listed=$(versions || true)
if [ "$(echo "$listed" | grep -c .)" -ne ${#packages[@]} ]; then
  apt-get "${apt_opts[@]}" -qq update >/dev/null 2>&1 || true
  listed=$(versions || true)
fi
if [ "$(echo "$listed" | grep -c .)" -ne ${#packages[@]} ]; then
  # No package lists (no network): an existing layer is reused as it is.
  found=$(find "$cache" -maxdepth 1 -name 'base-*.cpio' -print -quit)
  if [ -n "$found" ]; then
    echo "vm/arm64/base: cannot read the arm64 package lists; reusing $found" >&2
    echo "$found"
    exit 0
  fi
  echo "vm/arm64/base: cannot resolve ${packages[*]} for $arch" >&2
  exit 1
fi
key=$( (echo "$listed"; basename "$node_dir"; command -v aarch64-linux-gnu-strip; cat "$0" "$top/scripts/vm/lib.sh") | sha256sum | cut -c1-16)
out="$cache/base-$key.cpio"
if [ -f "$out" ]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d "$cache/.base.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get "${apt_opts[@]}" -qq download "${packages[@]/%/:$arch}" >/dev/null 2>&1); then
  # Lists older than the mirror name versions it no longer has: refresh them and start again,
  # once, since the key depends on the versions.
  [ -z "${VM_ARM64_BASE_RETRY:-}" ] || { echo "vm/arm64/base: cannot download ${packages[*]} for $arch" >&2; exit 1; }
  apt-get "${apt_opts[@]}" -qq update >/dev/null 2>&1 || true
  rm -rf "$work"
  VM_ARM64_BASE_RETRY=1 exec "$0"
fi
stage="$work/stage"
mkdir -p "$stage"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/debs"; done
# Programs and libraries only: documentation, init scripts and configuration stay out.
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,root,etc,opt/kmod/bin}
cp -a "$work/debs/lib" "$stage/lib"
[ ! -d "$work/debs/usr/lib" ] || { mkdir -p "$stage/usr"; cp -a "$work/debs/usr/lib" "$stage/usr/lib"; }
# (gconv: character set converters neither node nor kmod loads, a fifth of the libraries' size.)
rm -rf "$stage/lib/modprobe.d" "$stage/lib/systemd" "$stage/usr/lib/"{ssl,systemd} "$stage/usr/lib/aarch64-linux-gnu/gconv"
cp "$work/debs/bin/busybox" "$stage/bin/busybox"
cp "$work/debs/bin/kmod" "$stage/opt/kmod/bin/kmod"
for tool in modprobe insmod rmmod lsmod modinfo depmod; do ln -s kmod "$stage/opt/kmod/bin/$tool"; done
# The official build keeps its debugging symbols: 14 MB the kernel would unpack at every boot.
if command -v aarch64-linux-gnu-strip >/dev/null; then
  aarch64-linux-gnu-strip -o "$stage/usr/bin/node" "$node_dir/bin/node"
else
  cp "$node_dir/bin/node" "$stage/usr/bin/node"
fi
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"

cpio_of_dir "$stage" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
find "$cache" -maxdepth 1 -name 'base-*.cpio' ! -path "$out" -delete
echo "$out"
