import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { toolAction } from "../../src/commands/tools";
import { ModbundleError } from "../../src/errors";
import { MODBUNDLE_VERSION, VERSION_TEXT } from "../../src/cli-kit/version";
import { REPO_ROOT } from "../helpers/paths";
import { runCli } from "../helpers/run";

/**
 * `modbundle ARGS` to what runs, without running it: each row is a command line and the options
 * object the command's run receives, or the one-line error it gets. A new subcommand adds rows.
 */
const CONTEXT = { env: {}, program: "/opt/modbundle/dist/modbundle.js", stdout: () => undefined };

function optionsOf(argv: readonly string[]): unknown {
  const todo = toolAction(argv);
  assert.equal(todo.action, "run", argv.join(" "));
  if (todo.action !== "run") return undefined;
  const parsed = todo.tool.parseArgs(todo.args, CONTEXT);
  if (parsed.action === "run") return parsed.options;
  return parsed.text === VERSION_TEXT ? "version" : parsed.text.startsWith("Usage:\n") ? "help" : parsed.text;
}

function errorOf(argv: readonly string[]): string {
  try {
    const todo = toolAction(argv);
    if (todo.action === "run") todo.tool.parseArgs(todo.args, CONTEXT);
  } catch (error) {
    assert.ok(error instanceof ModbundleError, String(error));
    return error.message;
  }
  return assert.fail(`no error for ${argv.join(" ")}`);
}

const OPTIONS: Array<[string[], unknown]> = [
  [["pack"], { moduleDir: undefined, output: undefined, compress: "keep", only: undefined }],
  [["pack", "DIR", "-o", "F"], { moduleDir: "DIR", output: "F", compress: "keep", only: undefined }],
  [["pack", "-oF", "--compress=xz", "DIR"], { moduleDir: "DIR", output: "F", compress: "xz", only: undefined }],
  // --only takes one NAME per occurrence: the operand after it stays the module directory.
  [["pack", "-o", "F", "--only", "vfat", "DIR"], { moduleDir: "DIR", output: "F", compress: "keep", only: ["vfat"] }],
  [["pack", "--only", "vfat", "--only=fs-btrfs", "DIR", "--only", "of:N*T*Cfsl,imx6q"], { moduleDir: "DIR", output: undefined, compress: "keep", only: ["vfat", "fs-btrfs", "of:N*T*Cfsl,imx6q"] }],
  [["pack", "--out", "F", "--", "-dir"], { moduleDir: "-dir", output: "F", compress: "keep", only: undefined }],
  [["pack", "-o", "A", "-o", "B"], { moduleDir: undefined, output: "B", compress: "keep", only: undefined }],
  [["pack", "--help"], "help"],
  [["pack", "-h", "--frobnicate", "a", "b"], "help"],
  [["list", "-V"], "version"],
  [["verify", "--version", "extra", "operands"], "version"],
  [["unpack", "B", "D"], { bundle: "B", directory: "D", force: false }],
  [["unpack", "-f", "B", "D"], { bundle: "B", directory: "D", force: true }],
  [["unpack", "B", "D", "--force"], { bundle: "B", directory: "D", force: true }],
  [["depmod"], { basedir: undefined, version: undefined }],
  [["depmod", "-b", "/tmp/root", "6.1.0-57-amd64"], { basedir: "/tmp/root", version: "6.1.0-57-amd64" }],
  [["depmod", "6.1.0-57-amd64", "--basedir=R"], { basedir: "R", version: "6.1.0-57-amd64" }],
  [["list", "B"], { bundle: "B", long: false }],
  [["list", "-l", "B"], { bundle: "B", long: true }],
  [["list", "B", "--long"], { bundle: "B", long: true }],
  [["info", "B"], { bundle: "B" }],
  [["verify", "-q", "B"], { bundle: "B", quiet: true }],
  [["verify", "B"], { bundle: "B", quiet: false }],
  [["serve", "B"], { files: ["B"], port: 8080, bind: "127.0.0.1" }],
  [["serve", "--port", "0", "--bind=0.0.0.0", "A", "B"], { files: ["A", "B"], port: 0, bind: "0.0.0.0" }],
  [["link"], { directory: "/usr/local/sbin", force: false, program: CONTEXT.program }],
  [["link", "-f", "/sbin"], { directory: "/sbin", force: true, program: CONTEXT.program }],
];

