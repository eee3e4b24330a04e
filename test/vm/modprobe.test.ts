import * as fs from "node:fs";
import * as path from "node:path";
import { kmodDependencies, kmodLoadOrder } from "./artefacts";
import { REPO_ROOT } from "./fixture";
import { Overlay } from "./overlay";
import { scenarioBundle, scenarioKmodTree } from "./sets";
import { guestSuite } from "./suite";

/**
 * modbundle's modprobe, rmmod, lsmod and modinfo on Debian's kernel in QEMU, loading from
 * /boot/modules-VERSION: one boot, the scenarios of test/vm/guest/modprobe.sh in order (each
 * builds on the kernel state the previous ones left).
 */
const CONFIG = [
  "options loop max_loop=5",
  "softdep ifb pre: veth post: macvlan",
  "options dummy numdummies=3",
  "install dummy echo $MODPROBE_MODULE $CMDLINE_OPTS > /tmp/install.log && /opt/modbundle/bin/modprobe --ignore-install dummy $CMDLINE_OPTS",
  "blacklist pcspkr",
].join("\n");

guestSuite({
  id: "modprobe",
  title: "in a QEMU guest: modprobe, rmmod, lsmod and modinfo from a bundle",
  timeoutSeconds: 300,
  scenarios: [
    { name: "link", title: "modbundle link makes the five command links" },
    { name: "btrfs-chain", title: "modprobe btrfs loads its whole chain, softdeps included, in kmod's order" },
    { name: "btrfs-again", title: "modprobe btrfs again: exit 0, nothing new" },
    { name: "first-time", title: "modprobe --first-time of a loaded module: kmod's message, exit 1" },
    { name: "alias", title: "modprobe by the modalias of QEMU's e1000 NIC binds the driver" },
    { name: "blacklist", title: "a blacklisted module is not loaded by alias (or with -b), but is by name" },
    { name: "kernel-request", title: "through a /sbin/modprobe link, and as the kernel itself calls it (mount -t vfat)" },
    { name: "options", title: "options from modprobe.d and from the command line reach /sys/module/loop/parameters" },
    { name: "softdep", title: "softdep pre/post modules load before/after the module" },
    { name: "install", title: "an install command runs, with $MODPROBE_MODULE and $CMDLINE_OPTS" },
    { name: "lsmod", title: "lsmod agrees with /proc/modules" },
    { name: "modinfo", title: "modinfo of a loaded module agrees with /sys/module" },
    { name: "remove", title: "modprobe -r btrfs removes it and its unused dependencies" },
    { name: "rmmod", title: "rmmod removes a module; again, kmod's message" },
  ],
  prepare: (fixture) => {
    const bundle = scenarioBundle(fixture);
    const tree = scenarioKmodTree(fixture);
    const overlay = new Overlay()
      .copy(`/boot/modules-${fixture.version}`, bundle)
      .write("/etc/modprobe.d/vm.conf", `${CONFIG}\n`)
      .write("/vm/expect/btrfs.order", `${kmodLoadOrder(tree, fixture.version, ["btrfs"]).join("\n")}\n`)
      .write("/vm/expect/btrfs.deps", `${kmodDependencies(tree, fixture.version, "btrfs").join("\n")}\n`)
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "modprobe.sh"), "latin1"));
    return { overlay };
  },
});
