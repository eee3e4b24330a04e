import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { Section } from "../../src/bundle/index-sections";
import { escapeControls } from "../../src/util/escape";
import { editIndex, sectionOf, setSection } from "../helpers/index-edit";
import { packTree } from "../helpers/pack";
import { tempDir } from "../helpers/paths";
import { runCli } from "../helpers/run";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/** Issue 15, finding 3: bundle strings holding escape sequences reach the terminal escaped. */
const TITLE = "\x1b]0;pwn\x07abc"; // as long as "6.1.0-small"
const CLEAR = "kernel/\x1b[2Jmid.ko"; // as long as "kernel/lib/mid.ko"
let hostile: string;

function replaceAll(pool: Buffer, from: string, to: string): Buffer {
  assert.equal(from.length, to.length);
  const out = Buffer.from(pool);
  for (let at = out.indexOf(from, 0, "latin1"); at >= 0; at = out.indexOf(from, at + 1, "latin1")) out.write(to, at, "latin1");
  return out;
}

before(async () => {
  const bundle = fs.readFileSync(await packTree(smallTree()));
  const edited = editIndex(bundle, (sections) => {
    let core = sectionOf(sections, Section.CoreStrings);
    core = replaceAll(core, SMALL_VERSION, TITLE);
    core = replaceAll(core, "kernel/lib/mid.ko", CLEAR);
    setSection(sections, Section.CoreStrings, core);
  });
  hostile = path.join(tempDir("escape"), "b");
  fs.writeFileSync(hostile, edited);
});

function assertNoControls(text: string): void {
  // eslint-disable-next-line no-control-regex -- the test looks for raw control characters
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/, JSON.stringify(text));
}

describe("strings from a bundle are printed escaped (finding 3)", () => {
  it("the escaping function: C0 controls, DEL and UTF-8 C1 controls; tab and other UTF-8 kept", () => {
    assert.equal(escapeControls("a\x1b[2Jb\x07\r\n\x7f"), "a\\x1b[2Jb\\x07\\x0d\\x0a\\x7f");
    assert.equal(escapeControls("l1\nl2\x1b", { keepNewlines: true }), "l1\nl2\\x1b");
    assert.equal(escapeControls("\xc2\x9b2J"), "\\xc2\\x9b2J");
    const utf8 = Buffer.from("Michał Mirosław\tÉ", "utf8").toString("latin1");
    assert.equal(escapeControls(utf8), utf8);
    // Text written UTF-8-encoded (log lines): a character U+0080..U+009F would become a C1 control.
    assert.equal(escapeControls("a\x80b\x9b\xa0\xe9\n", { writtenAsUtf8: true }), "a\\x80b\\x9b\xa0\xe9\\x0a");
  });

  it("list and list --long", () => {
    for (const args of [["list", hostile], ["list", "--long", hostile]]) {
      const result = runCli(args);
      assert.equal(result.status, 0, result.stderr);
      assertNoControls(result.stdout);
      assert.match(result.stdout, /kernel\/\\x1b\[2Jmid\.ko\n/);
    }
  });

  it("info", () => {
    const result = runCli(["info", hostile]);
    assert.equal(result.status, 0, result.stderr);
    assertNoControls(result.stdout);
    assert.match(result.stdout, /kernel version: +\\x1b\]0;pwn\\x07abc\n/);
  });

  it("modprobe -D", () => {
    const shown = runCli(["modprobe", "--bundle", hostile, "-S", TITLE, "-D", "top"]);
    assert.equal(shown.status, 0, shown.stderr);
    assertNoControls(shown.stdout);
    assert.match(shown.stdout, /^insmod \/lib\/modules\/.*\/kernel\/\\x1b\[2Jmid\.ko $/m);
    // modinfo escapes on a terminal only; into a pipe it prints kmod's bytes (test/info compares them).
  });

  it("error lines: a kernel version mismatch and a member that disagrees with its header", () => {
    const mismatch = runCli(["modprobe", "--bundle", hostile, "-S", SMALL_VERSION, "-D", "top"]);
    assert.equal(mismatch.status, 1);
    assertNoControls(mismatch.stderr);
    assert.match(mismatch.stderr, /\\x1b\]0;pwn\\x07abc/);
    const verify = runCli(["verify", hostile]);
    assert.equal(verify.status, 1);
    assertNoControls(verify.stderr);
    assert.match(verify.stderr, /member kernel\/\\x1b\[2Jmid\.ko: cpio header disagrees/);
  });
});
