#!/usr/bin/env bash
# Prints the path of the guest's system layer, an uncompressed newc cpio archive cached under
# .cache/vm/ and keyed by its inputs: busybox-static, the host's node (NODE, default the one on
# PATH) and Debian's kmod, each with the libraries ldd lists, at the paths they have on the host.
# The kernel unpacks concatenated archives one after the other, so the per-run layers (project,
# scenario) are appended to this one rather than rebuilding it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/vm/lib.sh"

node=$(readlink -f "${NODE:-$(command -v node)}")
busybox=/bin/busybox
kmod=$(readlink -f "$(command -v kmod || echo /usr/bin/kmod)")
for f in "$node" "$busybox" "$kmod"; do
  [ -x "$f" ] || { echo "vm/base: $f is missing (scripts/setup.sh installs busybox-static and kmod)" >&2; exit 1; }
done
if ldd "$busybox" >/dev/null 2>&1; then
  echo "vm/base: $busybox is not statically linked (install busybox-static)" >&2
  exit 1
fi

mapfile -t libs < <(ldd_libraries "$node" "$kmod")
inputs=("$node" "$busybox" "$kmod" "${libs[@]}" "$top/scripts/vm/base.sh" "$top/scripts/vm/lib.sh")
key=$( (echo "$node"; stat -L -c '%n %s %Y' "${inputs[@]}") | sha256sum | cut -c1-16)
out="$top/.cache/vm/base-$key.cpio"
if [ -f "$out" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$top/.cache/vm"
stage=$(mktemp -d "$top/.cache/vm/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,root,etc,opt/kmod/bin}
cp "$busybox" "$stage/bin/busybox"
copy_at_same_path "$stage" "$node" "${libs[@]}"
# Where the kernel's usermode helpers and "#!/usr/bin/env node" look for it.
[ "$node" = /usr/bin/node ] || ln -s "$node" "$stage/usr/bin/node"
# Debian's kmod, kept out of PATH: the peer the tests compare with, run by absolute path.
cp "$kmod" "$stage/opt/kmod/bin/kmod"
for tool in modprobe insmod rmmod lsmod modinfo depmod; do ln -s kmod "$stage/opt/kmod/bin/$tool"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"

# A private temporary name: test processes running side by side may build the same layer.
cpio_of_dir "$stage" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
# Older layers are no longer wanted; each is over 100 MB.
find "$top/.cache/vm" -maxdepth 1 -name 'base-*.cpio' ! -path "$out" -delete
echo "$out"
