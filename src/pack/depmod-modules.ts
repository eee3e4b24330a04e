import { ModbundleError } from "../errors";
import { DepmodModule, depmodModule } from "../index/depmod";
import { Interner } from "../util/interner";
import { checkListedModule } from "../tree/scan";
import { ReusableReader } from "./module-reader";
import { TreeModule, parseTreeModule, parseTreeModuleNow, unreadableTreeModule } from "./tree-module";

/**
 * What `modbundle depmod` takes from each module file of a tree, shared out between the main
 * thread and a worker (depmod-worker.ts): both take the next few files from one shared counter
 * until none are left, so that neither waits while the other still has work.
 */
export interface DepmodFile {
  readonly absolute: string;
  /** Path relative to the module directory, '/'-separated. */
  readonly relpath: string;
  /** Listed without being looked at (listModuleTree): checked before it is opened. */
  readonly unchecked?: boolean;
}

/** A file listed unchecked that is no module file after all (see ListedModuleKind). */
export type NotAModuleFile = "directory" | "absent";

export interface ParsedModule {
  readonly module: DepmodModule;
  /** Set for a broken or unreadable file: depmod's one-line report. */
  readonly broken?: string;
}

/** The files, and the shared counter of the next one not yet taken (an Int32Array of one). */
export interface ModuleQueue {
  readonly files: readonly DepmodFile[];
  readonly next: Int32Array;
}

/** What depmod reads of a module (the CRCs of its exports, elsewhere, it does not need). */
const DEPMOD_SECTIONS = [".symtab", ".strtab", ".modinfo", "__versions", "__ksymtab_strings"];
/** Files taken at a time: few enough to share the work out evenly, enough to keep the counter cold. */
const BATCH = 16;

/**
 * Parses files from the queue until it is empty, giving each to `take` with its position in
 * `files`.
 */
export async function parseQueued(queue: ModuleQueue, take: (position: number, parsed: ParsedModule | NotAModuleFile) => void): Promise<void> {
  const reader = new ReusableReader();
  const interner = new Interner();
  const { files } = queue;
  for (let start = Atomics.add(queue.next, 0, BATCH); start < files.length; start = Atomics.add(queue.next, 0, BATCH)) {
    for (let i = start; i < Math.min(start + BATCH, files.length); i++) {
      const parsed = parseModule(files[i], reader, interner);
      take(i, parsed instanceof Promise ? await parsed : parsed);
    }
  }
}

/** A module file parsed: at once when it is uncompressed (parseTreeModuleNow), else a promise. */
export function parseModule(file: DepmodFile, reader: ReusableReader, interner: Interner): ParsedModule | NotAModuleFile | Promise<ParsedModule | NotAModuleFile> {
  let raw: Buffer;
  let tree: TreeModule | undefined;
  try {
    const read = reader.readSections(file, DEPMOD_SECTIONS);
    if (typeof read === "string") return read === "directory" ? "directory" : "absent";
    raw = read;
    tree = parseTreeModuleNow(raw, file.absolute, interner);
  } catch (error) {
    return unreadable(file, error);
  }
  if (tree !== undefined) return parsedOf(file, tree);
  return parseTreeModule(raw, file.absolute, interner).then((later) => parsedOf(file, later), (error: unknown) => unreadable(file, error));
}

function unreadable(file: DepmodFile, error: unknown): ParsedModule | NotAModuleFile {
  if (!(error instanceof ModbundleError)) throw error;
  // A file listed unchecked that could not be opened may be no module file at all (a dangling
  // link, which a walk skips): only a stat tells, and only this rare case pays for one.
  const kind = file.unchecked ? checkListedModule(file.absolute) : "module";
  if (kind !== "module") return kind;
  return parsedOf(file, unreadableTreeModule(file.absolute, error));
}

function parsedOf(file: DepmodFile, tree: TreeModule): ParsedModule {
  const module = depmodModule(file.relpath, tree.object);
  return tree.broken === undefined ? { module } : { module, broken: tree.broken };
}
