import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compress } from "../../src/compress/compress";
import { ElfFile } from "../../src/elf/elf-file";
import { readModinfo } from "../../src/elf/module-elf";
import { ModbundleError } from "../../src/errors";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { initModuleImage, insertModule, prepareImage, stripSection, stripVermagic } from "../../src/kernel/prepare-image";
import { buildModule } from "../helpers/elf-builder";
import { kernelModule, TEST_VERMAGIC } from "../helpers/kernel-module";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

const SHF_ALLOC = 2;
const BOTH = { ignoreModversions: true, ignoreVermagic: true };
const NONE = { ignoreModversions: false, ignoreVermagic: false };

const LAYOUTS = [
  { is64: true, bigEndian: false },
  { is64: true, bigEndian: true },
  { is64: false, bigEndian: false },
  { is64: false, bigEndian: true },
];

describe("prepareImage: what finit_module gets", () => {
  const image = kernelModule("img", { exports: [{ name: "img_fn", crc: 3 }] });

  it("passes an uncompressed image as it is", async () => {
    const prepared = await prepareImage({ data: image, compression: "none" }, "xz");
    assert.equal(prepared.image, image);
    assert.equal(prepared.compressed, false);
  });

  it("passes an image compressed in the kernel's own format compressed", async () => {
    const xz = compress("xz", image, "img");
    const prepared = await prepareImage({ data: xz, compression: "xz" }, "xz");
    assert.equal(prepared.image, xz);
    assert.equal(prepared.compressed, true);
  });

  for (const [kind, kernel] of [["zstd", undefined], ["zstd", "xz"], ["xz", "zstd"], ["gzip", undefined]] as const) {
    it(`decompresses ${kind} in user space when the kernel decompresses ${kernel ?? "nothing"}`, async () => {
      const prepared = await prepareImage({ data: compress(kind, image, "img"), compression: kind }, kernel);
      assert.equal(prepared.compressed, false);
      assert.ok(prepared.image.equals(image));
    });
  }

  it("reports undecodable data as a ModbundleError naming the module", async () => {
    await assert.rejects(prepareImage({ data: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]), compression: "zstd" }, undefined, "bad.ko.zst"), (error: unknown) => {
      return error instanceof ModbundleError && error.message.startsWith("bad.ko.zst: ");
    });
  });

  it("insertModule hands the kernel the prepared image and the force flags", async () => {
    const kernel = new FakeKernel({ compression: "zstd" });
    await insertModule(kernel, { data: compress("zstd", image, "img"), compression: "zstd" }, "a=1 b=2", BOTH);
    await insertModule(kernel, { data: compress("xz", kernelModule("other"), "other"), compression: "xz" }, "", NONE);
    assert.deepEqual(
      kernel.calls.map((c) => (c.op === "load" ? [c.name, c.compressed, c.params, c.flags.ignoreModversions] : [])),
      [["img", true, "a=1 b=2", true], ["other", false, "", false]],
    );
  });
});

describe("initModuleImage: kmod's strip for init_module", () => {
  for (const layout of LAYOUTS) {
    const label = `ELF${layout.is64 ? 64 : 32} ${layout.bigEndian ? "big" : "little"}-endian`;
    it(`clears SHF_ALLOC of __versions and zeroes vermagic on a copy (${label})`, async () => {
      const original = buildModule({
        ...layout,
        modinfo: ["license=GPL", `vermagic=${TEST_VERMAGIC}`, "name=strip"],
        versions: [{ name: "printk", crc: 5 }],
      });
      const before = Buffer.from(original);
      const stripped = await initModuleImage(original, "none", BOTH);
      assert.ok(original.equals(before), "the stored image is untouched");

      const elf = new ElfFile(stripped, "strip");
      const versions = elf.section("__versions");
      assert.ok(versions);
      assert.equal(versions.flags & SHF_ALLOC, 0);
      assert.equal(new ElfFile(original, "orig").section("__versions")?.flags, versions.flags | SHF_ALLOC);
      assert.deepEqual(readModinfo(elf), [{ key: "license", value: "GPL" }, { key: "name", value: "strip" }]);
      // Nothing else moved: the strings were zeroed in place, one flag bit cleared.
      let differing = 0;
      for (let i = 0; i < original.length; i++) if (original[i] !== stripped[i]) differing++;
      assert.equal(differing, `vermagic=${TEST_VERMAGIC}`.length + 1);
    });
  }

  it("strips only what the flags ask for, and decompresses first", async () => {
    const original = kernelModule("one", { versions: [{ name: "printk", crc: 5 }] });
    const onlyVersions = await initModuleImage(compress("xz", original, "one"), "xz", { ignoreModversions: true, ignoreVermagic: false });
    const elf = new ElfFile(onlyVersions, "one");
    assert.equal((elf.section("__versions")?.flags ?? SHF_ALLOC) & SHF_ALLOC, 0);
    assert.ok(readModinfo(elf).some((e) => e.key === "vermagic"));
    assert.equal(await initModuleImage(original, "none", NONE), original);
  });

  it("says at INFO level what it could not strip, as kmod 30, and loads anyway", async () => {
    const messages: string[] = [];
    const bare = buildModule({ modinfo: ["name=bare"] });
    const result = await initModuleImage(bare, "none", BOTH, "bare", (m) => messages.push(m));
    assert.deepEqual(messages, ["Failed to strip modversion: No such file or directory", "Failed to strip vermagic: No such file or directory"]);
    assert.ok(result.equals(bare));
  });

  it("skips .modinfo's leading padding and finds vermagic after other strings, as kmod does", () => {
    const module = buildModule({ modinfo: ["", "", "alias=x", "vermagic=1.2.3 SMP"] });
    const elf = new ElfFile(Buffer.from(module), "pad");
    assert.equal(stripVermagic(elf), true);
    assert.deepEqual(readModinfo(elf), [{ key: "alias", value: "x" }]);
    assert.equal(stripVermagic(elf), false, "nothing left to strip");
    assert.equal(stripSection(new ElfFile(Buffer.from(module), "pad"), "__versions"), false);
  });
});
