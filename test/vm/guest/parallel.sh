# Guest side of test/vm/parallel.test.ts (2 CPUs, many devices). kmod loads from /kmod (the same
# bundle unpacked), modbundle from /boot/modules-VERSION; both with an empty configuration.
. /vm/checks.sh
BIN=/opt/modbundle/bin
$MB link $BIN > /dev/null
mkdir -p /tmp/empty.d /tmp/bad.d /tmp/errno.d
echo "options loop max_loop=notanumber" > /tmp/bad.d/bad.conf
# Two different errnos from the kernel in one parallel run: kstrtoint's ERANGE for loop, EINVAL
# for e1000. Each comes back from its own finit_module call on libuv's pool (the stub's raw
# result); an errno read anywhere else would be 0 or the other call's.
printf 'options loop max_loop=99999999999999999999\noptions e1000 debug=notanumber\n' > /tmp/errno.d/errno.conf
peer=$(cat /vm/peer.set)

. /vm/kmod-coldplug.sh

begin coldplug
echo "@@PROGRESS start $(cut -d' ' -f1 /proc/uptime)"
kmod_coldplug
echo "@@PROGRESS kmod done $(cut -d' ' -f1 /proc/uptime)"
module_set > /tmp/coldplug.kmod
note "kmod: $(wc -l < /tmp/coldplug.kmod) modules: $(tr '\n' ' ' < /tmp/coldplug.kmod)"
check "kmod loaded the bus driver and what it brought" all_loaded virtio_pci virtio_net virtio_rng
unload_all || note "unload left: $(module_set | tr '\n' ' ')"
echo "@@PROGRESS unloaded $(cut -d' ' -f1 /proc/uptime)"
run $MB coldplug -C /tmp/empty.d -v
echo "@@PROGRESS coldplug done $(cut -d' ' -f1 /proc/uptime)"
note "modbundle coldplug exit $RC: $(echo "$OUT" | grep '^coldplug: round' | tr '\n' ';') $ERR"
check "exit 0" eq "$RC" 0
module_set > /tmp/coldplug.modbundle
check "the same modules as kmod's pipeline" cmp -s /tmp/coldplug.kmod /tmp/coldplug.modbundle
check "a second round (devices behind the bus drivers)" contains "$OUT" "coldplug: round 2"
cmp -s /tmp/coldplug.kmod /tmp/coldplug.modbundle || note "diff: $(diff /tmp/coldplug.kmod /tmp/coldplug.modbundle | grep '^[-+][a-z]' | tr '\n' ' ')"
end
unload_all

begin parallel-a
run $KMOD/modprobe -d /kmod -C /tmp/empty.d -a $peer
check "kmod exit 0" eq "$RC" 0
module_set > /tmp/peer.kmod
unload_all
run $BIN/modprobe -C /tmp/empty.d -j 2 -a $peer
check "modbundle exit 0" eq "$RC" 0
check "no messages" eq "$ERR" ""
module_set > /tmp/peer.modbundle
check "the same /proc/modules set" cmp -s /tmp/peer.kmod /tmp/peer.modbundle
cmp -s /tmp/peer.kmod /tmp/peer.modbundle || note "diff: $(diff /tmp/peer.kmod /tmp/peer.modbundle | grep '^[-+][a-z]' | tr '\n' ' ')"
end
unload_all

begin parallel-fail
run $KMOD/modprobe -d /kmod -C /tmp/bad.d -a xfs loop vfat e1000
kmod_rc=$RC
kmod_err=$ERR
module_set > /tmp/fail.kmod
unload_all
run $BIN/modprobe -C /tmp/bad.d -j 2 -a xfs loop vfat e1000
note "kmod: exit $kmod_rc, $kmod_err; modbundle: exit $RC, $ERR"
check "exit 1 as kmod's" eq "$RC $kmod_rc" "1 1"
check "kmod's message" eq "$ERR" "$kmod_err"
check "the message names loop" contains "$ERR" "could not insert 'loop': Invalid argument"
module_set > /tmp/fail.modbundle
check "the rest loaded, as kmod's" cmp -s /tmp/fail.kmod /tmp/fail.modbundle
check "xfs and vfat loaded" all_loaded xfs vfat e1000
end
unload_all

begin parallel-errno
run $KMOD/modprobe -d /kmod -C /tmp/errno.d -a xfs loop vfat e1000
kmod_rc=$RC
kmod_err=$ERR
module_set > /tmp/errno.kmod
unload_all
# The trace (MODBUNDLE_TIMING) shows which way the loads went: the stub, not the serial fallback.
run busybox env MODBUNDLE_TIMING=1 $BIN/modprobe -C /tmp/errno.d -j 2 -a xfs loop vfat e1000
trace=$(echo "$ERR" | grep '^modbundle-timing: ')
ERR=$(echo "$ERR" | grep -v '^modbundle-timing: ')
check "the loads went through the stub (trace: $(echo "$trace" | grep -v total | tr '\n' ';'))" contains "$trace" "finit stub mapped"
note "kmod: exit $kmod_rc, $kmod_err; modbundle: exit $RC, $ERR"
check "exit 1 as kmod's" eq "$RC $kmod_rc" "1 1"
check "kmod's messages" eq "$ERR" "$kmod_err"
check "loop's own errno" contains "$ERR" "could not insert 'loop': Numerical result out of range"
check "e1000's own errno" contains "$ERR" "could not insert 'e1000': Invalid argument"
module_set > /tmp/errno.modbundle
check "the rest loaded, as kmod's" cmp -s /tmp/errno.kmod /tmp/errno.modbundle
check "xfs and vfat loaded" all_loaded xfs vfat
end
