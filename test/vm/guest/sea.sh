# Guest side of test/vm/sea.test.ts. First the single executable alone (busybox, its shared
# libraries, the executable, bundles): no node anywhere. Then node and the project from /dev/vda,
# node only under /opt/node/bin, and the kernel's own module request through launchers.
. /vm/checks.sh
VER=$(uname -r)
SEA=/opt/modbundle/modbundle
BIN=/opt/modbundle/bin
KERNEL_PATH=/sbin:/usr/sbin:/bin:/usr/bin

# Each scenario ends with the guest's uptime, to show where the boot's time goes.
finish() {
  note "done at $(cut -d' ' -f1 /proc/uptime) s"
  end
}

begin sea-alone
check "no file named node in the guest" eq "$(find / -xdev -name node 2>/dev/null)" ""
check "no node_modules in the guest" eq "$(find / -xdev -name node_modules 2>/dev/null)" ""
note "$(ls -l $SEA | awk '{ print $5 }') bytes; initramfs files: $(find / -xdev -type f | wc -l)"
finish

begin sea-link
mkdir -p $BIN
run $SEA link $BIN
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
for tool in modprobe insmod rmmod lsmod modinfo; do
  check "$BIN/$tool -> $SEA (got $(readlink $BIN/$tool))" eq "$(readlink $BIN/$tool)" "$SEA"
done
finish

begin sea-btrfs-chain
expected=$(cat /vm/expect/btrfs.order)
check "nothing loaded before (got $(module_set))" eq "$(module_set)" ""
run $BIN/modprobe btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "no output (got $OUT$ERR)" eq "$OUT$ERR" ""
check "loaded in kmod's order: $(echo $expected)" eq "$(load_order)" "$expected"
check "btrfs is live" eq "$(cat /sys/module/btrfs/initstate 2>/dev/null)" live
check "no private copy of the native addons left (got $(ls -d /tmp/modbundle-addon-* 2>/dev/null))" eq "$(ls -d /tmp/modbundle-addon-* 2>/dev/null)" ""
finish

begin sea-lsmod
run $BIN/lsmod
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "kmod's header" eq "$(echo "$OUT" | head -1)" "Module                  Size  Used by"
check "names, sizes and use counts as in /proc/modules, in its order" eq "$(echo "$OUT" | awk 'NR > 1 { print $1, $2, $3 }')" "$(awk '{ print $1, $2, $3 }' /proc/modules)"
finish

begin sea-modinfo
run $BIN/modinfo btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "the module's path in the module directory" contains "$OUT" "filename:       /lib/modules/$VER/kernel/fs/btrfs/btrfs.ko"
check "vermagic of this kernel" contains "$OUT" "vermagic:       $VER SMP"
finish

begin sea-kernel-request
run $SEA link --force /sbin
check "link --force /sbin: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "/sbin/modprobe -> the executable" eq "$(readlink /sbin/modprobe)" "$SEA"
echo /sbin/modprobe > /proc/sys/kernel/modprobe
check "vfat and fat not loaded before" none_loaded vfat fat
# No such device: the mount fails, but only after the kernel has asked for "fs-vfat".
mount -t vfat /dev/no-such-device /mnt 2>/dev/null
check "the kernel's request for fs-vfat loaded fat and vfat" all_loaded fat vfat
finish

begin sea-rmmod
run $BIN/rmmod vfat fat
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "vfat and fat removed" none_loaded vfat fat
run $BIN/rmmod vfat
check "again: exit 1 (got $RC)" eq "$RC" 1
check "again: kmod's message (got $ERR)" eq "$ERR" "rmmod: ERROR: Module vfat is not currently loaded"
finish

begin sea-parallel
check "xfs and isofs not loaded before" none_loaded xfs isofs
run $BIN/modprobe -j 2 -a xfs isofs
check "modprobe -j 2 -a xfs isofs (two loads side by side on libuv's pool): exit 0 (got $RC: $ERR)" eq "$RC" 0
check "no output (got $OUT$ERR)" eq "$OUT$ERR" ""
check "xfs and isofs loaded" all_loaded xfs isofs
check "no private copy of the native addons left" eq "$(ls -d /tmp/modbundle-addon-* 2>/dev/null)" ""
finish

begin node-opt-disk
run $BIN/modprobe --bundle /vm/virtio.bundle -a virtio_pci virtio_blk
check "virtio_pci virtio_blk: exit 0 (got $RC: $ERR)" eq "$RC" 0
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.2; done
check "/dev/vda appeared" test -b /dev/vda
(cd / && cpio -idm < /dev/vda 2>/tmp/cpio.err)
check "node unpacked at /opt/node/bin/node ($(cat /tmp/cpio.err))" test -x /opt/node/bin/node
check "the kernel's PATH finds no node" eq "$(PATH=$KERNEL_PATH command -v node)" ""
finish

begin node-opt-link
run /opt/node/bin/node /opt/modbundle/dist/modbundle.js link --force /sbin
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "/sbin/modprobe is a launcher naming /opt/node/bin/node (got $(cat /sbin/modprobe))" contains "$(cat /sbin/modprobe)" "exec '/opt/node/bin/node' '/opt/modbundle/dist/modbundle.js' modprobe \"\$@\""
finish

begin node-opt-kernel-request
check "vfat and fat not loaded before" none_loaded vfat fat
mount -t vfat /dev/no-such-device /mnt 2>/dev/null
check "the kernel's request for fs-vfat loaded fat and vfat through the launcher" all_loaded fat vfat
finish
