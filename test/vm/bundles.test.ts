import * as fs from "node:fs";
import * as path from "node:path";
import { corruptedCopy, kmodLoadOrder, kmodTree, packBundle } from "./artefacts";
import { REPO_ROOT } from "./fixture";
import { Overlay } from "./overlay";
import { PEER_SET, scenarioBundle, scenarioKmodTree } from "./sets";
import { guestSuite } from "./suite";

/**
 * Bundles in a QEMU guest: re-encoded with xz and zstd (decompressed in user space: Debian's 6.1
 * kernel decompresses nothing itself), one with a corrupted module, the full bundle as a raw
 * virtio disk reached through a tiny initramfs bundle, and Debian's kmod as the peer.
 */
guestSuite({
  id: "bundles",
  title: "in a QEMU guest: compressed, corrupted and block-device bundles; kmod as the peer",
  timeoutSeconds: 300,
  scenarios: [
    { name: "xz", title: "a bundle packed with --compress xz loads the btrfs chain" },
    { name: "zstd", title: "a bundle packed with --compress zstd loads the btrfs chain" },
    { name: "corrupt", title: "a corrupted module is refused with the checksum error; others still load" },
    { name: "two-files", title: "two files: virtio from a small bundle, then everything from the full bundle on /dev/vda" },
    { name: "kmod-peer", title: "Debian's kmod and modbundle load (and modprobe -r) the same set into the same /proc/modules" },
  ],
  prepare: (fixture) => {
    const scenarios = scenarioBundle(fixture);
    const tree = scenarioKmodTree(fixture);
    const compressed = (kind: "xz" | "zstd"): { bundle: string; order: string } => {
      const bundle = packBundle(fixture, kind, { only: ["btrfs"], compress: kind });
      // The order depmod gives a smaller tree may differ: expect what kmod does with this one.
      const order = kmodLoadOrder(kmodTree(kind, bundle, fixture.version), fixture.version, ["btrfs"]);
      return { bundle, order: `${order.join("\n")}\n` };
    };
    const xz = compressed("xz");
    const zstd = compressed("zstd");
    const overlay = new Overlay()
      .copy(`/boot/modules-${fixture.version}`, scenarios)
      .copy(`/kmod`, tree)
      .copy("/vm/xz.bundle", xz.bundle)
      .write("/vm/expect/xz.order", xz.order)
      .copy("/vm/zstd.bundle", zstd.bundle)
      .write("/vm/expect/zstd.order", zstd.order)
      .copy("/vm/corrupt.bundle", corruptedCopy(scenarios, "kernel/fs/btrfs/btrfs.ko"))
      .copy("/vm/small.bundle", packBundle(fixture, "virtio", { only: ["virtio_pci", "virtio_blk"] }))
      .write("/vm/expect/btrfs.order", `${kmodLoadOrder(tree, fixture.version, ["btrfs"]).join("\n")}\n`)
      .write("/vm/peer.set", `${PEER_SET.join(" ")}\n`)
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "bundles.sh"), "latin1"));
    return { overlay, disk: packBundle(fixture, "full") };
  },
});
