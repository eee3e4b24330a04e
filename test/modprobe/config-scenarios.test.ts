import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { runModprobe } from "../../src/modprobe/run";
import { KmodTree, kmodTree, runKmod } from "../helpers/kmod";
import { idleKernel, runInProcess } from "../helpers/inprocess";
import { KernelFixture, kernelFixture, tempDir } from "../helpers/paths";
import { packTree } from "../helpers/pack";


/**
 * Configuration scenarios, each run by Debian's kmod and by modbundle on the same files, the same
 * kernel command line (bind-mounted over /proc/cmdline for kmod) and the same arguments; stdout,
 * stderr and exit status must be identical. Only read-only modes are used (-D, -R, -n, -c).
 */
let fixture: KernelFixture | undefined;
let kmod: KmodTree;
let bundle: string;

before(async (t) => {
  fixture = kernelFixture(t as never, "amd64");
  if (!fixture) return;
  kmod = kmodTree(fixture.moduleDir, fixture.version);
  bundle = await packTree(fixture.moduleDir);
});

after(() => {
  kmod?.cleanup();
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
});

interface Scenario {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly cmdline?: string;
  readonly runs: ReadonlyArray<readonly string[]>;
}

const E1000 = "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00";

const SCENARIOS: Scenario[] = [
  {
    name: "softdep pre and post, first matching line wins, modules.softdep takes part",
    files: { "a.conf": "softdep ext4 pre: xfs dummy post: vfat\nsoftdep ext4 pre: loop\n", "b.conf": "softdep ext* pre: btrfs\nsoftdep btrfs post: nonexistent_mod crypto-sha256\n" },
    runs: [["-D", "ext4"], ["-D", "btrfs"], ["-D", "jbd2"], ["-c"]],
  },
  {
    name: "a config alias shadows a real module; an alias to several modules; wildcard aliases",
    files: { "aliases.conf": "alias btrfs dummy\nalias my-alias e1000\nalias my_alias e1000e\nalias my* loop\nalias nothing-here nonexistent_module\n" },
    runs: [["-R", "btrfs"], ["-D", "btrfs"], ["-R", "my-alias"], ["-D", "my-alias"], ["-R", "mything"], ["-D", "nothing-here"], ["-R", "nothing-here"]],
  },
  {
    name: "blacklist applies to aliases, and to names only with -b",
    files: { "bl.conf": "blacklist e1000\nblacklist vfat\n" },
    runs: [["-D", E1000], ["-D", "e1000"], ["-b", "-D", "e1000"], ["-D", "fs-vfat"], ["-b", "-D", "fs-vfat"], ["-R", E1000], ["-D", "fat"]],
  },
  {
    name: "options from files, the kernel command line and the command line",
    files: { "opts.conf": "options dummy numdummies=2\noptions dummy\tfoo=bar   baz\noptions loop max_loop=8\noptions my_loop alias_opt=1\nalias my-loop loop\n" },
    cmdline: 'dummy.x=1 "dummy.y=a b" loop.max_part=4 bad=1 .nope=2 modprobe.blacklist=e1000,vfat e1000.z="q r" noperiod',
    runs: [["-D", "dummy"], ["-D", "dummy", "z=3", "w=q r", "v='s t'"], ["-D", "loop"], ["-D", "my-loop"], ["-D", "e1000"], ["-D", E1000], ["-c"]],
  },
  {
    name: "install and remove commands, $CMDLINE_OPTS, first matching file wins, softdep disables install",
    files: {
      "10-first.conf": "install dummy /bin/echo first $CMDLINE_OPTS\nremove dummy /bin/echo removing\ninstall virtual-thing /bin/true\n",
      "20-second.conf": "install dummy /bin/echo second\ninstall dumm* /bin/echo pattern\noptions dummy numdummies=3\ninstall ext4 /bin/echo ext4-cmd\nsoftdep ext4 pre: crc16\n",
    },
    runs: [["-D", "dummy"], ["-D", "dummy", "a=1"], ["-D", "virtual-thing"], ["-R", "virtual-thing"], ["-D", "ext4"], ["-i", "-D", "dummy"], ["-c"]],
  },
  {
    name: "bad lines are warned about with file and line, and skipped",
    files: { "bad.conf": "frobnicate foo\nalias onlyone\n# comment\n\noptions\ninstall dummy\ninclude /etc/other.conf\nalias bad] x\nalias a\\\nb dummy\nblacklist\n" },
    runs: [["-c"], ["-R", "ab"]],
  },
];

