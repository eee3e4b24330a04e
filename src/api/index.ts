import path = require("node:path");
import { pack as packTree } from "../pack/pack";
import { PackOptions, PackSummary } from "./types";

/**
 * modbundle's programming interface, `require("modbundle")`: what a script that prepares or
 * drives test VMs needs. Open a bundle and ask it what modprobe would do (lookups, load plans,
 * verified module bytes), pack a module tree, or run a kmod command in-process with its output
 * captured. Only a command that really inserts or removes a module loads the system-call
 * bindings (ffi-napi).
 */
export { ModuleBundle, openBundle } from "./bundle";
export { runCommand } from "./run";
export type { RunWithKernel } from "./run";
export type * from "./types";
export type { Kernel, LoadedModule, LoadFlags, RemoveFlags, InitState } from "../kernel/kernel";
export { ModbundleError, KernelError } from "../errors";
export type { ErrorCode } from "../errors";

/** Packs a module directory into a bundle (streaming; the output replaced only when complete). */
export async function pack(options: PackOptions): Promise<PackSummary> {
  const kernelVersion = options.kernelVersion ?? path.basename(path.resolve(options.moduleDir));
  const result = await packTree({
    moduleDir: options.moduleDir,
    output: options.output,
    compression: options.compression ?? "keep",
    kernelVersion,
    only: options.only,
    onProgress: options.onProgress,
  });
  return { kernelVersion, moduleCount: result.moduleCount, bytesStored: result.bytesStored };
}
