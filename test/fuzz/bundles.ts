import * as fs from "node:fs";
import * as path from "node:path";
import { openBundleFile, packTree } from "../helpers/pack";
import { kernelModule } from "../helpers/kernel-module";
import { REPO_ROOT, tempDir } from "../helpers/paths";
import { FakeKernel, readSymvers } from "../../src/kernel/fake-kernel";
import { writeTree } from "../helpers/tree";
import { PackCompression } from "../../src/pack/pack";
import { kernelModuleDir } from "./fixtures";

/**
 * Real bundles for the command targets, packed once per process: a tree the fake kernel loads
 * (stored plain and re-encoded as xz, zstd and gzip, so every decoder is reached) and a handful
 * of Debian's amd64 modules with a dependency chain. Each comes with its hot ranges (the fixed
 * header, the index, the end) for the mutator.
 */
export const FUZZ_VERSION = "6.1.0-fuzz";

export interface BundleSample {
  readonly name: string;
  readonly data: Buffer;
  readonly hot: ReadonlyArray<readonly [number, number]>;
  /** A module to ask for, an alias it answers to. */
  readonly module: string;
  readonly alias: string;
  /** A fake kernel the sample's modules load into. */
  kernel(): FakeKernel;
}

/** vmlinux's exports for Debian's amd64 modules, from the headers package's Module.symvers. */
function debianVmlinux(): Map<string, bigint> | undefined {
  const src = path.join(REPO_ROOT, ".cache", "kernel", "amd64", "headers", "usr", "src");
  const file = fs.existsSync(src)
    ? fs.readdirSync(src).map((d) => path.join(src, d, "Module.symvers")).find((f) => fs.existsSync(f))
    : undefined;
  return file ? readSymvers(file) : undefined;
}

function fakeTree(dir: string): void {
  writeTree(dir, {
    "kernel/lib/base.ko": kernelModule("base", { exports: [{ name: "base_fn" }] }),
    "kernel/lib/low.ko": kernelModule("low", { exports: [{ name: "low_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/lib/mid.ko": kernelModule("mid", { exports: [{ name: "mid_fn" }], needs: [{ name: "low_fn" }] }),
    "kernel/drivers/top.ko": kernelModule("top", { needs: [{ name: "mid_fn" }], modinfo: ["alias=pci:v00001234d*sv*sd*bc*sc*i*", "softdep=pre: extra", "parm=level:the level"] }),
    "kernel/drivers/extra.ko": kernelModule("extra", { modinfo: ["weakdep=base"] }),
    "kernel/drivers/lonely.ko": kernelModule("lonely", { modinfo: ["alias=fs-lonelyfs", "alias=devname:lonely", "alias=char-major-10-99"] }),
    "modules.order": "kernel/lib/base.ko\nkernel/lib/low.ko\nkernel/lib/mid.ko\nkernel/drivers/top.ko\nkernel/drivers/extra.ko\nkernel/drivers/lonely.ko\n",
    "modules.builtin": "kernel/fs/ext4/ext4.ko\n",
    "modules.builtin.modinfo": "ext4.alias=fs-ext4\0ext4.license=GPL\0",
  });
}

const DEBIAN_MODULES = [
  "kernel/drivers/net/dummy.ko",
  "kernel/drivers/block/loop.ko",
  "kernel/crypto/crc32_generic.ko",
  "kernel/net/netfilter/x_tables.ko",
  "kernel/net/ipv4/netfilter/ip_tables.ko",
  "kernel/net/ipv4/netfilter/iptable_filter.ko",
];

function debianTree(dir: string): boolean {
  const source = kernelModuleDir("amd64");
  if (!source) return false;
  const order: string[] = [];
  for (const relpath of DEBIAN_MODULES) {
    const from = path.join(source, relpath);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(path.join(dir, relpath)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, relpath));
    order.push(relpath);
  }
  fs.writeFileSync(path.join(dir, "modules.order"), order.map((r) => `${r}\n`).join(""));
  for (const name of ["modules.builtin", "modules.builtin.modinfo"]) fs.copyFileSync(path.join(source, name), path.join(dir, name));
  return true;
}

function hotRanges(file: string, size: number): Array<readonly [number, number]> {
  const bundle = openBundleFile(file);
  try {
    const { indexOffset, indexLength } = bundle.header;
    return [[0, 512], [indexOffset - 128, indexOffset + indexLength], [Math.max(0, size - 256), size]];
  } finally {
    bundle.close();
  }
}

let cached: Promise<BundleSample[]> | undefined;

async function build(): Promise<BundleSample[]> {
  const work = tempDir("fuzz-bundles");
  process.on("exit", () => fs.rmSync(work, { recursive: true, force: true }));
  const fake = path.join(work, "fake", FUZZ_VERSION);
  fakeTree(fake);
  const out: BundleSample[] = [];
  const add = async (name: string, dir: string, compression: PackCompression, module: string, alias: string, kernel: () => FakeKernel): Promise<void> => {
    const file = await packTree(dir, compression, path.join(work, `${name}.bundle`));
    const data = fs.readFileSync(file);
    out.push({ name, data, hot: hotRanges(file, data.length), module, alias, kernel });
  };
  for (const compression of ["keep", "xz", "zstd", "gzip"] as const) {
    await add(`fake-${compression}`, fake, compression, "top", "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00", () => new FakeKernel({ builtin: ["ext4"] }));
  }
  const debian = path.join(work, "debian", FUZZ_VERSION);
  const vmlinux = debianVmlinux();
  if (debianTree(debian) && vmlinux) await add("debian-amd64", debian, "keep", "iptable_filter", "block-major-7-0", () => new FakeKernel({ vmlinux }));
  return out;
}

/** The bundle samples (packed on first use). */
export function bundleSamples(): Promise<BundleSample[]> {
  cached ??= build();
  return cached;
}
