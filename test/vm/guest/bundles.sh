# Guest side of test/vm/bundles.test.ts: compressed, corrupted and block-device bundles, and
# Debian's kmod loading the same modules from an unpacked tree (/kmod/lib/modules/VERSION).
. /vm/checks.sh
BIN=/opt/modbundle/bin
$MB link $BIN > /dev/null || echo "modbundle link failed"
mkdir -p /tmp/empty.d

for kind in xz zstd; do
  suffix=${kind%d}
  begin "$kind"
  expected=$(cat /vm/expect/$kind.order)
  check "a clean kernel before" unload_all
  check "the kernel cannot decompress modules itself: user space must" test ! -e /sys/module/compression
  check "the bundle stores btrfs.ko.$suffix" grep -q "kernel/fs/btrfs/btrfs.ko.$suffix" /vm/$kind.bundle
  run $BIN/modprobe --bundle /vm/$kind.bundle btrfs
  check "exit 0 (got $RC: $ERR)" eq "$RC" 0
  check "loaded in kmod's order: $(echo $expected)" eq "$(load_order)" "$expected"
  check "the same modules as the uncompressed bundle's chain" eq "$(module_set)" "$(sort /vm/expect/btrfs.order)"
  note "loaded: $(echo $(load_order))"
  end
done

begin corrupt
check "a clean kernel before" unload_all
run $BIN/modprobe --bundle /vm/corrupt.bundle btrfs
check "exit 1 (got $RC)" eq "$RC" 1
check "the checksum error names the member (got $ERR)" contains "$ERR" "/vm/corrupt.bundle: checksum mismatch in kernel/fs/btrfs/btrfs.ko"
check "btrfs is not in the kernel" not_loaded btrfs
check "no /sys/module/btrfs" test ! -e /sys/module/btrfs
run $BIN/modprobe --bundle /vm/corrupt.bundle e1000
check "another module of the same bundle loads (got $RC: $ERR)" loaded e1000
end

begin two-files
check "a clean kernel before" unload_all
check "no disk before" test ! -e /dev/vda
run $MB list /vm/small.bundle
check "the initramfs bundle holds virtio modules only (got $(echo $OUT))" not contains "$OUT" btrfs
run $BIN/modprobe --bundle /vm/small.bundle -a virtio_pci virtio_blk
check "virtio_pci virtio_blk: exit 0 (got $RC: $ERR)" eq "$RC" 0
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.2; done
check "/dev/vda appeared" test -b /dev/vda
run $BIN/modprobe --bundle /dev/vda -a btrfs e1000 vfat isofs
check "from /dev/vda: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "btrfs, e1000, vfat, isofs loaded from the disk" all_loaded btrfs e1000 vfat isofs
note "$(cat /sys/block/vda/size) sectors; loaded: $(module_set | tr '\n' ' ')"
end

begin kmod-peer
set=$(cat /vm/peer.set)
check "a clean kernel before" unload_all
run $KMOD/modprobe -d /kmod -C /tmp/empty.d -a $set
check "kmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_kmod=$(module_set)
run $KMOD/modprobe -d /kmod -C /tmp/empty.d -r -a $set
kmod_left=$(module_set)
check "a clean kernel between" unload_all
run $BIN/modprobe -C /tmp/empty.d -a $set
check "modbundle: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_modbundle=$(module_set)
check "every module of the set loaded" all_loaded $set
check "the same modules as kmod's (kmod: $(echo $by_kmod); modbundle: $(echo $by_modbundle))" eq "$by_modbundle" "$by_kmod"
run $BIN/modprobe -C /tmp/empty.d -r -a $set
check "modprobe -r -a leaves what kmod's leaves (kmod: $(echo $kmod_left); modbundle: $(echo $(module_set)))" eq "$(module_set)" "$kmod_left"
note "$(echo "$by_kmod" | wc -l) modules; left after -r: $(echo $kmod_left)"
end
