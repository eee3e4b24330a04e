import fs = require("node:fs");
import { errnoName, errnoNumber } from "../util/errno";
import { strerror } from "../util/errno";
import { decompress } from "../compress/decompress";
import { CompressionKind, detectCompression } from "../compress/kind";
import { ElfFile } from "../elf/elf-file";
import { readExports, readModinfo, readNeeded, readVersions } from "../elf/module-elf";
import { ModbundleError } from "../errors";
import { InitState, Kernel, KernelError, LoadedModule, LoadFlags, RemoveFlags } from "./kernel";

/**
 * A kernel in memory, for tests: it loads what a real kernel would load and refuses what it would
 * refuse, with the same errno (kernel/module/main.c of Linux 6.1):
 * - an image that is not an ELF object, or has no module name, gives ENOEXEC;
 * - a name already loaded (or built in) gives EEXIST;
 * - a needed, non-weak symbol that neither vmlinux nor a loaded module exports gives ENOENT;
 * - with modversions in force, a symbol CRC that differs from the exporter's gives EINVAL, and a
 *   differing module_layout ENOEXEC; a differing vermagic gives ENOEXEC (when the fake is given
 *   one); an export that is already exported gives ENOEXEC;
 * - delete_module: ENOENT when not loaded, EWOULDBLOCK (reported as EAGAIN, the same errno) while
 *   other modules hold it (even forced) or while it is in use (unless forced), EBUSY when it is
 *   not live.
 * Every call is recorded, and any call can be scripted to fail with a given errno. A builtin name
 * looks as it does in sysfs: a /sys/module directory without initstate, refcnt or holders.
 */
export interface FakeModule {
  readonly name: string;
  size: number;
  refcnt: number;
  holders: string[];
  params: string;
  state: InitState;
  /** Exported symbol -> CRC as hex ("0x..."); "0x0" when the module carries no CRCs. */
  exports: Record<string, string>;
  /** The loaded modules whose symbols it uses (it is among their holders). */
  uses: string[];
}

export type FakeCall =
  | { readonly op: "load"; readonly name: string | undefined; readonly params: string; readonly flags: LoadFlags; readonly compressed: boolean; readonly result: string }
  | { readonly op: "remove"; readonly name: string; readonly force: boolean; readonly result: string };

export interface FakeFailure {
  readonly op: "load" | "remove";
  readonly name: string;
  readonly code: string;
  /** How many more calls fail; -1 for all of them. */
  times: number;
}

export interface FakeKernelOptions {
  /** Symbols vmlinux exports, with their CRCs when known. */
  readonly vmlinux?: ReadonlyMap<string, bigint | undefined> | Iterable<string>;
  /** Module names built into the kernel. */
  readonly builtin?: Iterable<string>;
  /** The format the kernel decompresses itself (/sys/module/compression). */
  readonly compression?: CompressionKind;
  /** The kernel's vermagic; modules' vermagic is checked only when this is given. */
  readonly vermagic?: string;
  /** False for a kernel without CONFIG_MODULE_UNLOAD: no refcnt files, delete_module is ENOSYS. */
  readonly unload?: boolean;
  /**
   * Milliseconds a load of this module takes (0: none), or a promise it waits for. Meanwhile the module is "coming":
   * its symbols resolve for nobody, so a module that needs it and starts loading too early fails
   * with ENOENT, as it would on a kernel that gave up waiting; loads really overlap.
   */
  readonly loadDelay?: (name: string) => number | Promise<void>;
  /** Called when a module has become live (tests make devices appear in a sysfs tree). */
  readonly onLive?: (name: string) => void;
}

/** What happened when, for tests of ordering under overlap. */
export type FakeEvent = { readonly event: "start" | "live" | "failed"; readonly name: string };

/** The JSON file behind FakeKernel.persistent (the CLI's MODBUNDLE_FAKE_KERNEL). */
export interface FakeKernelState {
  /** A Module.symvers whose vmlinux lines give vmlinux's exports and CRCs. */
  symvers?: string;
  /** More vmlinux exports, without CRCs. */
  vmlinux?: string[];
  builtin?: string[];
  compression?: CompressionKind;
  vermagic?: string;
  unload?: boolean;
  modules?: FakeModule[];
  failures?: FakeFailure[];
  calls?: FakeCall[];
}

const PAGE = 4096;
/** Offset of `name` in struct module: after `enum module_state state` and `struct list_head list`. */
const THIS_MODULE_NAME_OFFSET = { 32: 12, 64: 24 };
const EM_PPC64 = 21;