const ERRORS: Array<[string[], string]> = [
  [[], "missing command (see 'modbundle help')"],
  [["frobnicate"], "unknown command 'frobnicate' (see 'modbundle help')"],
  [["--frobnicate"], "unrecognized option '--frobnicate' (see 'modbundle help')"],
  [["help", "frobnicate"], "help: unknown command 'frobnicate' (see 'modbundle help')"],
  [["help", "pack", "list"], "help: unexpected argument 'list' (see 'modbundle help help')"],
  [["pack", "DIR", "DIR"], "pack: unexpected argument 'DIR' (see 'modbundle help pack')"],
  [["pack", "--only"], "pack: option '--only' requires an argument (see 'modbundle help pack')"],
  [["pack", "-x"], "pack: invalid option -- 'x' (see 'modbundle help pack')"],
  [["pack", "--compress", "lz4"], "invalid --compress 'lz4' (expected one of keep, none, xz, zstd, gzip)"],
  [["unpack"], "unpack: missing BUNDLE (see 'modbundle help unpack')"],
  [["unpack", "B"], "unpack: missing DIRECTORY (see 'modbundle help unpack')"],
  [["unpack", "B", "D", "E"], "unpack: unexpected argument 'E' (see 'modbundle help unpack')"],
  [["depmod", "V", "W"], "depmod: unexpected argument 'W' (see 'modbundle help depmod')"],
  [["depmod", "-b"], "depmod: option requires an argument -- 'b' (see 'modbundle help depmod')"],
  [["list", "B", "extra"], "list: unexpected argument 'extra' (see 'modbundle help list')"],
  [["info", "A", "B"], "info: unexpected argument 'B' (see 'modbundle help info')"],
  [["info"], "info: missing BUNDLE (see 'modbundle help info')"],
  [["verify", "--quiet=yes", "B"], "verify: option '--quiet' doesn't allow an argument (see 'modbundle help verify')"],
  [["serve"], "serve: missing BUNDLE (see 'modbundle help serve')"],
  [["serve", "--port", "http", "B"], "invalid --port 'http' (expected 0 to 65535)"],
  [["link", "/a", "/b"], "link: unexpected argument '/b' (see 'modbundle help link')"],
];

describe("modbundle's command line", () => {
  it("maps each command line to the options its command runs with", () => {
    for (const [argv, expected] of OPTIONS) assert.deepEqual(optionsOf(argv), expected, argv.join(" "));
  });

  it("refuses each mistake with one line saying what is wrong", () => {
    for (const [argv, expected] of ERRORS) assert.equal(errorOf(argv), expected, argv.join(" "));
  });

  it("-V and help print, and help CMD is that command's usage", () => {
    assert.deepEqual(toolAction(["-V"]), { action: "print", text: VERSION_TEXT });
    assert.deepEqual(toolAction(["--version"]), { action: "print", text: VERSION_TEXT });
    const pack = toolAction(["help", "pack"]);
    assert.ok(pack.action === "print" && pack.text.startsWith("Usage:\n\tmodbundle pack [options] [MODULEDIR]\n"), JSON.stringify(pack));
    assert.ok(pack.action === "print" && /^\t {4}--only=NAME +only this module/m.test(pack.text));
    const overview = toolAction(["help"]);
    assert.ok(overview.action === "print" && /^ {2}unpack +restore the module tree/m.test(overview.text));
  });

  it("the version modbundle prints is package.json's", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal(MODBUNDLE_VERSION, manifest.version);
  });
});

describe("modbundle's command line, run", () => {
  it("an argument mistake is one line in kmod's style and status 1", () => {
    for (const argv of [["list", "B", "extra"], ["pack", "--frob"], ["unpack"], ["frobnicate"], []]) {
      const result = runCli(argv);
      assert.equal(result.status, 1, argv.join(" "));
      assert.match(result.stderr, /^modbundle: ERROR: [^\n]+\n$/, argv.join(" "));
      assert.equal(result.stdout, "");
    }
  });

  it("help CMD shows the command's real usage, kmod's commands included; --help exits 0", () => {
    const modprobe = runCli(["help", "modprobe"]);
    assert.equal(modprobe.status, 0);
    assert.match(modprobe.stdout, /^Usage:\n\tmodprobe \[options\] \[-i\] \[-b\] modulename/);
    const lsmod = runCli(["help", "lsmod"]);
    assert.deepEqual([lsmod.status, lsmod.stdout], [0, "Usage: lsmod\n"]);
    const pack = runCli(["pack", "--help"]);
    assert.equal(pack.status, 0);
    assert.match(pack.stdout, /^Usage:\n\tmodbundle pack /);
    const lsmodHelp = runCli(["lsmod", "--help"]);
    assert.deepEqual([lsmodHelp.status, lsmodHelp.stdout, lsmodHelp.stderr], [0, "Usage: lsmod\n", ""]);
  });

  it("-V is the same text for modbundle and each kmod command", () => {
    for (const argv of [["-V"], ["modprobe", "-V"], ["insmod", "-V"], ["rmmod", "-V"], ["lsmod", "-V"], ["modinfo", "-V"]]) {
      assert.deepEqual(runCli(argv), { status: 0, stdout: VERSION_TEXT, stderr: "" }, argv.join(" "));
    }
  });
});
