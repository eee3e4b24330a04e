import fs = require("node:fs");
import path = require("node:path");
import { parseKernelCmdline } from "./kcmdline";
import { parseConfigFile, Warn } from "./parse";
import { emptyConfig, ModprobeConfig } from "./types";
import { bytesOf } from "../util/bytes";

/**
 * Where modprobe.d files come from, in precedence order (kmod's default_config_paths). `-C`
 * replaces the list.
 */
export const DEFAULT_CONFIG_PATHS = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"];

export interface ConfigSources {
  /** Directories or single files, highest precedence first. */
  readonly paths: readonly string[];
  /** The module directory's modules.softdep / modules.weakdep, which join the sorted list under those names. */
  readonly moduleDirFiles: ReadonlyArray<{ name: string; path: string; text: string | undefined }>;
  /** The kernel command line, parsed after all files (undefined: none). */
  readonly kernelCmdline: string | undefined;
  readonly warn: Warn;
}

interface ConfFile {
  readonly name: string;
  readonly path: string;
  readonly text?: string;
}

function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * All files merged into one list sorted by basename; a basename already present (from an earlier
 * path, or the module directory's own files) hides later ones. Only "*.conf" files (and, as
 * kmod 30 still reads them, "*.alias") not starting with '.' are read; a directory inside a
 * configuration directory is reported.
 */
function listFiles(sources: ConfigSources): ConfFile[] {
  const files = new Map<string, ConfFile>();
  for (const file of sources.moduleDirFiles) files.set(file.name, file);
  for (const configPath of sources.paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(bytesOf(configPath));
    } catch {
      continue;
    }
    if (!stat.isDirectory()) {
      const name = path.basename(configPath);
      if (!files.has(name)) files.set(name, { name, path: configPath });
      continue;
    }
    let names: string[];
    try {
      names = fs.readdirSync(bytesOf(configPath), { encoding: "latin1" });
    } catch (error) {
      sources.warn(`opendir(${configPath}): ${(error as Error).message}`);
      continue;
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      if (name.length < 6 || (!name.endsWith(".conf") && !name.endsWith(".alias"))) continue;
      const full = `${configPath}/${name}`;
      let isDir: boolean;
      try {
        isDir = fs.statSync(bytesOf(full)).isDirectory();
      } catch {
        isDir = false;
      }
      if (isDir) {
        sources.warn(`Directories inside directories are not supported: ${full}`);
        continue;
      }
      if (!files.has(name)) files.set(name, { name, path: full });
    }
  }
  return [...files.values()].sort((a, b) => byteCompare(a.name, b.name));
}

export function loadModprobeConfig(sources: ConfigSources): ModprobeConfig {
  const config = emptyConfig();
  for (const file of listFiles(sources)) {
    let text = file.text;
    if (text === undefined) {
      try {
        text = fs.readFileSync(bytesOf(file.path), "latin1");
      } catch {
        continue;
      }
    }
    parseConfigFile(config, text, file.path, sources.warn);
  }
  if (sources.kernelCmdline !== undefined) parseKernelCmdline(config, sources.kernelCmdline, sources.warn);
  return config;
}
