import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { createLinks, planLinks } from "../../src/install/links";
import { CLI, tempDir } from "../helpers/paths";

/**
 * modbundle link under the kernel's fixed PATH: symbolic links when /sbin:/usr/sbin:/bin:/usr/bin
 * finds the node running modbundle (or when modbundle is the single executable), launchers naming
 * that node by absolute path otherwise.
 */
describe("modbundle link and the kernel's PATH", () => {
  const program = fs.realpathSync(CLI);
  const node = fs.realpathSync(process.execPath);

  it("links to the single executable itself, whatever the PATH", () => {
    assert.deepEqual(planLinks(node, { node, searchPath: [] }), { kind: "symlink", target: node });
  });

  it("links to the script when the kernel's PATH finds this node", () => {
    const bin = tempDir("kernel-path");
    fs.symlinkSync(node, path.join(bin, "node"));
    assert.deepEqual(planLinks(program, { node, searchPath: [tempDir("empty"), bin] }), { kind: "symlink", target: program });
  });

  it("writes launchers naming node by absolute path when the kernel's PATH finds another node or none", () => {
    const other = tempDir("other-node");
    fs.writeFileSync(path.join(other, "node"), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
    assert.deepEqual(planLinks(program, { node, searchPath: [other] }), { kind: "launcher", node, script: program });

    const dir = tempDir("launchers");
    const created = createLinks(dir, program, false, { node, searchPath: [other] });
    assert.deepEqual(
      created.map((l) => [l.name, l.action]),
      ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"].map((name) => [name, "created"]),
    );
    const launcher = path.join(dir, "modprobe");
    assert.equal(fs.statSync(launcher).mode & 0o777, 0o755);
    assert.match(fs.readFileSync(launcher, "utf8"), new RegExp(`^#!/bin/sh\n# modbundle launcher: .*\nexec '${node}' '${program}' modprobe "\\$@"\n$`));
    // As the kernel runs it: its own PATH, where `node` is not this node.
    const ran = spawnSync(launcher, ["-V"], { encoding: "latin1", env: { PATH: "/sbin:/usr/sbin:/bin:/usr/bin", HOME: "/", MODBUNDLE_NO_SYSCALLS: "1" } });
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stdout, /^kmod version \d+ \(modbundle/);
    const help = spawnSync(path.join(dir, "lsmod"), ["-h"], { encoding: "latin1", env: { PATH: "/nonexistent" } });
    assert.match(help.stdout, /^Usage: lsmod/);

    const again = createLinks(dir, program, false, { node, searchPath: [other] });
    assert.deepEqual(new Set(again.map((l) => l.action)), new Set(["unchanged"]));
    // Launchers are ours: turning them into links (here: as if the script were the executable) needs no --force.
    const relinked = createLinks(dir, program, false, { node: program });
    assert.deepEqual(new Set(relinked.map((l) => l.action)), new Set(["replaced"]));
    assert.equal(fs.readlinkSync(launcher), program);
  });

  it("does not take a stranger's shell script for a launcher", () => {
    const dir = tempDir("launchers");
    fs.writeFileSync(path.join(dir, "rmmod"), "#!/bin/sh\n# someone else's\nexec true\n");
    assert.throws(() => createLinks(dir, program, false, { node, searchPath: [] }), /rmmod exists and is not a link to modbundle/);
    assert.deepEqual(fs.readdirSync(dir), ["rmmod"]);
  });
});
