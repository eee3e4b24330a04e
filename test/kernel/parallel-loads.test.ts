import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { KernelError } from "../../src/kernel/kernel";
import { ModuleSyscalls, RealKernel } from "../../src/kernel/real-kernel";
import { errnoNumber } from "../../src/util/errno";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

/**
 * RealKernel.parallelLoads with the system calls replaced: finit_module's asynchronous form
 * scripted in the test (rejecting with the errno its call returned, as the stub's caller in
 * native-bindings/syscalls.ts does), and its absence (no stub, a refused executable mapping),
 * where the caller must load one module at a time.
 */
const FLAGS = { ignoreModversions: false, ignoreVermagic: false };

function recorder(finitModuleAsync?: ModuleSyscalls["finitModuleAsync"]): { syscalls: ModuleSyscalls; here: string[] } {
  const dir = tempDir("pool");
  const here: string[] = [];
  let n = 0;
  const syscalls: ModuleSyscalls = {
    memfdCreate: () => fs.openSync(path.join(dir, `memfd-${++n}`), "w+"),
    finitModule: (_fd, params) => {
      here.push(params);
    },
    initModule: (_image, params) => {
      here.push(`init ${params}`);
    },
    deleteModule: () => undefined,
    finitModuleAsync,
  };
  return { syscalls, here };
}

/** An asynchronous finit_module that answers after 5 ms with `answer(params)` as its errno. */
function scriptedAsync(log: string[], inFlight: { now: number; max: number }, answer: (params: string) => number): () => (fd: number, params: string, flags: number) => Promise<void> {
  const busy = new Set<number>();
  return () => async (fd, params) => {
    assert.ok(fs.fstatSync(fd).size > 0, "the memfd is filled before the call");
    assert.ok(!busy.has(fd), "loads in flight never share a memfd");
    busy.add(fd);
    log.push(params);
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight.now--;
    busy.delete(fd);
    const errno = answer(params);
    if (errno !== 0) throw new KernelError(errno === 22 ? "EINVAL" : errno === 38 ? "ENOSYS" : "EEXIST", errno, `finit_module: ${errno}`);
  };
}

describe("RealKernel.parallelLoads: finit_module on libuv's pool", () => {
  const image = kernelModule("m");

  it("runs the calls side by side, each failing with its own errno", async () => {
    const log: string[] = [];
    const inFlight = { now: 0, max: 0 };
    const einval = errnoNumber("EINVAL") ?? 22;
    const eexist = errnoNumber("EEXIST") ?? 17;
    const { syscalls, here } = recorder(scriptedAsync(log, inFlight, (p) => (p === "bad" ? einval : p === "dup" ? eexist : 0)));
    const pool = new RealKernel("/nonexistent", { syscalls }).parallelLoads(3);
    assert.ok(pool);
    const results = await Promise.allSettled(["a", "bad", "dup"].map((p) => pool.loadModule(image, p, FLAGS, false)));
    assert.deepEqual(here, [], "nothing loads on the main thread");
    assert.deepEqual(log.sort(), ["a", "bad", "dup"]);
    assert.equal(inFlight.max, 3);
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as KernelError).code)),
      ["ok", "EINVAL", "EEXIST"],
    );
  });

  it("sizes libuv's pool for more than its 4 threads, unless the user set the size", () => {
    const saved = process.env.UV_THREADPOOL_SIZE;
    try {
      delete process.env.UV_THREADPOOL_SIZE;
      const { syscalls } = recorder(scriptedAsync([], { now: 0, max: 0 }, () => 0));
      new RealKernel("/nonexistent", { syscalls }).parallelLoads(4);
      assert.equal(process.env.UV_THREADPOOL_SIZE, undefined);
      new RealKernel("/nonexistent", { syscalls }).parallelLoads(6);
      assert.equal(process.env.UV_THREADPOOL_SIZE, "6");
      process.env.UV_THREADPOOL_SIZE = "2";
      new RealKernel("/nonexistent", { syscalls }).parallelLoads(8);
      assert.equal(process.env.UV_THREADPOOL_SIZE, "2");
    } finally {
      if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE;
      else process.env.UV_THREADPOOL_SIZE = saved;
    }
  });

  it("falls back to init_module when the asynchronous finit_module says ENOSYS", async () => {
    const { syscalls, here } = recorder(scriptedAsync([], { now: 0, max: 0 }, () => errnoNumber("ENOSYS") ?? 38));
    const pool = new RealKernel("/nonexistent", { syscalls }).parallelLoads(2);
    assert.ok(pool);
    await pool.loadModule(image, "p=1", FLAGS, false);
    assert.deepEqual(here, ["init p=1"]);
  });

  it("offers no parallel loader when the stub cannot be had (the caller loads one at a time)", () => {
    const refused = recorder(() => "mmap: Operation not permitted");
    assert.equal(new RealKernel("/nonexistent", { syscalls: refused.syscalls }).parallelLoads(2), undefined);
    const absent = recorder();
    assert.equal(new RealKernel("/nonexistent", { syscalls: absent.syscalls }).parallelLoads(2), undefined);
    const failing = recorder(() => {
      throw new KernelError("EPERM", 1, "module system calls are disabled");
    });
    assert.equal(new RealKernel("/nonexistent", { syscalls: failing.syscalls }).parallelLoads(2), undefined);
  });

  it("with the real bindings here, MODBUNDLE_NO_SYSCALLS keeps every load on the main thread, where it is refused", async () => {
    const kernel = new RealKernel("/nonexistent");
    assert.equal(kernel.parallelLoads(2), undefined);
    await assert.rejects(kernel.loadModule(image, "", FLAGS, false), (e: unknown) => e instanceof KernelError && e.code === "EPERM");
  });
});
