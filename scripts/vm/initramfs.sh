#!/usr/bin/env bash
# Usage: scripts/vm/initramfs.sh [--arch amd64|arm64] OUT [DIR...]
# Writes the guest's initramfs to OUT: the cached system layer (base.sh, or arm64/base.sh for an
# arm64 guest, whose node_modules then come from arm64/addons.sh), then the built project
# (dist/, package.json and the production node_modules under /opt/modbundle, the guest's /init
# and its check helpers under /vm), then the contents of each DIR (bundles, /vm/scenario.sh, ...),
# as concatenated uncompressed newc archives: the fastest for the kernel to unpack, and a later
# file of the same path replaces an earlier one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/vm/lib.sh"
arch=amd64
if [ "${1:-}" = --arch ]; then arch=$2; shift 2; fi
out=$1
shift

[ -f "$top/dist/modbundle.js" ] || { echo "vm/initramfs: dist/ is not built (npm run build)" >&2; exit 1; }
case "$arch" in
  amd64) base=$("$top/scripts/vm/base.sh"); modules_root=$top ;;
  arm64) base=$("$top/scripts/vm/arm64/base.sh"); modules_root=$("$top/scripts/vm/arm64/addons.sh") ;;
  *) echo "vm/initramfs: unknown architecture '$arch'" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/modbundle-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage="$work/project"
mkdir -p "$stage/opt/modbundle/bin" "$stage/vm"
# Only what `npm ci --omit=dev` would install: the guest has no use for the build tools.
mapfile -t deps < <(cd "$top" && npm ls --omit=dev --parseable --all 2>/dev/null | sed -n "s|^$top/||p" | grep '^node_modules/')
[ ${#deps[@]} -gt 0 ] || { echo "vm/initramfs: npm ls found no production dependencies (npm ci)" >&2; exit 1; }
# dist/modbundle-linux-* (npm run sea) is another way to ship the program, not part of this one.
tar -C "$top" --exclude='dist/modbundle-linux-*' -cf - dist package.json | tar -C "$stage/opt/modbundle" -xf -
tar -C "$modules_root" -cf - "${deps[@]}" | tar -C "$stage/opt/modbundle" -xf -
install -m 755 "$top/scripts/vm/guest/init.sh" "$stage/init"
install -m 644 "$top/scripts/vm/guest/checks.sh" "$stage/vm/checks.sh"

parts=("$base")
cpio_of_dir "$stage" "$work/project.cpio"
parts+=("$work/project.cpio")
n=0
for dir in "$@"; do
  n=$((n + 1))
  cpio_of_dir "$dir" "$work/extra-$n.cpio"
  parts+=("$work/extra-$n.cpio")
done
cat "${parts[@]}" > "$out.tmp"
mv "$out.tmp" "$out"
