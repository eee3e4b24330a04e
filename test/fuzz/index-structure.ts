import fc from "fast-check";
import { BundleIndex, MemberRecord, encodeIndex, indexDirectoryLength } from "../../src/bundle/index-codec";
import { INDEX_VERSION, MAX_SECTIONS, Section } from "../../src/bundle/index-sections";
import { IndexAlias, IndexDevname, IndexModule, IndexSymbol } from "../../src/index/types";
import { crc32 } from "../../src/util/crc32";
import { HEADER_DATA_OFFSET, indexLocation, replaceIndex } from "../helpers/index-edit";
import { Mutation, applyMutations, mutationsArbitrary } from "./mutate";

/**
 * Structured mutations of a bundle's index, as a hostile author (not a damaged disk) would make
 * them: every checksum is recomputed afterwards, so that what stands behind the CRCs is what gets
 * tested. Five layers, applied in this order:
 *
 *   content    the index as data (modules, lists, aliases, members, strings), changed and
 *              re-encoded by the real encoder: dependency cycles and self-dependencies, module
 *              numbers out of range, duplicate names and aliases, members pointing at other
 *              members' bytes, thousands of records, hostile strings (control characters, escape
 *              sequences, NUL, invalid UTF-8, very long)
 *   sections   words of the encoded sections set to boundary values (0, 1, max, count +- 1, a
 *              pool's or section's size, another record's value); lists shared by many records;
 *              alias families repeated; alias table parts overlapping; string references pointed
 *              past their pool or at new hostile strings; sections dropped, doubled, emptied,
 *              cut mid-record, given twice
 *   directory  section table entries pointing into other sections, unaligned, past the end
 *   raw        byte mutations of the index (mutate.ts), every section CRC then recomputed
 *   header     the bundle header's index offset, index length and archive length
 *
 * Positions and numbers are 32-bit seeds resolved modulo what the index holds when applied, so a
 * mutation list applies to any sample.
 */
type Seed = number;

// ---------------------------------------------------------------------------------------------
// Hostile strings

const LONG_LENGTHS = [255, 256, 4095, 4096, 65536, 1 << 20];
const HOSTILE_TEXTS = [
  "",
  "\x1b]0;pwned\x07",
  "\x1b[2J\x1b[H",
  "kernel/\x1b[31mred.ko",
  "line\nforged: line",
  "cr\rhidden",
  "\x00",
  "nul\x00inside",
  "\xff\xfe\xc3(",
  "\xc2\x9b2J",
  "\x9b",
  "\x7f\x08\x08",
  "tab\there",
  "..",
  "../../../etc/passwd",
  "/abs/module.ko",
  "-",
  "_",
  "*",
  "[",
  "a]b",
  "[[:nope:]]",
  "pci:*",
  " ",
  "pre: post: pre:",
  "pre:",
];

export type HostileText =
  | { readonly kind: "fixed"; readonly which: Seed }
  | { readonly kind: "bytes"; readonly bytes: readonly number[] }
  | { readonly kind: "long"; readonly which: Seed; readonly byte: number }
  | { readonly kind: "wrap"; readonly which: Seed };

export const hostileTextArbitrary: fc.Arbitrary<HostileText> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("fixed" as const), which: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("bytes" as const), bytes: fc.array(fc.nat({ max: 255 }), { maxLength: 24 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("long" as const), which: fc.nat(), byte: fc.constantFrom(0x61, 0x1b, 0x00, 0xff, 0x2a) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("wrap" as const), which: fc.nat() }) },
);

