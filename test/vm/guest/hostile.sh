# Guest side of test/vm/hostile.test.ts: modprobe without privilege, twelve modprobes at once,
# and bundles on virtio disks whose reads fail (/dev/vda: one module's sectors; /dev/vdb: the
# index's). Debian's kmod loads from /kmod, the same bundle unpacked.
. /vm/checks.sh
BIN=/opt/modbundle/bin
$MB link $BIN > /dev/null || echo "modbundle link failed"
mkdir -p /tmp/empty.d
# The injected errors make the kernel log I/O errors; they stay off the console the host parses.
dmesg -n 1
CONCURRENT=$(cat /vm/concurrent.set)
FAULTY=$(cat /vm/faulty)
SOUND=$(cat /vm/sound)

# "NAME REFCNT" and "HOLDER->NAME" of every loaded module, sorted: what kmod's load is compared by.
refcounts() { awk '{ print $1, $3 }' /proc/modules | sort; }
holders() { awk '{ n = split($4, h, ","); for (i = 1; i <= n; i++) if (h[i] != "" && h[i] != "-") print h[i] "->" $1 }' /proc/modules | sort; }

begin eperm
check "a clean kernel before" unload_all
# nft_ct has dependencies: the first of them is refused, and the message names nft_ct.
su -s /bin/sh -c "$KMOD/modprobe -d /kmod -C /tmp/empty.d nft_ct" nobody > /tmp/kmod.out 2> /tmp/kmod.err
kmod_rc=$?
su -s /bin/sh -c "$BIN/modprobe -C /tmp/empty.d nft_ct" nobody > /tmp/mb.out 2> /tmp/mb.err
rc=$?
check "kmod exits 1 (got $kmod_rc)" eq "$kmod_rc" 1
check "exit $kmod_rc as kmod (got $rc)" eq "$rc" "$kmod_rc"
check "kmod's message is EPERM's (got $(cat /tmp/kmod.err))" eq "$(cat /tmp/kmod.err)" "modprobe: ERROR: could not insert 'nft_ct': Operation not permitted"
check "standard error byte for byte as kmod's (got $(cat /tmp/mb.err))" cmp -s /tmp/mb.err /tmp/kmod.err
check "standard output as kmod's (empty)" cmp -s /tmp/mb.out /tmp/kmod.out
check "nothing loaded (got $(module_set))" eq "$(module_set)" ""
note "as $(su -s /bin/sh -c id nobody): $(cat /tmp/mb.err)"
# The same refusal with loads side by side: each EPERM comes back from its own finit_module call
# on libuv's pool (the stub's raw result), reported per name in kmod's order.
su -s /bin/sh -c "$KMOD/modprobe -d /kmod -C /tmp/empty.d -a nft_ct x_tables" nobody > /tmp/kmod.out 2> /tmp/kmod.err
kmod_rc=$?
su -s /bin/sh -c "$BIN/modprobe -C /tmp/empty.d -j 2 -a nft_ct x_tables" nobody > /tmp/mb.out 2> /tmp/mb.err
rc=$?
check "-j 2 -a: exit $kmod_rc as kmod (got $rc)" eq "$rc" "$kmod_rc"
check "-j 2 -a: standard error byte for byte as kmod's (kmod: $(cat /tmp/kmod.err); modbundle: $(cat /tmp/mb.err))" cmp -s /tmp/mb.err /tmp/kmod.err
check "-j 2 -a: x_tables refused with EPERM" contains "$(cat /tmp/mb.err)" "could not insert 'x_tables': Operation not permitted"
check "-j 2 -a: nothing loaded (got $(module_set))" eq "$(module_set)" ""
end

begin concurrent
check "a clean kernel before" unload_all
pids=""
started=$(cut -d' ' -f1 /proc/uptime)
# -j 1: kmod's sequential path in each (the batch path with loads side by side is the parallel
# suite's).
for m in $CONCURRENT; do
  $BIN/modprobe -j 1 -v -C /tmp/empty.d "$m" > "/tmp/c.$m.out" 2> "/tmp/c.$m.err" &
  pids="$pids $!:$m"
