import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import { kmodTree, packBundle } from "../test/vm/artefacts";
import { requireVmFixture } from "../test/vm/fixture";
import { Overlay } from "../test/vm/overlay";
import { bootGuest, buildInitramfs } from "../test/vm/qemu";
import { BENCH_SET } from "../test/vm/sets";
import { median, REPO_ROOT, runs } from "./common";

/**
 * Loading many modules on a real kernel: in one QEMU boot, Debian's kmod (`modprobe -a`, from the
 * unpacked tree) and modbundle (`modprobe -a`, one process, from the bundle) load the same set,
 * alternating, unloading everything between runs; then what modbundle's run is made of
 * (scripts/vm/guest/bench.sh). Prints medians and the ratio (target <= 1.0), and for each tool the
 * guest's CPU time during its runs split into user space, kernel and idle (from /proc/stat): the
 * kernel's part is the work of loading itself, the same for both tools when nothing else differs.
 * BENCH_RUNS sets the rounds (default 10), BENCH_VM_CPUS the guests' CPU counts, one boot each
 * (default "1,2": modbundle loads up to that many modules at a time, kmod one).
 */
const SET = BENCH_SET;

interface Sample {
  readonly seconds: number;
  readonly status: number;
  readonly modules: number;
  /** CPU seconds of the whole guest during the run (all CPUs): in user space, in the kernel, idle. */
  readonly user: number;
  readonly system: number;
  readonly idle: number;
}

function samples(lines: readonly string[], what: string): Sample[] {
  return lines
    .map((line) => line.split(" "))
    .filter(([label]) => label === what)
    .map(([, seconds, status, modules, user, system, idle]) => ({
      seconds: Number(seconds),
      status: Number(status),
      modules: Number(modules),
      user: Number(user),
      system: Number(system),
      idle: Number(idle),
    }));
}

function summary(label: string, list: readonly Sample[]): string {
  const values = list.map((s) => s.seconds);
  const cpu = (part: "user" | "system" | "idle"): string => median(list.map((s) => s[part])).toFixed(2);
  return `${label.padEnd(25)} median ${median(values).toFixed(2)} s  (${values.map((v) => v.toFixed(2)).join(" ")}); CPU medians: user ${cpu("user")} s, kernel ${cpu("system")} s, idle ${cpu("idle")} s`;
}

/** "STEP MS" and "total PART MS COUNT" lines (src/util/timing.ts): each one's median. */
function timingMedians(lines: readonly string[]): Array<[string, number]> {
  const values = new Map<string, number[]>();
  for (const line of lines) {
    const fields = line.split(" ");
    const total = fields[0] === "total";
    const label = total ? `total ${fields[1]} (${fields[3]} calls)` : fields.slice(0, -1).join(" ");
    const ms = Number(total ? fields[2] : fields[fields.length - 1]);
    values.set(label, [...(values.get(label) ?? []), ms]);
  }
  return [...values].map(([label, list]) => [label, median(list)]);
}

async function main(): Promise<void> {
  const cpuCounts = (process.env.BENCH_VM_CPUS ?? "1,2").split(",").map(Number);
  for (const cpus of cpuCounts) await benchGuest(cpus);
}

async function benchGuest(cpus: number): Promise<void> {
  const fixture = requireVmFixture();
  const rounds = runs();
  const bundle = packBundle(fixture, "bench", { only: SET });
  const tree = kmodTree("bench", bundle, fixture.version);
  const overlay = new Overlay()
    .copy(`/boot/modules-${fixture.version}`, bundle)
    .copy("/kmod", tree)
    .write("/vm/bench.set", `${SET.join(" ")}\n`)
    .write("/vm/bench.rounds", `${rounds}\n`)
    .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "scripts", "vm", "guest", "bench.sh"), "latin1"));
  const initrd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-bench-vm-")), "initrd.cpio");
  try {
    await buildInitramfs(initrd, [overlay.dir]);
    console.log(`booting the guest (${cpus} CPU, TCG): ${SET.length} modules named, ${rounds} rounds per tool...`);
    const run = await bootGuest({ vmlinuz: fixture.vmlinuz, initrd, timeoutSeconds: 600 + rounds * 300, cpus });
    const errors = run.reports.get("BENCH_ERROR") ?? [];
    const lines = run.reports.get("BENCH") ?? [];
    if (!run.done || errors.length > 0 || lines.length === 0) {
      throw new Error(`the guest run failed (QEMU exit ${run.status}):\n${errors.join("\n")}\n${run.text.slice(-3000)}`);
    }
    const kmod = samples(lines, "kmod");
    const modbundle = samples(lines, "modbundle");
    const failed = [...kmod, ...modbundle].filter((s) => s.status !== 0);
    if (failed.length > 0) throw new Error(`a load failed: ${JSON.stringify(failed)}`);
    const k = median(kmod.map((s) => s.seconds));
    const m = median(modbundle.map((s) => s.seconds));
    console.log(`${kmod[0].modules} modules loaded per run (${SET.length} named, with their dependencies and softdeps)`);
    console.log(summary("kmod modprobe -a", kmod));
    console.log(summary("modbundle modprobe -a", modbundle));
    console.log(summary("node -e 0", samples(lines, "node-start")));
    console.log(summary("modbundle modprobe -n -a", samples(lines, "plan")));
    console.log(`ratio modbundle / kmod on ${cpus} CPU: ${(m / k).toFixed(3)} (target <= ${cpus === 1 ? "1.2" : "1.0"})`);
    const part = (what: string): number => median(samples(lines, what).map((s) => s.seconds));
    const node = part("node-start");
    const parts: Array<[string, number]> = [
      ["the kernel's work (= kmod's whole run)", k],
      ["node start-up (node -e 0)", node],
      ["CLI start, index, plan (modprobe -n minus node)", part("plan") - node],
      ["reading the modules' bytes", part("read")],
      ["CRC-32 of the modules' bytes", part("crc32")],
      ["writing them to memory files", part("memfd-write")],
    ];
    // With one CPU nothing overlaps, so the parts add up to the run and the remainder is the
    // rest. With more, the loads overlap the reads, the memfd writes and each other: a remainder
    // would be meaningless (negative, as often as not), so the parts are shown on their own.
    if (cpus === 1) {
      parts.push(["the rest: per-module FFI calls, sysfs reads, GC", m - parts.reduce((a, [, v]) => a + v, 0)]);
      console.log(`where modbundle's ${m.toFixed(2)} s go (medians):`);
    } else {
      console.log(`the parts of modbundle's ${m.toFixed(2)} s (medians; on ${cpus} CPUs they overlap, so they do not add up to the run):`);
    }
    for (const [label, seconds] of parts) console.log(`  ${label.padEnd(48)} ${seconds.toFixed(2)} s`);
    console.log("modbundle's own trace of a run (MODBUNDLE_TIMING=1; medians, ms; marks since the process started, totals summed over loads, which overlap):");
    for (const [label, ms] of timingMedians(run.reports.get("TIMING") ?? [])) console.log(`  ${label.padEnd(48)} ${ms.toFixed(0)} ms`);
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
