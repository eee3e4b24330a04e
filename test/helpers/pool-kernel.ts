import { FakeKernel, FakeKernelOptions } from "../../src/kernel/fake-kernel";
import { InitState, LoadPool } from "../../src/kernel/kernel";

/**
 * The fake kernel with the two pool hooks of the real one, recorded in order: "prepare N"
 * (prepareParallelLoads), "open N" and "close" (parallelLoads and its pool), and "query" at the
 * first initstate read (planning's first look at the kernel). Loads through the pool are the
 * fake kernel's own, so they overlap with its delays as before.
 */
export class PoolKernel extends FakeKernel {
  readonly log: string[] = [];

  constructor(options: FakeKernelOptions = {}) {
    super(options);
  }

  prepareParallelLoads(jobs: number): void {
    this.log.push(`prepare ${jobs}`);
  }

  parallelLoads(jobs: number): LoadPool {
    this.log.push(`open ${jobs}`);
    return {
      inKernelDecompression: () => this.inKernelDecompression(),
      loadModule: (image, params, flags, compressed) => this.loadModule(image, params, flags, compressed),
      close: async () => {
        this.log.push("close");
      },
    };
  }

  override initstate(name: string): InitState | undefined {
    if (!this.log.includes("query")) this.log.push("query");
    return super.initstate(name);
  }
}
