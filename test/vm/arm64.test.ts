import * as fs from "node:fs";
import * as path from "node:path";
import { corruptedCopy, kmodDependencies, kmodLoadOrder, kmodTree, packBundle } from "./artefacts";
import { REPO_ROOT, VmFixture } from "./fixture";
import { Overlay } from "./overlay";
import { guestSuite } from "./suite";

/**
 * The cross-compile story, proven: Debian's arm64 kernel booted in qemu-system-aarch64 (virt board,
 * TCG) with an arm64 userland and Node, its modules packed into a bundle on this x86-64 host, and
 * modbundle's commands loading from it there (asm-generic system call numbers, ffi-napi's
 * variadic syscall(2) on AArch64, memfd and finit_module, the aarch64 stub for loads side by
 * side). Debian's arm64 kmod in the same guest is the peer. Emulating another CPU is slow: one
 * boot, each scenario as few commands as it needs (test/vm/guest/arm64.sh, in order: each builds
 * on the kernel state the previous ones left).
 */
const MODULES = ["btrfs", "loop", "vfat", "dummy", "virtio_pci", "virtio_net", "virtio_blk"];

function scenarioBundle(fixture: VmFixture): string {
  return packBundle(fixture, "scenarios", { only: MODULES });
}

guestSuite({
  id: "arm64",
  arch: "arm64",
  title: "in an arm64 QEMU guest: a bundle packed on x86-64 loads on Debian's arm64 kernel; kmod as the peer",
  timeoutSeconds: 600,
  scenarios: [
    { name: "chain", title: "modprobe btrfs loads its dependency chain in the order Debian's arm64 kmod does" },
    { name: "lsmod", title: "lsmod prints what kmod's lsmod prints, as /proc/modules says" },
    { name: "modinfo", title: "modinfo -F vermagic: this kernel's aarch64 vermagic, as kmod's modinfo reads it" },
    { name: "remove", title: "modprobe -r btrfs removes it and its unused dependencies, leaving what kmod leaves" },
    { name: "alias", title: "the modaliases of the virtio-net device (PCI, then virtio) load and bind virtio_pci and virtio_net" },
    { name: "options", title: "options from modprobe.d and from the command line reach /sys/module/loop/parameters" },
    { name: "insmod", title: "insmod with a parameter, then rmmod" },
    { name: "kernel-request", title: "the kernel's own request_module (mount -t vfat) through the /sbin/modprobe link" },
    { name: "corrupt", title: "a corrupted member is refused with the checksum error; nothing of it reaches the kernel" },
    { name: "disk", title: "the full bundle read from a raw virtio disk: virtio_blk from the initramfs bundle, then xfs from /dev/vda" },
    { name: "parallel", title: "modprobe -j 2 -a through the aarch64 stub on libuv's pool: each failure's own errno (ERANGE, EINVAL) in kmod's words" },
  ],
  prepare: (fixture) => {
    const bundle = scenarioBundle(fixture);
    const tree = kmodTree("arm64-scenarios", bundle, fixture.version);
    const overlay = new Overlay()
      .copy(`/boot/modules-${fixture.version}`, bundle)
      .copy("/kmod", tree)
      .copy("/vm/corrupt.bundle", corruptedCopy(bundle, "kernel/fs/btrfs/btrfs.ko", "arm64-corrupt"))
      .write("/etc/modprobe.d/vm.conf", "options loop max_loop=5\n")
      .write("/vm/expect/btrfs.order", `${kmodLoadOrder(tree, fixture.version, ["btrfs"]).join("\n")}\n`)
      .write("/vm/expect/btrfs.deps", `${kmodDependencies(tree, fixture.version, "btrfs").join("\n")}\n`)
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "arm64.sh"), "latin1"));
    return { overlay, disk: packBundle(fixture, "full") };
  },
});
