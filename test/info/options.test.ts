import assert from "node:assert/strict";
import * as fs from "node:fs";
import { TestContext, describe, it } from "node:test";
import { HELP_TEXT, ParsedModinfoArgs, parseModinfoArgs } from "../../src/info/options";
import { VERSION_TEXT } from "../../src/cli-kit/version";
import { KMOD_MODINFO, assertSameRun, kmodModinfo, modbundleModinfo } from "./harness";

/** modinfo's command line: argv to options without running anything, and the messages kmod prints. */
const run = (argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedModinfoArgs => parseModinfoArgs(argv, env);

const defaults = { field: undefined, separator: "\n" as const, modname: false, version: undefined, root: undefined, bundle: undefined };

function kmodAvailable(t: TestContext): boolean {
  if (fs.existsSync(KMOD_MODINFO)) return true;
  if (process.env.CI === "true") throw new Error(`${KMOD_MODINFO} missing: install Debian's kmod`);
  t.skip(`${KMOD_MODINFO} missing`);
  return false;
}

describe("modinfo options", () => {
  const table: Array<[readonly string[], ParsedModinfoArgs]> = [
    [["dummy"], { action: "run", options: { ...defaults, operands: ["dummy"] } }],
    [["-a", "x"], { action: "run", options: { ...defaults, field: "author", operands: ["x"] } }],
    [["-d", "-l", "x"], { action: "run", options: { ...defaults, field: "license", operands: ["x"] } }],
    [["-p", "-n", "x"], { action: "run", options: { ...defaults, field: "filename", operands: ["x"] } }],
    [["-n", "-F", "vermagic", "x"], { action: "run", options: { ...defaults, field: "vermagic", operands: ["x"] } }],
    [["-Fparm", "-a", "x"], { action: "run", options: { ...defaults, field: "author", operands: ["x"] } }],
    [["--field=Alias", "x"], { action: "run", options: { ...defaults, field: "Alias", operands: ["x"] } }],
    [["-0m", "x", "y"], { action: "run", options: { ...defaults, separator: "\0", modname: true, operands: ["x", "y"] } }],
    [["x", "-k", "6.1", "-b", "/r", "--bundle", "/b"], { action: "run", options: { ...defaults, version: "6.1", root: "/r", bundle: "/b", operands: ["x"] } }],
    [["--set-version=6.1", "--basedir", "/r", "--bundle=/b", "x"], { action: "run", options: { ...defaults, version: "6.1", root: "/r", bundle: "/b", operands: ["x"] } }],
    [["--au", "--desc", "--lic", "--param", "--filen", "--nu", "--modn", "x"], { action: "run", options: { ...defaults, field: "filename", separator: "\0", modname: true, operands: ["x"] } }],
    [["--", "-a"], { action: "run", options: { ...defaults, operands: ["-a"] } }],
    [["-h", "-x"], { action: "help" }],
    [["--version", "--nosuch"], { action: "version" }],
    [["-x", "-h"], { action: "getopt-error", message: "invalid option -- 'x'" }],
    [["-F"], { action: "getopt-error", message: "option requires an argument -- 'F'" }],
    [["--field"], { action: "getopt-error", message: "option '--field' requires an argument" }],
    [["--author=yes", "x"], { action: "getopt-error", message: "option '--author' doesn't allow an argument" }],
    [["--b", "x"], { action: "getopt-error", message: "option '--b' is ambiguous; possibilities: '--basedir' '--bundle'" }],
    [[], { action: "error", message: "missing module or filename." }],
    [["-a", "-k", "6.1"], { action: "error", message: "missing module or filename." }],
  ];
  for (const [argv, expected] of table) {
    it(`${JSON.stringify(argv)}`, () => assert.deepEqual(run(argv), expected));
  }

  it("POSIXLY_CORRECT stops at the first operand, as glibc's getopt does", () => {
    assert.deepEqual(run(["x", "-a"], { POSIXLY_CORRECT: "1" }), { action: "run", options: { ...defaults, operands: ["x", "-a"] } });
  });

  it("help is kmod's, with --bundle added; errors and version are printed as kmod prints them", async (t) => {
    if (!kmodAvailable(t)) return;
    const ours = await modbundleModinfo(["-h"]);
    const theirs = kmodModinfo(["-h"]);
    assert.equal(ours.status, 0);
    assert.equal(ours.stdout.replace(/\t {4}--bundle=FILE[^\n]*\n(\t {28}[^\n]*\n)*/, ""), theirs.stdout);
    assert.ok(HELP_TEXT.includes("--bundle=FILE"));
    assert.deepEqual(await modbundleModinfo(["-V"]), { status: 0, stdout: VERSION_TEXT, stderr: "" });
    assert.match(kmodModinfo(["-V"]).stdout, /^kmod version 30\n/);
    for (const argv of [[], ["-x"], ["-F"], ["--field"], ["--nosuch"], ["-x", "-h"], ["--author=x", "dummy"], ["-k"], ["-0", "-m"], ["--filename=1"]]) {
      assertSameRun(await modbundleModinfo(argv), kmodModinfo(argv), argv.join(" "));
    }
  });
});
