import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ElfFile } from "../../src/elf/elf-file";
import { ModuleObject, readModuleLinkage, readModuleObject, readVersions } from "../../src/elf/module-elf";
import { ModbundleError } from "../../src/errors";
import { buildModule } from "../helpers/elf-builder";

const LAYOUTS = [
  { is64: true, bigEndian: false },
  { is64: true, bigEndian: true },
  { is64: false, bigEndian: false },
  { is64: false, bigEndian: true },
];

/** The full view, checked against depmod's view of the same object (names and three keys' values). */
function parse(bytes: Buffer): ModuleObject {
  const object = readModuleObject(new ElfFile(bytes, "test.ko"));
  const values = (key: string): string[] => object.modinfo.filter((e) => e.key === key && e.value !== null).map((e) => e.value as string);
  assert.deepEqual(readModuleLinkage(new ElfFile(bytes, "test.ko")), {
    exports: object.exports.map((e) => e.name),
    needed: object.needed.map((n) => n.name),
    aliases: values("alias"),
    softdeps: values("softdep"),
    weakdeps: values("weakdep"),
  });
  return object;
}

describe("module ELF reader", () => {
  for (const layout of LAYOUTS) {
    const label = `ELF${layout.is64 ? 64 : 32} ${layout.bigEndian ? "big" : "little"}-endian`;
    it(`reads modinfo, exports with CRCs, needs and __versions (${label})`, () => {
      const bytes = buildModule({
        ...layout,
        modinfo: ["license=GPL", "alias=foo-*", "novalue", "parm=x:int", "softdep=pre: a", "alias", "weakdep=b", "aliasx=no", "alias=bar"],
        exports: [{ name: "one", crc: 0xdeadbeef }, { name: "two", crc: 7 }],
        needs: [{ name: "printk" }, { name: "maybe", weak: true }],
        versions: [{ name: "printk", crc: 0x11223344 }, { name: "module_layout", crc: 5 }],
      });
      const object = parse(bytes);
      assert.deepEqual(object.modinfo, [
        { key: "license", value: "GPL" },
        { key: "alias", value: "foo-*" },
        { key: "novalue", value: null },
        { key: "parm", value: "x:int" },
        { key: "softdep", value: "pre: a" },
        { key: "alias", value: null },
        { key: "weakdep", value: "b" },
        { key: "aliasx", value: "no" },
        { key: "alias", value: "bar" },
      ]);
      assert.deepEqual(object.exports, [{ name: "one", crc: 0xdeadbeefn }, { name: "two", crc: 7n }]);
      assert.deepEqual(object.needed, [
        { name: "printk", weak: false },
        { name: "maybe", weak: true },
        { name: "module_layout", weak: false },
      ]);
      assert.deepEqual(readVersions(new ElfFile(bytes, "t")), [{ name: "printk", crc: 0x11223344n }, { name: "module_layout", crc: 5n }]);
    });
  }

  it("takes absolute CRC symbols as they are", () => {
    const object = parse(buildModule({ exports: [{ name: "abs", crc: 0xcafe }], crcMode: "absolute" }));
    assert.deepEqual(object.exports, [{ name: "abs", crc: 0xcafen }]);
  });

  it("falls back to __ksymtab_strings when there are no __crc_ symbols", () => {
    const object = parse(buildModule({ ksymtabStrings: ["a_sym", "b_sym"] }));
    assert.deepEqual(object.exports, [{ name: "a_sym", crc: 0n }, { name: "b_sym", crc: 0n }]);
  });

  it("gives an empty module for an object without .modinfo or symbols", () => {
    const object = parse(buildModule({}));
    assert.deepEqual(object, { modinfo: [], exports: [], needed: [] });
  });

  const corrupt: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
    ["bad magic", (b) => { b[1] = 0x46; return b; }, /test\.ko: not an ELF file \(bad magic\)/],
    ["unknown class", (b) => { b[4] = 9; return b; }, /unknown ELF class 9/],
    ["unknown byte order", (b) => { b[5] = 3; return b; }, /unknown ELF data encoding 3/],
    ["truncated header", (b) => b.subarray(0, 40), /shorter than the ELF header/],
    ["section table beyond the end", (b) => { b.writeBigUInt64LE(1n << 40n, 0x28); return b; }, /section header table at offset \d+, length \d+ lies outside the file/],
    ["truncated section table", (b) => b.subarray(0, b.length - 10), /section header table .* lies outside the file/],
    ["no sections", (b) => { b.writeUInt16LE(0, 0x3c); return b; }, /no section header table/],
    ["name table index out of range", (b) => { b.writeUInt16LE(200, 0x3e); return b; }, /section name table index 200 >= \d+ sections/],
  ];
  for (const [name, damage, message] of corrupt) {
    it(`rejects a corrupt object: ${name}`, () => {
      const bytes = damage(buildModule({ modinfo: ["license=GPL"], exports: [{ name: "x" }] }));
      assert.throws(() => parse(bytes), (error: unknown) => error instanceof ModbundleError && error.code === "EELF" && message.test(error.message));
    });
  }

  it("rejects a section whose data lies outside the file", () => {
    const bytes = buildModule({ modinfo: ["license=GPL"] });
    const elf = new ElfFile(bytes, "t");
    const modinfo = elf.section(".modinfo");
    assert.ok(modinfo);
    bytes.writeBigUInt64LE(BigInt(bytes.length), modinfo.headerOffset + 24);
    assert.throws(() => new ElfFile(bytes, "m.ko"), /m\.ko: section \d+ at offset \d+, length \d+ lies outside the file/);
  });
});