/** The hostile string for `text`; "wrap" puts a fixed one around `original`. */
export function hostileText(text: HostileText, original: string): string {
  switch (text.kind) {
    case "fixed":
      return HOSTILE_TEXTS[text.which % HOSTILE_TEXTS.length];
    case "bytes":
      return String.fromCharCode(...text.bytes);
    case "long":
      return String.fromCharCode(text.byte).repeat(LONG_LENGTHS[text.which % LONG_LENGTHS.length]);
    case "wrap": {
      const fixed = HOSTILE_TEXTS[text.which % HOSTILE_TEXTS.length];
      return (text.which >>> 8) % 2 === 0 ? `${fixed}${original}` : `${original}${fixed}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Content: the index as data, re-encoded by the real encoder

interface MutableModule {
  name: string;
  path: string;
  deps: number[];
  softdeps: string[];
  weakdeps: string[];
}

interface MutableMember {
  path: string;
  offset: number;
  size: number;
  compression: MemberRecord["compression"];
  crc32: number;
  plainSize: number;
}

/** The index as data, every part mutable. */
export interface IndexModel {
  kernelVersion: string;
  modules: MutableModule[];
  aliases: IndexAlias[];
  symbols: IndexSymbol[];
  builtin: string[];
  builtinAliases: IndexAlias[];
  devnames: IndexDevname[];
  members: MutableMember[];
}

export function decodeModel(index: Buffer): IndexModel {
  const reader = BundleIndex.fromBuffer(index, "sample");
  const data = reader.toModuleIndex();
  const members: MutableMember[] = [];
  for (let i = 0; i < reader.memberCount; i++) {
    const { path, offset, size, compression, crc32: crc, plainSize } = reader.member(i);
    members.push({ path, offset, size, compression, crc32: crc, plainSize });
  }
  return {
    kernelVersion: data.kernelVersion,
    modules: data.modules.map((m: IndexModule) => ({ name: m.name, path: m.path, deps: [...m.deps], softdeps: [...m.softdeps], weakdeps: [...m.weakdeps] })),
    aliases: [...data.aliases],
    symbols: [...data.symbols],
    builtin: [...data.builtin],
    builtinAliases: [...data.builtinAliases],
    devnames: [...data.devnames],
    members,
  };
}

export function encodeModel(model: IndexModel): Buffer {
  const { members, ...index } = model;
  return encodeIndex({ index, members });
}

const OUT_OF_RANGE = ["count", "count+1", "max", "maxInt"] as const;

export type ContentMutation =
  | { readonly kind: "deps"; readonly module: Seed; readonly other: Seed; readonly shape: "self" | "cycle" | "out-of-range" | "repeat" | "clear" | "reverse" | "everything" | "long" }
  | { readonly kind: "dep-strings"; readonly field: "softdeps" | "weakdeps"; readonly module: Seed; readonly other: Seed; readonly shape: "self" | "other" | "unknown" | "many" | "clear" | "hostile"; readonly text: HostileText }
  | { readonly kind: "clone-modules"; readonly module: Seed; readonly copies: number; readonly sameName: boolean }
  | { readonly kind: "rename"; readonly site: Seed; readonly text: HostileText }
  | { readonly kind: "same-name"; readonly site: Seed; readonly other: Seed }
  | { readonly kind: "alias"; readonly alias: Seed; readonly other: Seed; readonly builtin: boolean; readonly shape: "duplicate" | "module-out-of-range" | "no-key" | "target-other" | "target-unknown" | "chain" | "family" | "hostile"; readonly copies: number; readonly text: HostileText }
  | { readonly kind: "member"; readonly member: Seed; readonly other: Seed; readonly field: "offset" | "size" | "compression" | "crc" | "plainSize" | "steal"; readonly value: Seed }
  | { readonly kind: "numbers"; readonly table: "symbols" | "devnames"; readonly entry: Seed; readonly value: Seed; readonly field: Seed }
  | { readonly kind: "extra"; readonly table: "builtin" | "symbols" | "devnames"; readonly other: Seed; readonly text: HostileText; readonly copies: number };

const seed = fc.nat({ max: 0xffffffff });

export const contentMutationArbitrary: fc.Arbitrary<ContentMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("deps" as const), module: seed, other: seed, shape: fc.constantFrom("self" as const, "cycle" as const, "out-of-range" as const, "repeat" as const, "clear" as const, "reverse" as const, "everything" as const, "long" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("dep-strings" as const),
      field: fc.constantFrom("softdeps" as const, "weakdeps" as const),
      module: seed,
      other: seed,
      shape: fc.constantFrom("self" as const, "other" as const, "unknown" as const, "many" as const, "clear" as const, "hostile" as const),
      text: hostileTextArbitrary,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clone-modules" as const), module: seed, copies: fc.constantFrom(1, 2, 100, 4000), sameName: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("rename" as const), site: seed, text: hostileTextArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("same-name" as const), site: seed, other: seed }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("alias" as const),
      alias: seed,
      other: seed,
      builtin: fc.boolean(),
      shape: fc.constantFrom("duplicate" as const, "module-out-of-range" as const, "no-key" as const, "target-other" as const, "target-unknown" as const, "chain" as const, "family" as const, "hostile" as const),
      copies: fc.constantFrom(1, 2, 255, 256, 3000),
      text: hostileTextArbitrary,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("member" as const), member: seed, other: seed, field: fc.constantFrom("offset" as const, "size" as const, "compression" as const, "crc" as const, "plainSize" as const, "steal" as const), value: seed }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("numbers" as const), table: fc.constantFrom("symbols" as const, "devnames" as const), entry: seed, value: seed, field: seed }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("extra" as const), table: fc.constantFrom("builtin" as const, "symbols" as const, "devnames" as const), other: seed, text: hostileTextArbitrary, copies: fc.constantFrom(1, 2, 1000) }) },
);

/**
 * Copies of a record holding a long string are few: the encoder sorts and hashes strings, and
 * thousands of megabyte strings would make the generator, not the reader, slow. A long string
 * repeated by many records is made at the section level instead ("same-string").
 */
function copiesOf(text: string, copies: number): number {
  return text.length > 4096 ? Math.min(copies, 2) : copies;
}

function pick<T>(list: readonly T[], at: Seed): T | undefined {
  return list.length === 0 ? undefined : list[at % list.length];
}

/** A number just out of range for a table of `count` entries (or a large one). */
function outOfRange(count: number, at: Seed): number {
  switch (OUT_OF_RANGE[at % OUT_OF_RANGE.length]) {
    case "count":
      return count;
    case "count+1":
      return count + 1;
    case "max":
      return 0xffffffff;
    case "maxInt":
      return 0x7fffffff;
  }
}

/** The model's string sites: each reads and writes one string of the index. */
function stringSites(model: IndexModel): Array<{ get(): string; set(value: string): void }> {
  const sites: Array<{ get(): string; set(value: string): void }> = [
    { get: () => model.kernelVersion, set: (v) => (model.kernelVersion = v) },
  ];
  model.modules.forEach((m) => {
    sites.push({ get: () => m.name, set: (v) => (m.name = v) });
    // A module's path is its member's: both change, so that the encoder still finds the member.
    sites.push({
      get: () => m.path,
      set: (v) => {
        for (const member of model.members) if (member.path === m.path) member.path = v;
        for (const other of model.modules) if (other !== m && other.path === m.path) other.path = v;
        m.path = v;
      },
    });
    m.softdeps.forEach((_, k) => sites.push({ get: () => m.softdeps[k], set: (v) => (m.softdeps[k] = v) }));
    m.weakdeps.forEach((_, k) => sites.push({ get: () => m.weakdeps[k], set: (v) => (m.weakdeps[k] = v) }));
  });
  model.members.forEach((member) => {
    // A member no module names (the kernel's lists) can be renamed alone.
    if (!model.modules.some((m) => m.path === member.path)) sites.push({ get: () => member.path, set: (v) => (member.path = v) });
  });
  for (const list of [model.aliases, model.builtinAliases]) {
    list.forEach((alias, k) => {
      sites.push({ get: () => alias.pattern, set: (v) => (list[k] = { ...list[k], pattern: v }) });
      sites.push({ get: () => alias.key ?? "", set: (v) => (list[k] = { ...list[k], key: v }) });
      sites.push({ get: () => alias.target, set: (v) => (list[k] = { ...list[k], target: v }) });
    });
  }
  model.symbols.forEach((symbol, k) => sites.push({ get: () => symbol.name, set: (v) => (model.symbols[k] = { ...model.symbols[k], name: v }) }));
  model.builtin.forEach((_, k) => sites.push({ get: () => model.builtin[k], set: (v) => (model.builtin[k] = v) }));
  model.devnames.forEach((d, k) => sites.push({ get: () => d.devname, set: (v) => (model.devnames[k] = { ...model.devnames[k], devname: v }) }));
  return sites;
}

/** Member sizes to try: the edges of what the reader and the decoders check. */
function memberValue(member: MutableMember, archiveLength: number, at: Seed): number {
  const choices = [0, 1, member.size - 1, member.size + 1, member.size * 2, 0x7fffffff, 0xffffffff, archiveLength, archiveLength - 1, archiveLength + 1];
  return Math.max(0, choices[at % choices.length]) >>> 0;
}

export function applyContentMutation(model: IndexModel, m: ContentMutation, archiveLength: number): void {
  const count = model.modules.length;
  switch (m.kind) {
    case "deps": {
      const module = pick(model.modules, m.module);
      if (!module) return;
      const self = m.module % count;
      const other = m.other % count;
      if (m.shape === "self") module.deps.push(self);
      else if (m.shape === "cycle") {
        module.deps.push(other);
        model.modules[other].deps.push(self);
      } else if (m.shape === "out-of-range") module.deps.splice(m.other % (module.deps.length + 1), 0, outOfRange(count, m.other >>> 4));
      else if (m.shape === "repeat") module.deps = [...module.deps, ...module.deps, other, other];
      else if (m.shape === "clear") module.deps = [];
      else if (m.shape === "reverse") module.deps.reverse();
      else if (m.shape === "everything") module.deps = model.modules.map((_, i) => i);
      else module.deps = Array.from({ length: 4000 }, (_, i) => (i + m.other) % count);
      return;
    }
    case "dep-strings": {
      const module = pick(model.modules, m.module);
      if (!module) return;
      const other = model.modules[m.other % count].name;
      const values = module[m.field];
      if (m.shape === "self") values.push(`pre: ${module.name} post: ${module.name}`);
      else if (m.shape === "other") values.push(`pre: ${other}`, `post: ${module.name} ${other}`);
      else if (m.shape === "unknown") values.push("pre: no_such_module post: another_missing");
      else if (m.shape === "many") module[m.field] = Array.from({ length: 4000 }, () => `pre: ${other}`);
      else if (m.shape === "clear") module[m.field] = [];
      else values.push(hostileText(m.text, `pre: ${other}`));
      return;
    }
    case "clone-modules": {
      const module = pick(model.modules, m.module);
      if (!module) return;
      // Copies of a module whose lists are long are fewer: the generator's own work stays bounded.
      const entries = module.deps.length + module.softdeps.length + module.weakdeps.length;
      const copies = Math.min(m.copies, Math.floor(200_000 / Math.max(1, entries)));
      for (let k = 0; k < copies; k++) {
        model.modules.push({ ...module, name: m.sameName ? module.name : `${module.name}_${k}`, deps: [...module.deps], softdeps: [...module.softdeps], weakdeps: [...module.weakdeps] });
      }
      return;
    }
    case "rename": {
      const site = pick(stringSites(model), m.site);
      if (site) site.set(hostileText(m.text, site.get()));
      return;
    }
    case "same-name": {
      const sites = stringSites(model);
      const site = pick(sites, m.site);
      const other = pick(sites, m.other);
      if (site && other) site.set(other.get());
      return;
    }
    case "alias":
      return applyAliasMutation(model, m);
    case "member": {
      const member = pick(model.members, m.member);
      const other = pick(model.members, m.other);
      if (!member || !other) return;
      if (m.field === "offset") member.offset = memberValue(member, archiveLength, m.value);
      else if (m.field === "size") member.size = memberValue(member, archiveLength, m.value);
      else if (m.field === "plainSize") member.plainSize = memberValue(member, archiveLength, m.value);
      else if (m.field === "crc") member.crc32 = m.value >>> 0;
      else if (m.field === "compression") member.compression = pick(["none", "xz", "zstd", "gzip"] as const, m.value) ?? "none";
      else {
        // Another member's bytes under this member's path, its checksum with them: the loader
        // decompresses and loads what the CRC vouches for.
        member.offset = other.offset;
        member.size = other.size;
        member.compression = other.compression;
        member.crc32 = other.crc32;
        member.plainSize = other.plainSize;
      }
      return;
    }
    case "numbers": {
      const list: Array<IndexSymbol | IndexDevname> = m.table === "symbols" ? model.symbols : model.devnames;
      if (list.length === 0) return;
      const k = m.entry % list.length;
      const value = outOfRange(count, m.value);
      if (m.table === "symbols") model.symbols[k] = { ...model.symbols[k], module: value };
      else {
        const field = (["module", "major", "minor", "type"] as const)[m.field % 4];
        const d = model.devnames[k];
        model.devnames[k] = field === "type" ? { ...d, type: "x" as "c" } : { ...d, [field]: value };
      }
      return;
    }
    case "extra": {
      const other = model.modules[m.other % Math.max(1, count)]?.name ?? "x";
      // One string for every copy (a long one made once): the records repeat a reference.
      const text = hostileText(m.text, other);
      for (let k = 0; k < copiesOf(text, m.copies); k++) {
        if (m.table === "builtin") model.builtin.push(k === 0 ? other : text);
        else if (m.table === "symbols") model.symbols.push({ name: text, module: m.other % Math.max(1, count) });
        else model.devnames.push({ module: m.other % Math.max(1, count), devname: text, type: "c", major: 10, minor: k });
      }
      return;
    }
  }
}

function applyAliasMutation(model: IndexModel, m: Extract<ContentMutation, { kind: "alias" }>): void {
  const list = m.builtin ? model.builtinAliases : model.aliases;
  const count = model.modules.length;
  const base: IndexAlias = pick(list, m.alias) ?? { pattern: "fuzz:x", key: "fuzz:x", module: m.builtin ? -1 : 0, target: model.modules[0]?.name ?? "x" };
  const other = model.modules[m.other % Math.max(1, count)]?.name ?? "x";
  const add = (alias: IndexAlias): void => {
    for (let k = 0; k < copiesOf(alias.pattern, m.copies); k++) list.push(alias);
  };
  switch (m.shape) {
    case "duplicate":
      return add(base);
    case "module-out-of-range":
      return add({ ...base, module: outOfRange(count, m.other) });
    case "no-key":
      return add({ ...base, key: undefined });
    case "target-other":
      return add({ ...base, target: other, module: m.builtin ? -1 : m.other % Math.max(1, count) });
    case "target-unknown":
      return add({ ...base, target: "no_such_module" });
    case "chain": {
      // An alias whose target is another alias, whose target is the first.
      add({ pattern: other, key: other, module: base.module, target: base.pattern });
      add({ pattern: base.pattern, key: base.key, module: base.module, target: other });
      return;
    }
    case "family": {
      // Enough aliases sharing a 4-byte literal prefix to make a family of their own.
      for (let k = 0; k < Math.max(256, m.copies); k++) list.push({ ...base, pattern: `fam:${k}*`, key: `fam:${k}*` });
      return;
    }
    case "hostile": {
      const text = hostileText(m.text, base.pattern);
      return add({ ...base, pattern: text, key: text });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sections: the encoded index as (id, bytes) pairs

export type SectionList = Array<[number, Buffer]>;

export function decodeSections(index: Buffer): SectionList {
  const count = index.readUInt32LE(8);
  const out: SectionList = [];
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 16;
    const offset = index.readUInt32LE(at + 4);
    out.push([index.readUInt32LE(at), Buffer.from(index.subarray(offset, offset + index.readUInt32LE(at + 8)))]);
  }
  return out;
}

const RECORD_WORDS: Partial<Record<number, number>> = {
  [Section.Meta]: 2,
  [Section.Members]: 8,
  [Section.Modules]: 9,
  [Section.ModulesByName]: 1,
  [Section.U32s]: 1,
  [Section.StringLists]: 2,
  [Section.Symbols]: 3,
  [Section.Builtin]: 2,
  [Section.Devnames]: 6,
  [Section.AliasFamilies]: 10,
  [Section.AliasOrder]: 1,
};

/** Where each table's string references point, and which words of a record hold them. */
const STRING_REFS: Partial<Record<number, { readonly pool: number; readonly words: readonly number[] }>> = {
  [Section.Meta]: { pool: Section.CoreStrings, words: [0] },
  [Section.Members]: { pool: Section.CoreStrings, words: [0] },
  [Section.Modules]: { pool: Section.CoreStrings, words: [0] },
  [Section.StringLists]: { pool: Section.CoreStrings, words: [0] },
  [Section.Symbols]: { pool: Section.SymbolStrings, words: [0] },
  [Section.Builtin]: { pool: Section.BuiltinStrings, words: [0] },
  [Section.Devnames]: { pool: Section.CoreStrings, words: [1] },
};

/** Values a word is set to, resolved against the index when applied. */
const VALUE_KINDS = [
  "zero", "one", "max", "maxInt", "minus1", "plus1", "records", "records-1", "records+1", "modules", "modules+1",
  "members", "u32s", "lists", "pool", "pool+1", "section-bytes", "copy", "random",
] as const;
type ValueKind = (typeof VALUE_KINDS)[number];

export interface Value {
  readonly kind: ValueKind;
  readonly seed: Seed;
}

const valueArbitrary: fc.Arbitrary<Value> = fc.record({ kind: fc.constantFrom(...VALUE_KINDS), seed });

function sectionBytes(sections: SectionList, id: number): Buffer | undefined {
  return sections.find(([s]) => s === id)?.[1];
}

function recordCount(sections: SectionList, id: number): number {
  const data = sectionBytes(sections, id);
  return data ? Math.floor(data.length / (4 * (RECORD_WORDS[id] ?? 1))) : 0;
}

function resolveValue(value: Value, sections: SectionList, id: number, data: Buffer, old: number): number {
  const records = recordCount(sections, id);
  const v = ((): number => {
    switch (value.kind) {
      case "zero": return 0;
      case "one": return 1;
      case "max": return 0xffffffff;
      case "maxInt": return 0x7fffffff;
      case "minus1": return old - 1;
      case "plus1": return old + 1;
      case "records": return records;
      case "records-1": return records - 1;
      case "records+1": return records + 1;
      case "modules": return recordCount(sections, Section.Modules);
      case "modules+1": return recordCount(sections, Section.Modules) + 1;
      case "members": return recordCount(sections, Section.Members);
      case "u32s": return recordCount(sections, Section.U32s);
      case "lists": return recordCount(sections, Section.StringLists);
      case "pool": return sectionBytes(sections, Section.CoreStrings)?.length ?? 0;
      case "pool+1": return (sectionBytes(sections, Section.CoreStrings)?.length ?? 0) + 1;
      case "section-bytes": return data.length;
      case "copy": return data.length >= 4 ? data.readUInt32LE(4 * (value.seed % Math.floor(data.length / 4))) : 0;
      case "random": return value.seed;
    }
  })();
  return v >>> 0;
}

/** The alias tables' six parts (records, sorted, groups, hash, lengths, strings), decoded. */
interface AliasTableParts {
  parts: Buffer[];
}

function decodeAliasTable(data: Buffer): AliasTableParts | undefined {
  if (data.length < 48) return undefined;
  const parts: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const offset = data.readUInt32LE(i * 8);
    const length = data.readUInt32LE(i * 8 + 4);
    if (offset > data.length || length > data.length - offset) return undefined;
    parts.push(Buffer.from(data.subarray(offset, offset + length)));
  }
  return { parts };
}

/** Lays the parts out after the head, each padded to 4 bytes; `head` overrides head words. */
function encodeAliasTable(table: AliasTableParts, head: ReadonlyMap<number, number> = new Map()): Buffer {
  const out = Buffer.alloc(48);
  const chunks: Buffer[] = [out];
  let at = 48;
  table.parts.forEach((part, i) => {
    out.writeUInt32LE(at, i * 8);
    out.writeUInt32LE(part.length, i * 8 + 4);
    const pad = (4 - (part.length % 4)) % 4;
    chunks.push(part, Buffer.alloc(pad));
    at += part.length + pad;
  });
  for (const [word, value] of head) out.writeUInt32LE(value >>> 0, word * 4);
  return Buffer.concat(chunks);
}

const ALIAS_PART_WORDS = [7, 1, 4, 1, 1, 1];

export type SectionMutation =
  | { readonly kind: "word"; readonly section: Seed; readonly at: Seed; readonly value: Value }
  | { readonly kind: "share"; readonly list: "deps" | "softdeps" | "weakdeps"; readonly from: Seed; readonly to: Seed; readonly all: boolean; readonly tiled: boolean }
  | { readonly kind: "families"; readonly copies: number; readonly distinct: boolean }
  | { readonly kind: "section"; readonly section: Seed; readonly other: Seed; readonly op: "drop" | "empty" | "cut" | "partial" | "double" | "grow" | "replace" | "twice" | "unknown-id" | "swap" | "last" }
  | { readonly kind: "alias-word"; readonly table: Seed; readonly part: number; readonly at: Seed; readonly value: Value }
  | { readonly kind: "alias-part"; readonly table: Seed; readonly part: number; readonly other: number; readonly op: "overlap" | "double" | "empty" | "head-offset" | "head-length" | "hash-same" | "group-share" }
  | { readonly kind: "string-ref"; readonly section: Seed; readonly record: Seed; readonly target: "end" | "past-end" | "straddle" | "other" | "hostile" | "huge"; readonly other: Seed; readonly text: HostileText }
  | { readonly kind: "pool-bytes"; readonly pool: Seed; readonly at: Seed; readonly text: HostileText }
  | { readonly kind: "same-string"; readonly section: Seed; readonly field: Seed };

const partArbitrary = fc.nat({ max: 5 });

export const sectionMutationArbitrary: fc.Arbitrary<SectionMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("word" as const), section: seed, at: seed, value: valueArbitrary }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("share" as const), list: fc.constantFrom("deps" as const, "softdeps" as const, "weakdeps" as const), from: seed, to: seed, all: fc.boolean(), tiled: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("families" as const), copies: fc.constantFrom(2, 31, 32, 64, 65, 8000), distinct: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("section" as const),
      section: seed,
      other: seed,
      op: fc.constantFrom("drop" as const, "empty" as const, "cut" as const, "partial" as const, "double" as const, "grow" as const, "replace" as const, "twice" as const, "unknown-id" as const, "swap" as const, "last" as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("alias-word" as const), table: seed, part: partArbitrary, at: seed, value: valueArbitrary }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("alias-part" as const),
      table: seed,
      part: partArbitrary,
      other: partArbitrary,
      op: fc.constantFrom("overlap" as const, "double" as const, "empty" as const, "head-offset" as const, "head-length" as const, "hash-same" as const, "group-share" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("string-ref" as const),
      section: seed,
      record: seed,
      target: fc.constantFrom("end" as const, "past-end" as const, "straddle" as const, "other" as const, "hostile" as const, "huge" as const),
      other: seed,
      text: hostileTextArbitrary,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("pool-bytes" as const), pool: seed, at: seed, text: hostileTextArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("same-string" as const), section: seed, field: seed }) },
);

const GROW_LIMIT = 4 << 20;

function setSectionBytes(sections: SectionList, id: number, data: Buffer): void {
  const found = sections.find(([s]) => s === id);
  if (found) found[1] = data;
}

function aliasTableIds(sections: SectionList): number[] {
  return sections.map(([id]) => id).filter((id) => id === Section.BuiltinAliasTable || id >= Section.FirstAliasFamily);
}

const LIST_WORDS = { deps: 3, softdeps: 5, weakdeps: 7 } as const;

export function applySectionMutation(sections: SectionList, m: SectionMutation): void {
  switch (m.kind) {
    case "word": {
      const entry = pick(sections, m.section);
      if (!entry || entry[1].length < 4) return;
      const data = Buffer.from(entry[1]);
      const at = 4 * (m.at % Math.floor(data.length / 4));
      data.writeUInt32LE(resolveValue(m.value, sections, entry[0], data, data.readUInt32LE(at)), at);
      entry[1] = data;
      return;
    }
    case "share": {
      // Records pointing at one list: the shape of issue 15's 4,000-entry softdep list.
      const modules = sectionBytes(sections, Section.Modules);
      if (!modules || modules.length < 36) return;
      const data = Buffer.from(modules);
      const records = Math.floor(data.length / 36);
      let from = m.from % records;
      const w = LIST_WORDS[m.list];
      if (m.all) {
        // The longest list, for the largest product.
        for (let r = 0; r < records; r++) if (data.readUInt32LE(r * 36 + (w + 1) * 4) > data.readUInt32LE(from * 36 + (w + 1) * 4)) from = r;
      }
      const start = data.readUInt32LE(from * 36 + w * 4);
      const count = data.readUInt32LE(from * 36 + (w + 1) * 4);
      for (let r = 0; r < records; r++) {
        if (!m.all && r !== m.to % records) continue;
        data.writeUInt32LE(start, r * 36 + w * 4);
        data.writeUInt32LE(count, r * 36 + (w + 1) * 4);
        if (m.tiled && m.list === "softdeps") {
          data.writeUInt32LE(start + count, r * 36 + 7 * 4);
          data.writeUInt32LE(0, r * 36 + 8 * 4);
        }
      }
      setSectionBytes(sections, Section.Modules, data);
      return;
    }
    case "families": {
      // Families repeated, naming one table (or copies of it), the numbering continued.
      const families = sectionBytes(sections, Section.AliasFamilies);
      if (!families || families.length < 40) return;
      const table = sectionBytes(sections, families.readUInt32LE(0));
      const first = Array.from({ length: 10 }, (_, w) => families.readUInt32LE(w * 4));
      const out = Buffer.alloc(m.copies * 40);
      for (let k = 0; k < m.copies; k++) {
        const id = m.distinct ? Section.FirstAliasFamily + k : first[0];
        [id, 0, 0, 0, 0, 0, k * first[7], first[7], k * first[9], first[9]].forEach((v, w) => out.writeUInt32LE(v >>> 0, (k * 10 + w) * 4));
        if (m.distinct && table && k < 64 && !sections.some(([s]) => s === id)) sections.push([id, table]);
      }
      setSectionBytes(sections, Section.AliasFamilies, out);
      const order = Buffer.alloc(Math.min(GROW_LIMIT, m.copies * first[7] * 4));
      for (let i = 0; i < order.length / 4; i++) order.writeUInt32LE(i, i * 4);
      setSectionBytes(sections, Section.AliasOrder, order);
      return;
    }
    case "section":
      return applySectionOp(sections, m);
    case "alias-word": {
      const id = pick(aliasTableIds(sections), m.table);
      const table = id === undefined ? undefined : decodeAliasTable(sectionBytes(sections, id) as Buffer);
      if (id === undefined || !table) return;
      const part = Buffer.from(table.parts[m.part]);
      if (part.length < 4) return;
      const at = 4 * (m.at % Math.floor(part.length / 4));
      const records = Math.floor(part.length / (4 * ALIAS_PART_WORDS[m.part]));
      const value = m.value.kind === "records" ? records : m.value.kind === "records-1" ? records - 1 : m.value.kind === "records+1" ? records + 1
        : m.value.kind === "pool" ? table.parts[5].length : m.value.kind === "pool+1" ? table.parts[5].length + 1
        : resolveValue(m.value, sections, id, part, part.readUInt32LE(at));
      part.writeUInt32LE(value >>> 0, at);
      table.parts[m.part] = part;
      setSectionBytes(sections, id, encodeAliasTable(table));
      return;
    }
    case "alias-part":
      return applyAliasPartOp(sections, m);
    case "string-ref":
      return applyStringRef(sections, m);
    case "same-string":
      return applySameString(sections, m);
    case "pool-bytes": {
      const pools = sections.filter(([id]) => id === Section.CoreStrings || id === Section.BuiltinStrings || id === Section.SymbolStrings);
      const entry = pick(pools, m.pool);
      if (!entry || entry[1].length === 0) return;
      const data = Buffer.from(entry[1]);
      const text = Buffer.from(hostileText(m.text, ""), "latin1");
      text.copy(data, m.at % data.length);
      entry[1] = data;
      return;
    }
  }
}

function applySectionOp(sections: SectionList, m: Extract<SectionMutation, { kind: "section" }>): void {
  if (sections.length === 0) return;
  const k = m.section % sections.length;
  const [id, data] = sections[k];
  const other = sections[m.other % sections.length];
  const words = RECORD_WORDS[id] ?? 1;
  switch (m.op) {
    case "drop":
      sections.splice(k, 1);
      return;
    case "empty":
      sections[k][1] = Buffer.alloc(0);
      return;
    case "cut":
      sections[k][1] = data.subarray(0, Math.max(0, data.length - words * 4));
      return;
    case "partial":
      sections[k][1] = data.subarray(0, Math.max(0, data.length - 4));
      return;
    case "double":
      sections[k][1] = Buffer.concat([data, data]);
      return;
    case "grow": {
      const copies = data.length === 0 ? 0 : Math.min(1000, Math.floor(GROW_LIMIT / data.length));
      sections[k][1] = Buffer.concat(Array.from({ length: copies }, () => data));
      return;
    }
    case "replace":
      sections[k][1] = other[1];
      return;
    case "twice":
      sections.push([id, other[1]]);
      return;
    case "unknown-id":
      sections[k][0] = [0, 8, 15, 19, 22, 27, 31, 96, 0xffffffff][m.other % 9];
      return;
    case "swap":
      [sections[k][1], other[1]] = [other[1], data];
      return;
    case "last":
      sections.splice(k, 1);
      sections.push([id, data]);
      return;
  }
}

function applyAliasPartOp(sections: SectionList, m: Extract<SectionMutation, { kind: "alias-part" }>): void {
  const id = pick(aliasTableIds(sections), m.table);
  const table = id === undefined ? undefined : decodeAliasTable(sectionBytes(sections, id) as Buffer);
  if (id === undefined || !table) return;
  const encoded = encodeAliasTable(table);
  const head = new Map<number, number>();
  switch (m.op) {
    case "overlap":
      // Two parts over the same bytes.
      head.set(m.part * 2, encoded.readUInt32LE(m.other * 8));
      head.set(m.part * 2 + 1, encoded.readUInt32LE(m.other * 8 + 4));
      break;
    case "double":
      table.parts[m.part] = Buffer.concat([table.parts[m.part], table.parts[m.part]]);
      break;
    case "empty":
      table.parts[m.part] = Buffer.alloc(0);
      break;
    case "head-offset":
      head.set(m.part * 2, [0, 4, 47, 48, encoded.length, encoded.length + 4, 0xfffffffc][m.other]);
      break;
    case "head-length":
      head.set(m.part * 2 + 1, [0, 4, 28, encoded.length, 0xfffffffc, 0xffffffff][m.other] ?? 0);
      break;
    case "hash-same": {
      // Every hash slot naming one group: a probe sequence that never meets an empty slot.
      const hash = Buffer.from(table.parts[3]);
      for (let at = 0; at + 4 <= hash.length; at += 4) hash.writeUInt32LE(1 + (m.other % Math.max(1, table.parts[2].length / 16)), at);
      table.parts[3] = hash;
      break;
    }
    case "group-share": {
      // Every group spanning the whole sorted part.
      const groups = Buffer.from(table.parts[2]);
      const sorted = table.parts[1].length / 4;
      for (let at = 0; at + 16 <= groups.length; at += 16) {
        groups.writeUInt32LE(0, at + 8);
        groups.writeUInt32LE(sorted, at + 12);
      }
      table.parts[2] = groups;
      break;
    }
  }
  setSectionBytes(sections, id, encodeAliasTable(table, head));
}

/** A table with string references: its records, its pool, and how to write them back. */
interface ReferencingTable {
  readonly id: number;
  readonly records: Buffer;
  readonly pool: Buffer;
  readonly recordWords: number;
  readonly refWords: readonly number[];
  readonly count: number;
  /** Stores `records` (and `pool`, when given) back into the sections. */
  store(records: Buffer, pool?: Buffer): void;
}

function referencingTable(sections: SectionList, at: Seed): ReferencingTable | undefined {
  const candidates = sections.filter(([id]) => STRING_REFS[id] !== undefined || id === Section.BuiltinAliasTable || id >= Section.FirstAliasFamily);
  const entry = pick(candidates, at);
  if (!entry) return undefined;
  const [id] = entry;
  const ref = STRING_REFS[id];
  if (ref) {
    const pool = sectionBytes(sections, ref.pool);
    if (!pool) return undefined;
    const recordWords = RECORD_WORDS[id] ?? 1;
    return {
      id, records: Buffer.from(entry[1]), pool, recordWords, refWords: ref.words, count: Math.floor(entry[1].length / (recordWords * 4)),
      store: (records, newPool) => {
        entry[1] = records;
        if (newPool) setSectionBytes(sections, ref.pool, newPool);
      },
    };
  }
  // An alias table: records and pool live in the one section.
  const table = decodeAliasTable(entry[1]);
  if (!table) return undefined;
  return {
    id, records: Buffer.from(table.parts[0]), pool: table.parts[5], recordWords: 7, refWords: [0, 2, 4], count: Math.floor(table.parts[0].length / 28),
    store: (records, newPool) => {
      table.parts[0] = records;
      if (newPool) table.parts[5] = newPool;
      entry[1] = encodeAliasTable(table);
    },
  };
}

/** Every record's reference (one field) pointed at the longest string any of them names. */
function applySameString(sections: SectionList, m: Extract<SectionMutation, { kind: "same-string" }>): void {
  const table = referencingTable(sections, m.section);
  if (!table || table.count === 0) return;
  const { records, recordWords, count } = table;
  const field = table.refWords[m.field % table.refWords.length];
  let longest = 0;
  for (let r = 0; r < count; r++) {
    for (const w of table.refWords) {
      const at = (r * recordWords + w) * 4;
      if (records.readUInt32LE(at + 4) > records.readUInt32LE(longest + 4) && records.readUInt32LE(at + 4) !== 0xffffffff) longest = at;
    }
  }
  const [offset, length] = [records.readUInt32LE(longest), records.readUInt32LE(longest + 4)];
  for (let r = 0; r < count; r++) {
    records.writeUInt32LE(offset, (r * recordWords + field) * 4);
    records.writeUInt32LE(length, (r * recordWords + field) * 4 + 4);
  }
  table.store(records);
}

function applyStringRef(sections: SectionList, m: Extract<SectionMutation, { kind: "string-ref" }>): void {
  const table = referencingTable(sections, m.section);
  if (!table || table.count === 0) return;
  const { records, recordWords, refWords, count } = table;
  let pool = table.pool;
  const at = ((m.record % count) * recordWords + refWords[(m.record >>> 16) % refWords.length]) * 4;
  const other = ((m.other % count) * recordWords + refWords[(m.other >>> 16) % refWords.length]) * 4;
  let offset: number;
  let length: number;
  switch (m.target) {
    case "end":
      [offset, length] = [pool.length, 0];
      break;
    case "past-end":
      [offset, length] = [pool.length + 1, 0];
      break;
    case "straddle":
      [offset, length] = [Math.max(0, pool.length - 2), 3];
      break;
    case "other":
      [offset, length] = [records.readUInt32LE(other), records.readUInt32LE(other + 4)];
      break;
    case "huge":
      [offset, length] = [0, 0xffffffff];
      break;
    case "hostile": {
      const text = Buffer.from(hostileText(m.text, ""), "latin1");
      [offset, length] = [pool.length, text.length];
      pool = Buffer.concat([pool, text]);
      break;
    }
  }
  records.writeUInt32LE(offset >>> 0, at);
  records.writeUInt32LE(length >>> 0, at + 4);
  table.store(records, pool === table.pool ? undefined : pool);
}

// ---------------------------------------------------------------------------------------------
// Directory: the head and section table, laid out with chosen entries changed

export type DirectoryMutation =
  | { readonly kind: "entry"; readonly entry: Seed; readonly field: "id" | "offset" | "length"; readonly value: Seed; readonly other: Seed }
  | { readonly kind: "count"; readonly delta: number }
  | { readonly kind: "head"; readonly word: 1 | 3; readonly value: Seed };

export const directoryMutationArbitrary: fc.Arbitrary<DirectoryMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("entry" as const), entry: seed, field: fc.constantFrom("id" as const, "offset" as const, "length" as const), value: seed, other: seed }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("count" as const), delta: fc.constantFrom(-1, 1, 2, 64) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("head" as const), word: fc.constantFrom(1 as const, 3 as const), value: seed }) },
);

/** Lays out head, table and sections as the encoder does, applies `mutations`, then recomputes every CRC. */
export function encodeDirectory(sections: SectionList, mutations: readonly DirectoryMutation[]): Buffer {
  const head = Buffer.alloc(16 + sections.length * 16);
  head.write("MBIX", 0, "latin1");
  head.writeUInt32LE(INDEX_VERSION, 4);
  head.writeUInt32LE(sections.length, 8);
  const chunks: Buffer[] = [head];
  let offset = head.length;
  sections.forEach(([id, data], i) => {
    head.writeUInt32LE(id >>> 0, 16 + i * 16);
    head.writeUInt32LE(offset, 16 + i * 16 + 4);
    head.writeUInt32LE(data.length, 16 + i * 16 + 8);
    const pad = (4 - (data.length % 4)) % 4;
    chunks.push(data, Buffer.alloc(pad));
    offset += data.length + pad;
  });
  const index = Buffer.concat(chunks);
  for (const m of mutations) {
    if (m.kind === "count") {
      index.writeUInt32LE(Math.max(0, sections.length + m.delta), 8);
      continue;
    }
    if (m.kind === "head") {
      index.writeUInt32LE(m.word === 1 ? [2, 4, 0, 0xffffffff][m.value % 4] : m.value >>> 0, m.word * 4);
      continue;
    }
    if (sections.length === 0) continue;
    const at = 16 + (m.entry % sections.length) * 16;
    const other = 16 + (m.other % sections.length) * 16;
    if (m.field === "id") index.writeUInt32LE(index.readUInt32LE(other), at);
    else if (m.field === "offset") {
      const choices = [index.readUInt32LE(other + 4), index.readUInt32LE(at + 4) + 4, index.readUInt32LE(at + 4) + 1, 0, 16, index.length, index.length - 4];
      index.writeUInt32LE(choices[m.value % choices.length] >>> 0, at + 4);
    } else {
      const choices = [0, index.readUInt32LE(at + 8) + 4, index.readUInt32LE(at + 8) - 1, index.length - index.readUInt32LE(at + 4), index.length, 0xffffffff];
      index.writeUInt32LE(choices[m.value % choices.length] >>> 0, at + 8);
    }
  }
  fixSectionCrcs(index);
  return index;
}

/**
 * Every section table entry's CRC made to match the bytes it names (where they lie inside the
 * index); at most MAX_SECTIONS entries, as many as a reader would look at.
 */
export function fixSectionCrcs(index: Buffer): void {
  if (index.length < 16) return;
  const count = Math.min(index.readUInt32LE(8), MAX_SECTIONS + 1, Math.floor((index.length - 16) / 16));
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 16;
    const offset = index.readUInt32LE(at + 4);
    const length = index.readUInt32LE(at + 8);
    if (offset <= index.length && length <= index.length - offset) index.writeUInt32LE(crc32(index.subarray(offset, offset + length)), at + 12);
  }
}

// ---------------------------------------------------------------------------------------------
// Header

export interface HeaderMutation {
  readonly field: "indexOffset" | "indexLength" | "archiveLength";
  readonly value: Seed;
}

export const headerMutationArbitrary: fc.Arbitrary<HeaderMutation> = fc.record({ field: fc.constantFrom("indexOffset" as const, "indexLength" as const, "archiveLength" as const), value: seed });

function applyHeaderMutation(bundle: Buffer, m: HeaderMutation): void {
  const { offset, length } = indexLocation(bundle);
  const field = { indexOffset: 16, indexLength: 24, archiveLength: 32 }[m.field];
  const old = Number(bundle.readBigUInt64LE(HEADER_DATA_OFFSET + field));
  const choices = [0, old - 1, old + 1, old + 4, bundle.length, bundle.length + 1, offset + length, HEADER_DATA_OFFSET, 2 ** 53];
  bundle.writeBigUInt64LE(BigInt(Math.max(0, choices[m.value % choices.length])), HEADER_DATA_OFFSET + field);
  // The header's CRC made to match the directory where the header now says the index is.
  const now = indexLocation(bundle);
  if (now.offset < bundle.length) {
    const directory = bundle.subarray(now.offset, Math.min(bundle.length, now.offset + Math.min(now.length, 1040)));
    const directoryLength = indexDirectoryLength(directory) ?? Math.min(directory.length, 16);
    bundle.writeUInt32LE(crc32(directory.subarray(0, directoryLength)), HEADER_DATA_OFFSET + 40);
  }
}

// ---------------------------------------------------------------------------------------------
// All layers together

export interface IndexMutations {
  readonly content: readonly ContentMutation[];
  readonly sections: readonly SectionMutation[];
  readonly directory: readonly DirectoryMutation[];
  readonly raw: readonly Mutation[];
  readonly header: readonly HeaderMutation[];
}

export const indexMutationsArbitrary: fc.Arbitrary<IndexMutations> = fc.record({
  content: fc.array(contentMutationArbitrary, { maxLength: 3 }),
  sections: fc.array(sectionMutationArbitrary, { maxLength: 3 }),
  directory: fc.oneof({ weight: 5, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(directoryMutationArbitrary, { minLength: 1, maxLength: 2 }) }),
  raw: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: mutationsArbitrary(3) }),
  header: fc.oneof({ weight: 12, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(headerMutationArbitrary, { minLength: 1, maxLength: 1 }) }),
});

export interface MutatedBundle {
  readonly bundle: Buffer;
  /** The model after the content mutations: where the target finds names to ask for. */
  readonly model: IndexModel;
}

/** `bundle` with its index rebuilt through every layer of `mutations`, every checksum made to hold. */
export function mutateBundleIndex(bundle: Buffer, mutations: IndexMutations): MutatedBundle {
  const { offset, length } = indexLocation(bundle);
  const original = bundle.subarray(offset, offset + length);
  const model = decodeModel(original);
  for (const m of mutations.content) applyContentMutation(model, m, bundle.length);
  const sections = decodeSections(mutations.content.length > 0 ? encodeModel(model) : original);
  for (const m of mutations.sections) applySectionMutation(sections, m);
  let index = encodeDirectory(sections, mutations.directory);
  if (mutations.raw.length > 0) {
    index = applyMutations(index, mutations.raw, [[0, Math.min(index.length, 1040)], [0, index.length]]);
    fixSectionCrcs(index);
  }
  const out = replaceIndex(bundle, index);
  for (const m of mutations.header) applyHeaderMutation(out, m);
  return { bundle: out, model };
}
