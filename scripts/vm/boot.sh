#!/usr/bin/env bash
# Usage: scripts/vm/boot.sh [--arch amd64|arm64] [--disk FILE]... [--nic MODEL] [--timeout SEC] [--mem MB] [--smp N] VMLINUZ INITRD
# Boots the kernel with the initramfs in QEMU (TCG: no KVM needed), a NIC (e1000 on amd64,
# virtio-net on arm64) and, with --disk, FILE as a read-only raw virtio disk (/dev/vda in the
# guest; a second --disk is /dev/vdb, and so on; FILE may be QEMU's blkdebug:CONFIG:IMAGE, whose
# CONFIG injects read errors); --nic adds a second NIC of that QEMU model on its own user
# network (the host's 127.0.0.1 is 10.0.2.2 from the guest). The serial console goes to standard
# output. QEMU is killed after SEC seconds (default 300): exit status 124 then, otherwise QEMU's own.
set -euo pipefail
arch=amd64
disks=()
nic=
timeout=300
mem=1024
smp=1
extra=()
while [ $# -gt 2 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --disk) disks+=("$2"); shift 2 ;;
    --nic) nic=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --qemu) extra+=("$2"); shift 2 ;;
    *) echo "vm/boot: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: boot.sh [--arch amd64|arm64] [--disk FILE]... [--nic MODEL] [--timeout SEC] [--mem MB] [--smp N] VMLINUZ INITRD" >&2; exit 2; }

case "$arch" in
  amd64)
    qemu=qemu-system-x86_64 package=qemu-system-x86
    # -cpu max: the emulated CPU has SSE4.2 and AES-NI, so crc32c-intel and aesni-intel can load.
    # romfile= drops the NIC's iPXE ROM, whose "Press Ctrl-B" prompt would cost seconds per boot.
    args=(-cpu max -append "console=ttyS0 quiet panic=-1" -netdev user,id=net0 -device e1000,netdev=net0,romfile=)
    for disk in "${disks[@]}"; do args+=(-drive "file=$disk,format=raw,if=virtio,readonly=on"); done
    ;;
  arm64)
    qemu=qemu-system-aarch64 package=qemu-system-arm
    # The virt board with PCI devices; -kernel boots the Image directly, no UEFI firmware.
    # pauth-impdef: QEMU's own pointer-authentication hash instead of the architected QARMA,
    # whose emulation would cost much of the time of a kernel built with pointer authentication.
    args=(-M virt -cpu max,pauth-impdef=on -append "console=ttyAMA0 quiet panic=-1"
          -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile=)
    for i in "${!disks[@]}"; do
      args+=(-drive "file=${disks[$i]},format=raw,if=none,id=disk$i,readonly=on" -device "virtio-blk-pci,drive=disk$i")
    done
    ;;
  *) echo "vm/boot: unknown architecture '$arch'" >&2; exit 2 ;;
esac
command -v "$qemu" >/dev/null || { echo "vm/boot: $qemu is missing (scripts/setup.sh installs $package)" >&2; exit 1; }
[ -z "$nic" ] || args+=(-netdev user,id=net1 -device "$nic,netdev=net1,romfile=")
args+=(-accel tcg -m "$mem" -smp "$smp" -nographic -no-reboot -kernel "$1" -initrd "$2" "${extra[@]}")
# SIGKILL a few seconds after SIGTERM: a wedged QEMU must never outlive its caller's budget.
exec timeout --kill-after=5 "$timeout" "$qemu" "${args[@]}" < /dev/null
