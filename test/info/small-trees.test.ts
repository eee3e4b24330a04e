import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestContext, after, describe, it } from "node:test";
import { buildModule } from "../helpers/elf-builder";
import { openBundleFile, packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { writeTree } from "../helpers/tree";
import { KMOD_MODINFO, KmodMirror, assertSameRun, kmodMirror, kmodModinfo, modbundleModinfo, removeMirror } from "./harness";

/**
 * Small trees made for one case each, against Debian's modinfo on the same tree: builtin modules
 * whose modules.builtin.modinfo is missing, incomplete or split, and bundles that are damaged.
 */
const scratch = tempDir("modinfo-small");
const mirrors: KmodMirror[] = [];
after(() => {
  mirrors.forEach(removeMirror);
  fs.rmSync(scratch, { recursive: true, force: true });
});

function kmodAvailable(t: TestContext): boolean {
  if (fs.existsSync(KMOD_MODINFO)) return true;
  if (process.env.CI === "true") throw new Error(`${KMOD_MODINFO} missing: install Debian's kmod`);
  t.skip(`${KMOD_MODINFO} missing`);
  return false;
}

const VERSION = "6.1.0-modinfo";

async function tree(name: string, files: Readonly<Record<string, Buffer | string>>): Promise<{ mirror: KmodMirror; bundle: string; dir: string }> {
  const dir = path.join(scratch, name, VERSION);
  writeTree(dir, {
    "kernel/drivers/plain.ko": buildModule({ modinfo: ["license=GPL", "alias=plain-alias", "parm=p:x", "parmtype=p:int"] }),
    "kernel/drivers/other.ko": buildModule({ modinfo: ["license=GPL", "alias=plain-alias", "description=also matches"] }),
    "modules.order": "kernel/drivers/plain.ko\nkernel/drivers/other.ko\n",
    ...files,
  });
  const mirror = kmodMirror(dir, VERSION);
  mirrors.push(mirror);
  return { mirror, bundle: await packTree(dir, "keep", path.join(scratch, `${name}.bundle`)), dir };
}

async function compare(s: { mirror: KmodMirror; bundle: string }, args: readonly string[], label: string): Promise<void> {
  const common = ["-b", s.mirror.base, "-k", VERSION];
  assertSameRun(await modbundleModinfo([...common, "--bundle", s.bundle, ...args]), kmodModinfo([...common, ...args]), label);
  assertSameRun(await modbundleModinfo([...common, ...args]), kmodModinfo([...common, ...args]), `${label} (directory)`);
}

describe("modinfo on small trees", () => {
  it("builtin modules: with and without modules.builtin.modinfo, missing from it, split in it", async (t) => {
    if (!kmodAvailable(t)) return;
    const builtin = "kernel/fs/ext4/ext4.ko\nkernel/fs/vfat.ko\nkernel/lib/split.ko\nkernel/lib/dashed-name.ko\n";
    const modinfo = [
      // depmod's builtin alias scan reads past a string without '=' into the next one: "noequals"
      // is followed by a string that is not an alias, so that both indexes agree.
      "ext4.alias=fs-ext4", "ext4.license=GPL", "ext4.noequals", "ext4.parm=p:desc", "ext4.parmtype=p:int", "ext4.parmtype=q:bool",
      "split.license=GPL", "ext4.description=not contiguous", "split.description=second block",
      "dashed_name.file=lib/dashed-name", "other_builtin.alias=pci:v0000ABCDd*sv*sd*bc*sc*i*",
    ].join("\0") + "\0";
    const names = ["ext4", "vfat", "split", "dashed-name", "dashed_name", "fs-ext4", "other_builtin", "pci:v0000ABCDd00000001sv0sd0bc0sc0i0", "plain", "plain-alias"];
    const withInfo = await tree("builtin-info", { "modules.builtin": builtin, "modules.builtin.modinfo": modinfo });
    for (const options of [[], ["-F", "name"], ["-F", "filename"], ["-p"], ["-0"], ["-m"], ["-F", "license"]]) {
      await compare(withInfo, [...options, ...names], `with modules.builtin.modinfo ${options.join(" ")}`);
    }
    const without = await tree("builtin-noinfo", { "modules.builtin": builtin });
    for (const options of [[], ["-F", "name"], ["-F", "license"], ["-m"]]) {
      await compare(without, [...options, ...names], `without modules.builtin.modinfo ${options.join(" ")}`);
    }
    const unterminated = await tree("builtin-unterminated", { "modules.builtin": builtin, "modules.builtin.modinfo": "vfat.license=GPL\0ext4.alias=fs-ext4\0ext4.license=GPL\0ext4.description=cut short" });
    await compare(unterminated, names, "an unterminated last string");
  });

  it("a damaged member is an error for that module only; a damaged bundle is one line", async () => {
    const dir = path.join(scratch, "damaged", VERSION);
    writeTree(dir, {
      "kernel/a.ko": buildModule({ modinfo: ["license=GPL", "description=first"] }),
      "kernel/b.ko": buildModule({ modinfo: ["license=GPL", "description=second"] }),
    });
    const bundle = await packTree(dir, "keep", path.join(scratch, "damaged.bundle"));
    const opened = openBundleFile(bundle);
    const member = opened.index.moduleMember(opened.index.findModule("a"));
    opened.close();
    const bytes = fs.readFileSync(bundle);
    bytes[member.offset + 100] ^= 0xff;
    const damaged = path.join(scratch, "damaged-member.bundle");
    fs.writeFileSync(damaged, bytes);
    const result = await modbundleModinfo(["-b", "/r", "-k", VERSION, "--bundle", damaged, "-F", "description", "a", "b"]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "second\n");
    assert.match(result.stderr, /^modinfo: ERROR: could not get modinfo from 'a': [^\n]*kernel\/a\.ko[^\n]*\n$/);

    const truncated = path.join(scratch, "truncated.bundle");
    fs.writeFileSync(truncated, bytes.subarray(0, 200));
    const broken = await modbundleModinfo(["--bundle", truncated, "a", "b"]);
    assert.equal(broken.status, 1);
    assert.equal(broken.stdout, "");
    assert.match(broken.stderr, /^modinfo: ERROR: [^\n]+\n$/);
    // A path argument needs no bundle at all.
    const file = path.join(dir, "kernel", "b.ko");
    assert.deepEqual(await modbundleModinfo(["--bundle", truncated, "-F", "description", file]), { status: 0, stdout: "second\n", stderr: "" });
  });
});
