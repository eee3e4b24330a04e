import fs = require("node:fs");
import { createInterner } from "../util/interner";
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";
import { decompress } from "../compress/decompress";
import { detectCompression } from "../compress/kind";
import { ElfFile } from "../elf/elf-file";
import { readModuleObject } from "../elf/module-elf";
import { DepmodModule, computeIndex, depmodModule, listsInput } from "../index/depmod";
import { IndexFile, renderIndexFiles } from "../index/index-files";
import { scanModuleTree } from "../tree/scan";
import { createExclusive, temporaryPathFor } from "../io/exclusive";
import { ReusableReader } from "./pack";

/**
 * `modbundle depmod`: depmod's index files, text and .bin, computed from a module directory
 * without packing it, and written into it as depmod writes them: each to a temporary file
 * created exclusively, then renamed over the old one, so that a reader sees the old file or the
 * new one, never a part.
 */
/** What depmod reads of a module (the CRCs of its exports, elsewhere, it does not need). */
const DEPMOD_SECTIONS = [".symtab", ".strtab", ".modinfo", "__versions", "__ksymtab_strings"];

export async function computeDepmodFiles(moduleDir: string, kernelVersion: string): Promise<IndexFile[]> {
  const tree = scanModuleTree(moduleDir, { followListLinks: true });
  const lists = new Map<string, Buffer>();
  for (const entry of tree.supportFiles) {
    try {
      lists.set(entry.relpath, fs.readFileSync(entry.absolute));
    } catch (error) {
      throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
    }
  }
  const reader = new ReusableReader();
  const intern = createInterner();
  const modules: DepmodModule[] = [];
  for (const entry of tree.modules) {
    const raw = reader.readSections(entry, DEPMOD_SECTIONS);
    const plain = await decompress(detectCompression(raw.subarray(0, 6)), raw, entry.absolute);
    modules.push(depmodModule(entry.relpath, readModuleObject(new ElfFile(plain, entry.absolute)), intern));
  }
  const index = computeIndex({ kernelVersion, modules, ...listsInput(lists) });
  return renderIndexFiles(index, { modulesBuiltin: lists.get("modules.builtin"), modulesBuiltinModinfo: lists.get("modules.builtin.modinfo") });
}

export function writeDepmodFiles(moduleDir: string, files: readonly IndexFile[]): void {
  for (const { name, data } of files) {
    const file = path.join(moduleDir, name);
    const temporary = temporaryPathFor(file);
    try {
      const fd = createExclusive(temporary, 0o644);
      try {
        fs.writeFileSync(fd, data);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temporary, file);
    } catch (error) {
      try {
        fs.unlinkSync(temporary);
      } catch {
        // nothing left behind
      }
      throw new ModbundleError("EIO", `${file}: ${describeSystemError(error)}`);
    }
  }
}
