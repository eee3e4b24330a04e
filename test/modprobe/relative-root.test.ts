import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { kmodTree } from "../helpers/kmod";
import { tempDir } from "../helpers/paths";
import { run, runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/**
 * A relative -d / -b: kmod puts the current directory in front as it is ("/cwd/./lib/modules/..."),
 * and so must modbundle, reading kmod's index in the directory and reading a bundle alike.
 */
describe("paths with a relative root, against Debian's kmod", () => {
  it("modprobe -d . and modinfo -b . print kmod's absolute paths", (t) => {
    const tree = smallTree();
    const kmod = kmodTree(tree, SMALL_VERSION);
    t.after(() => kmod.cleanup());
    const conf = tempDir("noconf");
    t.after(() => fs.rmSync(conf, { recursive: true, force: true }));
    const commands: Array<[string, string[]]> = [
      ["modprobe", ["-C", conf, "-d", ".", "-S", SMALL_VERSION, "--show-depends", "top"]],
      ["modprobe", ["-C", conf, "-d", "./", "-S", SMALL_VERSION, "-a", "--show-depends", "mid", "base"]],
      ["modinfo", ["-b", ".", "-k", SMALL_VERSION, "-n", "top", "mid-alias"]],
    ];
    const compare = (mode: string): void => {
      for (const [tool, args] of commands) {
        const expected = run(tool, args, { cwd: kmod.base });
        assert.equal(expected.status, 0, expected.stderr);
        assert.ok(expected.stdout.includes(`${kmod.base}/./`), expected.stdout);
        const actual = runCli([tool, ...args], { cwd: kmod.base });
        assert.deepEqual(actual, expected, `${mode}: ${tool} ${args.join(" ")}`);
      }
    };
    compare("kmod's index in the directory");
    fs.mkdirSync(path.join(kmod.base, "boot"));
    // The tree itself: kmod's mirror is made of symbolic links, which pack refuses for the lists.
    const packed = runCli(["pack", tree, "-o", path.join(kmod.base, "boot", `modules-${SMALL_VERSION}`)]);
    assert.equal(packed.status, 0, packed.stderr);
    compare("the bundle ./boot/modules-VERSION");
  });
});
