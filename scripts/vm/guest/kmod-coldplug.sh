# kmod_coldplug: Alpine's initramfs pipeline with Debian's kmod (from the unpacked tree /kmod,
# configuration /tmp/empty.d), repeated until no new module loads. Like `modbundle coldplug`,
# when a round after one that loaded something loads nothing, it watches the buses' device count
# for up to 0.3 s for devices still appearing (USB enumeration), and goes again if it changed.
# (A walk of /sys costs seconds under TCG; the count costs little.) Sourced after /vm/checks.sh.
bus_devices() { ls /sys/bus/*/devices | wc -l; }

kmod_coldplug() {
  before=$(module_set | md5sum)
  loaded=0
  for _ in 1 2 3 4 5 6 7 8; do
    count=$(bus_devices)
    find /sys -name modalias | xargs sort -u | xargs $KMOD/modprobe -d /kmod -C /tmp/empty.d -b -a 2> /dev/null
    after=$(module_set | md5sum)
    if [ "$after" = "$before" ]; then
      [ "$loaded" = 1 ] || break
      loaded=0
      until=$(awk '{ printf "%.2f", $1 + 0.3 }' /proc/uptime)
      while [ "$(bus_devices)" = "$count" ] && awk -v u="$until" '{ exit !($1 < u) }' /proc/uptime; do sleep 0.025; done
      [ "$(bus_devices)" = "$count" ] && break
    else
      loaded=1
    fi
    before=$after
  done
}
