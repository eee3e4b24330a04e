import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { describe, it } from "node:test";
import { compress } from "../../src/compress/compress";
import { createExclusive, removeStaleTemporaries } from "../../src/io/exclusive";
import { pack } from "../../src/pack/pack";
import { buildModule } from "../helpers/elf-builder";
import { CLI, kernelFixture, tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";
import { writeTree } from "../helpers/tree";

/** Issue 15 findings 1, 7, 8 and 10, and issue 9's pack faults (debris, concurrent packs). */

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}

function oneLine(result: { status: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.status, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], message);
}

describe("pack's temporary file (finding 1)", () => {
  it("a link planted at the old predictable name is not written through", async () => {
    const work = tempDir("plant");
    const victim = path.join(work, "victim");
    fs.writeFileSync(victim, "precious\n");
    const out = path.join(work, "out");
    fs.symlinkSync(victim, path.join(work, `.out.${process.pid}.tmp`));
    await pack({ moduleDir: smallTree(), output: out, compression: "keep", kernelVersion: SMALL_VERSION });
    assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
    assert.ok(fs.lstatSync(out).isFile());
  });

  it("exclusive creation refuses a planted symbolic link, dangling link and hard link", () => {
    const work = tempDir("excl");
    const victim = path.join(work, "victim");
    fs.writeFileSync(victim, "precious\n");
    fs.symlinkSync(victim, path.join(work, "sym"));
    fs.symlinkSync(path.join(work, "nowhere"), path.join(work, "dangling"));
    fs.linkSync(victim, path.join(work, "hard"));
    for (const name of ["sym", "dangling", "hard"]) {
      assert.throws(() => createExclusive(path.join(work, name), 0o644), { code: "EEXIST" });
    }
    assert.equal(fs.existsSync(path.join(work, "nowhere")), false);
    assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
  });

  it("the next pack removes the temporaries of dead packs, and only those", async () => {
    const work = tempDir("debris");
    const out = path.join(work, "out");
    const dead = `.out.modbundle-${deadPid()}-0123456789abcdef.tmp`;
    const live = `.out.modbundle-${process.pid}-0123456789abcdef.tmp`;
    const other = `.other.modbundle-${deadPid()}-0123456789abcdef.tmp`;
    for (const name of [dead, live, other]) fs.writeFileSync(path.join(work, name), "partial");
    const victim = path.join(work, "victim");
    fs.writeFileSync(victim, "precious\n");
    const deadLink = `.out.modbundle-${deadPid()}-fedcba9876543210.tmp`;
    fs.symlinkSync(victim, path.join(work, deadLink));
    await pack({ moduleDir: smallTree(), output: out, compression: "keep", kernelVersion: SMALL_VERSION });
    assert.deepEqual(fs.readdirSync(work).sort(), [deadLink, live, other, "out", "victim"].sort());
    assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
    removeStaleTemporaries(out); // idempotent
  });

  it("a pack killed half-way leaves a temporary that the next pack removes", async (t) => {
    const fixture = kernelFixture(t, "amd64");
    if (!fixture) return;
    const work = tempDir("killed");
    const out = path.join(work, "out");
    const child = spawn(process.execPath, [CLI, "pack", fixture.moduleDir, "-o", out], { stdio: "ignore" });
    const deadline = Date.now() + 60_000;
    while (!fs.readdirSync(work).some((n) => n.endsWith(".tmp") && fs.statSync(path.join(work, n)).size > 1 << 20) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    assert.equal(fs.readdirSync(work).filter((n) => n.endsWith(".tmp")).length, 1, "the killed pack left its temporary");
    assert.equal(fs.existsSync(out), false);
    assert.equal(runCli(["pack", smallTree(), "-o", out]).status, 0);
    assert.deepEqual(fs.readdirSync(work), ["out"]);
  });

  it("two packs to one target at once end with one complete bundle", async () => {
    const work = tempDir("race");
    const treeA = smallTree();
    const treeB = smallTree();
    writeTree(treeB, { "kernel/extra/big.ko": buildModule({ modinfo: ["description=" + "x".repeat(1 << 20)] }) });
    const refA = path.join(work, "a");
    const refB = path.join(work, "b");
    assert.equal(runCli(["pack", treeA, "-o", refA]).status, 0);
    assert.equal(runCli(["pack", treeB, "-o", refB]).status, 0);
    const a = fs.readFileSync(refA);
    const b = fs.readFileSync(refB);
    const out = path.join(work, "out");
    for (let round = 0; round < 3; round++) {
      const runs = [treeA, treeB].map((tree) => new Promise<number | null>((resolve) => {
        spawn(process.execPath, [CLI, "pack", tree, "-o", out], { stdio: "ignore" }).once("exit", resolve);
      }));
      assert.deepEqual(await Promise.all(runs), [0, 0]);
      const result = fs.readFileSync(out);
      assert.ok(result.equals(a) || result.equals(b), "the target is one of the two bundles, whole");
      assert.equal(runCli(["verify", out]).status, 0);
      assert.deepEqual(fs.readdirSync(work).sort(), ["a", "b", "out"]);
    }
  });
});

describe("pack's support files (finding 7)", () => {
  for (const [kind, plant] of [
    ["a symbolic link out of the tree", (file: string, secret: string) => fs.symlinkSync(secret, file)],
    ["a FIFO", (file: string) => spawnSync("mkfifo", [file])],
  ] as const) {
    it(`modules.builtin that is ${kind} is refused with one line`, () => {
      const tree = smallTree();
      const secret = path.join(tempDir("secret"), "shadow");
      fs.writeFileSync(secret, "root:$6$secret:19000:0:99999:7:::\n");
      fs.rmSync(path.join(tree, "modules.builtin"));
      plant(path.join(tree, "modules.builtin"), secret);
      const out = path.join(tempDir("out"), "b");
      const result = runCli(["pack", tree, "-o", out]);
      oneLine(result, /modules\.builtin: not a regular file \(a (symbolic link|special file)\); refusing to pack it$/);
      assert.equal(fs.existsSync(out), false);
    });
  }
});

describe("--compress renames that collide (finding 8)", () => {
  it("dummy.ko and dummy.ko.xz packed with --compress none: one line, no bundle", () => {
    const tree = smallTree();
    const other = buildModule({ modinfo: ["description=the other one"] });
    writeTree(tree, {
      "kernel/drivers/net/dummy.ko": buildModule({ modinfo: ["description=dummy"] }),
      "kernel/drivers/net/dummy.ko.xz": compress("xz", other, "dummy.ko.xz"),
    });
    const out = path.join(tempDir("collide"), "b");
    const result = runCli(["pack", tree, "--compress", "none", "-o", out]);
    oneLine(result, /dummy\.ko\.xz: would be stored as kernel\/drivers\/net\/dummy\.ko, as .*dummy\.ko already is \(--compress none\)/);
    assert.equal(fs.existsSync(out), false);
  });
});

describe("only regular files and block devices are opened (finding 10)", () => {
  it("a FIFO, a socket or a character device as a bundle or module file: one line at once", async () => {
    const work = tempDir("special");
    const fifo = path.join(work, "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const socket = path.join(work, "socket");
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      for (const file of [fifo, "/dev/null", "/dev/zero"]) {
        for (const args of [["list", file], ["verify", file], ["modprobe", "--bundle", file, "-S", SMALL_VERSION, "-D", "top"]]) {
          const started = Date.now();
          const result = runCli(args);
          oneLine(result, /: Not a regular file or block device$/);
          assert.ok(Date.now() - started < 15_000);
        }
        oneLine(runCli(["modinfo", file]), /modinfo: ERROR: /);
        oneLine(runCli(["insmod", file]), /insmod: ERROR: could not insert module/);
      }
      // A socket cannot be opened at all (ENXIO): one line too.
      oneLine(runCli(["list", socket]), /socket: /);
    } finally {
      server.close();
    }
  });
});
