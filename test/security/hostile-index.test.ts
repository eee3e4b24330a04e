import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { encodeIndex } from "../../src/bundle/index-codec";
import { Section } from "../../src/bundle/index-sections";
import { ModuleIndex } from "../../src/index/types";
import { editIndex, replaceIndex, sectionOf, setSection } from "../helpers/index-edit";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/**
 * Issue 15, finding 2: indexes whose every CRC holds but whose lists overlap or whose alias
 * families repeat, made to multiply a lookup's work. Each must give one line and exit 1, at once.
 */
const MODULES = 4000;
const MODULE_WORDS = 9;
const FAMILY_WORDS = 10;
let small: Buffer;
let large: Buffer;

/** A bundle (the small tree's, with a synthetic index of MODULES modules) for index-only commands. */
function syntheticIndex(): Buffer {
  const modules = Array.from({ length: MODULES }, (_, i) => ({
    name: `m${i}`,
    path: `kernel/m${i}.ko`,
    deps: i > 0 ? [i - 1] : [],
    softdeps: i === 0 ? Array.from({ length: MODULES }, (_, k) => `pre: m${k}`) : [],
    weakdeps: [],
  }));
  const index: ModuleIndex = {
    kernelVersion: SMALL_VERSION,
    modules,
    aliases: modules.map((m, i) => ({ pattern: `pci:v0000${i}d*`, key: `pci:v0000${i}d*`, module: i, target: m.name })),
    symbols: [],
    builtin: [],
    builtinAliases: [],
    devnames: [],
  };
  const members = modules.map((m) => ({ path: m.path, offset: 0, size: 0, compression: "none" as const, crc32: 0 }));
  return encodeIndex({ index, members });
}

function write(bytes: Buffer, name: string): string {
  const file = path.join(tempDir("hostile"), name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Every module record pointed at module 0's softdep list (MODULES entries long). */
function shareSoftdepList(bundle: Buffer): Buffer {
  return editIndex(bundle, (sections) => {
    const modules = Buffer.from(sectionOf(sections, Section.Modules));
    let longest = 0;
    for (let at = 0; at < modules.length; at += MODULE_WORDS * 4) {
      if (modules.readUInt32LE(at + 6 * 4) > modules.readUInt32LE(longest + 6 * 4)) longest = at;
    }
    const start = modules.readUInt32LE(longest + 5 * 4);
    const count = modules.readUInt32LE(longest + 6 * 4);
    for (let at = 0; at < modules.length; at += MODULE_WORDS * 4) {
      modules.writeUInt32LE(start, at + 5 * 4);
      modules.writeUInt32LE(count, at + 6 * 4);
      modules.writeUInt32LE(start + count, at + 7 * 4);
      modules.writeUInt32LE(0, at + 8 * 4);
    }
    setSection(sections, Section.Modules, modules);
  });
}

/** ALIAS_FAMILIES with `copies` families, all naming the first family's table. */
function repeatFamilies(bundle: Buffer, copies: number): Buffer {
  return editIndex(bundle, (sections) => {
    const families = sectionOf(sections, Section.AliasFamilies);
    const first = Array.from({ length: FAMILY_WORDS }, (_, w) => families.readUInt32LE(w * 4));
    const out = Buffer.alloc(copies * FAMILY_WORDS * 4);
    for (let k = 0; k < copies; k++) {
      // The numbering continues, so only the repeated table gives the index away.
      const words = [first[0], 0, 0, 0, 0, 0, k * first[7], first[7], k * first[9], first[9]];
      words.forEach((v, w) => out.writeUInt32LE(v, (k * FAMILY_WORDS + w) * 4));
    }
    setSection(sections, Section.AliasFamilies, out);
    const order = Buffer.alloc(copies * first[7] * 4);
    for (let i = 0; i < copies * first[7]; i++) order.writeUInt32LE(i, i * 4);
    setSection(sections, Section.AliasOrder, order);
  });
}

function assertOneLine(args: string[], message: RegExp): void {
  const started = process.hrtime.bigint();
  const result = runCli(args);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(result.status, 1, `${args.join(" ")}: ${result.stdout.slice(0, 200)}`);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], message);
  // Generous for a loaded machine; the unfixed reader ran for a minute and died out of memory.
  assert.ok(seconds < 20, `${args.join(" ")} took ${seconds.toFixed(1)} s`);
}

before(async () => {
  small = fs.readFileSync(await packTree(smallTree()));
  large = replaceIndex(small, syntheticIndex());
});

