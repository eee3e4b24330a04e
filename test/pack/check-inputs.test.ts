import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/** `pack` is given a staging root, an empty folder, a missing output folder. */
function stagingRoot(versions: readonly string[]): string {
  const root = tempDir("staging");
  for (const version of versions) {
    const tree = smallTree();
    fs.mkdirSync(path.join(root, "lib", "modules"), { recursive: true });
    fs.renameSync(tree, path.join(root, "lib", "modules", version));
  }
  return root;
}

describe("pack checks what it is given", () => {
  it("packs the one kernel of a staging root (make modules_install INSTALL_MOD_PATH=ROOT)", () => {
    const root = stagingRoot([SMALL_VERSION]);
    const bundle = path.join(tempDir("staged"), "b");
    const packed = runCli(["pack", root, "-o", bundle]);
    assert.equal(packed.status, 0, packed.stderr);
    const info = runCli(["info", bundle]);
    assert.match(info.stdout, /^kernel version: {2}6\.1\.0-small$/m);
    assert.match(info.stdout, /^modules: {9}3$/m);
    assert.match(info.stdout, /^builtin modules: 1$/m);
    const list = runCli(["list", bundle]);
    assert.match(list.stdout, /^kernel\/lib\/base\.ko$/m);
    assert.doesNotMatch(list.stdout, /lib\/modules/);
  });

  it("asks which kernel of a staging root holding several", () => {
    const root = stagingRoot(["6.1.0-a", "6.1.0-b"]);
    const out = tempDir("several");
    const result = runCli(["pack", root, "-o", path.join(out, "b")]);
    assert.equal(result.status, 1);
    const choices = `${root}/lib/modules/6.1.0-a, ${root}/lib/modules/6.1.0-b`;
    assert.equal(result.stderr, `modbundle: ERROR: ${root} holds the modules of 2 kernels; give the one to pack: ${choices}\n`);
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it("refuses a folder with no modules and no modules.order, writing nothing", () => {
    const empty = tempDir("empty");
    fs.mkdirSync(path.join(empty, "docs"));
    fs.writeFileSync(path.join(empty, "docs", "README"), "not a module\n");
    const out = tempDir("empty-out");
    const result = runCli(["pack", empty, "-o", path.join(out, "b")]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `modbundle: ERROR: ${empty} has no kernel modules (*.ko*) and no modules.order: expected a module directory such as /lib/modules/VERSION, or a staging root holding lib/modules/VERSION\n`,
    );
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it("a kernel without loadable modules (only modules.order) is packed", () => {
    const dir = path.join(tempDir("builtin-only"), "6.1.0-mono");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "modules.order"), "");
    const bundle = path.join(tempDir("mono"), "b");
    assert.equal(runCli(["pack", dir, "-o", bundle]).status, 0);
    assert.match(runCli(["info", bundle]).stdout, /^modules: {9}0$/m);
  });

  it("-o into a folder that does not exist names that folder", () => {
    const missing = path.join(tempDir("no-out"), "not", "there");
    const result = runCli(["pack", smallTree(), "-o", path.join(missing, "modules.bundle")]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `modbundle: ERROR: cannot write ${missing}/modules.bundle: directory ${missing} does not exist\n`);
  });
});
