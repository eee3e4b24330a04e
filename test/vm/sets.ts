import { kmodTree, packBundle } from "./artefacts";
import { VmFixture } from "./fixture";

/**
 * The module sets the guests load. The scenarios' bundle is a `pack --only` of them (a few MB in
 * the initramfs instead of 400), and the same bundle unpacked is the tree kmod loads from, so
 * that both tools see the same modules.
 */

/** Loaded side by side by kmod and modbundle: file systems, a NIC, virtio, a crypto chain. */
export const PEER_SET = ["btrfs", "ext4", "xfs", "vfat", "isofs", "loop", "dm_crypt", "aesni_intel", "xts", "e1000", "virtio_net", "tun"] as const;

/** bench/vm's set (loaded by kmod and modbundle in turn), which bench/remote fetches from a URL too. */
export const BENCH_SET = [
  // file systems
  "btrfs", "ext4", "xfs", "vfat", "isofs", "udf", "squashfs", "f2fs", "hfsplus", "jfs", "nilfs2", "exfat",
  // block
  "loop", "nbd", "zram", "raid456", "dm_crypt",
  // crypto
  "aesni_intel", "xts", "serpent_avx2", "twofish_avx_x86_64", "chacha20poly1305", "sha3_generic",
  // network
  "dummy", "veth", "bridge", "bonding", "vxlan", "geneve", "macvlan", "ipvlan", "tun", "wireguard", "nlmon", "ifb", "e1000", "virtio_net",
] as const;

/** What the modprobe scenarios use besides: softdep, install, blacklist and options targets. */
const SCENARIO_MODULES = ["dummy", "ifb", "veth", "macvlan", "pcspkr"] as const;

export function scenarioBundle(fixture: VmFixture): string {
  return packBundle(fixture, "scenarios", { only: [...PEER_SET, ...SCENARIO_MODULES] });
}

export function scenarioKmodTree(fixture: VmFixture): string {
  return kmodTree("scenarios", scenarioBundle(fixture), fixture.version);
}