describe("hostile indexes whose CRCs hold (issue 15, finding 2)", () => {
  it("the synthetic index itself works: modprobe -R resolves through it", () => {
    const file = write(large, "large");
    const result = runCli(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-R", "pci:v00007d1"]);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, "m7\n");
  });

  it("module records sharing one 4000-entry softdep list: verify, modprobe -R and modprobe -c give one line", () => {
    const file = write(shareSoftdepList(large), "shared-softdeps");
    const message = /corrupt index: module 1 softdep list starts at 0, not at 4000/;
    assertOneLine(["verify", file], message);
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-R", "m5"], message);
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-c"], message);
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-n", "pci:v00007d1"], message);
  });

  it("the same on the small tree's own bundle (verify)", () => {
    assertOneLine(["verify", write(shareSoftdepList(small), "small-shared")], /corrupt index: module 1 softdep list starts at 0/);
  });

  it("8000 alias families naming the same table: modprobe -R and -n give one line", () => {
    const file = write(repeatFamilies(small, 8000), "families");
    const message = /corrupt index: alias family 1 names section 32, not 33/;
    assertOneLine(["verify", file], message);
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-R", "mid-alias"], message);
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-n", "pci:v00001234d1sv0sd0bc0sc0i0"], message);
  });

  it("dependency lists that overlap are refused", () => {
    const file = write(editIndex(large, (sections) => {
      const modules = Buffer.from(sectionOf(sections, Section.Modules));
      modules.writeUInt32LE(0, MODULE_WORDS * 4 * 5 + 3 * 4);
      setSection(sections, Section.Modules, modules);
    }), "deps");
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-D", "m9"], /corrupt index: module 5 dependency list starts at 0, not at 4/);
  });

  it("alias groups that share aliases are refused", () => {
    const file = write(editIndex(small, (sections) => {
      const table = Buffer.from(sectionOf(sections, Section.BuiltinAliasTable));
      const groups = table.readUInt32LE(2 * 8);
      table.writeUInt32LE(5, groups + 2 * 4);
      setSection(sections, Section.BuiltinAliasTable, table);
    }), "groups");
    assertOneLine(["verify", file], /corrupt index: alias table 26 group 0 starts at 5, not at 0/);
  });

  it("a lookup using two groups that share aliases is refused", () => {
    // "abcd:x*" and "abcd:xy*" are groups 0 and 1 of the others' family's table (the second);
    // both prefixes start the query. Group 1 is made to hold group 0's alias as well.
    const modules = ["m0", "m1"].map((name) => ({ name, path: `kernel/${name}.ko`, deps: [], softdeps: [], weakdeps: [] }));
    const index: ModuleIndex = {
      kernelVersion: SMALL_VERSION,
      modules,
      aliases: ["abcd:x*", "abcd:xy*"].map((pattern, i) => ({ pattern, key: pattern, module: i, target: modules[i].name })),
      symbols: [],
      builtin: [],
      builtinAliases: [],
      devnames: [],
    };
    const members = modules.map((m) => ({ path: m.path, offset: 0, size: 0, compression: "none" as const, crc32: 0 }));
    const two = replaceIndex(small, encodeIndex({ index, members }));
    assert.equal(runCli(["modprobe", "--bundle", write(two, "two-groups"), "-S", SMALL_VERSION, "-R", "abcd:xyz"]).stdout, "m0\nm1\n");
    const file = write(editIndex(two, (sections) => {
      const table = Buffer.from(sectionOf(sections, Section.FirstAliasFamily + 1));
      const groups = table.readUInt32LE(2 * 8);
      table.writeUInt32LE(0, groups + 4 * 4 + 2 * 4);
      table.writeUInt32LE(2, groups + 4 * 4 + 3 * 4);
      setSection(sections, Section.FirstAliasFamily + 1, table);
    }), "shared-groups");
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-R", "abcd:xyz"], /corrupt index: alias table 33 group 1 shares aliases with another group/);
    assertOneLine(["verify", file], /corrupt index: alias table 33 group 1 starts at 0, not at 1/);
  });

  it("alias records that all name the whole string pool are refused as a lookup reads them", () => {
    // 100 aliases in one group; every record's pattern and key are made the whole pool, so that
    // reading the group's records would copy and compile the pool 100 times.
    const modules = Array.from({ length: 100 }, (_, i) => ({ name: `m${i}`, path: `kernel/m${i}.ko`, deps: [], softdeps: [], weakdeps: [] }));
    const index: ModuleIndex = {
      kernelVersion: SMALL_VERSION,
      modules,
      aliases: modules.map((m, i) => ({ pattern: `zzzz:a*${i}`, key: `zzzz:a*${i}`, module: i, target: m.name })),
      symbols: [],
      builtin: [],
      builtinAliases: [],
      devnames: [],
    };
    const members = modules.map((m) => ({ path: m.path, offset: 0, size: 0, compression: "none" as const, crc32: 0 }));
    const file = write(editIndex(replaceIndex(small, encodeIndex({ index, members })), (sections) => {
      const table = Buffer.from(sectionOf(sections, Section.FirstAliasFamily + 1));
      const records = table.readUInt32LE(0);
      const poolLength = table.readUInt32LE(5 * 8 + 4);
      for (let i = 0; i < modules.length; i++) {
        const at = records + i * 7 * 4;
        [0, poolLength, 0, poolLength].forEach((v, w) => table.writeUInt32LE(v, at + w * 4));
      }
      setSection(sections, Section.FirstAliasFamily + 1, table);
    }), "volume");
    const message = /corrupt index: alias table 33 references \d+ bytes of strings, more than 8 times the \d+ bytes/;
    assertOneLine(["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-R", "zzzz:a5"], message);
    assertOneLine(["verify", file], message);
  });

  it("an alias listed twice in ALIAS_ORDER is refused by verify", () => {
    const file = write(editIndex(large, (sections) => {
      const order = Buffer.from(sectionOf(sections, Section.AliasOrder));
      order.writeUInt32LE(order.readUInt32LE(4), 0);
      setSection(sections, Section.AliasOrder, order);
    }), "order");
    assertOneLine(["verify", file], /corrupt index: alias \d+ appears twice in ALIAS_ORDER/);
  });
});
