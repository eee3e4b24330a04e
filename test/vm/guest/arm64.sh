# Guest side of test/vm/arm64.test.ts, on Debian's arm64 kernel: modbundle's commands reading
# /boot/modules-$(uname -r), a bundle packed on the x86-64 host; Debian's arm64 kmod (/opt/kmod/bin,
# loading from the same modules unpacked and depmod'ed at /kmod) is the peer. Under TCG every node
# start costs seconds, so each scenario runs as few commands as it must. "@@TIME name uptime"
# lines time the scenarios for the host's log.
. /vm/checks.sh
VER=$(uname -r)
BIN=/opt/modbundle/bin
# What `modbundle link` makes (tested in the x86-64 guest), without a node start.
mkdir -p $BIN
for tool in modprobe insmod rmmod lsmod modinfo; do ln -s $MB $BIN/$tool; done
stamp() { echo "@@TIME $1 $(cut -d' ' -f1 /proc/uptime)"; }

stamp chain
begin chain
expected=$(cat /vm/expect/btrfs.order)
check "nothing loaded before (got $(module_set))" eq "$(module_set)" ""
check "no module tree in the guest: only the bundle can serve" test ! -e /lib/modules
run $KMOD/modprobe -d /kmod btrfs
check "kmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
by_kmod=$(load_order)
check "a clean kernel between" unload_all
run $BIN/modprobe btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "no output (got $OUT$ERR)" eq "$OUT$ERR" ""
check "the order kmod loaded in here (kmod: $(echo $by_kmod); modbundle: $(echo $(load_order)))" eq "$(load_order)" "$by_kmod"
check "the order kmod computes on the host: $(echo $expected)" eq "$(load_order)" "$expected"
check "btrfs is live" eq "$(cat /sys/module/btrfs/initstate)" live
note "loaded: $(echo $(load_order))"
end

# "name a,b" lines (lsmod's and /proc/modules' holder columns) as "name:a,b," with sorted holders.
holder_sets() {
  while read -r name list; do
    echo "$name:$(echo "$list" | tr ',' '\n' | grep -v '^-*$' | sort | tr '\n' ',')"
  done
}

stamp lsmod
begin lsmod
run $BIN/lsmod
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
ours=$OUT
run $KMOD/lsmod
check "names, sizes and use counts as kmod's lsmod prints them" eq "$(echo "$ours" | awk '{ print $1, $2, $3 }')" "$(echo "$OUT" | awk '{ print $1, $2, $3 }')"
check "holders as kmod's lsmod lists them" eq "$(echo "$ours" | awk 'NR > 1 { print $1, $4 }' | holder_sets)" "$(echo "$OUT" | awk 'NR > 1 { print $1, $4 }' | holder_sets)"
check "names, sizes and use counts as in /proc/modules" eq "$(echo "$ours" | awk 'NR > 1 { print $1, $2, $3 }')" "$(awk '{ print $1, $2, $3 }' /proc/modules)"
[ "$ours" = "$OUT" ] || note "not byte-identical to kmod's lsmod: $(echo "$ours" | head -3) / $(echo "$OUT" | head -3)"
end

stamp modinfo
begin modinfo
run $BIN/modinfo -F vermagic btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
ours=$OUT
run $KMOD/modinfo -b /kmod -F vermagic btrfs
check "kmod's modinfo reads the same (kmod: $OUT; modbundle: $ours)" eq "$ours" "$OUT"
check "this kernel's release (got $ours)" contains "$ours" "$VER SMP"
check "an aarch64 module (got $ours)" contains "$ours" aarch64
end

# kmod 30 removes the dependencies in one pass, base-most first, each if unused at that moment:
# xor_neon, which xor uses, is passed before xor goes and stays (as does crc32c_generic, which
# libcrc32c used). kmod does the same here from a clean kernel: the peer, not a list, decides.
stamp remove
begin remove
deps=$(cat /vm/expect/btrfs.deps)
run $BIN/modprobe -r btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "btrfs removed" not_loaded btrfs
ours=$(module_set)
check "a clean kernel between" unload_all
run $KMOD/modprobe -d /kmod btrfs
run $KMOD/modprobe -d /kmod -r btrfs
check "kmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "what stays is what kmod's modprobe -r leaves (kmod: $(echo $(module_set)); modbundle: $(echo $ours))" eq "$ours" "$(module_set)"
check "the dependencies nothing else used are gone: $(echo $deps)" none_loaded $(echo "$deps" | grep -v -x -F "$ours")
note "left by both: $(echo $ours)"
end

stamp alias
begin alias
device=$(dirname "$(grep -l '^pci:v00001AF4d00001000' /sys/bus/pci/devices/*/modalias | head -1)")
pci_alias=$(cat "$device/modalias")
note "QEMU's virtio-net-pci device: $device $pci_alias"
run $KMOD/modprobe -d /kmod -R "$pci_alias"
by_kmod=$OUT
check "virtio_pci not loaded before" not_loaded virtio_pci
run $BIN/modprobe "$pci_alias"
check "by the PCI modalias: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "loaded what kmod's modprobe -R names for it: $by_kmod" all_loaded $by_kmod
check "the PCI device is bound to virtio-pci" eq "$(basename "$(readlink "$device/driver")")" virtio-pci
for _ in $(seq 50); do grep -qs '^virtio:d00000001v' /sys/bus/virtio/devices/*/modalias && break; sleep 0.1; done
virtio_device=$(dirname "$(grep -ls '^virtio:d00000001v' /sys/bus/virtio/devices/*/modalias | head -1)")
virtio_alias=$(cat "$virtio_device/modalias")
note "its virtio device: $virtio_device $virtio_alias"
run $BIN/modprobe "$virtio_alias"
check "by the virtio modalias: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "virtio_net loaded" loaded virtio_net
check "the device is bound to virtio_net" eq "$(basename "$(readlink "$virtio_device/driver")")" virtio_net
check "eth0 exists" test -e /sys/class/net/eth0
end

