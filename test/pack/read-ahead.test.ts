import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { kernelModule } from "../helpers/kernel-module";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";
import { DEPMOD_SECTIONS } from "../../src/pack/depmod-modules";
import type { DepmodWorkerData, DepmodWorkerRequest } from "../../src/pack/depmod-worker";
import { ModuleFileEntry, ReusableReader } from "../../src/pack/module-reader";
import { ReadAhead } from "../../src/pack/read-ahead";

/**
 * What the depmod worker reads ahead (read-ahead.ts) is what the main thread would have read
 * itself, byte for byte, for every kind of file a tree may hold, with a ring small enough that
 * the worker wraps around it, waits for room and hands back a file too big for it.
 */
const RING = 256 * 1024;

function tree(): ModuleFileEntry[] {
  const dir = tempDir("read-ahead");
  const files: Record<string, Buffer | string> = {};
  for (let i = 0; i < 40; i++) {
    // Sizes from a few KiB to well past the 64 KiB read whole, so most are read in parts.
    const trailer = Buffer.alloc((i * 7919) % 120_000, 0x5a);
    files[`kernel/m${String(i).padStart(2, "0")}.ko`] = kernelModule(`m${i}`, { exports: [{ name: `sym_${i}` }], needs: [{ name: `sym_${i - 1}` }], modinfo: [`alias=m${i}-alias`], trailer });
  }
  files["kernel/n0-big.ko"] = kernelModule("big", { trailer: Buffer.alloc(RING, 0x33) });
  files["kernel/n1-not-elf.ko"] = "not a module\n";
  files["kernel/n2-empty.ko"] = "";
  files["kernel/n3-truncated.ko"] = kernelModule("truncated").subarray(0, 100);
  writeTree(dir, files);
  fs.mkdirSync(path.join(dir, "kernel", "folder"));
  fs.symlinkSync("folder", path.join(dir, "kernel", "n4-dir-link.ko"));
  fs.symlinkSync("nowhere.ko", path.join(dir, "kernel", "n5-dangling.ko"));
  fs.symlinkSync("m03.ko", path.join(dir, "kernel", "n6-link.ko"));
  const names = fs.readdirSync(path.join(dir, "kernel")).filter((name) => name.endsWith(".ko")).sort();
  const entries = names.map((name) => ({ absolute: path.join(dir, "kernel", name), unchecked: fs.lstatSync(path.join(dir, "kernel", name)).isSymbolicLink() }));
  // Twice over: the second round finds the ring's room made by the first.
  return [...entries, ...entries.map((entry) => ({ ...entry }))];
}

/** What a reader gives for `entry`, copied (its buffer is reused), or the message it throws. */
function outcome(read: () => Buffer | string): Buffer | string {
  try {
    const got = read();
    return typeof got === "string" ? got : Buffer.from(got);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe("depmod's read-ahead worker", () => {
  it("gives every file as the main thread reads it, wrapping around a small ring", async () => {
    const entries = tree();
    const readAhead = new ReadAhead(entries, RING);
    const workerData: DepmodWorkerData = { next: new Int32Array(new SharedArrayBuffer(4)) };
    const worker = new Worker(path.join(__dirname, "..", "..", "src", "pack", "depmod-worker.js"), { workerData });
    try {
      // At its normal priority, and given time before each file: it keeps ahead, waiting for room.
      worker.postMessage({ kind: "read", ...readAhead.request(DEPMOD_SECTIONS, false) } satisfies DepmodWorkerRequest);
      await sleep(500);
      const own = new ReusableReader();
      for (const entry of entries) {
        await sleep(5);
        const expected = outcome(() => own.readSections(entry, DEPMOD_SECTIONS));
        const actual = outcome(() => readAhead.readSections(entry, DEPMOD_SECTIONS));
        assert.deepEqual(actual, expected, entry.absolute);
      }
      readAhead.close();
      assert.ok(readAhead.readByWorker > entries.length / 4, `the worker read ${readAhead.readByWorker} of ${entries.length}`);
    } finally {
      await worker.terminate();
    }
  });

  it("reads every file itself when no worker is there", () => {
    const entries = tree();
    const readAhead = new ReadAhead(entries, RING);
    const own = new ReusableReader();
    for (const entry of entries) assert.deepEqual(outcome(() => readAhead.readSections(entry, DEPMOD_SECTIONS)), outcome(() => own.readSections(entry, DEPMOD_SECTIONS)));
    assert.equal(readAhead.readByWorker, 0);
  });
});
