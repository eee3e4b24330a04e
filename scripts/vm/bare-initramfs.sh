#!/usr/bin/env bash
# Usage: scripts/vm/bare-initramfs.sh OUT [--libs-of PROGRAM]... [DIR...]
# Writes a guest initramfs with no node, no kmod and no project: busybox-static, the shared
# libraries ldd lists for each PROGRAM (at their host paths; the programs themselves come in a
# DIR), the guest's /init and check helpers, then the contents of each DIR, as concatenated
# uncompressed newc archives (see initramfs.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/vm/lib.sh"
out=$1
shift
programs=()
while [ "${1:-}" = --libs-of ]; do
  programs+=("$2")
  shift 2
done
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || { echo "vm/bare-initramfs: /bin/busybox must be busybox-static (scripts/setup.sh)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/modbundle-bare-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/system"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,mnt,root,etc,vm}
cp /bin/busybox "$stage/bin/busybox"
if [ ${#programs[@]} -gt 0 ]; then
  mapfile -t libs < <(ldd_libraries "${programs[@]}")
  copy_at_same_path "$stage" "${libs[@]}"
fi
install -m 755 "$top/scripts/vm/guest/init.sh" "$stage/init"
install -m 644 "$top/scripts/vm/guest/checks.sh" "$stage/vm/checks.sh"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"

parts=()
cpio_of_dir "$stage" "$work/system.cpio"
parts+=("$work/system.cpio")
n=0
for dir in "$@"; do
  n=$((n + 1))
  cpio_of_dir "$dir" "$work/extra-$n.cpio"
  parts+=("$work/extra-$n.cpio")
done
cat "${parts[@]}" > "$out.tmp"
mv "$out.tmp" "$out"
