/**
 * The types of modbundle's programming interface (`require("modbundle")`), kept apart from the
 * implementation so that the published declarations describe only what a script can use.
 */

/** How a module is stored in a bundle: as found, or compressed by one of these. */
export type Compression = "none" | "xz" | "zstd" | "gzip";

export interface OpenOptions {
  /**
   * modprobe.d files or directories to read, highest precedence first, as modprobe's `-C`
   * (default: none, so that the host's own configuration never leaks into a guest's plan).
   */
  readonly config?: readonly string[];
  /** A kernel command line whose `modprobe.blacklist=`, `MODULE.PARAM=` entries apply (default: none). */
  readonly kernelCmdline?: string;
  /** The root printed in module paths, as modprobe's `-d` (default: none, paths start /lib/modules). */
  readonly root?: string;
  /** Called with each configuration warning (default: ignored). */
  readonly onWarning?: (message: string) => void;
}

export interface LookupResult {
  /** The module's name (kmod's normalised form: `_` for `-`). */
  readonly name: string;
  /** The alias pattern or query it was reached by, when not by its own name. */
  readonly alias?: string;
  /** Built into the kernel: nothing to load. */
  readonly builtin: boolean;
}

/** One step of a load plan, in the order modprobe takes them. */
export interface LoadStep {
  readonly name: string;
  /**
   * "module": insert it from the bundle; "builtin": built into the kernel, nothing to do;
   * "install": run `command` (an install rule) instead of inserting it.
   */
  readonly action: "module" | "builtin" | "install";
  /** Its path as modprobe prints it (`/lib/modules/VERSION/kernel/...`), for "module". */
  readonly path?: string;
  /** Parameters as modprobe passes them: the configuration's options, then the caller's (target only). */
  readonly parameters: string;
  /** The install command, for "install". */
  readonly command?: string;
  /** False for softdeps, whose failure does not stop the load. */
  readonly required: boolean;
}

export interface ModuleBytes {
  /** The stored bytes, checked against the bundle's CRC-32. */
  readonly data: Buffer;
  readonly compression: Compression;
  /** The decompressed size the bundle's index records (absent for a module directory's file). */
  readonly plainSize?: number;
}

export interface ModuleSummary {
  readonly name: string;
  /** Its path in the module directory (`kernel/fs/btrfs/btrfs.ko.xz`). */
  readonly path: string;
  /** Hard dependencies, base-most first (load order). */
  readonly dependencies: readonly string[];
}

export interface PackOptions {
  /** The module directory, e.g. /lib/modules/6.1.0-56-amd64 (any architecture). */
  readonly moduleDir: string;
  /** The bundle to write (written to a temporary file, then renamed). */
  readonly output: string;
  /** "keep" (default) stores modules as found. */
  readonly compression?: "keep" | Compression;
  /** Defaults to the module directory's name. */
  readonly kernelVersion?: string;
  /** Only these modules (names or aliases) and what they need. */
  readonly only?: readonly string[];
  /** Called after each module. */
  readonly onProgress?: (done: number, total: number, path: string) => void;
}

export interface PackSummary {
  readonly kernelVersion: string;
  readonly moduleCount: number;
  /** Bytes of module data stored. */
  readonly bytesStored: number;
}

/** The kmod commands `runCommand` runs. */
export type KmodCommandName = "modprobe" | "insmod" | "rmmod" | "lsmod" | "modinfo";

/**
 * runCommand's arguments and these options are JS text, each UTF-8 encoded into the bytes the
 * command is given (as a shell passes them); what it prints comes back as bytes.
 */
export interface RunOptions {
  /** The environment the command sees (default: this process's). `MODBUNDLE` names a bundle. */
  readonly env?: NodeJS.ProcessEnv;
  /** The kernel command line modprobe reads (default: /proc/cmdline). */
  readonly kernelCmdline?: string;
  /** `uname -r` (default: this kernel's release). */
  readonly release?: string;
}

export interface CommandResult {
  /** The exit status the command would have had: 0 or 1, as kmod's. */
  readonly status: number;
  /** Standard output and error, as byte strings (latin1: each character one byte, UTF-8 left encoded). */
  readonly stdout: string;
  readonly stderr: string;
}
