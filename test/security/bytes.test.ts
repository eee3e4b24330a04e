import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { argumentBytes, environmentBytes } from "../../src/cli-kit/process-bytes";
import { shellInvocation } from "../../src/cli-kit/shell";
import { openBundle, runCommand } from "../../src/api/index";
import { FakeKernel } from "../../src/kernel/fake-kernel";
import { KmodTree, kmodTree } from "../helpers/kmod";
import { packTree } from "../helpers/pack";
import { CLI, tempDir } from "../helpers/paths";
import { kernelModule } from "../helpers/kernel-module";
import { writeTree } from "../helpers/tree";

const VERSION = "6.1.0-bytes";

/** Three modules the fake kernel accepts: top needs mid needs base. */
function bytesTree(): string {
  const dir = path.join(tempDir("bytes-tree"), VERSION);
  writeTree(dir, {
    "kernel/lib/base.ko": kernelModule("base", { exports: [{ name: "base_fn" }] }),
    "kernel/lib/mid.ko": kernelModule("mid", { exports: [{ name: "mid_fn" }], needs: [{ name: "base_fn" }] }),
    "kernel/drivers/top.ko": kernelModule("top", { needs: [{ name: "mid_fn" }] }),
    "modules.order": "kernel/lib/base.ko\nkernel/lib/mid.ko\nkernel/drivers/top.ko\n",
  });
  return dir;
}

/**
 * Issue 15, finding 9: arguments, $MODPROBE_OPTIONS, modprobe.d, the kernel command line, module
 * parameters and install commands travel as bytes, as kmod passes them. The strings below are
 * byte strings (one character per byte): "\xc3\xa9\xc4\xa0" is 'éĠ' in UTF-8 (U+0120 once became
 * a space on its way to the kernel), "\xff\xe9" is not UTF-8 at all. Processes are started through
 * /bin/sh with shellInvocation, the only way Node can hand a child bytes that are not UTF-8.
 */
const UTF8 = "\xc3\xa9\xc4\xa0";
const RAW = "\xff\xe9";

interface ByteRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function quote(bytes: string): string {
  return `'${bytes.split("'").join("'\\''")}'`;
}

