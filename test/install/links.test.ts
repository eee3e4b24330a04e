import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CLI, tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";

describe("modbundle link", () => {
  it("creates the five links, each runs as its command, and a second run changes nothing", () => {
    const dir = tempDir("links");
    const first = runCli(["link", dir]);
    assert.equal(first.status, 0, first.stderr);
    const program = fs.realpathSync(CLI);
    for (const name of ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"]) {
      assert.equal(fs.readlinkSync(path.join(dir, name)), program);
      assert.match(first.stdout, new RegExp(`${name} -> .* \\(created\\)`));
    }
    const version = spawnSync(path.join(dir, "modprobe"), ["-V"], { encoding: "latin1" });
    assert.match(version.stdout, /^kmod version \d+ \(modbundle/);
    const help = spawnSync(path.join(dir, "modprobe"), ["-h"], { encoding: "latin1" });
    assert.match(help.stdout, /^Usage:\n\tmodprobe \[options\]/);
    const again = runCli(["link", dir]);
    assert.equal(again.status, 0);
    assert.equal((again.stdout.match(/\(unchanged\)/g) ?? []).length, 5);
  });

  it("refuses to replace a file that is not a link to modbundle, unless --force", () => {
    const dir = tempDir("links");
    fs.writeFileSync(path.join(dir, "lsmod"), "#!/bin/sh\necho theirs\n");
    const refused = runCli(["link", dir]);
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr, `modbundle: ERROR: ${path.join(dir, "lsmod")} exists and is not a link to modbundle (use --force to replace it)\n`);
    assert.deepEqual(fs.readdirSync(dir), ["lsmod"], "nothing was created");
    const forced = runCli(["link", "--force", dir]);
    assert.equal(forced.status, 0);
    assert.match(forced.stdout, /lsmod -> .* \(replaced\)/);
    assert.equal(fs.readlinkSync(path.join(dir, "lsmod")), fs.realpathSync(CLI));
  });

  it("reports a missing directory in one line", () => {
    const result = runCli(["link", "/nonexistent/dir"]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "modbundle: ERROR: /nonexistent/dir: No such file or directory\n");
  });
});
