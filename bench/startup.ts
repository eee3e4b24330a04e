import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, EXTRA_CA_CERTS, fixtureModuleDir, median, runs, timeCommand, WITHOUT_EXTRA_CA_CERTS } from "./common";

/**
 * Start-up cost: `modbundle modprobe --show-depends btrfs` and `modprobe -R <PCI modalias>` on the
 * Debian amd64 bundle (target <= 1.15) and on the plain module directory that Debian's depmod
 * indexed (directory mode, through kmod's .bin files; target <= 1.2), side by side with
 * `node -e 0`, alternating; prints medians, ratios and each command's median peak RSS.
 */
function main(): void {
  const { moduleDir, version } = fixtureModuleDir();
  const work = fs.mkdtempSync("/tmp/modbundle-bench-startup-");
  const bundle = path.join(work, "modules.bundle");
  spawnSync(process.execPath, [CLI, "pack", moduleDir, "-o", bundle]);
  const config = path.join(work, "modprobe.d");
  fs.mkdirSync(config);
  // Directory mode: a mirror of the tree (symbolic links) with Debian's depmod's files.
  const base = path.join(work, "base");
  fs.mkdirSync(path.join(base, "lib", "modules"), { recursive: true });
  spawnSync("cp", ["-rs", moduleDir, path.join(base, "lib", "modules", version)]);
  const depmod = spawnSync("depmod", ["-b", base, version]);
  if (depmod.status !== 0) throw new Error(`depmod: ${depmod.stderr}`);
  const node = `${process.execPath} -e 0`;
  const common = `${process.execPath} ${CLI} modprobe --bundle ${bundle} -C ${config} -S ${version}`;
  const directory = `${process.execPath} ${CLI} modprobe -d ${base} -C ${config} -S ${version}`;
  const kmod = `modprobe -d ${base} -C ${config} -S ${version}`;
  const pci = "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00";
  const commands: Array<[string, string, number | undefined]> = [
    ["bundle    --show-depends btrfs", `${common} --show-depends btrfs > /dev/null`, 1.15],
    ["bundle    -R pci:v00008086d0000100E...", `${common} -R ${pci} > /dev/null`, 1.15],
    ["directory --show-depends btrfs", `${directory} --show-depends btrfs > /dev/null`, 1.2],
    ["directory -R pci:v00008086d0000100E...", `${directory} -R ${pci} > /dev/null`, 1.2],
    ["kmod      --show-depends btrfs", `${kmod} --show-depends btrfs > /dev/null`, undefined],
    ["kmod      -R pci:v00008086d0000100E...", `${kmod} -R ${pci} > /dev/null`, undefined],
  ];
  const n = Math.max(runs(), 20);
  const baseline: number[] = [];
  const measured: number[][] = commands.map(() => []);
  const rss: number[][] = commands.map(() => []);
  for (let i = 0; i < 3; i++) commands.forEach(([, c]) => timeCommand(c));
  for (let i = 0; i < n; i++) {
    baseline.push(timeCommand(node).seconds);
    commands.forEach(([, c], k) => measured[k].push(timeCommand(c).seconds));
  }
  // Peak RSS in separate runs: GNU time's own start-up would blur the timings above.
  for (let i = 0; i < 5; i++) commands.forEach(([, c], k) => rss[k].push(timeCommand(c, true).maxRssKiB ?? 0));
  const b = median(baseline);
  console.log(`node -e 0: median ${(b * 1000).toFixed(1)} ms (${n} runs, alternating)`);
  commands.forEach(([label, , target], k) => {
    const m = median(measured[k]);
    const goal = target === undefined ? "" : ` (target <= ${target})`;
    console.log(`${label}: median ${(m * 1000).toFixed(1)} ms, ratio ${(m / b).toFixed(3)}${goal}, peak RSS ${(median(rss[k]) / 1024).toFixed(1)} MiB`);
  });
  if (EXTRA_CA_CERTS !== undefined) {
    const ours = commands.filter(([, , target]) => target !== undefined);
    const plainBaseline: number[] = [];
    const plain: number[][] = ours.map(() => []);
    for (let i = 0; i < n; i++) {
      plainBaseline.push(timeCommand(node, false, WITHOUT_EXTRA_CA_CERTS).seconds);
      ours.forEach(([, c], k) => plain[k].push(timeCommand(c, false, WITHOUT_EXTRA_CA_CERTS).seconds));
    }
    const pb = median(plainBaseline);
    console.log(`without NODE_EXTRA_CA_CERTS (${EXTRA_CA_CERTS}), as most machines run node: node -e 0 median ${(pb * 1000).toFixed(1)} ms`);
    ours.forEach(([label, , target], k) => {
      const m = median(plain[k]);
      console.log(`${label}: median ${(m * 1000).toFixed(1)} ms, ratio ${(m / pb).toFixed(3)} (target <= ${target})`);
    });
  }
  fs.rmSync(work, { recursive: true, force: true });
}

main();
