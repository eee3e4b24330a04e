# Guest side of npm run demo (scripts/demo.sh): loads a realistic set of modules from the bundle
# attached as /dev/vda and narrates. "@@SAY" lines are shown to the user as they are, "@@SHOW"
# lines are command output, "@@STAT" lines feed the host's summary.
. /vm/checks.sh
BIN=/opt/modbundle/bin
$MB link $BIN > /dev/null
say() { echo "@@SAY $*"; }
show() { "$@" 2>&1 | sed 's/^/@@SHOW /'; }
now() { cut -d' ' -f1 /proc/uptime; }

if [ -e /lib/modules ]; then
  say "Linux $(uname -r) is running (and, unexpectedly, /lib/modules exists)."
else
  say "Linux $(uname -r) ($(uname -m)) is running. There is no /lib/modules in this VM: every module comes from the bundle."
fi
say ""
say "1. The disk driver, from the tiny bundle inside the initramfs:"
say "   \$ modprobe --bundle /vm/virtio.bundle -a virtio_pci virtio_blk"
start=$(now)
$BIN/modprobe --bundle /vm/virtio.bundle -a virtio_pci virtio_blk
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
if [ ! -b /dev/vda ]; then
  say "   /dev/vda did not appear; giving up."
  exit 1
fi
echo "@@STAT from_small $(wc -l < /proc/modules)"
say "   /dev/vda appeared ($(($(cat /sys/block/vda/size) / 2048)) MiB): it is the bundle file itself."
say ""
say "2. Drivers for the hardware QEMU emulates, found by their PCI and virtio modaliases (what udev does):"
say "   \$ modprobe -q --bundle /dev/vda -a \$(cat /sys/bus/{pci,virtio}/devices/*/modalias)"
$BIN/modprobe -q --bundle /dev/vda -a $(cat /sys/bus/pci/devices/*/modalias /sys/bus/virtio/devices/*/modalias)
say "   eth0 now exists, driven by $(basename "$(readlink /sys/class/net/eth0/device/driver)")."
say ""
say "3. File systems and a disk-encryption chain (dm-crypt with AES-XTS), by name:"
set=$(cat /vm/demo.set)
say "   \$ modprobe --bundle /dev/vda -a $set"
$BIN/modprobe --bundle /dev/vda -a $set
end=$(now)
say "   The kernel now knows these file systems: $(grep -E -o '(btrfs|ext4|xfs|vfat|iso9660)$' /proc/filesystems | tr '\n' ' ')"
case "$(uname -m)" in aarch64) insns="the ARMv8 Crypto Extensions" ;; *) insns="AES-NI instructions" ;; esac
say "   and encrypts disks with AES-XTS using $(awk '/^driver/ && $3 ~ /^xts-/ { printf "%s ", $3 }' /proc/crypto)($insns)."
say ""
say "lsmod:"
show $BIN/lsmod
echo "@@STAT modules $(wc -l < /proc/modules)"
echo "@@STAT seconds $(awk "BEGIN { printf \"%.1f\", $end - $start }")"