describe("configuration scenarios against kmod", () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, async (t) => {
      if (!fixture) return t.skip("no fixture");
      const dir = tempDir("conf");
      for (const [name, text] of Object.entries(scenario.files)) fs.writeFileSync(path.join(dir, name), text);
      const cmdline = scenario.cmdline ?? "quiet";
      for (const args of scenario.runs) {
        const common = ["-C", dir, "-d", kmod.base, "-S", kmod.version];
        const expected = runKmod("modprobe", [...common, ...args], { cmdline });
        const actual = await runInProcess(runModprobe, ["--bundle", bundle, ...common, ...args], { cmdline, kernel: idleKernel() });
        const label = args.join(" ");
        assert.equal(actual.stdout, expected.stdout, `stdout of ${label}`);
        // kmod 30 parses its configuration before its tools set up logging, so those warnings
        // carry libkmod's debug prefix (source file and line); modbundle prints them as its own.
        const kmodStderr = expected.stderr.replace(/^libkmod: ERROR \S+:\d+ \w+: /gm, "modprobe: ERROR: ");
        assert.equal(actual.stderr.split(`in bundle ${bundle}`).join(`in directory ${kmod.dirname}`), kmodStderr, `stderr of ${label}`);
        assert.equal(actual.status, expected.status, `status of ${label}`);
      }
    });
  }

  it("removal dry-runs print rmmod and remove actions like kmod", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const dir = tempDir("conf");
    fs.writeFileSync(path.join(dir, "r.conf"), "remove dummy /bin/echo bye\nsoftdep btrfs post: loop\n");
    for (const args of [["-r", "-D", "dummy"], ["-r", "-D", "btrfs"], ["-r", "-D", "-a", "ext4", "xfs"]]) {
      const common = ["-C", dir, "-d", kmod.base, "-S", kmod.version];
      const expected = runKmod("modprobe", [...common, ...args], { cmdline: "quiet" });
      const actual = await runInProcess(runModprobe, ["--bundle", bundle, ...common, ...args], { cmdline: "quiet", kernel: idleKernel() });
      assert.equal(actual.stdout, expected.stdout, args.join(" "));
      assert.equal(actual.status, expected.status, args.join(" "));
    }
  });

  it("weakdep lines are kept and shown by -c, and never loaded (kmod 33+ semantics; Debian's kmod 30 has no weakdep)", async (t) => {
    if (!fixture) return t.skip("no fixture");
    const dir = tempDir("conf");
    fs.writeFileSync(path.join(dir, "w.conf"), "weakdep dummy loop xfs\nweakdep btrfs\n");
    const common = ["--bundle", bundle, "-C", dir, "-d", kmod.base, "-S", kmod.version];
    const shown = await runInProcess(runModprobe, [...common, "-c"], { cmdline: "quiet" });
    assert.match(shown.stdout, /^weakdep dummy loop xfs\n/m);
    assert.match(shown.stderr, /w\.conf line 2: ignoring bad line starting with 'weakdep'/);
    const plan = await runInProcess(runModprobe, [...common, "-D", "dummy"], { cmdline: "quiet" });
    assert.equal(plan.stdout, `insmod ${kmod.dirname}/kernel/drivers/net/dummy.ko \n`);
  });
});
