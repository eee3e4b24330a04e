import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it, TestContext } from "node:test";
import { FakeKernel, readSymvers } from "../../src/kernel/fake-kernel";
import { KernelError, LoadFlags } from "../../src/kernel/kernel";
import { insertModule } from "../../src/kernel/prepare-image";
import { openModuleDatabase } from "../../src/resolve/locate";
import { ModuleDatabase } from "../../src/resolve/module-db";
import { symversFixture } from "../helpers/kernel-module";
import { packTree } from "../helpers/pack";
import { kernelFixture } from "../helpers/paths";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

/**
 * Real Debian modules in the fake kernel: the amd64 fixture packed into a bundle, checked against
 * vmlinux's exports and CRCs from the matching headers' Module.symvers.
 */
const NO_FORCE: LoadFlags = { ignoreModversions: false, ignoreVermagic: false };

interface Fixtures {
  readonly db: ModuleDatabase;
  readonly vmlinux: Map<string, bigint>;
  readonly vermagic: string;
}

describe("Debian amd64 modules in the fake kernel", () => {
  let packed: Promise<Fixtures> | undefined;
  let bundleDir: string | undefined;

  /** Packs the fixture once, for the first test that needs it; undefined (test skipped) without fixtures. */
  async function fixtures(t: TestContext): Promise<Fixtures | undefined> {
    const fixture = kernelFixture(t, "amd64");
    const symvers = symversFixture(t, "amd64");
    if (!fixture || !symvers) return undefined;
    packed ??= packTree(fixture.moduleDir).then((bundle) => {
      bundleDir = path.dirname(bundle);
      return { db: openModuleDatabase({ bundle, env: {}, release: () => fixture.version }), vmlinux: readSymvers(symvers), vermagic: `${fixture.version} SMP preempt mod_unload modversions ` };
    });
    return packed;
  }

  after(async () => {
    if (packed) (await packed).db.close();
    if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  function chain(db: ModuleDatabase, name: string): { deps: number[]; target: number } {
    const target = db.findModule(name);
    assert.ok(target >= 0);
    // modules.dep lists users before providers: reversed, it is the load order.
    return { deps: [...db.moduleDeps(target)].reverse(), target };
  }

  it("loads btrfs after its dependencies, in modules.dep order", async (t) => {
    const f = await fixtures(t);
    if (!f) return;
    const { db, vmlinux, vermagic } = f;
    const kernel = new FakeKernel({ vmlinux, vermagic });
    const { deps, target } = chain(db, "btrfs");
    assert.deepEqual(deps.map((d) => db.moduleName(d)), ["libcrc32c", "zstd_compress", "raid6_pq", "xor"]);
    for (const module of [...deps, target]) await insertModule(kernel, db.readModule(module), "", NO_FORCE);
    assert.deepEqual(kernel.loadedModules().map((m) => m.name), ["btrfs", "xor", "raid6_pq", "zstd_compress", "libcrc32c"]);
    for (const dep of ["xor", "raid6_pq", "zstd_compress", "libcrc32c"]) assert.deepEqual(kernel.holders(dep), ["btrfs"], dep);
    assert.throws(() => kernel.removeModule("libcrc32c", { force: true }), (e: unknown) => e instanceof KernelError && e.code === "EAGAIN");
  });

  it("refuses btrfs alone: its providers' symbols are unknown (ENOENT)", async (t) => {
    const f = await fixtures(t);
    if (!f) return;
    const { db, vmlinux, vermagic } = f;
    const kernel = new FakeKernel({ vmlinux, vermagic });
    await assert.rejects(insertModule(kernel, db.readModule(chain(db, "btrfs").target), "", NO_FORCE), (e: unknown) => e instanceof KernelError && e.code === "ENOENT");
    assert.deepEqual(kernel.loadedModules(), []);
  });

  it("refuses a module whose symbol CRC disagrees with vmlinux's unless modversions are forced", async (t) => {
    const f = await fixtures(t);
    if (!f) return;
    const { db, vmlinux, vermagic } = f;
    const { target } = chain(db, "libcrc32c");
    const skewed = new Map(vmlinux);
    skewed.set("crypto_alloc_shash", (vmlinux.get("crypto_alloc_shash") ?? 0n) ^ 1n);
    await assert.rejects(insertModule(new FakeKernel({ vmlinux: skewed }), db.readModule(target), "", NO_FORCE), (e: unknown) => e instanceof KernelError && e.code === "EINVAL");
    const forced = new FakeKernel({ vmlinux: skewed, vermagic });
    await insertModule(forced, db.readModule(target), "", { ignoreModversions: true, ignoreVermagic: false });
    assert.equal(forced.initstate("libcrc32c"), "live");
    await assert.rejects(insertModule(new FakeKernel({ vmlinux, vermagic: "6.1.0-99-amd64 SMP mod_unload " }), db.readModule(target), "", NO_FORCE), (e: unknown) => e instanceof KernelError && e.code === "ENOEXEC");
  });

  it("names a module from struct module when .modinfo has no name=", async (t) => {
    const f = await fixtures(t);
    if (!f) return;
    const { db, vmlinux } = f;
    const file = db.readModule(chain(db, "libcrc32c").target);
    const data = Buffer.from(file.data);
    const at = data.indexOf("\0name=libcrc32c\0");
    assert.ok(at > 0);
    data.write("x", at + 1, "latin1");
    const kernel = new FakeKernel({ vmlinux });
    await insertModule(kernel, { data, compression: file.compression }, "", NO_FORCE);
    assert.equal(kernel.initstate("libcrc32c"), "live");
  });
});
