import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { moduleParameters, parseModprobeArgs, splitModprobeOptions } from "../../src/modprobe/args";
import { getopt, LongOption } from "../../src/cli-kit/getopt";

/** Command lines to options, without running anything (table-driven). */
describe("modprobe arguments", () => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [["btrfs"], { operands: ["btrfs"], verbosity: 4, dryRun: false }],
    [["-q", "--", "fs-vfat"], { operands: ["fs-vfat"], verbosity: 0, inheritedOptions: ["-q"] }],
    [["-vv", "-a", "x", "y"], { verbosity: 6, all: true, operands: ["x", "y"] }],
    [["x", "-n", "p=1"], { dryRun: true, operands: ["x", "p=1"] }],
    [["-D", "x"], { showDepends: true, dryRun: true }],
    [["--show-depends", "x"], { showDepends: true }],
    [["--show-dep", "x"], { showDepends: true }],
    [["-R", "x"], { lookupOnly: true }],
    [["--resolve-alias", "x"], { lookupOnly: true }],
    [["--show-alias", "x"], { lookupOnly: true }],
    [["-rw", "100", "x"], { remove: true, waitMsec: 100 }],
    [["--wait=0x10", "-r", "x"], { waitMsec: 16 }],
    [["-C", "/a", "--config=/b", "x"], { configPaths: ["/a", "/b"], inheritedOptions: ["-C", "/a", "-C", "/b"] }],
    [["-d", "/root", "-S", "6.1", "x"], { root: "/root", version: "6.1" }],
    [["--dirname=/r", "--set-version", "6.2", "x"], { root: "/r", version: "6.2" }],
    [["--bundle", "/b", "x"], { bundle: "/b" }],
    [["-f", "--force-vermagic", "--force-modversion", "x"], { force: true, forceVermagic: true, forceModversion: true }],
    [["--first-time", "--remove-holders", "-r", "x"], { firstTime: true, removeHolders: true, remove: true }],
    [["--remove-dependencies", "-r", "x"], { removeHolders: true }],
    [["-i", "-b", "x"], { ignoreCommands: true, useBlacklist: true }],
    [["--ignore-remove", "x"], { ignoreCommands: true }],
    [["-c"], { showConfig: true, operands: [] }],
    [["--showconfig"], { showConfig: true }],
    [["--dump-modversions", "f.ko"], { showModversions: true }],
    [["--show-exports", "f.ko"], { showExports: true }],
    [["-s", "x"], { syslog: true, inheritedOptions: ["-s"] }],
  ];
  for (const [argv, expected] of cases) {
    it(argv.join(" "), () => {
      const parsed = parseModprobeArgs(argv, {});
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual((parsed.options as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  const errors: Array<[string[], string]> = [
    [["-Z", "x"], "invalid option -- 'Z'"],
    [["--frobnicate"], "unrecognized option '--frobnicate'"],
    [["-w"], "option requires an argument -- 'w'"],
    [["--wait"], "option '--wait' requires an argument"],
    [["--force-"], "option '--force-' is ambiguous; possibilities: '--force-modversion' '--force-vermagic'"],
    [["--all=1", "x"], "option '--all' doesn't allow an argument"],
    [["-w", "10ms", "-r", "x"], "unexpected wait value '10ms'."],
  ];
  for (const [argv, message] of errors) {
    it(`rejects ${argv.join(" ")}`, () => {
      const parsed = parseModprobeArgs(argv, {});
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.equal(parsed.error, message);
    });
  }

  it("puts $MODPROBE_OPTIONS first, splitting and unquoting as kmod does", () => {
    assert.deepEqual(splitModprobeOptions("-v -C /etc/x"), ["-v", "-C", "/etc/x"]);
    // kmod ends a quoted word at its closing quote, so the space after it yields an empty word.
    assert.deepEqual(splitModprobeOptions('"a b" c'), ["a b", "", "c"]);
    assert.deepEqual(splitModprobeOptions("p='x y'z"), ["p=x yz"]);
    const parsed = parseModprobeArgs(["btrfs"], { MODPROBE_OPTIONS: "-q -v" });
    assert.ok(parsed.ok);
    if (parsed.ok) assert.equal(parsed.options.verbosity, 1);
  });

  it("stops at the first operand under POSIXLY_CORRECT", () => {
    const long: LongOption[] = [];
    assert.deepEqual(getopt(["x", "-n"], "n", long, {}).options, [{ key: "n" }]);
    assert.deepEqual(getopt(["x", "-n"], "n", long, { POSIXLY_CORRECT: "1" }).operands, ["x", "-n"]);
  });

  it("quotes module parameters with spaces as kmod does", () => {
    assert.equal(moduleParameters(["a=1", "b=x y", 'c="q r"', "flag"]), 'a=1 b="x y" c="q r" flag');
    assert.equal(moduleParameters([]), undefined);
  });
});