stamp options
begin options
run $BIN/modprobe loop
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "max_loop=5 from modprobe.d (got $(cat /sys/module/loop/parameters/max_loop))" eq "$(cat /sys/module/loop/parameters/max_loop)" 5
busybox rmmod loop
run $BIN/modprobe loop max_loop=7
check "max_loop=7 from the command line wins (got $(cat /sys/module/loop/parameters/max_loop))" eq "$(cat /sys/module/loop/parameters/max_loop)" 7
end

stamp insmod
begin insmod
run $BIN/insmod dummy numdummies=2
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "numdummies=2 reached the module: dummy0 and dummy1 exist, dummy2 not" test -e /sys/class/net/dummy1 -a ! -e /sys/class/net/dummy2
run $BIN/rmmod dummy
check "rmmod: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "dummy removed" test ! -e /sys/module/dummy
end

stamp kernel-request
begin kernel-request
# In place of busybox's applet, as `modbundle link --force /sbin` would.
ln -sf $MB /sbin/modprobe
echo /sbin/modprobe > /proc/sys/kernel/modprobe
check "vfat and fat not loaded before" none_loaded vfat fat
# No such device: the mount fails, but only after the kernel has asked for "fs-vfat".
mount -t vfat /dev/no-such-device /mnt 2>/dev/null
check "the kernel's request for fs-vfat loaded fat and vfat" all_loaded fat vfat
end

stamp corrupt
begin corrupt
check "btrfs not loaded before" not_loaded btrfs
run $BIN/modprobe --bundle /vm/corrupt.bundle btrfs
check "exit 1 (got $RC)" eq "$RC" 1
check "the checksum error names the member (got $ERR)" contains "$ERR" "/vm/corrupt.bundle: checksum mismatch in kernel/fs/btrfs/btrfs.ko"
check "one line (got $(echo "$ERR" | wc -l))" eq "$(echo "$ERR" | wc -l)" 1
check "btrfs is not in the kernel" test ! -e /sys/module/btrfs
end

stamp disk
begin disk
check "no disk before virtio_blk" test ! -e /dev/vda
run $BIN/modprobe virtio_blk
check "virtio_blk from the initramfs bundle: exit 0 (got $RC: $ERR)" eq "$RC" 0
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
check "/dev/vda appeared" test -b /dev/vda
check "xfs not loaded before" not_loaded xfs
run $BIN/modprobe --bundle /dev/vda xfs
check "xfs from /dev/vda: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "xfs loaded" loaded xfs
note "$(cat /sys/block/vda/size) sectors; loaded: $(echo $(module_set))"
end

# finit_module on libuv's thread pool through the aarch64 stub (movz x8, #273; svc #0; ret), two
# loads at a time on this one CPU: each failure reports the errno its own call returned, kstrtoint's
# ERANGE for loop and EINVAL for dummy, in kmod's words; the rest loads as with kmod.
stamp parallel
begin parallel
mkdir -p /tmp/errno.d
printf 'options loop max_loop=99999999999999999999\noptions dummy numdummies=notanumber\n' > /tmp/errno.d/errno.conf
unload_all || note "unload left: $(echo $(module_set))"
run $KMOD/modprobe -d /kmod -C /tmp/errno.d -a btrfs loop vfat dummy
kmod_rc=$RC
kmod_err=$ERR
by_kmod=$(module_set)
unload_all || note "unload left: $(echo $(module_set))"
# The trace (MODBUNDLE_TIMING) shows which way the loads went: the stub, not the serial fallback.
run busybox env MODBUNDLE_TIMING=1 $BIN/modprobe -C /tmp/errno.d -j 2 -a btrfs loop vfat dummy
trace=$(echo "$ERR" | grep '^modbundle-timing: ')
ERR=$(echo "$ERR" | grep -v '^modbundle-timing: ')
check "the loads went through the stub (trace: $(echo "$trace" | grep -v total | tr '\n' ';'))" contains "$trace" "finit stub mapped"
note "kmod: exit $kmod_rc, $kmod_err; modbundle: exit $RC, $ERR"
check "exit 1 as kmod's (got $RC, kmod $kmod_rc)" eq "$RC $kmod_rc" "1 1"
check "kmod's messages (kmod: $kmod_err)" eq "$ERR" "$kmod_err"
check "loop's own errno" contains "$ERR" "could not insert 'loop': Numerical result out of range"
check "dummy's own errno" contains "$ERR" "could not insert 'dummy': Invalid argument"
check "the same modules as kmod (kmod: $(echo $by_kmod); modbundle: $(echo $(module_set)))" eq "$(module_set)" "$by_kmod"
check "btrfs and vfat loaded" all_loaded btrfs vfat
end
stamp end
