import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { singleExecutable } from "../helpers/sea";
import { kmodLoadOrder, packBundle } from "./artefacts";
import { REPO_ROOT } from "./fixture";
import { Overlay } from "./overlay";
import { buildBareInitramfs } from "./qemu";
import { scenarioBundle, scenarioKmodTree } from "./sets";
import { guestSuite } from "./suite";
import { tempDir } from "../helpers/paths";

/**
 * One boot, two ways of running modbundle where node is not where the kernel looks:
 * - the single executable (npm run sea) in an initramfs holding only busybox (with the shared
 *   libraries the executable needs), that file and a bundle: modprobe, lsmod, modinfo, rmmod and
 *   the kernel's own request through /sbin/modprobe, with no node and no node_modules;
 * - then node and the project, read from a disk (a cpio archive) with node only under
 *   /opt/node/bin: `modbundle link /sbin` writes launchers, and the kernel's request for fs-vfat
 *   loads vfat through them.
 */
const GUEST_SEA = "/opt/modbundle/modbundle";

/** node at /opt/node/bin/node and the project (dist/ and its production dependencies) at /opt/modbundle, as a cpio archive. */
function nodeDisk(work: string): string {
  const stage = path.join(work, "disk");
  fs.mkdirSync(path.join(stage, "opt", "node", "bin"), { recursive: true });
  fs.copyFileSync(fs.realpathSync(process.execPath), path.join(stage, "opt", "node", "bin", "node"));
  fs.chmodSync(path.join(stage, "opt", "node", "bin", "node"), 0o755);
  const project = path.join(stage, "opt", "modbundle");
  fs.cpSync(path.join(REPO_ROOT, "dist"), path.join(project, "dist"), { recursive: true, filter: (source) => !path.basename(source).startsWith("modbundle-linux-") });
  fs.copyFileSync(path.join(REPO_ROOT, "package.json"), path.join(project, "package.json"));
  const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === "" || entry.dev || entry.link) continue;
    fs.cpSync(path.join(REPO_ROOT, key), path.join(project, key), { recursive: true });
  }
  const disk = path.join(work, "node.cpio");
  const archived = spawnSync("bash", ["-c", `. scripts/vm/lib.sh && cpio_of_dir "$1" "$2"`, "cpio", stage, disk], { cwd: REPO_ROOT, encoding: "latin1" });
  if (archived.status !== 0) throw new Error(`cpio of the node disk failed: ${archived.stderr}`);
  fs.rmSync(stage, { recursive: true, force: true });
  return disk;
}

guestSuite({
  id: "sea",
  title: "in a QEMU guest: the single executable alone, and node outside the kernel's PATH",
  timeoutSeconds: 300,
  scenarios: [
    { name: "sea-alone", title: "the initramfs holds busybox, the executable and a bundle: no node, no node_modules" },
    { name: "sea-link", title: "modbundle link (run from the executable) links the five names to it" },
    { name: "sea-btrfs-chain", title: "modprobe btrfs through the link loads the chain in kmod's order; the addons' private copies are gone" },
    { name: "sea-lsmod", title: "lsmod agrees with /proc/modules" },
    { name: "sea-modinfo", title: "modinfo shows the module's path and this kernel's vermagic" },
    { name: "sea-kernel-request", title: "the kernel's own request (mount -t vfat) loads vfat through /sbin/modprobe -> the executable" },
    { name: "sea-rmmod", title: "rmmod removes modules; again, kmod's message" },
    { name: "sea-parallel", title: "modprobe -j 2 -a: two loads side by side, ffi-napi from the executable's own assets" },
    { name: "node-opt-disk", title: "node and the project arrive on /dev/vda (virtio loaded by the executable); the kernel's PATH finds no node" },
    { name: "node-opt-link", title: "modbundle link /sbin run by /opt/node/bin/node writes launchers naming that node" },
    { name: "node-opt-kernel-request", title: "the kernel's own request (mount -t vfat) loads vfat through the /sbin/modprobe launcher" },
  ],
  prepare: async (fixture) => {
    const sea = await singleExecutable();
    const bundle = scenarioBundle(fixture);
    const tree = scenarioKmodTree(fixture);
    const work = tempDir("vm-sea");
    try {
      const disk = nodeDisk(work);
      const overlay = new Overlay()
        .copy(GUEST_SEA, sea)
        .copy(`/boot/modules-${fixture.version}`, bundle)
        .copy("/vm/virtio.bundle", packBundle(fixture, "virtio", { only: ["virtio_pci", "virtio_blk"] }))
        .write("/vm/expect/btrfs.order", `${kmodLoadOrder(tree, fixture.version, ["btrfs"]).join("\n")}\n`)
        .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "sea.sh"), "latin1"));
      return {
        overlay,
        disk,
        initramfs: (output, overlays) => buildBareInitramfs(output, [sea], overlays),
        cleanup: () => fs.rmSync(work, { recursive: true, force: true }),
      };
    } catch (error) {
      fs.rmSync(work, { recursive: true, force: true });
      throw error;
    }
  },
});
