import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { FakeKernel, FakeKernelOptions } from "../../src/kernel/fake-kernel";
import { runModprobe } from "../../src/modprobe/run";
import { runInProcess } from "../helpers/inprocess";
import { kernelModule } from "../helpers/kernel-module";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";

/**
 * Parallel loading against the fake kernel with load delays: a module that starts loading before
 * the modules whose symbols it needs are live fails with ENOENT there, so a run that succeeds
 * proves the order; the kernel's record of starts and ends proves the overlap and the softdep
 * order. The tree:
 *   base <- left, right (each needs base); top needs left and right; slow (independent, 60 ms);
 *   solo, other (independent); top has softdeps pre: solo, post: other; alias "combo" = top.
 */
const VERSION = "6.1.0-fake";
let bundle: string;
let root: string;
let config: string;

const DEPENDS: Record<string, readonly string[]> = { base: [], left: ["base"], right: ["base"], top: ["left", "right", "base"], slow: [], solo: [], other: [] };

before(async () => {
  const dir = path.join(tempDir("par"), VERSION);
  writeTree(dir, {
    "kernel/lib/base.ko": kernelModule("base", { exports: [{ name: "base_fn" }] }),
    "kernel/lib/left.ko": kernelModule("left", { exports: [{ name: "left_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/lib/right.ko": kernelModule("right", { exports: [{ name: "right_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/drivers/top.ko": kernelModule("top", { needs: [{ name: "left_fn" }, { name: "right_fn" }], modinfo: ["alias=combo", "softdep=pre: solo post: other"] }),
    "kernel/drivers/slow.ko": kernelModule("slow", {}),
    "kernel/drivers/solo.ko": kernelModule("solo", {}),
    "kernel/drivers/other.ko": kernelModule("other", {}),
    "modules.order": ["base", "left", "right"].map((m) => `kernel/lib/${m}.ko\n`).join("") + ["top", "slow", "solo", "other"].map((m) => `kernel/drivers/${m}.ko\n`).join(""),
  });
  bundle = await packTree(dir);
  root = tempDir("root");
  config = tempDir("conf");
});

function kernel(options: FakeKernelOptions = {}): FakeKernel {
  return new FakeKernel({ loadDelay: (name) => (name === "slow" ? 60 : 15), ...options });
}

function modprobe(k: FakeKernel, args: readonly string[], options: { config?: string; commandStatus?: (c: string) => number } = {}) {
  return runInProcess(runModprobe, ["--bundle", bundle, "-C", options.config ?? config, "-d", root, "-S", VERSION, ...args], { kernel: k, commandStatus: options.commandStatus });
}

/** Each module's start comes after every module it needs has become live. */
function assertDependencyOrder(k: FakeKernel): void {
  const live = new Set<string>();
  for (const e of k.events) {
    if (e.event === "live") live.add(e.name);
    if (e.event === "start") for (const dep of DEPENDS[e.name] ?? []) assert.ok(live.has(dep), `${e.name} started before ${dep} was live: ${JSON.stringify(k.events)}`);
  }
}

function loadCounts(k: FakeKernel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of k.calls) if (c.op === "load" && c.name) counts[c.name] = (counts[c.name] ?? 0) + 1;
  return counts;
}

describe("modprobe -a in parallel (fake kernel with load delays)", () => {
  it("starts loading the first name's modules while the later names are still being planned", async () => {
    const order: string[] = [];
    class Watched extends FakeKernel {
      override initstate(name: string): ReturnType<FakeKernel["initstate"]> {
        if (name === "solo" && !order.includes("plan solo")) order.push("plan solo");
        return super.initstate(name);
      }
    }
    const k = new Watched({ loadDelay: (name) => (order.push(`start ${name}`), 15) });
    const result = await modprobe(k, ["-j", "4", "-a", "slow", "solo"]);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    const startSlow = order.indexOf("start slow");
    assert.ok(startSlow >= 0 && startSlow < order.indexOf("plan solo"), order.join(", "));
    assert.deepEqual(k.loadedNames().sort(), ["slow", "solo"]);
  });

  it("loads independent modules at the same time, each after what it needs", { timeout: 10_000 }, async () => {
    // slow finishes only once top is live: with round barriers (or one load at a time) the run
    // would never end.
    let topLive: () => void = () => undefined;
    const topIsLive = new Promise<void>((resolve) => (topLive = resolve));
    const k = kernel({ loadDelay: (name) => (name === "slow" ? topIsLive : 15), onLive: (name) => name === "top" && topLive() });
    const result = await modprobe(k, ["-j", "4", "-a", "top", "slow"]);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    assertDependencyOrder(k);
    assert.deepEqual(k.loadedNames().sort(), ["base", "left", "other", "right", "slow", "solo", "top"]);
    assert.ok(k.maxInFlight >= 2, `loads never overlapped (at most ${k.maxInFlight} at once)`);
    assert.ok(k.maxInFlight <= 4);
    const order = k.events.filter((e) => e.event === "live").map((e) => e.name);
    assert.ok(order.indexOf("top") < order.indexOf("slow"), order.join(" "));
  });

  it("never has more than -j loads in flight", async () => {
    const k = kernel();
    assert.equal((await modprobe(k, ["-j", "2", "-a", "top", "slow"])).status, 0);
    assert.equal(k.maxInFlight, 2);
    const env = { PATH: process.env.PATH, MODBUNDLE_JOBS: "3" };
    const k3 = kernel();
    const viaEnv = await runInProcess(runModprobe, ["--bundle", bundle, "-C", config, "-d", root, "-S", VERSION, "-a", "top", "slow"], { kernel: k3, env });
    assert.equal(viaEnv.status, 0);
    assert.equal(k3.maxInFlight, 3);
  });

  it("loads one module at a time when the kernel cannot load side by side (no stub, mapping refused)", async () => {
    const k = Object.assign(kernel(), { parallelLoads: () => undefined });
    const result = await modprobe(k, ["-j", "4", "-a", "top", "slow"]);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    assert.equal(k.maxInFlight, 1);
    assertDependencyOrder(k);
  });

  it("loads a pre-softdep before its module starts, a post-softdep after it is live", async () => {
    const k = kernel();
    assert.equal((await modprobe(k, ["-j", "8", "top"])).status, 0);
    const at = (event: string, name: string): number => k.events.findIndex((e) => e.event === event && e.name === name);
    assert.ok(at("live", "solo") < at("start", "top"), JSON.stringify(k.events));
    assert.ok(at("live", "top") < at("start", "other"), JSON.stringify(k.events));
  });

  it("loads a module once, however many names and users lead to it", async () => {
    const k = kernel();
    const result = await modprobe(k, ["-j", "4", "-a", "top", "combo", "left", "right", "base", "top"]);
    assert.deepEqual([result.status, result.stderr], [0, ""]);
    assert.deepEqual(loadCounts(k), { base: 1, left: 1, right: 1, solo: 1, top: 1, other: 1 });
  });

  it("a failing dependency stops only what needs it", async () => {
    const k = kernel();
    k.failLoad("left", "EINVAL");
    const result = await modprobe(k, ["-j", "4", "-a", "top", "right", "slow"]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "modprobe: ERROR: could not insert 'top': Invalid argument\n");
    // kmod would have stopped top's whole plan at left; here only what needs left is stopped:
    // top, and top's post-softdep other, which kmod never reaches after a failure before it.
    assert.deepEqual(k.loadedNames().sort(), ["base", "right", "slow", "solo"]);
    assert.equal(loadCounts(k).top, undefined, "top was loaded although left failed");
  });

  it("loads a post-softdep named on its own although the module naming it failed, as -j 1 does", async () => {
    // kmod stops top's plan at top's failure, before its post-softdep other, then loads other
    // for the second name.
    const runs = await Promise.all(["1", "4"].map(async (jobs) => {
      const k = kernel();
      k.failLoad("top", "EINVAL");
      const result = await modprobe(k, ["-j", jobs, "-a", "top", "other"]);
      return { status: result.status, stderr: result.stderr, loaded: k.loadedNames().sort() };
    }));
    assert.deepEqual(runs[0], { status: 1, stderr: "modprobe: ERROR: could not insert 'top': Invalid argument\n", loaded: ["base", "left", "other", "right", "solo"] });
    assert.deepEqual(runs[1], runs[0]);
  });

  it("gives kmod's messages: unknown symbol, --first-time, not found", async () => {
    const k = kernel();
    k.failLoad("slow", "ENOENT");
    await modprobe(k, ["-j", "1", "solo"]);
    const result = await modprobe(k, ["-j", "4", "--first-time", "-a", "slow", "solo", "nosuch", "base"]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `modprobe: WARNING: Module nosuch not found in bundle ${bundle}\n` +
        "modprobe: ERROR: could not insert 'slow': Unknown symbol in module, or unknown parameter (see dmesg)\n" +
        "modprobe: ERROR: could not insert 'solo': Module already in kernel\n",
    );
    assert.deepEqual(k.loadedNames().sort(), ["base", "solo"]);
  });

  it("prints the same -v lines as -j 1 and leaves the same state", async () => {
    const one = kernel();
    const sequential = await modprobe(one, ["-j", "1", "-v", "-a", "top", "slow"]);
    const many = kernel();
    const parallel = await modprobe(many, ["-j", "4", "-v", "-a", "top", "slow"]);
    assert.equal(parallel.status, sequential.status);
    assert.equal(parallel.stderr, sequential.stderr);
    const lines = (text: string): string[] => text.split("\n").sort();
    assert.deepEqual(lines(parallel.stdout), lines(sequential.stdout));
    assert.deepEqual(many.loadedModules().map((m) => [m.name, [...m.holders].sort()]).sort(), one.loadedModules().map((m) => [m.name, [...m.holders].sort()]).sort());
  });

  it("runs install commands one at a time, in kmod's order", async () => {
    const conf = tempDir("conf");
    fs.writeFileSync(path.join(conf, "i.conf"), "install slow /bin/setup-slow\ninstall base /bin/setup-base\n");
    const k = kernel();
    const result = await modprobe(k, ["-j", "4", "-a", "slow", "left"], { config: conf });
    assert.equal(result.status, 1, "base's command loads nothing, so left cannot resolve base_fn");
    assert.deepEqual(result.commands.map((c) => c.command), ["/bin/setup-slow", "/bin/setup-base"]);
    assert.equal(result.stderr, "modprobe: ERROR: could not insert 'left': Unknown symbol in module, or unknown parameter (see dmesg)\n");
  });

  it("rejects a -j or MODBUNDLE_JOBS that is not a positive number", async () => {
    for (const [args, env, text] of [
      [["-j", "0", "top"], undefined, "invalid jobs value '0'."],
      [["top"], { MODBUNDLE_JOBS: "many" }, "invalid MODBUNDLE_JOBS value 'many'."],
    ] as const) {
      const result = await runInProcess(runModprobe, ["--bundle", bundle, "-d", root, ...args], { kernel: kernel(), env: { PATH: process.env.PATH, ...env } });
      assert.deepEqual([result.status, result.stderr], [1, `modprobe: ERROR: ${text}\n`]);
    }
  });
});
