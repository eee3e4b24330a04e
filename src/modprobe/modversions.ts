import fs = require("node:fs");
import { decompress } from "../compress/decompress";
import { detectCompression } from "../compress/kind";
import { ElfFile } from "../elf/elf-file";
import { readExports, readVersions } from "../elf/module-elf";
import { ModbundleError } from "../errors";
import { lookupModules } from "../resolve/lookup";
import { ModprobeSession } from "./session";
import { readRegularFile } from "../io/regular-file";
import { bytesOf } from "../util/bytes";

/**
 * --show-modversions / --show-exports: a module's __versions entries or exported symbols as
 * "0x%08x\t<symbol>". The argument is a file path, or (as kmod since 34) a module name.
 */
async function moduleBytes(session: ModprobeSession, argument: string): Promise<{ data: Buffer; name: string } | undefined> {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(bytesOf(argument));
  } catch {
    stat = undefined;
  }
  if (stat?.isFile()) {
    const raw = readRegularFile(bytesOf(argument));
    return { data: await decompress(detectCompression(raw.subarray(0, 6)), raw, argument), name: argument };
  }
  const found = lookupModules(session.ctx, argument)?.find((m) => session.ctx.moduleNumber(m) >= 0);
  if (!found) return undefined;
  const number = session.ctx.moduleNumber(found);
  const file = session.ctx.db.readModule(number);
  return { data: await decompress(file.compression, file.data, session.ctx.db.modulePath(number), { expectedSize: file.plainSize }), name: argument };
}

export async function showModuleSymbols(session: ModprobeSession, argument: string, what: "versions" | "exports"): Promise<boolean> {
  const module = await moduleBytes(session, argument);
  if (!module) {
    session.fatal(`Module ${argument} not found.`);
    return false;
  }
  let elf: ElfFile;
  try {
    elf = new ElfFile(module.data, module.name);
  } catch (error) {
    if (!(error instanceof ModbundleError)) throw error;
    session.fatal(`could not get ${what === "versions" ? "modversions" : "symbols"} of ${argument}: Invalid argument`);
    return false;
  }
  // kmod finds no exports without __crc_ symbols or a __ksymtab_strings section, and says so
  // with ENOENT; a module exporting nothing (btrfs, say) is reported that way.
  if (what === "exports" && readExports(elf).length === 0 && !elf.section("__ksymtab_strings")) {
    session.fatal(`could not get symbols of ${argument}: No such file or directory`);
    return false;
  }
  const entries =
    what === "versions"
      ? readVersions(elf).map((v) => ({ name: v.name.startsWith(".") ? v.name.slice(1) : v.name, crc: v.crc }))
      : readExports(elf);
  session.io.stdout(entries.map((e) => `0x${e.crc.toString(16).padStart(8, "0")}\t${e.name}\n`).join(""));
  return true;
}
