import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, fixtureModuleDir, median, runs, timeCommand } from "./common";

/**
 * Start-up cost: `modbundle modprobe --show-depends btrfs` and `modprobe -R <PCI modalias>` on the
 * Debian amd64 bundle, side by side with `node -e 0`, alternating; prints medians and ratios
 * (target <= 1.15).
 */
function main(): void {
  const { moduleDir, version } = fixtureModuleDir();
  const work = fs.mkdtempSync("/tmp/modbundle-bench-startup-");
  const bundle = path.join(work, "modules.bundle");
  spawnSync(process.execPath, [CLI, "pack", moduleDir, "-o", bundle]);
  const config = path.join(work, "modprobe.d");
  fs.mkdirSync(config);
  const node = `${process.execPath} -e 0`;
  const common = `${process.execPath} ${CLI} modprobe --bundle ${bundle} -C ${config} -S ${version}`;
  const commands: Array<[string, string]> = [
    ["modprobe --show-depends btrfs", `${common} --show-depends btrfs > /dev/null`],
    ["modprobe -R pci:v00008086d0000100E...", `${common} -R pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00 > /dev/null`],
  ];
  const n = Math.max(runs(), 20);
  const baseline: number[] = [];
  const measured: number[][] = commands.map(() => []);
  for (let i = 0; i < 3; i++) commands.forEach(([, c]) => timeCommand(c));
  for (let i = 0; i < n; i++) {
    baseline.push(timeCommand(node).seconds);
    commands.forEach(([, c], k) => measured[k].push(timeCommand(c).seconds));
  }
  const b = median(baseline);
  console.log(`node -e 0: median ${(b * 1000).toFixed(1)} ms (${n} runs, alternating)`);
  commands.forEach(([label], k) => {
    const m = median(measured[k]);
    console.log(`${label}: median ${(m * 1000).toFixed(1)} ms, ratio ${(m / b).toFixed(3)} (target <= 1.15)`);
  });
  fs.rmSync(work, { recursive: true, force: true });
}

main();
