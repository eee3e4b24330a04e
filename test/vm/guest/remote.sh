# Guest side of test/vm/remote.test.ts: the full bundle is on the host, at the URL in
# /vm/remote.url (10.0.2.2 is the host through QEMU's user network); only the virtio NIC's driver
# is here, in a tiny bundle.
. /vm/checks.sh
URL=$(cat /vm/remote.url)

# The interface whose driver is $1 (after it has bound), or nothing.
iface_of() {
  for dev in /sys/class/net/*; do
    [ "$(basename "$(readlink "$dev/device/driver" 2>/dev/null)")" = "$1" ] && { basename "$dev"; return 0; }
  done
  return 1
}

begin net
check "no bundle but the tiny one in the guest (got $(echo $(ls /boot /vm)))" eq "$(ls /boot/modules-* /vm/*.bundle 2>/dev/null)" "/vm/net.bundle"
check "the tiny bundle is under 1 MB" test "$(wc -c < /vm/net.bundle)" -lt 1048576
run $MB modprobe --bundle /vm/net.bundle -a virtio_pci virtio_net
check "virtio_pci, virtio_net from the tiny bundle: exit 0 (got $RC: $ERR)" eq "$RC" 0
for _ in $(seq 50); do iface_of virtio_net > /dev/null && break; sleep 0.2; done
IF=$(iface_of virtio_net)
check "a virtio_net interface appeared" test -n "$IF"
ip link set lo up
ip link set "$IF" up
ip addr add 10.0.2.15/24 dev "$IF"
ip route add default via 10.0.2.2
check "the address is set" contains "$(ip addr show dev "$IF")" "10.0.2.15"
note "interface $IF; bundle at $URL"
end

begin load-url
expected=$(cat /vm/expect/load.order)
check "no e1000 interface before" not iface_of e1000
before=$(module_set)
start=$(cut -d' ' -f1 /proc/uptime)
export MODBUNDLE=$URL
run $MB modprobe -a btrfs e1000
unset MODBUNDLE
stop=$(cut -d' ' -f1 /proc/uptime)
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "btrfs and e1000 loaded" all_loaded btrfs e1000
new=$(cut -d' ' -f1 /proc/modules | tac | grep -vxF "$before")
check "loaded in kmod's order: $(echo $expected) (got $(echo $new))" eq "$new" "$expected"
for _ in $(seq 50); do iface_of e1000 > /dev/null && break; sleep 0.2; done
check "the e1000 NIC is bound to the driver" iface_of e1000
note "modprobe -a btrfs e1000 from the URL: $start -> $stop s of uptime"
end

begin modinfo-url
run $MB modinfo --bundle "$URL" -F vermagic btrfs
check "exit 0 (got $RC: $ERR)" eq "$RC" 0
check "vermagic is the running kernel's (got $OUT)" contains "$OUT" "$(uname -r) "
end
