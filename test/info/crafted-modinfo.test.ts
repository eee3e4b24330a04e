import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestContext, after, describe, it } from "node:test";
import { buildModule } from "../helpers/elf-builder";
import { tempDir } from "../helpers/paths";
import { KMOD_MODINFO, assertSameRun, kmodModinfo, modbundleModinfo } from "./harness";

/**
 * The layout on modules made for the purpose, against Debian's modinfo reading the same files:
 * key padding (long keys too), parm/parmtype merging and order, entries kmod finds invalid,
 * odd .modinfo sections, files that are not modules, and the -F/-0 variants of all of them.
 */
const dir = tempDir("modinfo-crafted");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function kmodAvailable(t: TestContext): boolean {
  if (fs.existsSync(KMOD_MODINFO)) return true;
  if (process.env.CI === "true") throw new Error(`${KMOD_MODINFO} missing: install Debian's kmod`);
  t.skip(`${KMOD_MODINFO} missing`);
  return false;
}

function write(name: string, data: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

const OPTION_SETS: readonly (readonly string[])[] = [[], ["-0"], ["-p"], ["-p", "-0"], ["-F", "parmtype"], ["-F", "description"], ["-F", "name"], ["-n"], ["-F", "a_key_longer_than_fifteen"], ["-F", "Description"]];

async function compareFiles(files: readonly string[], label: string): Promise<void> {
  for (const options of OPTION_SETS) {
    for (const file of files) assertSameRun(await modbundleModinfo([...options, file]), kmodModinfo([...options, file]), `${label} ${options.join(" ")} ${path.basename(file)}`);
    assertSameRun(await modbundleModinfo([...options, ...files]), kmodModinfo([...options, ...files]), `${label} ${options.join(" ")} (all)`);
  }
}

describe("modinfo layout on crafted modules", () => {
  it("keys of every length, values with any byte, entries without '='", async (t) => {
    if (!kmodAvailable(t)) return;
    const files = [
      write("keys.ko", buildModule({ modinfo: ["license=GPL", "k=v", "fifteen_chars_k=15", "sixteen_chars_ke=16", "a_key_longer_than_fifteen=x", "novalue", "empty=", "=nokey", "description=caf\xe9 \x01\x7f\xff", "description=second", "alias=a", "alias=b", "name=keys", "depends=", "x=y=z"] })),
      write("leading.ko", buildModule({ modinfo: ["", "", "license=GPL", "", "", "author=Someone"] })),
      write("single.ko", buildModule({ modinfo: [] })),
      write("big-endian-32.ko", buildModule({ is64: false, bigEndian: true, modinfo: ["license=GPL", "description=ELF32 MSB"] })),
    ];
    await compareFiles(files, "keys");
  });

  it("parameters: merged per name, in reverse order, invalid ones reported", async (t) => {
    if (!kmodAvailable(t)) return;
    const files = [
      write("params.ko", buildModule({
        modinfo: [
          "parmtype=alpha:int", "parm=alpha:The alpha", "parm=beta:Only a description", "parmtype=gamma:charp",
          "license=GPL", "parm=nocolon", "parmtype=alsonocolon", "parm=alpha:Replaced alpha", "parm=:empty name",
          "parmtype=delta:uint", "parm=delta:", "parm=eps:with: colons (and parens)", "parm", "parmtype=",
        ],
      })),
      write("noparams.ko", buildModule({ modinfo: ["license=GPL"] })),
    ];
    await compareFiles(files, "params");
  });

  it("files kmod cannot read: no .modinfo, not ELF, truncated, empty", async (t) => {
    if (!kmodAvailable(t)) return;
    const plain = buildModule({ modinfo: ["license=GPL"] });
    const files = [
      write("nomodinfo.ko", buildModule({})),
      write("notelf.ko", Buffer.from("this is not an ELF file at all, just text\n")),
      write("short.ko", Buffer.from("\x7fELF\x02\x01\x01", "latin1")),
      write("truncated.ko", plain.subarray(0, 80)),
      write("empty.ko", Buffer.alloc(0)),
      write("zeros.ko", Buffer.alloc(4096)),
      write("good.ko", plain),
    ];
    await compareFiles(files, "broken");
  });

  it("a compressed file that does not decompress is an error naming the module, not a crash", async () => {
    const file = write("bad.ko.xz", Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64, 0xaa)]));
    const result = await modbundleModinfo([file]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, `filename:       ${file}\n`);
    assert.match(result.stderr, /^modinfo: ERROR: could not get modinfo from 'bad': .+\n$/);
  });
});
