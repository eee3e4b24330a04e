import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { compress } from "../../src/compress/compress";
import { buildModule } from "../helpers/elf-builder";
import { packTree } from "../helpers/pack";
import { CLI, tempDir } from "../helpers/paths";
import { singleExecutable } from "../helpers/sea";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/**
 * The single executable on the host (loading modules with it is shown in the QEMU guest,
 * test/vm/sea.test.ts): the same output as node running dist/modbundle.js, called by its own
 * name or through links, which `modbundle link` run from it points at it.
 */
function run(file: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(file, args, { encoding: "latin1", env: { PATH: process.env.PATH, MODBUNDLE_NO_SYSCALLS: "1" } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the single executable", { skip: fs.existsSync(CLI) ? false : "dist/ is not built: run npm run build" }, () => {
  let sea = "";
  let bundle = "";

  before(async () => {
    sea = fs.realpathSync(await singleExecutable());
    bundle = await packTree(smallTree());
  });

  it("answers as node dist/modbundle.js does, called by its name or through a link", () => {
    const args = ["--bundle", bundle, "-C", "/nonexistent", "-S", SMALL_VERSION, "--show-depends", "top", "x=1"];
    const expected = run(process.execPath, [CLI, "modprobe", ...args]);
    assert.equal(expected.status, 0, expected.stderr);
    assert.deepEqual(run(sea, ["modprobe", ...args]), expected);
    const links = tempDir("sea-links");
    const linked = run(sea, ["link", links]);
    assert.equal(linked.status, 0, linked.stderr);
    for (const name of ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"]) assert.equal(fs.readlinkSync(path.join(links, name)), sea);
    assert.deepEqual(run(path.join(links, "modprobe"), args), expected);
    assert.deepEqual(run(path.join(links, "modinfo"), ["--bundle", bundle, "-F", "description", "base"]), { status: 0, stdout: "base\n", stderr: "" });
  });

  it("decodes a zstd module with the decoder it carries (a part loaded on first use)", () => {
    const file = path.join(tempDir("sea-zstd"), "packed.ko.zst");
    fs.writeFileSync(file, compress("zstd", buildModule({ modinfo: ["license=GPL", "description=packed"] }), file));
    assert.deepEqual(run(sea, ["modinfo", "-F", "description", file]), { status: 0, stdout: "packed\n", stderr: "" });
  });

  it("reports errors in kmod's words, without a stack trace", () => {
    const result = run(sea, ["modprobe", "--bundle", "/nonexistent/bundle", "btrfs"]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^modprobe: (FATAL|ERROR): \/nonexistent\/bundle: No such file or directory\n$/);
  });
});
