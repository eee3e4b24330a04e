import * as fs from "node:fs";
import * as path from "node:path";
import { kmodTree, packBundle } from "./artefacts";
import { COLDPLUG_SET, virtioDevices } from "./devices";
import { REPO_ROOT } from "./fixture";
import { Overlay } from "./overlay";
import { PEER_SET } from "./sets";
import { guestSuite } from "./suite";

/**
 * Parallel loading on the real kernel: one boot of a 2-CPU q35 guest with virtio devices behind
 * virtio_pci (a second coldplug round), Debian's kmod as the peer (test/vm/guest/parallel.sh).
 * Coldplug runs first, on the devices as they booted. (bench/coldplug boots the guest with many
 * more devices.)
 */
guestSuite({
  id: "parallel",
  title: "in a QEMU guest with 2 CPUs and virtio devices: parallel loading and coldplug against kmod",
  // About 80 s on a quiet host; QEMU's limit leaves room for a host shared with other guests.
  timeoutSeconds: 900,
  cpus: 2,
  scenarios: [
    { name: "coldplug", title: "modbundle coldplug loads the modules kmod's find/sort/modprobe -b -a pipeline loads" },
    { name: "parallel-a", title: "modprobe -j 2 -a leaves the same /proc/modules set as kmod's modprobe -a" },
    { name: "parallel-fail", title: "a parallel run with a failing module prints kmod's message and loads the rest" },
    { name: "parallel-errno", title: "two modules failing side by side each report their own errno (ERANGE, EINVAL) in kmod's words" },
  ],
  prepare: (fixture) => {
    const bundle = packBundle(fixture, "parallel", { only: [...PEER_SET, ...COLDPLUG_SET] });
    const overlay = new Overlay()
      .copy(`/boot/modules-${fixture.version}`, bundle)
      .copy("/kmod", kmodTree("parallel", bundle, fixture.version))
      .write("/vm/peer.set", `${PEER_SET.join(" ")}\n`)
      .write("/vm/kmod-coldplug.sh", fs.readFileSync(path.join(REPO_ROOT, "scripts", "vm", "guest", "kmod-coldplug.sh"), "latin1"))
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "parallel.sh"), "latin1"));
    return { overlay, qemuArgs: virtioDevices() };
  },
});
