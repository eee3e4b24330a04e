import fs = require("node:fs");
import { detectCompression } from "../compress/kind";
import { emptyConfig } from "../config/types";
import { ModbundleError, isErrnoException } from "../errors";
import { MODPROBE_LOOKUP, NAME_LOOKUP, lookupModules } from "../resolve/lookup";
import { ModuleDatabase } from "../resolve/module-db";
import { ModuleContext, ModuleHandle } from "../resolve/modules";
import { moduleNameFromPath, normalizeModuleName } from "../util/modname";
import { BuiltinModinfo } from "./builtin";
import { InfoError, InfoField, moduleFileInfo, toFields } from "./modinfo";
import { readRegularFile } from "../io/regular-file";
import { byteStringOf, bytesOf } from "../util/bytes";

/**
 * What modinfo's arguments name, resolved as kmod resolves them: a module file by path, a name
 * (-m), or anything modprobe would accept (an alias, a name, "symbol:..."), without modprobe.d.
 * kmod releases its module objects after each argument, so arguments do not affect each other:
 * each lookup gets a fresh context. Module data is read only when its information is asked for,
 * and the module database is opened only when an argument needs a lookup.
 */
export interface ModinfoTarget {
  /** kmod_module_get_name: the normalised name. */
  readonly name: string;
  /** The path kmod prints; undefined means builtin ("(builtin)"). */
  readonly filename: string | undefined;
  /** The module's information; an InfoError when kmod would fail to get it. */
  info(): Promise<InfoField[]>;
}

export const MODULE_EXTENSIONS = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

/** is_module_filename: an existing regular file (after symbolic links) with a module extension. */
export function isModuleFilename(name: string): boolean {
  if (!MODULE_EXTENSIONS.some((ext) => name.length > ext.length && name.endsWith(ext))) return false;
  try {
    return fs.statSync(bytesOf(name)).isFile();
  } catch {
    return false;
  }
}

/**
 * path_make_absolute_cwd: a relative path joined to get_current_dir_name(), which prefers $PWD
 * when it names the current directory (so a path through a symbolic link prints as typed).
 */
export function makeAbsolute(path: string, env: NodeJS.ProcessEnv): string {
  if (path.startsWith("/")) return path;
  let cwd = byteStringOf(process.cwd());
  const pwd = env.PWD;
  if (pwd?.startsWith("/")) {
    try {
      const a = fs.statSync(bytesOf(pwd));
      const b = fs.statSync(".");
      if (a.dev === b.dev && a.ino === b.ino) cwd = pwd;
    } catch {
      // $PWD is stale: getcwd's answer stands.
    }
  }
  return `${cwd}/${path}`;
}

function errnoOf(error: unknown): InfoError {
  if (error instanceof InfoError) return error;
  // Before the errno test: a ModbundleError has a `code` too, but its message is the reason.
  if (error instanceof ModbundleError) return new InfoError("EIO", error.message);
  if (isErrnoException(error) && /^E[A-Z0-9]+$/.test(error.code ?? "")) return new InfoError(error.code as string);
  throw error;
}

/** `read` gives the stored bytes and, for a bundle's member, the decompressed size its index records. */
async function infoOfBytes(read: () => { data: Buffer; plainSize?: number }, name: string): Promise<InfoField[]> {
  let data: Buffer;
  let plainSize: number | undefined;
  try {
    ({ data, plainSize } = read());
  } catch (error) {
    throw errnoOf(error);
  }
  // kmod_file_open reads the longest magic (xz's 6 bytes) first: a shorter file is EINVAL.
  if (data.length < 6) throw new InfoError("EINVAL");
  const kind = detectCompression(data.subarray(0, 6));
  if (kind !== "none") {
    try {
      // Loaded only for a compressed module: most runs never pay for a decoder.
      const { decompress } = await import("../compress/decompress.js");
      data = await decompress(kind, data, name, { expectedSize: plainSize });
    } catch (error) {
      throw errnoOf(error);
    }
  }
  return moduleFileInfo(data, name);
}

export class ModinfoSession {
  private db: ModuleDatabase | undefined;
  private builtinInfo: BuiltinModinfo | undefined;
  /**
   * Each module's information, read and decoded once: an alias can match the same module many
   * times (depmod keeps duplicate aliases), and kmod prints it each time, but one decode per
   * module keeps the work bounded by the bundle, not by how often its index names a module.
   */
  private readonly moduleInfo = new Map<number, Promise<InfoField[]>>();

  constructor(
    private readonly openDatabase: () => ModuleDatabase,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private context(): ModuleContext {
    this.db ??= this.openDatabase();
    return new ModuleContext(this.db, emptyConfig());
  }

  /** kmod_module_new_from_path: the module file as given, named after its file name; undefined if it is gone. */
  resolvePath(path: string): ModinfoTarget | undefined {
    const absolute = makeAbsolute(path, this.env);
    try {
      fs.statSync(bytesOf(absolute));
    } catch {
      return undefined;
    }
    return { name: moduleNameFromPath(path), filename: absolute, info: () => infoOfBytes(() => ({ data: readRegularFile(bytesOf(absolute)) }), absolute) };
  }

  /** kmod_module_new_from_lookup; undefined for an invalid alias. */
  resolveAlias(query: string): ModinfoTarget[] | undefined {
    const ctx = this.context();
    return lookupModules(ctx, query, MODPROBE_LOOKUP)?.map((handle) => this.target(ctx, handle));
  }

  /** kmod_module_new_from_name_lookup (-m): the first module of that name, if any. */
  resolveName(name: string): ModinfoTarget | undefined {
    const ctx = this.context();
    const [first] = lookupModules(ctx, name, NAME_LOOKUP, normalizeModuleName) ?? [];
    return first && this.target(ctx, first);
  }

  private target(ctx: ModuleContext, handle: ModuleHandle): ModinfoTarget {
    const db = ctx.db;
    const module = db.findModule(handle.name);
    const filename = module < 0 ? undefined : db.modulePath(module);
    const info = async (): Promise<InfoField[]> => {
      // kmod_module_is_builtin decides where the information comes from, whatever the path.
      if (ctx.isBuiltin(handle)) return toFields(this.builtinStrings(db, handle.name));
      if (filename === undefined) throw new InfoError("ENOENT");
      let fields = this.moduleInfo.get(module);
      if (!fields) {
        fields = infoOfBytes(() => (db.isBundle ? db.readModule(module) : { data: readRegularFile(bytesOf(filename)) }), filename);
        this.moduleInfo.set(module, fields);
      }
      return fields;
    };
    return { name: handle.name, filename, info };
  }

  private builtinStrings(db: ModuleDatabase, name: string): string[] {
    try {
      this.builtinInfo ??= new BuiltinModinfo(db.readSupportFile("modules.builtin.modinfo"));
    } catch (error) {
      throw errnoOf(error);
    }
    return this.builtinInfo.strings(name);
  }

  close(): void {
    this.db?.close();
  }
}
