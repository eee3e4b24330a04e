#!/usr/bin/env bash
# Makes a copy of a module tree with every .ko compressed as the kernel's modules_install would
# (xz --check=crc32 --lzma2=dict=1MiB, or zstd), for the compressed-tree tests. Reuses a copy
# that is complete. Usage: scripts/compress-tree.sh SRC DST xz|zstd
set -euo pipefail
src=$1 dst=$2 kind=$3
[ -f "$dst/.complete" ] && exit 0
rm -rf "$dst"
mkdir -p "$(dirname "$dst")"
cp -r "$src" "$dst.partial"
case "$kind" in
  xz) cmd=(xz --check=crc32 --lzma2=dict=1MiB -T1) ;;
  zstd) cmd=(zstd -q --rm -T1) ;;
  *) echo "compress-tree: unknown kind $kind" >&2; exit 2 ;;
esac
(cd "$dst.partial" && find . -name '*.ko' -print0 | xargs -0 -n 32 -P "$(nproc)" "${cmd[@]}")
touch "$dst.partial/.complete"
mv "$dst.partial" "$dst"
