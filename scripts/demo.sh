#!/usr/bin/env bash
# npm run demo [-- --arch arm64]: a real Debian kernel and all its modules as two files, booted
# in QEMU, loading its drivers from the one modules file. With --arch arm64, the cross-compile
# story: Debian's arm64 kernel, packed on this x86-64 machine, booted on an emulated arm64 board.
# Works on a fresh clone: installs and builds what it needs first. Leaves its files in .cache/
# (the kernel) and .cache/demo/ (the bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
t_start=$(date +%s.%N)
arch=amd64
case "${1:-}" in
  --arch) arch=${2:-} ;;
  --arch=*) arch=${1#--arch=} ;;
  "") ;;
  *) echo "usage: npm run demo [-- --arch amd64|arm64]" >&2; exit 2 ;;
esac
case "$arch" in
  amd64) qemu=qemu-system-x86_64 set="btrfs ext4 xfs vfat isofs dm_crypt xts aesni_intel virtio_net" ;;
  arm64) qemu=qemu-system-aarch64 set="btrfs ext4 xfs vfat isofs dm_crypt xts aes_ce_blk virtio_net" ;;
  *) echo "demo: unknown architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
mb() { awk -v n="$1" 'BEGIN { printf "%.1f MB", n / 1e6 }'; }

cat <<'INTRO'
modbundle demo
==============
A Linux kernel is one file (vmlinuz), but its drivers are thousands of module files under
/lib/modules. modbundle packs all of them into ONE file, and provides modprobe/lsmod/... that
load drivers straight from that file. This demo takes Debian's real kernel, packs its modules,
and boots it in a virtual machine (QEMU) that gets the kernel, that one file, and a small
initramfs holding the tools (busybox, node, modbundle).
INTRO
if [ "$arch" = arm64 ]; then
  cat <<'CROSS'

This run is the cross-compile story: the kernel is Debian's arm64 build, and its modules are
packed into one file here, on an x86-64 machine (pack reads any architecture's modules). QEMU
then emulates an arm64 board that boots that kernel with Debian's arm64 busybox, Node for arm64
and modbundle (its native FFI addon cross-compiled here), and loads drivers from the file: what
you would copy to a slow ARM board, without ever running depmod on it.
CROSS
fi

step "[1/5] Preparing this machine (npm packages, QEMU, busybox)"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/vm/host-packages.sh
if [ "$arch" = arm64 ]; then
  echo "      arm64 userland: $(basename "$(scripts/vm/arm64/base.sh)") (Debian's arm64 packages, Node $(basename "$(scripts/vm/arm64/node.sh)" | sed 's/^node-//') for arm64)"
  echo "      ffi-napi/ref-napi cross-built for arm64: $(basename "$(scripts/vm/arm64/addons.sh)")"
fi
echo "      ready"

step "[2/5] Building modbundle"
npm run --silent build
echo "      dist/modbundle.js"

step "[3/5] Fetching Debian's kernel package (unpacked under .cache/, not installed)"
root=$(scripts/fetch-kernel.sh "$arch")
version=$(ls "$root/lib/modules")
vmlinuz="$root/boot/vmlinuz-$version"
moddir="$root/lib/modules/$version"
ko_count=$(find "$moddir" -name '*.ko*' | wc -l)
echo "      $(cat ".cache/kernel/$arch/PACKAGE"): vmlinuz-$version ($(mb "$(stat -c %s "$vmlinuz")")),"
echo "      and $ko_count module files in /lib/modules/$version ($(du -sh "$moddir" | cut -f1))"

step "[4/5] Packing all $ko_count modules into one file"
mkdir -p .cache/demo
bundle=".cache/demo/modules-$version"
t_pack=$(date +%s.%N)
echo "      \$ modbundle pack $moddir -o $bundle"
node dist/modbundle.js pack "$moddir" -o "$bundle"
echo "      $bundle: $(mb "$(stat -c %s "$bundle")") in $(elapsed "$t_pack")"
# The guest needs the disk driver before it can see the disk: a bundle of just that goes into
# the initramfs (what `pack --only` is for).
small=".cache/demo/virtio-$version.bundle"
node dist/modbundle.js pack "$moddir" -o "$small" --only virtio_pci --only virtio_blk

work=$(mktemp -d "${TMPDIR:-/tmp}/modbundle-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/overlay/vm"
cp "$small" "$work/overlay/vm/virtio.bundle"
cp scripts/vm/guest/demo.sh "$work/overlay/vm/scenario.sh"
echo "$set" > "$work/overlay/vm/demo.set"
scripts/vm/initramfs.sh --arch "$arch" "$work/initrd" "$work/overlay"

if [ "$arch" = arm64 ]; then
  step "[5/5] Booting the kernel on an emulated arm64 board, QEMU's virt machine (every arm64 instruction emulated: a few minutes)"
else
  step "[5/5] Booting the kernel in QEMU (an emulated CPU, so it takes half a minute or so)"
fi
echo "      $qemu -kernel vmlinuz-$version -initrd initramfs -drive file=modules-$version,if=virtio ..."
echo
t_boot=$(date +%s.%N)
scripts/vm/boot.sh --arch "$arch" --timeout 900 --disk "$bundle" "$vmlinuz" "$work/initrd" > "$work/console" &
boot_pid=$!
# Show the guest's narration as it comes; everything else on the console is boot noise.
tail -f --pid="$boot_pid" "$work/console" 2>/dev/null | sed -u -n -e 's/.*@@SAY \{0,1\}/    /p' -e 's/.*@@SHOW /      /p'
wait "$boot_pid" || { echo "QEMU failed; the console is in $work/console" >&2; trap - EXIT; exit 1; }
boot_time=$(elapsed "$t_boot")

stat_of() { sed -n "s/.*@@STAT $1 //p" "$work/console" | tr -d '\r'; }
modules=$(stat_of modules)
from_small=$(stat_of from_small)
seconds=$(stat_of seconds)
[ -n "$modules" ] || { echo "The guest did not report; the console is in $work/console" >&2; trap - EXIT; exit 1; }

step "What happened"
printf '  The VM was given three files:\n'
printf '    %-28s %9s  the kernel\n' "vmlinuz-$version" "$(mb "$(stat -c %s "$vmlinuz")")"
printf '    %-28s %9s  all %s modules in one file, attached as a raw disk (/dev/vda)\n' "modules-$version" "$(mb "$(stat -c %s "$bundle")")" "$ko_count"
printf '    %-28s %9s  busybox, node and modbundle, plus a %s bundle of the disk driver\n' "initramfs" "$(mb "$(stat -c %s "$work/initrd")")" "$(mb "$(stat -c %s "$small")")"
printf '  Modules loaded: %s; %s of them (virtio) from the small bundle, the other %s from the one big file.\n' "$modules" "$from_small" "$((modules - from_small))"
printf '  The VM has no /lib/modules: no module tree, no depmod, just the file.\n'
[ "$arch" != arm64 ] || printf '  The kernel is arm64 and so is every module loaded; the file was made on this %s machine.\n' "$(uname -m)"
printf '  Time: %s s to load them inside the VM, %s from power-on to power-off, %s for the whole demo.\n' "$seconds" "$boot_time" "$(elapsed "$t_start")"
printf '  (QEMU emulates the CPU in software here, without KVM: the VM runs several times slower than hardware.)\n'
