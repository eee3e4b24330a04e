import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { runColdplug } from "../../src/coldplug/run";
import { readModaliases } from "../../src/coldplug/sysfs";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule } from "../helpers/kernel-module";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";

/**
 * `modbundle coldplug` on a fake sysfs tree (-d ROOT) with the fake kernel: a PCI device whose
 * driver (vbus, a bus driver) makes two virtio devices appear when it goes live, whose drivers
 * (vnet, vrng, both needing vbus) load in the second round; a blacklisted device driver; a
 * modalias nothing matches; a symbolic link looping back up the tree.
 */
const VERSION = "6.1.0-fake";
const PCI_DEVICE = "sys/devices/pci0000:00/0000:00:01.0";
let bundle: string;
let config: string;

before(async () => {
  const dir = path.join(tempDir("cold"), VERSION);
  writeTree(dir, {
    "kernel/drivers/vbus.ko": kernelModule("vbus", { exports: [{ name: "vbus_register" }], modinfo: ["alias=pci:v00001AF4d*sv*sd*bc*sc*i*"] }),
    "kernel/drivers/vnet.ko": kernelModule("vnet", { needs: [{ name: "vbus_register" }], modinfo: ["alias=virtio:d00000001v*"] }),
    "kernel/drivers/vrng.ko": kernelModule("vrng", { needs: [{ name: "vbus_register" }], modinfo: ["alias=virtio:d00000004v*"] }),
    "kernel/drivers/blocked.ko": kernelModule("blocked", { modinfo: ["alias=acpi*:BLK0000:*"] }),
    "modules.order": "kernel/drivers/vbus.ko\nkernel/drivers/vnet.ko\nkernel/drivers/vrng.ko\nkernel/drivers/blocked.ko\n",
  });
  bundle = await packTree(dir);
  config = tempDir("conf");
  fs.writeFileSync(path.join(config, "b.conf"), "blacklist blocked\n");
});

function sysfs(): string {
  const root = tempDir("sysroot");
  writeTree(root, {
    [`${PCI_DEVICE}/modalias`]: "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00\n",
    "sys/devices/platform/BLK0000:00/modalias": "acpi:BLK0000:\n",
    "sys/devices/platform/odd/modalias": "nothing:matches\n",
  });
  fs.symlinkSync("../..", path.join(root, PCI_DEVICE, "subsystem"));
  return root;
}

/** A kernel where vbus, once live, brings the virtio devices. */
function kernel(root: string): FakeKernel {
  return new FakeKernel({
    loadDelay: () => 5,
    onLive: (name) => {
      if (name !== "vbus") return;
      writeTree(root, {
        [`${PCI_DEVICE}/virtio0/modalias`]: "virtio:d00000001v00001AF4\n",
        [`${PCI_DEVICE}/virtio1/modalias`]: "virtio:d00000004v00001AF4\n",
      });
    },
  });
}

function coldplug(k: FakeKernel, root: string, args: readonly string[] = []) {
  return runInProcess(runColdplug, ["--bundle", bundle, "-C", config, "-d", root, "-S", VERSION, ...args], { kernel: k, prog: "modbundle coldplug" });
}

describe("modbundle coldplug on a fake sysfs tree", () => {
  it("reads every modalias once, without following links", () => {
    assert.deepEqual(readModaliases(sysfs()), ["acpi:BLK0000:", "nothing:matches", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"]);
  });

  it("loads the bus driver, then in a second round the drivers of the devices it brought", async () => {
    const root = sysfs();
    const k = kernel(root);
    const result = await coldplug(k, root, ["-v", "-j", "4"]);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    assert.deepEqual(k.loadedNames().sort(), ["vbus", "vnet", "vrng"]);
    const rounds = result.stdout.split("\n").filter((l) => l.startsWith("coldplug: round"));
    assert.deepEqual(rounds, ["coldplug: round 1: 3 new modaliases, 1 modules to load", "coldplug: round 2: 2 new modaliases, 2 modules to load"]);
    assert.ok(k.maxInFlight >= 2, "vnet and vrng did not load at the same time");
  });

  it("-n -v prints the plan and loads nothing", async () => {
    const root = sysfs();
    const k = kernel(root);
    const result = await coldplug(k, root, ["-n", "-v"]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `coldplug: round 1: 3 new modaliases, 1 modules to load\ninsmod ${path.join(root, "lib", "modules", VERSION, "kernel", "drivers", "vbus.ko")} \n`);
    assert.deepEqual(k.calls, []);
  });

  it("a failed load gives kmod's message and exit status 1; the others still load; -q silences it", async () => {
    const root = sysfs();
    const k = kernel(root);
    k.failLoad("vrng", "EINVAL");
    const result = await coldplug(k, root, ["-j", "2"]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "modbundle coldplug: ERROR: could not insert 'vrng': Invalid argument\n");
    assert.deepEqual(k.loadedNames().sort(), ["vbus", "vnet"]);
    const quietRoot = sysfs();
    const quiet = kernel(quietRoot);
    quiet.failLoad("vbus", "EPERM");
    const silent = await coldplug(quiet, quietRoot, ["-q"]);
    assert.deepEqual([silent.status, silent.stderr], [1, ""]);
  });

  it("nothing to do: no devices, exit 0", async () => {
    const root = tempDir("empty");
    const result = await coldplug(new FakeKernel(), root);
    assert.deepEqual([result.status, result.stdout, result.stderr], [0, "", ""]);
  });

  it("refuses arguments and bad -j values in one line", async () => {
    const root = sysfs();
    assert.deepEqual(await pick(coldplug(new FakeKernel(), root, ["extra"])), [1, "modbundle coldplug: ERROR: unexpected argument 'extra'\n"]);
    assert.deepEqual(await pick(coldplug(new FakeKernel(), root, ["-j", "x"])), [1, "modbundle coldplug: ERROR: invalid jobs value 'x'.\n"]);
  });
});

async function pick(p: ReturnType<typeof coldplug>): Promise<[number, string]> {
  const r = await p;
  return [r.status, r.stderr];
}
