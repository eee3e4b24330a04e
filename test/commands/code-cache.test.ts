import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { cacheFileOf, cacheKeyLine, createCodeCache, createTrainedCodeCache, loadOwnModule, startOwnWorker, wrapAsOwnModule } from "../../src/code-cache";
import { REPO_ROOT, tempDir } from "../helpers/paths";

/** An own module as the build writes one: key line, then the CommonJS text wrapped as Node would. */
function writeModule(dir: string, name: string, commonJs: string): string {
  const file = path.join(dir, `${name}.js`);
  const body = wrapAsOwnModule(commonJs);
  fs.writeFileSync(file, cacheKeyLine(body) + body);
  return file;
}

/** The size of `file`'s cache of every function, made in a fresh process (V8 would reuse a script this one compiled). */
function eagerCacheSize(file: string): number {
  const loader = path.join(REPO_ROOT, "build", "src", "code-cache.js");
  const script = `const fs = require("node:fs"); process.stdout.write(String(require(${JSON.stringify(loader)}).createCodeCache(fs.readFileSync(${JSON.stringify(file)}, "utf8"), ${JSON.stringify(file)}).length))`;
  return Number(spawnSync(process.execPath, ["-e", script], { encoding: "utf8" }).stdout);
}

describe("code cache", () => {
  it("a file loads through its cache and behaves as compiled", () => {
    const dir = tempDir("code-cache");
    const file = writeModule(dir, "answer", "exports.answer = (x) => x * 2; exports.file = __filename;");
    fs.writeFileSync(cacheFileOf(file), createCodeCache(fs.readFileSync(file, "utf8"), file));
    const loaded = loadOwnModule<{ answer: (x: number) => number; file: string }>(file);
    assert.equal(loaded.answer(21), 42);
    assert.equal(loaded.file, file);
    assert.equal(loadOwnModule(file), loaded, "a second load returns the same exports");
  });

  it("a cache made for other contents is not used: the file's own code runs", () => {
    const dir = tempDir("code-cache");
    const file = writeModule(dir, "value", "exports.value = 'old';");
    const stale = createCodeCache(fs.readFileSync(file, "utf8"), file);
    // Same length, other contents: V8 alone would take the stale cache.
    writeModule(dir, "value", "exports.value = 'new';");
    fs.writeFileSync(cacheFileOf(file), stale);
    assert.equal(loadOwnModule<{ value: string }>(file).value, "new");
  });

  it("a worker thread runs its script through the script's cache", async () => {
    const dir = tempDir("code-cache");
    const body = 'require("node:worker_threads").parentPort.postMessage("compiled A");';
    const file = writeModule(dir, "thread", body);
    fs.writeFileSync(cacheFileOf(file), createCodeCache(fs.readFileSync(file, "utf8"), file));
    // Other code of the same length under the same key line: only a thread that took the cache
    // runs the first text (V8 checks a cache against the source's length alone).
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("compiled A", "compiled B"));
    const worker = startOwnWorker(file);
    const said = await new Promise<unknown>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await worker.terminate();
    assert.equal(said, "compiled A");
  });

  it("a file without a key line or with a damaged cache loads as usual", () => {
    const dir = tempDir("code-cache");
    const plain = path.join(dir, "plain.js");
    fs.writeFileSync(plain, "exports.ok = true;");
    fs.writeFileSync(cacheFileOf(plain), "garbage");
    assert.equal(loadOwnModule<{ ok: boolean }>(plain).ok, true);
    const keyed = writeModule(dir, "keyed", "exports.ok = 1;");
    fs.writeFileSync(cacheFileOf(keyed), Buffer.concat([Buffer.from(fs.readFileSync(keyed, "latin1").split("\n")[0] + "\n", "latin1"), Buffer.alloc(64, 0xa5)]));
    assert.equal(loadOwnModule<{ ok: number }>(keyed).ok, 1);
  });

  it("a trained cache holds the functions its training compiled; the others compile when called", async () => {
    const dir = tempDir("code-cache");
    const unused = Array.from({ length: 40 }, (_, i) => `exports.unused${i} = (x) => { let s = 0; for (let k = 0; k < x; k++) s += k * ${i}; return [s, ${i}, "${"u".repeat(i)}"]; };`).join("\n");
    const file = writeModule(dir, "trained", `exports.used = (x) => x + 1;\n${unused}`);
    let trainedWith: unknown;
    const trained = await createTrainedCodeCache(file, async (exports) => {
      trainedWith = (exports as { used: (x: number) => number }).used(1);
    });
    assert.equal(trainedWith, 2, "training runs the module's code");
    const eager = eagerCacheSize(file);
    assert.ok(trained.length < eager / 2, `trained ${trained.length} bytes, eager ${eager}`);
    fs.writeFileSync(cacheFileOf(file), trained);
    // In a fresh process: this one has compiled the file, and V8 would reuse that.
    const loader = JSON.stringify(path.join(REPO_ROOT, "build", "src", "code-cache.js"));
    const check = `const c = require(${loader}); const m = c.loadOwnModule(${JSON.stringify(file)});
      process.stdout.write(JSON.stringify([c.codeCacheAccepted(${JSON.stringify(file)}), m.used(41), m.unused3(3)]));`;
    assert.equal(spawnSync(process.execPath, ["-e", check], { encoding: "utf8" }).stdout, JSON.stringify([true, 42, [9, 3, "uuu"]]));
  });

  it("the build trains modprobe's cache on its common runs: smaller than the cache of every function", () => {
    const file = path.join(REPO_ROOT, "dist", "commands", "modprobe.js");
    const built = fs.statSync(cacheFileOf(file)).size;
    const eager = eagerCacheSize(file);
    assert.ok(built < eager * 0.8, `built ${built} bytes, every function ${eager}`);
  });

  it("each architecture has its own cache file (V8 does not check the CPU a cache was made for)", () => {
    assert.equal(cacheFileOf("/d/modprobe.js", "arm64"), "/d/modprobe.arm64.cache");
    assert.equal(cacheFileOf("/d/modprobe.js", "x64"), "/d/modprobe.x64.cache");
    assert.equal(cacheFileOf("/d/modprobe.js"), `/d/modprobe.${process.arch}.cache`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, "dist", "commands", `modprobe.${process.arch}.cache`)), "the build writes this architecture's cache");
  });

  it("every built command file has a cache that V8 accepts in a fresh process", () => {
    const files = ["commands/modprobe.js", "commands/insmod.js", "commands/rmmod.js", "commands/lsmod.js", "commands/modinfo.js", "commands/tools.js", "kernel/factory.js", "kernel/ffi.js", "io/remote-source.js", "resolve/directory-lookup.js", "modprobe/batch-insert.js", "modprobe/modversions.js"];
    const loader = path.join(REPO_ROOT, "build", "src", "code-cache.js");
    for (const relative of files) {
      const file = path.join(REPO_ROOT, "dist", relative);
      const check = `process.exitCode = require(${JSON.stringify(loader)}).codeCacheAccepted(${JSON.stringify(file)}) ? 0 : 1`;
      assert.equal(spawnSync(process.execPath, ["-e", check]).status, 0, `${relative}: cache missing or rejected`);
    }
  });
});
