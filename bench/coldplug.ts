import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import { kmodTree, packBundle } from "../test/vm/artefacts";
import { COLDPLUG_SET, manyDevices } from "../test/vm/devices";
import { requireVmFixture } from "../test/vm/fixture";
import { Overlay } from "../test/vm/overlay";
import { bootGuest, buildInitramfs } from "../test/vm/qemu";
import { median, REPO_ROOT, runs } from "./common";

/**
 * Coldplug on a guest with many devices (test/vm/devices.ts): `modbundle coldplug` against the
 * pipeline Alpine's initramfs runs with kmod (`find /sys -name modalias | xargs sort -u | xargs
 * modprobe -b -a`, repeated until no new module loads), in one boot, alternating, everything
 * unloaded between runs (scripts/vm/guest/coldplug-bench.sh). Prints both medians, the ratio
 * (target <= 1.0) and the module sets each left loaded (they must be equal).
 * BENCH_RUNS sets the rounds (default 10), BENCH_VM_CPUS the guest's CPUs (default 2).
 */
function seconds(lines: readonly string[], tool: string): number[] {
  return lines.map((l) => l.split(" ")).filter(([label]) => label === tool).map(([, s]) => Number(s));
}

async function main(): Promise<void> {
  const fixture = requireVmFixture();
  const rounds = runs();
  const cpus = Number(process.env.BENCH_VM_CPUS ?? 2);
  const bundle = packBundle(fixture, "coldplug", { only: [...COLDPLUG_SET] });
  const overlay = new Overlay()
    .copy(`/boot/modules-${fixture.version}`, bundle)
    .copy("/kmod", kmodTree("coldplug", bundle, fixture.version))
    .write("/vm/bench.rounds", `${rounds}\n`)
    .write("/vm/kmod-coldplug.sh", fs.readFileSync(path.join(REPO_ROOT, "scripts", "vm", "guest", "kmod-coldplug.sh"), "latin1"))
    .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "scripts", "vm", "guest", "coldplug-bench.sh"), "latin1"));
  const initrd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-bench-coldplug-")), "initrd.cpio");
  try {
    await buildInitramfs(initrd, [overlay.dir]);
    console.log(`booting the guest (${cpus} CPU, TCG, many devices): ${rounds} rounds per tool...`);
    const run = await bootGuest({ vmlinuz: fixture.vmlinuz, initrd, cpus, qemuArgs: manyDevices(), timeoutSeconds: 600 + rounds * 300 });
    const lines = run.reports.get("BENCH") ?? [];
    const problems = [...(run.reports.get("BENCH_ERROR") ?? []), ...(run.reports.get("BENCH_DIFF") ?? [])];
    if (!run.done || lines.length === 0) throw new Error(`the guest run failed (QEMU exit ${run.status}):\n${run.text.slice(-3000)}`);
    const failed = lines.filter((l) => l.split(" ")[2] !== "0");
    const kmod = seconds(lines, "kmod");
    const modbundle = seconds(lines, "modbundle");
    const k = median(kmod);
    const m = median(modbundle);
    console.log(`kmod pipeline        median ${k.toFixed(2)} s  (${kmod.map((v) => v.toFixed(2)).join(" ")})`);
    console.log(`modbundle coldplug   median ${m.toFixed(2)} s  (${modbundle.map((v) => v.toFixed(2)).join(" ")})`);
    console.log(`ratio modbundle / kmod on ${cpus} CPU: ${(m / k).toFixed(3)} (target <= 1.0)`);
    for (const set of run.reports.get("SET") ?? []) console.log(`final set, ${set}`);
    if (failed.length > 0) console.log(`runs with a non-zero exit: ${failed.join("; ")}`);
    if (problems.length > 0) console.log(`differences:\n  ${problems.join("\n  ")}`);
    console.log(`guest boot to power-off: ${run.seconds.toFixed(1)} s`);
  } finally {
    overlay.remove();
    fs.rmSync(path.dirname(initrd), { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
