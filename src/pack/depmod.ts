import fs = require("node:fs");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";
import { startOwnWorker } from "../code-cache";
import { DepmodModule, computeIndex, listsInput } from "../index/depmod";
import { INDEX_FILE_ORDER, IndexFile, IndexFileName, renderIndexFile } from "../index/index-files";
import { ModuleIndex } from "../index/types";
import { ListedModule, TreeEntry, listModuleTree, scanModuleTree } from "../tree/scan";
import { createExclusive, temporaryPathFor } from "../io/exclusive";
import { Interner } from "../util/interner";
import { idleProcessors } from "../util/idle-processors";
import { DepmodFile, ModuleQueue, NotAModuleFile, ParsedModule, parseModule, parseQueued } from "./depmod-modules";
import { ParsedBatch, decodeParsed, encodeBinsRequest } from "./depmod-transfer";
import type { DepmodWorkerAnswer, DepmodWorkerData, DepmodWorkerRequest } from "./depmod-worker";
import type { Worker } from "node:worker_threads";
import { ReusableReader } from "./module-reader";

/**
 * `modbundle depmod`: depmod's index files, text and .bin, computed from a module directory
 * without packing it, and written into it as depmod writes them: each to a temporary file
 * created exclusively, then renamed over the old one, so that a reader sees the old file or the
 * new one, never a part. A broken or unreadable module is reported as depmod reports it and
 * listed with no dependencies.
 *
 * depmod itself is single-threaded; here a worker thread takes a share of the work when the tree
 * is big enough to repay starting one and a processor is idle for it (idleProcessors, at the
 * start). The worker starts while the tree is walked.
 * - Two processors idle: the worker parses modules alongside the main thread (checking the files
 *   listed unchecked included) and hands them back packed (depmod-transfer.ts): sent as objects,
 *   their copying cost the main thread more than parsing them itself. It then writes
 *   modules.alias.bin and modules.symbols.bin (the costliest files) while the main thread writes
 *   the others.
 * - One or none: no worker. Parsing needs more than one processor: V8's compiler and collector
 *   threads already keep about one busy beside the main thread (on Debian's amd64 tree, 0.9 s of
 *   2.4 s of processor time), and a parsing worker compiles and collects for itself again (3.3 s
 *   in all); it finished later than the main thread alone. A worker that only read the files
 *   ahead of the main thread was tried too, and no longer paid once the main thread's parsing
 *   got faster: it starts its own Node and compiles its own reader, on the processor V8's
 *   compiler threads use (their optimising compiles, some 0.5 s of processor time a run, are
 *   most of it), and the main thread, which those threads and the worker then took turns with,
 *   waited for a processor two to three times as long (150-190 ms a run, against 45-85). On 2
 *   processors, alternating runs, the main thread alone finished 5 % sooner.
 */
export interface DepmodOptions {
  /** One line per broken or unreadable module file. */
  readonly onModuleError?: (message: string) => void;
  /** Whether a worker thread parses beside the main thread (default: with two idle processors, see above). */
  readonly worker?: boolean;
}

const WORKER_THRESHOLD = 256;
/** What the worker writes while the main thread writes the rest. */
const WORKER_FILES: ReadonlySet<IndexFileName> = new Set(["modules.alias.bin", "modules.symbols.bin"]);

export async function computeDepmodFiles(moduleDir: string, kernelVersion: string, options: DepmodOptions = {}): Promise<IndexFile[]> {
  const files = await computeFrom(() => listModuleTree(moduleDir, { followListLinks: true }), kernelVersion, options);
  if (files !== undefined) return files;
  // A link named as a module file leads to a directory, which the walk goes into: walked again,
  // looking at every entry, the tree lists other files.
  const again = await computeFrom(() => {
    const tree = scanModuleTree(moduleDir, { followListLinks: true });
    return { modules: tree.modules.map(({ relpath, absolute }) => ({ relpath, absolute, unchecked: false })), supportFiles: tree.supportFiles };
  }, kernelVersion, options);
  if (again === undefined) throw new ModbundleError("ETREE", `${moduleDir}: the tree changed while it was read`);
  return again;
}

/** Whether a worker parses when the caller does not say: see DepmodOptions. */
function workerByDefault(): boolean {
  return idleProcessors() >= 2;
}