done
for entry in $pids; do
  wait "${entry%%:*}"
  rc=$?
  m=${entry#*:}
  check "$m: exit 0 (got $rc: $(cat /tmp/c.$m.err))" eq "$rc" 0
  check "$m: nothing on standard error (got $(cat /tmp/c.$m.err))" eq "$(cat /tmp/c.$m.err)" ""
done
check "all twelve loaded" all_loaded $CONCURRENT
check "each module once in /proc/modules (twice: $(cut -d' ' -f1 /proc/modules | sort | uniq -d))" eq "$(cut -d' ' -f1 /proc/modules | sort | uniq -d)" ""
check "every module live (not: $(awk '$5 != "Live" { print $1, $5 }' /proc/modules))" eq "$(awk '$5 != "Live"' /proc/modules)" ""
ours_set=$(module_set)
ours_refs=$(refcounts)
ours_holders=$(holders)
# A module that more than one modprobe set out to insert (-v's "insmod" line): the race was run.
raced=$(cat /tmp/c.*.out | sed -n 's|^insmod .*/\([^/]*\)\.ko.*|\1|p' | sort | uniq -c | awk '$1 > 1 { print $2 "x" $1 }')
note "$(echo "$ours_set" | wc -l) modules in $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $started }") s; inserted by more than one modprobe at once: $(echo $raced)"
check "a clean kernel between" unload_all
run $KMOD/modprobe -d /kmod -C /tmp/empty.d -a $CONCURRENT
check "kmod, one after the other: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "the modules kmod loads (kmod: $(echo $(module_set)); ours: $(echo $ours_set))" eq "$ours_set" "$(module_set)"
check "kmod's refcounts (kmod: $(echo $(refcounts)); ours: $(echo $ours_refs))" eq "$ours_refs" "$(refcounts)"
check "kmod's holders (kmod: $(echo $(holders)); ours: $(echo $ours_holders))" eq "$ours_holders" "$(holders)"
end

begin module-eio
check "a clean kernel before" unload_all
# kmod's modprobe (no Node to start): the disks' driver is not what is tested here.
run $KMOD/modprobe -d /kmod -C /tmp/empty.d -a virtio_pci virtio_blk
check "virtio_pci virtio_blk: exit 0 (got $RC: $ERR)" eq "$RC" 0
for _ in $(seq 50); do [ -b /dev/vda ] && [ -b /dev/vdb ] && break; sleep 0.2; done
check "/dev/vda and /dev/vdb appeared" test -b /dev/vda -a -b /dev/vdb
before=$(module_set)
expected=$(cat /vm/expect/module-eio)
run $BIN/modprobe -C /tmp/empty.d --bundle /dev/vda "$FAULTY"
check "exit 1 (got $RC)" eq "$RC" 1
check "one line: $expected (got $ERR)" eq "$ERR" "$expected"
check "nothing on standard output (got $OUT)" eq "$OUT" ""
check "$FAULTY not in the kernel" not_loaded "$FAULTY"
check "nothing loaded (got $(echo $(module_set)))" eq "$(module_set)" "$before"
note "$(cat /sys/block/vda/size) sectors; $ERR"
run $BIN/modprobe -C /tmp/empty.d --bundle /dev/vda "$SOUND"
check "$SOUND from the same disk: exit 0 (got $RC: $ERR)" eq "$RC" 0
check "$SOUND loaded" loaded "$SOUND"
end

begin index-eio
before=$(module_set)
expected=$(cat /vm/expect/index-eio)
run $BIN/modprobe -C /tmp/empty.d --bundle /dev/vdb -a nft_ct "$FAULTY"
check "exit 1 (got $RC)" eq "$RC" 1
check "one line: $expected (got $ERR)" eq "$ERR" "$expected"
check "nothing on standard output (got $OUT)" eq "$OUT" ""
check "nothing loaded (got $(echo $(module_set)))" eq "$(module_set)" "$before"
note "$ERR"
end
