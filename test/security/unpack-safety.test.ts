import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { buildModule } from "../helpers/elf-builder";
import { packTree } from "../helpers/pack";
import { CLI, tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { smallTree } from "../helpers/small-tree";
import { writeTree } from "../helpers/tree";

/** Issue 15 findings 4, 5 and 6, and issue 9 item 4: what unpack writes, and where. */
let small: string;

before(async () => {
  small = await packTree(smallTree());
});

function oneLine(result: { status: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.status, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], message);
}

/** The bundle with the cpio header of member `name` changed (a field no checksum covers). */
function editHeader(bundle: Buffer, name: string, field: "mode" | "nlink", value: number): Buffer {
  const out = Buffer.from(bundle);
  const at = out.indexOf(Buffer.from(`${name}\0`, "latin1")) - 110;
  assert.equal(out.toString("latin1", at, at + 6), "070701", `member ${name}`);
  const offset = at + 6 + (field === "mode" ? 1 : 4) * 8;
  out.write(value.toString(16).padStart(8, "0"), offset, "latin1");
  return out;
}

function writeBundle(bytes: Buffer): string {
  const file = path.join(tempDir("unpack-bundle"), "b");
  fs.writeFileSync(file, bytes);
  return file;
}

describe("unpack writes only files it creates (finding 4)", () => {
  for (const kind of ["hard link", "symbolic link"] as const) {
    it(`a ${kind} planted as modules.dep is never written through`, () => {
      const work = tempDir("planted");
      const victim = path.join(work, "victim");
      fs.writeFileSync(victim, "precious\n", { mode: 0o600 });
      const target = path.join(work, "target");
      fs.mkdirSync(target);
      if (kind === "hard link") fs.linkSync(victim, path.join(target, "modules.dep"));
      else fs.symlinkSync(victim, path.join(target, "modules.dep"));
      oneLine(runCli(["unpack", small, target]), /already holds a module tree \(modules\.dep\)/);
      assert.equal(runCli(["unpack", "--force", small, target]).status, 0);
      assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
      assert.equal(fs.statSync(victim).mode & 0o7777, 0o600);
      assert.ok(fs.lstatSync(path.join(target, "modules.dep")).isFile());
      assert.match(fs.readFileSync(path.join(target, "modules.dep"), "utf8"), /^kernel\/drivers\/top\.ko:/m);
    });
  }
});

describe("unpack's directories cannot be swapped under it (finding 5)", () => {
  it("a process exchanging kernel/ and a symbolic link in a loop never gets a write outside the target", async () => {
    const tree = smallTree();
    const files: Record<string, Buffer> = {};
    const module = buildModule({ modinfo: ["license=GPL"] });
    for (let i = 0; i < 300; i++) files[`kernel/d${i % 7}/e${i % 3}/m${i}.ko`] = module;
    writeTree(tree, files);
    const bundle = await packTree(tree);
    const racer = `
      const fs = require("node:fs");
      const [target, outside] = process.argv.slice(1);
      const dir = target + "/kernel", aside = target + "/kernel.real";
      for (;;) {
        try { fs.renameSync(dir, aside); } catch { continue; }
        try { fs.symlinkSync(outside, dir); } catch {}
        try { fs.unlinkSync(dir); } catch {}
        try { fs.renameSync(aside, dir); } catch {}
      }`;
    let failures = 0;
    for (let round = 0; round < 15; round++) {
      const work = tempDir("race");
      const target = path.join(work, "target");
      const outside = path.join(work, "outside");
      fs.mkdirSync(outside);
      fs.mkdirSync(path.join(target, "kernel"), { recursive: true });
      const child = spawn(process.execPath, ["-e", racer, target, outside], { stdio: "ignore" });
      try {
        const result = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const run = spawn(process.execPath, [CLI, "unpack", "--force", bundle, target], {
            env: { ...process.env, MODBUNDLE_NO_SYSCALLS: "1" },
          });
          let stderr = "";
          run.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("latin1")));
          run.once("close", (status) => resolve({ status, stderr }));
        });
        if (result.status !== 0) {
          failures++;
          assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
          assert.match(result.stderr, /^modbundle: ERROR: /);
        }
      } finally {
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
      }
      assert.deepEqual(fs.readdirSync(outside), [], `round ${round}: something was written outside the target`);
    }
    // Rounds that met the racer end in a refusal (one line); none may have written outside.
    process.stderr.write(`# unpack race: ${failures} of 15 rounds refused\n`);
  });
});

describe("unpack's permission bits and hand-made archives (finding 6, issue 9 item 4)", () => {
  it("setuid, setgid and world-writable bits: verify reports them, unpack does not apply them", () => {
    const file = writeBundle(editHeader(fs.readFileSync(small), "kernel/lib/mid.ko", "mode", 0o106777));
    oneLine(runCli(["verify", file]), /member kernel\/lib\/mid\.ko: mode 6777 has setuid, setgid, sticky or world-writable bits \(6002\), which unpack does not apply/);
    const target = path.join(tempDir("modes"), "t");
    assert.equal(runCli(["unpack", file, target]).status, 0);
    assert.equal(fs.statSync(path.join(target, "kernel/lib/mid.ko")).mode & 0o7777, 0o775);
  });

  for (const [kind, mode] of [["symbolic link", 0o120777], ["character device", 0o020644], ["FIFO", 0o010644], ["block device", 0o060644]] as const) {
    it(`a member whose header says ${kind} is refused, nothing created`, () => {
      const file = writeBundle(editHeader(fs.readFileSync(small), "kernel/lib/mid.ko", "mode", mode));
      const target = path.join(tempDir("kind"), "t");
      oneLine(runCli(["unpack", file, target]), /member kernel\/lib\/mid\.ko: cpio header disagrees with the index/);
      assert.equal(fs.existsSync(path.join(target, "kernel/lib/mid.ko")), false);
    });
  }

  it("a hard-link count and a directory member turned into a link are neutralised", () => {
    let bytes = editHeader(fs.readFileSync(small), "kernel/lib/mid.ko", "nlink", 2);
    bytes = editHeader(bytes, "kernel/lib", "mode", 0o120777);
    const target = path.join(tempDir("neutral"), "t");
    assert.equal(runCli(["unpack", writeBundle(bytes), target]).status, 0);
    assert.ok(fs.lstatSync(path.join(target, "kernel/lib")).isDirectory());
    const stat = fs.lstatSync(path.join(target, "kernel/lib/mid.ko"));
    assert.ok(stat.isFile());
    assert.equal(stat.nlink, 1);
  });

  it("a member whose cpio name differs from the index's path is refused", () => {
    const bytes = Buffer.from(fs.readFileSync(small));
    const at = bytes.indexOf(Buffer.from("kernel/lib/mid.ko\0"));
    bytes.write("kernel/lib/mad.ko", at, "latin1");
    const target = path.join(tempDir("renamed"), "t");
    oneLine(runCli(["unpack", writeBundle(bytes), target]), /member kernel\/lib\/mid\.ko: cpio header disagrees with the index \(name "kernel\/lib\/mad\.ko"/);
    assert.equal(fs.existsSync(path.join(target, "kernel/lib/mad.ko")), false);
  });
});