/** vmlinux's exports and CRCs from a Module.symvers ("crc\tsymbol\tmodule\ttype[\tnamespace]"). */
export function readSymvers(file: string): Map<string, bigint> {
  const symbols = new Map<string, bigint>();
  for (const line of fs.readFileSync(file, "latin1").split("\n")) {
    const [crc, name, module] = line.split("\t");
    if (module === "vmlinux" && name) symbols.set(name, BigInt(crc));
  }
  return symbols;
}

function fail(code: string, what: string): KernelError {
  const errno = errnoNumber(code);
  if (errno === undefined) throw new Error(`unknown errno name ${code}`);
  // The canonical name of the number: EWOULDBLOCK is reported as EAGAIN, as the real kernel's is.
  const name = errnoName(errno);
  return new KernelError(name, errno, `${what}: ${strerror(name)}`);
}

function hex(crc: bigint): string {
  return `0x${crc.toString(16)}`;
}

/** Exporters' CRCs; 0 stands for "no CRC", which the kernel accepts without comparing. */
function crcOf(value: string | bigint | undefined): bigint {
  return value === undefined ? 0n : BigInt(value);
}

interface ParsedModule {
  readonly name: string;
  readonly elf: ElfFile;
  readonly modinfo: Map<string, string>;
}

export class FakeKernel implements Kernel {
  readonly calls: FakeCall[] = [];
  readonly events: FakeEvent[] = [];
  /** The most loads that were in flight at the same moment. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly modules = new Map<string, FakeModule>();
  private readonly failures: FakeFailure[] = [];
  private readonly vmlinux: Map<string, bigint | undefined>;
  private readonly builtin: Set<string>;
  private readonly options: FakeKernelOptions;
  /** Called after every change (persistent kernels save themselves). */
  private onChange: () => void = () => undefined;

  constructor(options: FakeKernelOptions = {}) {
    this.options = options;
    const vmlinux = options.vmlinux ?? [];
    this.vmlinux = vmlinux instanceof Map ? new Map(vmlinux) : new Map([...(vmlinux as Iterable<string>)].map((s) => [s, undefined]));
    this.builtin = new Set(options.builtin ?? []);
  }