/** Runs argv (byte strings) with env (byte strings), the kernel command line optionally bind-mounted from a file. */
function runBytes(argv: readonly string[], env: Record<string, string>, cmdlineFile?: string): ByteRun {
  const mount = cmdlineFile !== undefined ? `mount --bind ${quote(cmdlineFile)} /proc/cmdline && ` : "";
  const shell = shellInvocation(`${mount}exec ${argv.map(quote).join(" ")}`, env);
  const [program, args] = cmdlineFile !== undefined ? ["unshare", ["-m", "/bin/sh", ...shell.args]] : ["/bin/sh", shell.args];
  const result = spawnSync(program, args, { env: shell.env, encoding: "latin1" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeBytes(file: string, bytes: string): void {
  fs.writeFileSync(Buffer.from(file, "latin1"), Buffer.from(bytes, "latin1"));
}

describe("shell commands and environment values reach /bin/sh as bytes", () => {
  for (const [label, bytes] of [["UTF-8", `a=${UTF8}b`], ["not UTF-8", `a=${RAW}b\\n%s'"`], ["trailing newlines", `x${RAW}\n\n`]] as const) {
    it(`a command and a variable, ${label}`, () => {
      const shell = shellInvocation(`printf %s ${quote(bytes)}; printf '|%s|' "$V"`, { PATH: process.env.PATH, V: bytes });
      const result = spawnSync("/bin/sh", shell.args, { env: shell.env });
      assert.equal(result.status, 0);
      assert.deepEqual(result.stdout, Buffer.from(`${bytes}|${bytes}|`, "latin1"));
    });
  }

  it("a UTF-8 command is handed over as kmod hands it: sh -c COMMAND", () => {
    assert.deepEqual(shellInvocation(`echo ${UTF8}`, { A: UTF8 }), { args: ["-c", "echo éĠ"], env: { A: "éĠ" } });
  });
});

describe("the process's arguments and environment as bytes", () => {
  it("takes /proc/self/cmdline's tail where it agrees with Node's decoding, else Node's text UTF-8 encoded", () => {
    const dir = tempDir("cmdline");
    const file = path.join(dir, "cmdline");
    writeBytes(file, `node\0--opt\0cli.js\0-D\0x=${RAW}\0y=${UTF8}\0`);
    assert.deepEqual(argumentBytes(["-D", "x=\ufffd\ufffd", "y=éĠ"], file), ["-D", `x=${RAW}`, `y=${UTF8}`]);
    // An embedder's own arguments (they disagree with the file): Node's text, UTF-8 encoded.
    assert.deepEqual(argumentBytes(["-R", "éĠ"], file), ["-R", UTF8]);
    assert.deepEqual(argumentBytes(["é"], path.join(dir, "absent")), ["\xc3\xa9"]);
    writeBytes(file, `A=${RAW}\0B=changed\0`);
    assert.deepEqual(environmentBytes({ A: "\ufffd\ufffd", B: "set later", C: "é" }, file), { A: RAW, B: "set later", C: "\xc3\xa9" });
  });
});

describe("modprobe passes bytes as kmod does (differential, read-only modes)", () => {
  let tree: string;
  let kmod: KmodTree;
  let bundle: string;
  let work: string;
  let confDir: string;
  let cmdlineFile: string;

  before(async () => {
    tree = bytesTree();
    kmod = kmodTree(tree, VERSION);
    bundle = await packTree(tree);
    work = tempDir("bytes");
    confDir = `${work}/conf${RAW}`;
    fs.mkdirSync(Buffer.from(confDir, "latin1"));
    writeBytes(
      `${confDir}/bytes.conf`,
      `options base a=${UTF8}b=1 c=${RAW}\ninstall mid /bin/echo ${RAW} ${UTF8} $CMDLINE_OPTS\nalias ${RAW}-alias top\nalias ${UTF8}-alias mid\n`,
    );
    cmdlineFile = path.join(work, "cmdline");
    writeBytes(cmdlineFile, `quiet base.k=${RAW} "mid.m=${UTF8} x" top.t=${UTF8}\n`);
  });

  after(() => {
    kmod?.cleanup();
    if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
    if (tree) fs.rmSync(path.dirname(tree), { recursive: true, force: true });
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const runs: ReadonlyArray<readonly string[]> = [
    ["-D", "base", `x=${RAW}`, `y=${UTF8} z`],
    ["-n", "-v", "mid", `p=${RAW}`],
    ["-D", "top", `q=${UTF8}`],
    ["-R", `${RAW}-alias`],
    ["-R", `${UTF8}-alias`],
    ["-D", `nosuch${RAW}`],
    ["-c"],
  ];
  for (const args of runs) {
    it(`modprobe ${JSON.stringify(args)}, with -C from $MODPROBE_OPTIONS`, () => {
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", MODPROBE_OPTIONS: `-C ${confDir}` };
      const common = ["-d", kmod.base, "-S", VERSION];
      const expected = runBytes(["modprobe", ...common, ...args], env, cmdlineFile);
      const actual = runBytes([process.execPath, CLI, "modprobe", "--bundle", bundle, ...common, ...args], { ...env, MODBUNDLE_NO_SYSCALLS: "1" }, cmdlineFile);
      assert.equal(actual.stdout, expected.stdout, "stdout");
      const kmodStderr = expected.stderr.replace(/^libkmod: ERROR \S+:\d+ \w+: /gm, "modprobe: ERROR: ");
      assert.equal(actual.stderr.split(`in bundle ${bundle}`).join(`in directory ${kmod.dirname}`), kmodStderr, "stderr");
      assert.equal(actual.status, expected.status, "status");
      if (args[0] !== "-R" && args[0] !== "-c" && expected.status === 0) assert.ok(expected.stdout.includes(RAW) || expected.stdout.includes(UTF8), "the scenario shows bytes");
    });
  }

  it("the fake kernel receives exactly the parameters kmod's plan shows, and an install command runs with its bytes", () => {
    const state = path.join(work, "kernel.json");
    const out = path.join(work, "install.out");
    const runDir = `${work}/run${RAW}`;
    fs.mkdirSync(Buffer.from(runDir, "latin1"));
    writeBytes(`${runDir}/run.conf`, `options base a=${UTF8}b=1 c=${RAW}\ninstall mid printf '%s|' ${RAW} ${UTF8} $CMDLINE_OPTS "$MODPROBE_MODULE" > ${out}\n`);
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", MODPROBE_OPTIONS: `-C ${runDir}` };
    const common = ["-d", kmod.base, "-S", VERSION];
    const params = [`x=${RAW}`, `y=${UTF8} z`];
    const plan = runBytes(["modprobe", ...common, "-D", "base", ...params], env, cmdlineFile);
    assert.equal(plan.status, 0, plan.stderr);
    const shown = /^insmod \S+ (.*)$/m.exec(plan.stdout)?.[1];
    assert.ok(shown?.includes(UTF8) && shown.includes(RAW), plan.stdout);

    const ours = { ...env, MODBUNDLE_NO_SYSCALLS: "1", MODBUNDLE_FAKE_KERNEL: state, MODBUNDLE_JOBS: "1" };
    const loaded = runBytes([process.execPath, CLI, "modprobe", "--bundle", bundle, ...common, "base", ...params], ours, cmdlineFile);
    assert.equal(loaded.status, 0, loaded.stderr);
    const kernel = JSON.parse(fs.readFileSync(state, "utf8")) as { modules: Array<{ name: string; params: string }> };
    const base = kernel.modules.find((m) => m.name === "base");
    // The state file keeps each byte as one character: the same byte string.
    assert.equal(base?.params, shown);

    const installed = runBytes([process.execPath, CLI, "modprobe", "--bundle", bundle, ...common, "mid", `p=${RAW}`], ours, cmdlineFile);
    assert.equal(installed.status, 0, installed.stderr);
    assert.deepEqual(fs.readFileSync(out), Buffer.from(`${RAW}|${UTF8}|m=${UTF8} x|p=${RAW}|mid|`, "latin1"));

    // $MODPROBE_MODULE holding bytes that are not UTF-8 (a name only the configuration knows).
    writeBytes(`${runDir}/virtual.conf`, `install v${RAW} printf '%s|' "$MODPROBE_MODULE" $CMDLINE_OPTS > ${out}\n`);
    const virtual = runBytes([process.execPath, CLI, "modprobe", "--bundle", bundle, ...common, `v${RAW}`, `w=${UTF8}`], ours, cmdlineFile);
    assert.equal(virtual.status, 0, virtual.stderr);
    assert.deepEqual(fs.readFileSync(out), Buffer.from(`v${RAW}|w=${UTF8}|`, "latin1"));
  });

  it("modinfo reads a module by a path that is not UTF-8 and prints it as kmod does", () => {
    const dir = `${work}/mod${RAW}`;
    fs.mkdirSync(Buffer.from(dir, "latin1"));
    fs.copyFileSync(path.join(tree, "kernel/lib/base.ko"), Buffer.from(`${dir}/base.ko`, "latin1"));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    for (const args of [[`${dir}/base.ko`], ["-F", "filename", `${dir}/base.ko`], ["-b", kmod.base, "-k", VERSION, `nosuch${RAW}`]]) {
      const expected = runBytes(["modinfo", ...args], env);
      const actual = runBytes([process.execPath, CLI, "modinfo", ...args], env);
      assert.equal(actual.stdout, expected.stdout, `stdout of ${JSON.stringify(args)}`);
      assert.equal(actual.stderr, expected.stderr, `stderr of ${JSON.stringify(args)}`);
      assert.equal(actual.status, expected.status);
    }
  });

  it("insmod hands the kernel its parameters byte for byte, from a path that is not UTF-8", () => {
    const state = path.join(work, "insmod-kernel.json");
    const dir = `${work}/ins${RAW}`;
    fs.mkdirSync(Buffer.from(dir, "latin1"));
    fs.copyFileSync(path.join(tree, "kernel/lib/base.ko"), Buffer.from(`${dir}/base.ko`, "latin1"));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", MODBUNDLE_NO_SYSCALLS: "1", MODBUNDLE_FAKE_KERNEL: state };
    const result = runBytes([process.execPath, CLI, "insmod", `${dir}/base.ko`, `a=${UTF8}b=1`, `c=${RAW}`], env);
    assert.equal(result.status, 0, result.stderr);
    const kernel = JSON.parse(fs.readFileSync(state, "utf8")) as { modules: Array<{ name: string; params: string }> };
    assert.equal(kernel.modules.find((m) => m.name === "base")?.params, `a=${UTF8}b=1 c=${RAW}`);
  });

  it("the API UTF-8 encodes its callers' strings: the kernel gets 'éĠ' as C3 A9 C4 A0", async () => {
    const kernel = new FakeKernel();
    const result = await runCommand("modprobe", ["--bundle", bundle, "-d", kmod.base, "-S", VERSION, "base", "x=éĠ"], { kernel, kernelCmdline: "base.k=é", env: { PATH: process.env.PATH } });
    assert.equal(result.status, 0, result.stderr);
    const load = kernel.calls.find((call) => call.op === "load");
    assert.equal(load?.op === "load" ? load.params : undefined, `k=\xc3\xa9 x=${UTF8}`);
    const opened = openBundle(bundle, { kernelCmdline: "base.k=é" });
    try {
      assert.equal(opened.loadPlan("base", "x=éĠ").at(-1)?.parameters, `k=\xc3\xa9 x=${UTF8}`);
    } finally {
      opened.close();
    }
  });

  it("modprobe -s sends its messages to syslog with their bytes", () => {
    const bin = path.join(work, "bin");
    const log = path.join(work, "syslog");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "logger"), `#!/bin/sh\necho "$*" >> '${log}'\ncat >> '${log}'\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, MODBUNDLE_NO_SYSCALLS: "1" };
    const result = runBytes([process.execPath, CLI, "modprobe", "-s", "--bundle", bundle, "-d", kmod.base, "-S", VERSION, "-D", `nosuch${RAW}`], env);
    assert.equal(result.status, 1);
    assert.equal(fs.readFileSync(log, "latin1"), `-t modprobe -p daemon.crit\nFATAL: Module nosuch${RAW} not found in bundle ${bundle}\n`);
  });
});
