# Guest side of test/vm/modprobe.test.ts: modbundle's kmod commands against the real kernel,
# reading /boot/modules-$(uname -r) (a `pack --only` bundle) with /etc/modprobe.d/vm.conf.
# Expected values computed on the host by Debian's kmod are in /vm/expect/.
. /vm/checks.sh
VER=$(uname -r)
BIN=/opt/modbundle/bin

begin link
run $MB link $BIN
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
for tool in modprobe insmod rmmod lsmod modinfo; do
  check "$BIN/$tool -> $MB (got $(readlink $BIN/$tool))" eq "$(readlink $BIN/$tool)" "$MB"
done
end

begin btrfs-chain
expected=$(cat /vm/expect/btrfs.order)
check "nothing loaded before (got $(module_set))" eq "$(module_set)" ""
check "no module tree in the guest: only the bundle can serve" test ! -e /lib/modules
run $BIN/modprobe btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "no output (got $OUT$ERR)" eq "$OUT$ERR" ""
check "loaded in kmod's order: $(echo $expected)" eq "$(load_order)" "$expected"
check "btrfs is live" eq "$(cat /sys/module/btrfs/initstate)" live
note "loaded: $(load_order)"
end

begin btrfs-again
before=$(module_set)
run $BIN/modprobe btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "no output (got $OUT$ERR)" eq "$OUT$ERR" ""
check "nothing new loaded" eq "$(module_set)" "$before"
end

begin first-time
before=$(module_set)
run $BIN/modprobe --first-time btrfs
check "exit 1 (got $RC)" eq "$RC" 1
check "kmod's message (got: $ERR)" eq "$ERR" "modprobe: ERROR: could not insert 'btrfs': Module already in kernel"
check "nothing new loaded" eq "$(module_set)" "$before"
end

begin alias
device=$(dirname "$(grep -l '^pci:v00008086d0000100E' /sys/bus/pci/devices/*/modalias | head -1)")
modalias=$(cat "$device/modalias")
note "QEMU's e1000 NIC: $device $modalias"
check "e1000 not loaded before" not_loaded e1000
run $BIN/modprobe "$modalias"
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "e1000 loaded" loaded e1000
check "the NIC is bound to e1000" eq "$(basename "$(readlink "$device/driver")")" e1000
end

begin blacklist
run $BIN/modprobe platform:pcspkr
check "by alias: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "by alias: pcspkr (blacklisted) not loaded" not_loaded pcspkr
run $BIN/modprobe -b pcspkr
check "by name with -b: not loaded" not_loaded pcspkr
run $BIN/modprobe pcspkr
check "by name: loaded (the blacklist is for aliases; got $RC: $ERR)" loaded pcspkr
end

begin kernel-request
run $MB link --force /sbin
check "link --force /sbin: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "/sbin/modprobe -> modbundle" eq "$(readlink /sbin/modprobe)" "$MB"
run /sbin/modprobe -q -- char-major-10-200
check "/sbin/modprobe -q -- char-major-10-200: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "tun loaded through the /sbin/modprobe link" loaded tun
echo /sbin/modprobe > /proc/sys/kernel/modprobe
check "vfat and fat not loaded before" none_loaded vfat fat
# No such device: the mount fails, but only after the kernel has asked for "fs-vfat".
mount -t vfat /dev/no-such-device /mnt 2>/dev/null
check "the kernel's request for fs-vfat loaded fat and vfat" all_loaded fat vfat
end

begin options
run $BIN/modprobe loop
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "max_loop=5 from modprobe.d (got $(cat /sys/module/loop/parameters/max_loop))" eq "$(cat /sys/module/loop/parameters/max_loop)" 5
run $BIN/modprobe -r loop
check "modprobe -r loop" not_loaded loop
run $BIN/modprobe loop max_loop=7
check "max_loop=7 from the command line wins (got $(cat /sys/module/loop/parameters/max_loop))" eq "$(cat /sys/module/loop/parameters/max_loop)" 7
end

begin softdep
run $BIN/modprobe ifb
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
order=$(load_order | grep -E '^(veth|ifb|macvlan)$' | tr '\n' ' ')
check "pre: veth, then ifb, then post: macvlan (got $order)" eq "$order" "veth ifb macvlan "
end

begin install
run $BIN/modprobe dummy
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "the install command ran, with the options (got $(cat /tmp/install.log))" eq "$(cat /tmp/install.log)" "dummy numdummies=3"
check "dummy loaded by the command's modprobe --ignore-install" loaded dummy
check "numdummies=3 reached the module: dummy0..dummy2 exist, dummy3 not" test -e /sys/class/net/dummy2 -a ! -e /sys/class/net/dummy3
end

# "name a,b" lines (lsmod's and /proc/modules' holder columns) as "name:a,b," with sorted holders.
holder_sets() {
  while read -r name list; do
    echo "$name:$(echo "$list" | tr ',' '\n' | grep -v '^-*$' | sort | tr '\n' ',')"
  done
}

begin lsmod
run $BIN/lsmod
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "kmod's header" eq "$(echo "$OUT" | head -1)" "Module                  Size  Used by"
listed=$(echo "$OUT" | awk 'NR > 1 { print $1, $2, $3 }')
proc=$(awk '{ print $1, $2, $3 }' /proc/modules)
check "names, sizes and use counts as in /proc/modules, in its order" eq "$listed" "$proc"
check "holders as in /proc/modules" eq "$(echo "$OUT" | awk 'NR > 1 { print $1, $4 }' | holder_sets)" "$(awk '{ print $1, $4 }' /proc/modules | holder_sets)"
note "$(echo "$OUT" | wc -l) lines"
end

begin modinfo
run $BIN/modinfo e1000
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "the module's path in the module directory" contains "$OUT" "filename:       /lib/modules/$VER/kernel/drivers/net/ethernet/intel/e1000/e1000.ko"
run $BIN/modinfo -F version e1000
check "version as the kernel reports it (got $OUT)" eq "$OUT" "$(cat /sys/module/e1000/version)"
run $BIN/modinfo -F srcversion e1000
check "srcversion as the kernel reports it (got $OUT)" eq "$OUT" "$(cat /sys/module/e1000/srcversion)"
run $BIN/modinfo -F vermagic e1000
check "vermagic of this kernel (got $OUT)" contains "$OUT" "$VER SMP"
end

begin remove
deps=$(cat /vm/expect/btrfs.deps)
run $BIN/modprobe -r btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "btrfs removed" not_loaded btrfs
check "its unused dependencies removed: $(echo $deps)" none_loaded $deps
note "still loaded: $(module_set | tr '\n' ' ')"
end

begin rmmod
run $BIN/rmmod e1000
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "e1000 removed" not_loaded e1000
check "/sys/module/e1000 gone" test ! -e /sys/module/e1000
run $BIN/rmmod e1000
check "again: exit 1 (got $RC)" eq "$RC" 1
check "again: kmod's message (got $ERR)" eq "$ERR" "rmmod: ERROR: Module e1000 is not currently loaded"
end
