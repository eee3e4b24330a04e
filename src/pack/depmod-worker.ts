import { parentPort, workerData } from "node:worker_threads";
import { renderAliasBin, renderSymbolsBin } from "../index/bin-files";
import { IndexAlias, IndexSymbol } from "../index/types";
import { ModuleQueue, ParsedModule, parseQueued } from "./depmod-modules";

/**
 * The second thread of `modbundle depmod` (depmod.ts): parses module files from the shared queue
 * alongside the main thread and posts what it parsed; then, given the index's aliases and
 * symbols, writes modules.alias.bin and modules.symbols.bin (the costliest files) while the main
 * thread writes the others. Anything that
 * goes wrong is posted as a message, never thrown across. Built as its own file beside the code
 * that starts it (dist/commands/depmod-worker.js; build/src/pack/ in tests).
 */
export type DepmodWorkerAnswer =
  | { readonly kind: "parsed"; readonly parsed: ReadonlyArray<readonly [number, ParsedModule]> }
  | { readonly kind: "bins"; readonly aliasBin: Uint8Array; readonly symbolsBin: Uint8Array }
  | { readonly kind: "failed"; readonly message: string };

export interface DepmodWorkerRequest {
  readonly aliases: readonly IndexAlias[];
  readonly symbols: readonly IndexSymbol[];
  readonly moduleNames: readonly string[];
}

const port = parentPort;
if (port) {
  const fail = (error: unknown): void => port.postMessage({ kind: "failed", message: error instanceof Error ? error.message : String(error) } satisfies DepmodWorkerAnswer);
  port.once("message", (request: DepmodWorkerRequest) => {
    try {
      const aliasBin = renderAliasBin(request.aliases);
      const symbolsBin = renderSymbolsBin(request.symbols, request.moduleNames);
      port.postMessage({ kind: "bins", aliasBin, symbolsBin } satisfies DepmodWorkerAnswer);
    } catch (error) {
      fail(error);
    }
  });
  parseQueued(workerData as ModuleQueue).then((parsed) => port.postMessage({ kind: "parsed", parsed: [...parsed] } satisfies DepmodWorkerAnswer), fail);
}
