import * as fs from "node:fs";
import * as path from "node:path";
import { kmodTree, packBundle } from "./artefacts";
import { blkdebugConfig, blkdebugDrive, bundleSpans, sectorsOf, sharePage } from "./blkdebug";
import { REPO_ROOT } from "./fixture";
import { Overlay } from "./overlay";
import { guestSuite } from "./suite";
import { tempDir } from "../helpers/paths";

/**
 * modprobe where things go wrong, in one QEMU guest: run by a user who may not load modules,
 * twelve at once racing for the same dependencies, and reading a bundle from a virtio disk whose
 * reads fail (QEMU's blkdebug injecting EIO into the sectors of one module on /dev/vda, and of
 * the index on /dev/vdb: one disk per fault, so that no page the guest cached from one fault's
 * disk can hide the other's).
 */

/** Twelve netfilter modules that share nf_conntrack, nf_tables, nf_nat, x_tables and libcrc32c. */
const CONCURRENT = [
  "nft_ct", "nft_nat", "nft_masq", "nft_chain_nat", "nft_connlimit", "nft_synproxy",
  "nft_flow_offload", "xt_conntrack", "xt_MASQUERADE", "xt_state", "nf_nat_ftp", "nf_nat_sip",
] as const;
/** The module whose sectors fail (no dependencies: nothing at all may be loaded), and one far from it that must still load. */
const FAULTY = { name: "e1000", path: "kernel/drivers/net/ethernet/intel/e1000/e1000.ko" };
const SOUND = { name: "x_tables", path: "kernel/net/netfilter/x_tables.ko" };

guestSuite({
  id: "hostile",
  title: "in a QEMU guest: modprobe without privilege, twelve at once, and a disk whose reads fail",
  // Seventeen starts of Node under TCG: nearly ten minutes on a 2-CPU host loaded 15 deep, far
  // less on an idle one.
  timeoutSeconds: 900,
  // Two CPUs, so that the twelve really run at the same time.
  cpus: 2,
  memoryMiB: 1536,
  scenarios: [
    { name: "eperm", title: "as a user without CAP_SYS_MODULE: kmod's message for EPERM byte for byte, exit 1, nothing loaded (also with -j 2 -a)" },
    { name: "concurrent", title: "twelve modprobes at once sharing dependencies: all exit 0, each module once, kmod's refcounts and holders" },
    { name: "module-eio", title: "EIO in one module's sectors: one line naming the bundle and the error, exit 1, nothing loaded; another module still loads" },
    { name: "index-eio", title: "EIO in the index's sectors: one line naming the bundle and the error, exit 1, nothing loaded" },
  ],
  prepare: (fixture) => {
    const bundle = packBundle(fixture, "hostile", { only: [...CONCURRENT, FAULTY.name, SOUND.name, "virtio_pci", "virtio_blk"] });
    const tree = kmodTree("hostile", bundle, fixture.version);
    const faulty = bundleSpans(bundle, FAULTY.path);
    const sound = bundleSpans(bundle, SOUND.path);
    // The sound module proves the fault targeted only if no page of its data holds a failing sector.
    if (sharePage(faulty.member, sound.member) || sharePage(faulty.member, faulty.index) || sharePage(faulty.member, { offset: 0, length: 512 })) {
      throw new Error(`${FAULTY.path} shares a page with ${SOUND.path}, the index or the header in ${bundle}: choose other modules`);
    }
    const configs = tempDir("blkdebug");
    const moduleFault = path.join(configs, "module.conf");
    const indexFault = path.join(configs, "index.conf");
    fs.writeFileSync(moduleFault, blkdebugConfig(sectorsOf(faulty.member)));
    fs.writeFileSync(indexFault, blkdebugConfig(sectorsOf(faulty.index)));
    const overlay = new Overlay()
      .copy(`/boot/modules-${fixture.version}`, bundle)
      .copy("/kmod", tree)
      .write("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n")
      .write("/etc/group", "root:x:0:\nnogroup:x:65534:\n")
      .write("/vm/concurrent.set", `${CONCURRENT.join(" ")}\n`)
      .write("/vm/faulty", `${FAULTY.name}\n`)
      .write("/vm/sound", `${SOUND.name}\n`)
      // The first read of the failing span fails at its first byte: the offset is known here.
      .write("/vm/expect/module-eio", `modprobe: ERROR: could not insert '${FAULTY.name}': /dev/vda: read at offset ${faulty.member.offset}: Input/output error\n`)
      .write("/vm/expect/index-eio", `modprobe: ERROR: /dev/vdb: read at offset ${faulty.index.offset}: Input/output error\n`)
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "hostile.sh"), "latin1"));
    return {
      overlay,
      disks: [blkdebugDrive(moduleFault, bundle), blkdebugDrive(indexFault, bundle)],
      cleanup: () => fs.rmSync(configs, { recursive: true, force: true }),
    };
  },
});
