import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { CACHE } from "./artefacts";
import { consoleTail } from "./console";
import { requireVmFixture, VmArch, vmSkipReason, VmFixture } from "./fixture";
import { Overlay } from "./overlay";
import { bootGuest, buildInitramfs, GuestRun } from "./qemu";
import { tempDir } from "../helpers/paths";

/**
 * One guest boot shared by several scenarios: the overlay is prepared and the guest booted once,
 * in before(); each scenario is then one test, passing when the guest printed
 * "@@RESULT <name> PASS". The console is kept in .cache/vm/<suite>.console.log for diagnosis.
 */
export interface Scenario {
  /** The name the guest script reports under. */
  readonly name: string;
  /** What it shows, as the test's title. */
  readonly title: string;
}

export interface GuestSetup {
  readonly overlay: Overlay;
  readonly disk?: string;
  /** Disks after `disk` (/dev/vdb, ...). */
  readonly disks?: readonly string[];
  readonly nic?: string;
  /** Builds the initramfs from the overlay (default buildInitramfs: system, project, overlay). */
  readonly initramfs?: (output: string, overlays: readonly string[]) => Promise<void>;
  /** Removes what prepare made besides the overlay, after the boot. */
  readonly cleanup?: () => void;
  /** More QEMU arguments (devices). */
  readonly qemuArgs?: readonly string[];
}

export interface GuestSuiteOptions {
  readonly id: string;
  readonly title: string;
  readonly scenarios: readonly Scenario[];
  readonly prepare: (fixture: VmFixture) => GuestSetup | Promise<GuestSetup>;
  readonly timeoutSeconds: number;
  /** The guest's architecture: amd64 unless given. */
  readonly arch?: VmArch;
  /** The guest's CPUs (default 1) and memory (bootGuest's default unless given). */
  readonly cpus?: number;
  readonly memoryMiB?: number;
}

export function guestSuite(options: GuestSuiteOptions): void {
  const log = path.join(CACHE, `${options.id}.console.log`);
  // QEMU's own limit comes first, so that a hung guest fails with its console, not a bare timeout.
  const arch = options.arch ?? "amd64";
  describe(options.title, { skip: vmSkipReason(arch), timeout: (options.timeoutSeconds + 120) * 1000 }, () => {
    let run: GuestRun | undefined;

    before(async () => {
      const fixture = requireVmFixture(arch);
      const setup = await options.prepare(fixture);
      const initrd = path.join(tempDir("vm"), "initrd.cpio");
      try {
        if (setup.initramfs) await setup.initramfs(initrd, [setup.overlay.dir]);
        else await buildInitramfs(initrd, [setup.overlay.dir], arch);
        run = await bootGuest({ arch, vmlinuz: fixture.vmlinuz, initrd, disk: setup.disk, disks: setup.disks, nic: setup.nic, qemuArgs: setup.qemuArgs, cpus: options.cpus, memoryMiB: options.memoryMiB, timeoutSeconds: options.timeoutSeconds });
        fs.mkdirSync(CACHE, { recursive: true });
        fs.writeFileSync(log, run.text);
      } finally {
        setup.overlay.remove();
        setup.cleanup?.();
        fs.rmSync(path.dirname(initrd), { recursive: true, force: true });
      }
    });

    const guest = (): GuestRun => {
      assert.ok(run, "the guest did not run");
      return run;
    };

    it("boots, runs every scenario and powers off", (t) => {
      const g = guest();
      // The guest's uptime at /init and at the end of its scenarios: where a slow run's time went.
      const uptime = (key: string): number => Number((g.reports.get(key)?.[0] ?? "").split(" ").pop());
      t.diagnostic(`${arch}: /init at ${uptime("BOOTED").toFixed(1)} s, scenarios ${(uptime("DONE") - uptime("BOOTED")).toFixed(1)} s, QEMU ${g.seconds.toFixed(1)} s in all`);
      const tail = `QEMU exit ${g.status}, ${g.seconds.toFixed(1)} s; console (${log}):\n${consoleTail(g.text)}\n${g.stderr}`;
      assert.ok(g.booted, `the guest never reached /init. ${tail}`);
      assert.ok(g.done, `the guest did not finish its scenarios. ${tail}`);
      assert.equal(g.status, 0, tail);
      const known = new Set(options.scenarios.map((s) => s.name));
      assert.deepEqual([...g.results.keys()].filter((name) => !known.has(name)), [], "results for scenarios this suite does not list");
    });

    for (const scenario of options.scenarios) {
      it(scenario.title, () => {
        const g = guest();
        const result = g.results.get(scenario.name);
        assert.ok(result, `no result for ${scenario.name}; console (${log}):\n${consoleTail(g.text)}`);
        const notes = (g.notes.get(scenario.name) ?? []).map((n) => `  ${n}`).join("\n");
        assert.ok(result.passed, `${scenario.name}: ${result.detail}${notes ? `\n${notes}` : ""}`);
      });
    }
  });
}
