import { CompressionKind } from "../compress/kind";

/**
 * The kernel as modbundle's commands see it: module state (from /sys/module and /proc/modules in
 * the real kernel) and the three module syscalls. The real implementation (kernel/real-kernel.ts)
 * calls finit_module/init_module/delete_module through native-bindings/; the fake one
 * (kernel/fake-kernel.ts) keeps state in memory for tests. Nothing else touches the kernel.
 */
export type InitState = "live" | "coming" | "going";

export interface LoadedModule {
  readonly name: string;
  /** Size in bytes (coresize, or /proc/modules' second column). */
  readonly size: number;
  /** Reference count, or undefined when unknown (no refcnt file). */
  readonly refcnt: number | undefined;
  /** Names of the modules that hold this one (Used by). */
  readonly holders: readonly string[];
}

/** Flags for loading, as finit_module's MODULE_INIT_IGNORE_* bits. */
export interface LoadFlags {
  readonly ignoreModversions: boolean;
  readonly ignoreVermagic: boolean;
}

export interface RemoveFlags {
  /** O_TRUNC: force removal (rmmod -f). */
  readonly force: boolean;
}

export { KernelError } from "../errors";

/** What loading needs: the kernel's own decompression, and the load itself. */
export interface ModuleLoader {
  /** The format the kernel decompresses itself (/sys/module/compression), if any. */
  inKernelDecompression(): CompressionKind | undefined;
  /**
   * Loads a module image. `compressed` is set when `image` is compressed in the format the kernel
   * decompresses itself (finit_module with MODULE_INIT_COMPRESSED_FILE). Throws KernelError.
   */
  loadModule(image: Buffer, params: string, flags: LoadFlags, compressed: boolean): Promise<void>;
}

export interface Kernel extends ModuleLoader {
  /** Initialisation state from /sys/module/NAME/initstate; undefined when not loaded. */
  initstate(name: string): InitState | undefined;
  /** /sys/module/NAME/refcnt; undefined when the file is missing (module unloading unsupported, or builtin). */
  refcnt(name: string): number | undefined;
  /** /sys/module/NAME/holders entries, in directory order; undefined when the directory is missing. */
  holders(name: string): string[] | undefined;
  /** /proc/modules order, with sizes and holders. */
  loadedModules(): LoadedModule[];
  /**
   * A loader for up to `jobs` loads at a time, or undefined when this kernel can take only one
   * at a time (then loads go one by one, as with -j 1). Kernels without the method load through
   * loadModule, whose promises may overlap already (the fake kernel's, with delays).
   */
  parallelLoads?(jobs: number): ModuleLoader | undefined;
  /** delete_module(name, O_NONBLOCK [| O_TRUNC]). Throws KernelError. */
  removeModule(name: string, flags: RemoveFlags): void;
}