  /**
   * A fake kernel whose state lives in a JSON file (FakeKernelState), read now and rewritten after
   * every change, so that separate processes (the CLI run by tests) share one kernel. A missing
   * file is an empty kernel.
   */
  static persistent(file: string): FakeKernel {
    let state: FakeKernelState = {};
    if (fs.existsSync(file)) state = JSON.parse(fs.readFileSync(file, "utf8")) as FakeKernelState;
    const vmlinux = new Map<string, bigint | undefined>(state.symvers ? readSymvers(state.symvers) : []);
    for (const name of state.vmlinux ?? []) if (!vmlinux.has(name)) vmlinux.set(name, undefined);
    const kernel = new FakeKernel({ vmlinux, builtin: state.builtin, compression: state.compression, vermagic: state.vermagic, unload: state.unload });
    for (const module of state.modules ?? []) kernel.modules.set(module.name, module);
    kernel.failures.push(...(state.failures ?? []));
    kernel.calls.push(...(state.calls ?? []));
    kernel.onChange = () => {
      const saved: FakeKernelState = { ...state, modules: [...kernel.modules.values()], failures: kernel.failures, calls: kernel.calls };
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(saved, null, 1));
      fs.renameSync(`${file}.tmp`, file);
    };
    return kernel;
  }

  // --- scripting and inspection, for tests ---

  /** The next `times` loads of `name` (all of them by default) fail with errno `code`. */
  failLoad(name: string, code: string, times = -1): void {
    this.script("load", name, code, times);
  }

  failRemove(name: string, code: string, times = -1): void {
    this.script("remove", name, code, times);
  }

  /** References held by something other than a module (a mount, an open device). */
  addUsers(name: string, count: number): void {
    this.loaded(name).refcnt += count;
    this.onChange();
  }

  setState(name: string, state: InitState): void {
    this.loaded(name).state = state;
    this.onChange();
  }

  module(name: string): Readonly<FakeModule> | undefined {
    return this.modules.get(name);
  }

  /** Loaded module names, oldest first. */
  loadedNames(): string[] {
    return [...this.modules.keys()];
  }

  private script(op: FakeFailure["op"], name: string, code: string, times: number): void {
    if (errnoNumber(code) === undefined) throw new Error(`unknown errno name ${code}`);
    this.failures.push({ op, name, code, times });
    this.onChange();
  }

  private scripted(op: FakeFailure["op"], name: string): string | undefined {
    const failure = this.failures.find((f) => f.op === op && f.name === name && f.times !== 0);
    if (!failure) return undefined;
    if (failure.times > 0) failure.times--;
    return failure.code;
  }

  private loaded(name: string): FakeModule {
    const module = this.modules.get(name);
    if (!module) throw new Error(`fake kernel: ${name} is not loaded`);
    return module;
  }

  // --- Kernel ---

  initstate(name: string): InitState | undefined {
    if (this.modules.has(name)) return this.loaded(name).state;
    return this.builtin.has(name) ? "coming" : undefined;
  }

  refcnt(name: string): number | undefined {
    return this.options.unload === false ? undefined : this.modules.get(name)?.refcnt;
  }

  holders(name: string): string[] | undefined {
    const module = this.modules.get(name);
    return module ? [...module.holders] : undefined;
  }

  loadedModules(): LoadedModule[] {
    // /proc/modules lists the most recently loaded module first.
    return [...this.modules.values()].reverse().map((m) => ({ name: m.name, size: m.size, refcnt: this.refcnt(m.name), holders: [...m.holders] }));
  }

  inKernelDecompression(): CompressionKind | undefined {
    return this.options.compression;
  }

  async loadModule(image: Buffer, params: string, flags: LoadFlags, compressed: boolean): Promise<void> {
    let name: string | undefined;
    let result = "ok";
    try {
      const plain = await this.decompressed(image, compressed);
      const parsed = this.parse(plain);
      name = parsed.name;
      this.events.push({ event: "start", name });
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      try {
        const delay = this.options.loadDelay?.(name) ?? 0;
        const wait = (): Promise<void> => (typeof delay === "number" ? sleep(delay) : delay);
        const code = this.scripted("load", name);
        if (code) {
          if (delay !== 0) await wait();
          throw fail(code, `finit_module ${name}`);
        }
        const module = this.insert(parsed, plain.length, params, flags, delay !== 0 ? "coming" : "live");
        if (delay !== 0) {
          await wait();
          module.state = "live";
        }
      } finally {
        this.inFlight--;
      }
      this.events.push({ event: "live", name });
      this.options.onLive?.(name);
    } catch (error) {
      if (error instanceof KernelError) result = error.code;
      if (name !== undefined) this.events.push({ event: "failed", name });
      throw error;
    } finally {
      this.calls.push({ op: "load", name, params, flags: { ...flags }, compressed, result });
      this.onChange();
    }
  }

  removeModule(name: string, flags: RemoveFlags): void {
    let result = "ok";
    try {
      this.remove(name, flags);
    } catch (error) {
      if (error instanceof KernelError) result = error.code;
      throw error;
    } finally {
      this.calls.push({ op: "remove", name, force: flags.force, result });
      this.onChange();
    }
  }

  // --- the kernel's checks ---

  private async decompressed(image: Buffer, compressed: boolean): Promise<Buffer> {
    if (!compressed) return image;
    const kind = this.options.compression;
    if (!kind) throw fail("EOPNOTSUPP", "finit_module");
    if (detectCompression(image.subarray(0, 6)) !== kind) throw fail("EINVAL", `finit_module: not a ${kind} compressed module`);
    try {
      return await decompress(kind, image, "module");
    } catch {
      throw fail("EINVAL", "finit_module: decompression failed");
    }
  }

  /** The module's name: .modinfo "name=", else the name field of .gnu.linkonce.this_module. */
  private parse(image: Buffer): ParsedModule {
    let elf: ElfFile;
    try {
      elf = new ElfFile(image, "module");
    } catch (error) {
      if (error instanceof ModbundleError) throw fail("ENOEXEC", "finit_module");
      throw error;
    }
    const modinfo = new Map<string, string>();
    for (const entry of readModinfo(elf)) if (entry.value !== null && !modinfo.has(entry.key)) modinfo.set(entry.key, entry.value);
    const thisModule = elf.section(".gnu.linkonce.this_module");
    let name = modinfo.get("name");
    if (name === undefined && thisModule) {
      const at = thisModule.offset + THIS_MODULE_NAME_OFFSET[elf.is64 ? 64 : 32];
      if (at < thisModule.offset + thisModule.size) name = elf.cString(at, thisModule.offset + thisModule.size);
    }
    // The kernel needs struct module; a name from .modinfo alone is enough for synthetic test modules.
    if (!name) throw fail("ENOEXEC", "finit_module: no module found in object");
    return { name, elf, modinfo };
  }

  private insert(parsed: ParsedModule, size: number, params: string, flags: LoadFlags, state: InitState): FakeModule {
    const { name, elf, modinfo } = parsed;
    const what = `finit_module ${name}`;
    if (this.modules.has(name) || this.builtin.has(name)) throw fail("EEXIST", what);

    // __versions counts only while allocated (kmod's strip clears SHF_ALLOC) and not ignored.
    const versionsSection = flags.ignoreModversions ? undefined : elf.section("__versions");
    const versions = versionsSection && (versionsSection.flags & 2) !== 0 ? new Map(readVersions(elf).map((v) => [v.name, v.crc])) : undefined;
    const disagrees = (symbol: string, exporterCrc: bigint): boolean => {
      const wanted = versions?.get(symbol);
      return wanted !== undefined && exporterCrc !== 0n && wanted !== exporterCrc;
    };
    if (versions && disagrees("module_layout", crcOf(this.vmlinux.get("module_layout")))) throw fail("ENOEXEC", what);

    const vermagic = flags.ignoreVermagic ? undefined : modinfo.get("vermagic");
    if (this.options.vermagic !== undefined && vermagic !== undefined && !sameMagic(vermagic, this.options.vermagic, versions !== undefined)) {
      throw fail("ENOEXEC", what);
    }

    const uses = new Set<string>();
    for (const need of readNeeded(elf)) {
      if (need.name === ".TOC." && elf.machine === EM_PPC64) continue;
      const owner = this.owner(need.name);
      if (owner === undefined) {
        if (need.weak) continue;
        throw fail("ENOENT", `${what}: Unknown symbol ${need.name}`);
      }
      const crc = owner === "vmlinux" ? crcOf(this.vmlinux.get(need.name)) : crcOf(this.loaded(owner).exports[need.name]);
      if (disagrees(need.name, crc)) throw fail("EINVAL", `${what}: disagrees about version of symbol ${need.name}`);
      if (owner !== "vmlinux") uses.add(owner);
    }

    const exports: Record<string, string> = {};
    for (const symbol of readExports(elf)) {
      if (this.owner(symbol.name) !== undefined) throw fail("ENOEXEC", `${what}: exports duplicate symbol ${symbol.name}`);
      exports[symbol.name] = hex(symbol.crc);
    }

    for (const owner of uses) {
      const provider = this.loaded(owner);
      provider.holders.push(name);
      provider.refcnt++;
    }
    const module: FakeModule = { name, size: Math.ceil(size / PAGE) * PAGE, refcnt: 0, holders: [], params, state, exports, uses: [...uses] };
    this.modules.set(name, module);
    return module;
  }

  /** Who exports `symbol`: vmlinux or a live module (a coming module's symbols are not usable yet). */
  private owner(symbol: string): string | undefined {
    if (this.vmlinux.has(symbol)) return "vmlinux";
    for (const module of this.modules.values()) {
      if (module.state === "live" && Object.prototype.hasOwnProperty.call(module.exports, symbol)) return module.name;
    }
    return undefined;
  }

  private remove(name: string, flags: RemoveFlags): void {
    const what = `delete_module ${name}`;
    const code = this.scripted("remove", name);
    if (code) throw fail(code, what);
    if (this.options.unload === false) throw fail("ENOSYS", what);
    const module = this.modules.get(name);
    if (!module) throw fail("ENOENT", what);
    if (module.holders.length > 0) throw fail("EWOULDBLOCK", what);
    if (module.state !== "live") throw fail("EBUSY", what);
    if (module.refcnt > 0 && !flags.force) throw fail("EWOULDBLOCK", what);
    this.modules.delete(name);
    for (const owner of module.uses) {
      const provider = this.modules.get(owner);
      if (!provider) continue;
      provider.holders = provider.holders.filter((h) => h !== name);
      provider.refcnt--;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The kernel's same_magic: with modversions, the version before the first space is not compared. */
function sameMagic(module: string, kernel: string, hasCrcs: boolean): boolean {
  if (!hasCrcs) return module === kernel;
  const tail = (s: string): string => s.slice(s.includes(" ") ? s.indexOf(" ") : s.length);
  return tail(module) === tail(kernel);
}
