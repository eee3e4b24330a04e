import { Interner } from "../util/interner";
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";
import { readRegularFile } from "../io/regular-file";
import { compress } from "../compress/compress";
import { CompressionKind, compressionExtension } from "../compress/kind";
import { DepmodModule, computeIndex, depmodModule, listsInput } from "../index/depmod";
import { ModuleIndex } from "../index/types";
import { BundleWriter } from "../bundle/writer";
import { encodeIndex } from "../bundle/index-codec";
import { TreeEntry, scanModuleTree } from "../tree/scan";
import { uncompressedModulePath } from "../util/modname";
import { checkOutputDirectory, checkSomethingToPack } from "./check-inputs";
import { selectModules } from "./select";
import { parseTreeModule } from "./tree-module";
import { ReusableReader } from "./module-reader";

export type PackCompression = "keep" | CompressionKind;

export interface PackOptions {
  /** The module directory, e.g. /lib/modules/6.1.0-56-amd64. */
  readonly moduleDir: string;
  readonly output: string;
  readonly compression: PackCompression;
  /** Defaults to the module directory's name. */
  readonly kernelVersion?: string;
  /** Only these modules (names or aliases) and what they need, transitively. */
  readonly only?: readonly string[];
  /** Called after each module, for a progress display. */
  readonly onProgress?: (done: number, total: number, relpath: string) => void;
  /**
   * Called once per module file that is broken (stored as it is, with no dependencies, as depmod
   * lists it) or unreadable (left out): one line naming it and the reason.
   */
  readonly onModuleError?: (message: string) => void;
}

export interface PackResult {
  readonly index: ModuleIndex;
  readonly moduleCount: number;
  readonly bytesStored: number;
  /** Module files that could not be read at all, and so are not in the bundle. */
  readonly leftOut: number;
}

function readTreeFile(entry: TreeEntry): Buffer {
  try {
    // A support file must be a regular file in the tree itself: a planted symbolic link (to
    // /etc/shadow, say) would be copied into a world-readable bundle (see tree/scan.ts).
    return readRegularFile(entry.absolute, { noFollow: true });
  } catch (error) {
    throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
  }
}

/** The stored path for a module re-encoded to `kind`: the compression suffix replaced. */
function storedPath(relpath: string, kind: CompressionKind): string {
  return uncompressedModulePath(relpath) + compressionExtension(kind);
}

/**
 * tree -> index -> bundle, streaming: each file is read once, parsed, written and dropped; only
 * the parsed metadata stays in memory until the index is computed and written last.
 */
export async function pack(options: PackOptions): Promise<PackResult> {
  checkOutputDirectory(options.output);
  const tree = scanModuleTree(options.moduleDir);
  checkSomethingToPack(options.moduleDir, tree.modules.length, tree.supportFiles.some((f) => f.relpath === "modules.order"));
  const kernelVersion = options.kernelVersion ?? path.basename(path.resolve(options.moduleDir));
  const newest = Math.max(0, ...tree.modules.map((m) => m.mtime), ...tree.supportFiles.map((m) => m.mtime));
  const writer = BundleWriter.create(options.output, newest);
  try {
    const lists = new Map<string, Buffer>();
    for (const entry of tree.supportFiles) {
      const data = readTreeFile(entry);
      lists.set(entry.relpath, data);
      writer.addFile(entry.relpath, data, entry.mode, entry.mtime);
    }

    const selected = options.only ? await selectModules(tree, kernelVersion, options.only, lists) : undefined;
    const entries = selected ? tree.modules.filter((m) => selected.has(m.relpath)) : tree.modules;
    const modules: DepmodModule[] = [];
    let bytesStored = 0;
    const reader = new ReusableReader();
    const storedFrom = new Map<string, string>();
    const interner = new Interner();
    let leftOut = 0;
    for (const [done, entry] of entries.entries()) {
      let raw: Buffer;
      try {
        raw = reader.read(entry);
      } catch (error) {
        if (!(error instanceof ModbundleError)) throw error;
        // Nothing to store: depmod lists such a file, the bundle cannot hold what was not read.
        leftOut++;
        options.onModuleError?.(`cannot read ${error.message} (left out of the bundle)`);
        continue;
      }
      const { object, found, plain, broken } = await parseTreeModule(raw, entry.absolute, interner);
      if (broken !== undefined) options.onModuleError?.(broken);
      // A broken module is stored as found, whatever --compress says: its bytes may not decode.
      const target = options.compression === "keep" || broken !== undefined ? found : options.compression;
      const stored = target === found ? raw : compress(target, plain as Buffer, entry.absolute);
      const relpath = target === found ? entry.relpath : storedPath(entry.relpath, target);
      // Re-encoding renames (dummy.ko.xz -> dummy.ko): two files of the tree must not become one
      // stored path, or the index would describe one module and hand the kernel the other's bytes.
      const earlier = storedFrom.get(relpath);
      if (earlier !== undefined) {
        throw new ModbundleError("ETREE", `${entry.absolute}: would be stored as ${relpath}, as ${earlier} already is (--compress ${options.compression}); remove one of them`);
      }
      storedFrom.set(relpath, entry.absolute);
      // Undecodable data records 0 bytes: a later decode stops at once.
      writer.addFile(relpath, stored, entry.mode, entry.mtime, found === "none" ? raw.length : plain?.length ?? 0);
      bytesStored += stored.length;
      modules.push(depmodModule(relpath, object));
      options.onProgress?.(done + 1, entries.length, relpath);
    }

    const index = computeIndex({
      kernelVersion,
      modules,
      ...listsInput(lists),
    });
    writer.finish(encodeIndex({ index, members: writer.memberRecords }));
    return { index, moduleCount: index.modules.length, bytesStored, leftOut };
  } catch (error) {
    writer.abort();
    throw error;
  }
}
