import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CLI, fixtureModuleDir, median, runs, timeCommand } from "./common";

/**
 * pack of the Debian amd64 tree against its peer, depmod -b plus find | cpio -o -H newc on the
 * same tree, alternating runs; prints medians, their ratio (target <= 1.5) and pack's peak RSS
 * (target <= 256 MiB).
 */
function main(): void {
  const { moduleDir, version } = fixtureModuleDir();
  const work = fs.mkdtempSync("/tmp/modbundle-bench-pack-");
  const base = path.join(work, "base");
  fs.mkdirSync(path.join(base, "lib", "modules"), { recursive: true });
  // depmod writes its files into the tree: give it a mirror of symbolic links (it follows them).
  spawnSync("cp", ["-rs", moduleDir, path.join(base, "lib", "modules", version)]);
  const peer = `depmod -b ${base} ${version} && cd ${moduleDir} && find kernel modules.order modules.builtin modules.builtin.modinfo | cpio -o -H newc --quiet > ${work}/peer.cpio`;
  const ours = `${process.execPath} ${CLI} pack ${moduleDir} -o ${work}/modules.bundle`;
  const n = runs();
  const peerTimes: number[] = [];
  const ourTimes: number[] = [];
  const rss: number[] = [];
  timeCommand(peer);
  timeCommand(ours);
  for (let i = 0; i < n; i++) {
    peerTimes.push(timeCommand(peer).seconds);
    const t = timeCommand(ours, true);
    ourTimes.push(t.seconds);
    rss.push(t.maxRssKiB ?? 0);
  }
  const p = median(peerTimes);
  const o = median(ourTimes);
  console.log(`tree: ${moduleDir} (${fs.statSync(`${work}/modules.bundle`).size} byte bundle), ${n} runs each`);
  console.log(`peer (depmod -b + find | cpio -o -H newc): median ${p.toFixed(3)} s`);
  console.log(`modbundle pack:                            median ${o.toFixed(3)} s`);
  console.log(`ratio pack / peer: ${(o / p).toFixed(2)} (target <= 1.50)`);
  console.log(`pack peak RSS: median ${(median(rss) / 1024).toFixed(1)} MiB, max ${(Math.max(...rss) / 1024).toFixed(1)} MiB (target <= 256 MiB)`);
  fs.rmSync(work, { recursive: true, force: true });
}

main();
