import { parentPort, workerData } from "node:worker_threads";
import { renderAliasBin, renderSymbolsBin } from "../index/bin-files";
import { BinsRequest, ParsedBatch, ParsedBatchWriter, decodeBinsRequest } from "./depmod-transfer";
import { DepmodFile, parseQueued } from "./depmod-modules";

/**
 * The second thread of `modbundle depmod` (depmod.ts), started before the tree is walked: given
 * the module files, parses them from the shared queue alongside the main thread and posts what
 * it parsed (packed, depmod-transfer.ts); then, given the index's aliases and symbols, writes
 * modules.alias.bin and modules.symbols.bin (the costliest files) while the main thread writes
 * the others. Anything that goes wrong is posted as a message, never thrown across. Built as its
 * own file beside the code that starts it (dist/commands/depmod-worker.js; build/src/pack/ in
 * tests).
 */
export type DepmodWorkerAnswer =
  | { readonly kind: "parsed"; readonly batch: ParsedBatch }
  | { readonly kind: "bins"; readonly aliasBin: Uint8Array; readonly symbolsBin: Uint8Array }
  | { readonly kind: "failed"; readonly message: string };

export type DepmodWorkerRequest =
  | { readonly kind: "files"; readonly files: readonly DepmodFile[] }
  | ({ readonly kind: "bins" } & BinsRequest);

/** What the worker is started with: the queue's shared counter of the next file not yet taken. */
export interface DepmodWorkerData {
  readonly next: Int32Array;
}

const port = parentPort;
if (port) {
  const fail = (error: unknown): void => port.postMessage({ kind: "failed", message: error instanceof Error ? error.message : String(error) } satisfies DepmodWorkerAnswer);
  const { next } = workerData as DepmodWorkerData;
  port.on("message", (request: DepmodWorkerRequest) => {
    if (request.kind === "files") {
      const writer = new ParsedBatchWriter();
      parseQueued({ files: request.files, next }, (position, parsed) => writer.add(position, parsed)).then(() => {
        const batch = writer.finish();
        port.postMessage({ kind: "parsed", batch } satisfies DepmodWorkerAnswer, [batch.positions, batch.counts, batch.symbols].map((array) => array.buffer as ArrayBuffer));
      }, fail);
      return;
    }
    try {
      const { aliases, symbols, moduleNames } = decodeBinsRequest(request);
      const aliasBin = renderAliasBin(aliases);
      const symbolsBin = renderSymbolsBin(symbols, moduleNames);
      // Moved, not copied: each file is the only view of its own buffer (the trie writer's, too big for Node's pool).
      port.postMessage({ kind: "bins", aliasBin, symbolsBin } satisfies DepmodWorkerAnswer, [aliasBin.buffer as ArrayBuffer, symbolsBin.buffer as ArrayBuffer]);
    } catch (error) {
      fail(error);
    }
  });
}
