import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { KernelError } from "../../src/kernel/kernel";
import { FinitThread } from "../../src/kernel/load-pool";
import { FinitRequest, ThreadMessage } from "../../src/kernel/load-protocol";
import { ModuleSyscalls, RealKernel } from "../../src/kernel/real-kernel";
import { errnoNumber } from "../../src/util/errno";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";

process.env.MODBUNDLE_NO_SYSCALLS = "1";

/**
 * The real kernel's pool of loading threads, with the system calls replaced: threads scripted in
 * the test (answering with an errno, as load-worker.ts does after its own call), and once the
 * real worker file, which refuses to make system calls here and leaves the work to the main thread.
 */
const FLAGS = { ignoreModversions: false, ignoreVermagic: false };

function recorder(): { syscalls: ModuleSyscalls; here: string[] } {
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
  };
  return { syscalls, here };
}

/** A thread that becomes ready at once and answers each request after `ms` with `answer(params)`. */
function scriptedThread(log: string[], answer: (params: string) => number, ready = true): () => FinitThread {
  return () => {
    let listener: (m: ThreadMessage) => void = () => undefined;
    setImmediate(() => listener(ready ? { kind: "ready" } : { kind: "broken", message: "no ffi" }));
    return {
      listen: (l) => (listener = l),
      post: (request: FinitRequest) => {
        log.push(request.params);
        setTimeout(() => listener({ kind: "done", id: request.id, errno: answer(request.params), message: "" }), 5);
      },
      terminate: async () => undefined,
    };
  };
}

describe("RealKernel.parallelLoads: finit_module on loading threads", () => {
  const image = kernelModule("m");

  it("hands calls to idle threads and takes the errno each thread read", async () => {
    const { syscalls, here } = recorder();
    const onThreads: string[] = [];
    const einval = errnoNumber("EINVAL") ?? 22;
    const kernel = new RealKernel("/nonexistent", { syscalls, startThread: scriptedThread(onThreads, (p) => (p === "bad" ? einval : 0)) });
    const pool = kernel.parallelLoads(3);
    // Let the threads report ready, as they do while the first loads run.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const results = await Promise.allSettled(["a", "bad", "c", "d"].map((p) => pool.loadModule(image, p, FLAGS, false)));
    await pool.close();
    assert.deepEqual(onThreads.sort(), ["a", "bad"]);
    assert.deepEqual(here.sort(), ["c", "d"], "the main thread takes what no thread is free for");
    const failed = results[1];
    assert.equal(failed.status, "rejected");
    const error = (failed as PromiseRejectedResult).reason as unknown;
    assert.ok(error instanceof KernelError && error.code === "EINVAL" && error.message === "finit_module: Invalid argument");
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  });

  it("falls back to init_module on the main thread when a thread's finit_module says ENOSYS", async () => {
    const { syscalls, here } = recorder();
    const kernel = new RealKernel("/nonexistent", { syscalls, startThread: scriptedThread([], () => errnoNumber("ENOSYS") ?? 38) });
    const pool = kernel.parallelLoads(2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await pool.loadModule(image, "p=1", FLAGS, false);
    await pool.close();
    assert.deepEqual(here, ["init p=1"]);
  });

  it("leaves everything to the main thread when no thread can make system calls (the real worker here)", async () => {
    const { syscalls, here } = recorder();
    const kernel = new RealKernel("/nonexistent", { syscalls });
    const pool = kernel.parallelLoads(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(["x", "y"].map((p) => pool.loadModule(image, p, FLAGS, false)));
    await pool.close();
    assert.deepEqual(here.sort(), ["x", "y"]);
  });
});
