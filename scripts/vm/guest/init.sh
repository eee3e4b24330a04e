#!/bin/busybox sh
# PID 1 of the guest: mounts the kernel's file systems, installs busybox's applets, runs
# /vm/scenario.sh in a child shell (a mistake in it must not kill PID 1, which would panic the
# kernel instead of reporting), then powers off, which ends QEMU.
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "@@BOOTED $(uname -r) $(cut -d' ' -f1 /proc/uptime)"
if [ -f /vm/scenario.sh ]; then
  sh /vm/scenario.sh
  echo "@@EXIT $?"
fi
echo "@@DONE $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
