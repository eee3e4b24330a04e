import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, REPO_ROOT, fixtureModuleDir, median, runs, timeCommand } from "./common";

/**
 * Start-up of the single executable (npm run sea) against `node -e 0` and against the same
 * command run as `node dist/modbundle.js`: `modprobe --show-depends btrfs` and `modprobe -R
 * <PCI modalias>` on a bundle of the Debian amd64 tree, alternating; medians and ratios. Also
 * prints the executable's size. BENCH_BUNDLE names an existing bundle of the tree to use.
 */
async function main(): Promise<void> {
  const builder = (await import(path.join(REPO_ROOT, "scripts", "build-sea.mjs"))) as { buildSea(options: { quiet?: boolean; toDist?: boolean }): Promise<string> };
  const sea = await builder.buildSea({ quiet: true, toDist: false });
  const { moduleDir, version } = fixtureModuleDir();
  const work = fs.mkdtempSync("/tmp/modbundle-bench-sea-");
  // BENCH_BUNDLE: an existing bundle of the same tree, to skip packing it again.
  const bundle = process.env.BENCH_BUNDLE ?? path.join(work, "modules.bundle");
  if (!process.env.BENCH_BUNDLE) spawnSync(process.execPath, [CLI, "pack", moduleDir, "-o", bundle]);
  const config = path.join(work, "modprobe.d");
  fs.mkdirSync(config);
  const args = `modprobe --bundle ${bundle} -C ${config} -S ${version}`;
  const queries: Array<[string, string]> = [
    ["--show-depends btrfs", "--show-depends btrfs"],
    ["-R pci:v00008086d0000100E...", "-R pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"],
  ];
  const n = Math.max(runs(), 20);
  const node = `${process.execPath} -e 0`;
  const commands = queries.flatMap(([, q]) => [`${process.execPath} ${CLI} ${args} ${q} > /dev/null`, `${sea} ${args} ${q} > /dev/null`]);
  for (let i = 0; i < 3; i++) [node, ...commands].forEach((c) => timeCommand(c));
  const baseline: number[] = [];
  const measured: number[][] = commands.map(() => []);
  for (let i = 0; i < n; i++) {
    baseline.push(timeCommand(node).seconds);
    commands.forEach((c, k) => measured[k].push(timeCommand(c).seconds));
  }
  const b = median(baseline);
  console.log(`single executable: ${sea}, ${(fs.statSync(sea).size / 1048576).toFixed(1)} MiB (node itself: ${(fs.statSync(fs.realpathSync(process.execPath)).size / 1048576).toFixed(1)} MiB)`);
  console.log(`node -e 0: median ${(b * 1000).toFixed(1)} ms (${n} runs, alternating)`);
  queries.forEach(([label], q) => {
    const script = median(measured[2 * q]);
    const executable = median(measured[2 * q + 1]);
    console.log(`modprobe ${label}: node dist/modbundle.js ${(script * 1000).toFixed(1)} ms (${(script / b).toFixed(3)} x node -e 0); executable ${(executable * 1000).toFixed(1)} ms (${(executable / b).toFixed(3)} x node -e 0, ${(executable / script).toFixed(3)} x dist/modbundle.js)`);
  });
  fs.rmSync(work, { recursive: true, force: true });
}

void main();