/** The files, from the tree `list` gives; undefined when a file it listed unchecked is a directory. */
async function computeFrom(list: () => { modules: readonly ListedModule[]; supportFiles: readonly TreeEntry[] }, kernelVersion: string, options: DepmodOptions): Promise<IndexFile[] | undefined> {
  // The worker starts while the tree is walked (its start-up would otherwise be waited for), and
  // is let go if the tree turns out too small to repay it.
  const next = new Int32Array(new SharedArrayBuffer(4));
  let worker = (options.worker ?? workerByDefault()) ? DepmodWorker.start(next) : undefined;
  try {
    const tree = list();
    if (worker && options.worker === undefined && tree.modules.length < WORKER_THRESHOLD) {
      worker.close();
      worker = undefined;
    }
    const queue: ModuleQueue = { files: tree.modules, next };
    worker?.give(queue.files);
    const lists = new Map<string, Buffer>();
    for (const entry of tree.supportFiles) {
      try {
        lists.set(entry.relpath, fs.readFileSync(entry.absolute));
      } catch (error) {
        throw new ModbundleError("EIO", `${entry.absolute}: ${describeSystemError(error)}`);
      }
    }
    const parsed = new Map<number, ParsedModule | NotAModuleFile>();
    await parseQueued(queue, (position, one) => parsed.set(position, one));
    const theirs = worker ? await worker.parsed : undefined;
    const fromWorker = theirs ? decodeParsed(theirs, queue.files) : new Map<number, ParsedModule>();
    // Whatever the worker took and did not give back (it failed to start, say) is parsed here.
    const reader = new ReusableReader();
    const interner = new Interner();
    const all: ParsedModule[] = [];
    for (const [i, file] of queue.files.entries()) {
      const one = parsed.get(i) ?? fromWorker.get(i) ?? (await parseModule(file, reader, interner));
      if (one === "directory") return undefined;
      if (one !== "absent") all.push(one);
    }
    const modules: DepmodModule[] = [];
    for (const one of all) {
      if (one.broken !== undefined) options.onModuleError?.(one.broken);
      modules.push(one.module);
    }
    const index = computeIndex({ kernelVersion, modules, ...listsInput(lists) });
    const builtinLists = { modulesBuiltin: lists.get("modules.builtin"), modulesBuiltinModinfo: lists.get("modules.builtin.modinfo") };
    const elsewhere = worker?.renderBins(index);
    const files = INDEX_FILE_ORDER.map((name) => ({ name, data: elsewhere && WORKER_FILES.has(name) ? undefined : renderIndexFile(index, name, builtinLists) }));
    const bins = await elsewhere;
    return files.map(({ name, data }) => ({ name, data: data ?? bins?.get(name) ?? renderIndexFile(index, name, builtinLists) }));
  } finally {
    worker?.close();
  }
}

/**
 * The worker thread and its two answers. A worker that cannot start or dies gives back nothing,
 * and the main thread does its share; an error it reports (a fault of ours: a broken module is
 * an answer, not an error) is not hidden.
 */
class DepmodWorker {
  readonly parsed: Promise<ParsedBatch | undefined>;
  private bins: ((files: ReadonlyMap<IndexFileName, Buffer> | undefined) => void) | undefined;

  private constructor(private readonly worker: Worker | undefined) {
    this.parsed = new Promise((resolve, reject) => {
      if (!worker) {
        resolve(undefined);
        return;
      }
      const gone = (): void => {
        resolve(undefined);
        this.bins?.(undefined);
      };
      worker.on("message", (answer: DepmodWorkerAnswer) => {
        if (answer.kind === "parsed") resolve(answer.batch);
        else if (answer.kind === "bins") {
          const buffer = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
          this.bins?.(new Map([["modules.alias.bin", buffer(answer.aliasBin)], ["modules.symbols.bin", buffer(answer.symbolsBin)]]));
        }
        else {
          const failure = new ModbundleError("EIO", `depmod worker: ${answer.message}`);
          reject(failure);
          this.bins?.(undefined);
        }
      });
      worker.on("error", gone);
      worker.on("exit", gone);
    });
    // Awaited only once the main thread's own parsing succeeds: a worker's failure reported
    // while the main thread fails first must not surface as an unhandled rejection.
    this.parsed.catch(() => undefined);
  }

  static start(next: Int32Array): DepmodWorker {
    try {
      const workerData: DepmodWorkerData = { next };
      return new DepmodWorker(startOwnWorker(path.join(__dirname, "depmod-worker.js"), { workerData }));
    } catch {
      return new DepmodWorker(undefined);
    }
  }

  /** The module files: the worker takes its share of them from the queue. */
  give(files: readonly DepmodFile[]): void {
    this.worker?.postMessage({ kind: "files", files } satisfies DepmodWorkerRequest);
  }

  /** WORKER_FILES, written by the worker; undefined when it could not. */
  renderBins(index: ModuleIndex): Promise<ReadonlyMap<IndexFileName, Buffer> | undefined> {
    if (!this.worker) return Promise.resolve(undefined);
    const answer = new Promise<ReadonlyMap<IndexFileName, Buffer> | undefined>((resolve) => {
      this.bins = resolve;
    });
    const request: DepmodWorkerRequest = { kind: "bins", ...encodeBinsRequest(index) };
    this.worker.postMessage(request, [request.aliasModules, request.symbolModules].map((array) => array.buffer as ArrayBuffer));
    return answer;
  }

  close(): void {
    void this.worker?.terminate();
  }
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
