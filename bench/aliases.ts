import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, fixtureModuleDir, median, runs, timeCommand } from "./common";

/**
 * 20,000 real modalias strings resolved in one process (`modprobe -a -R ...`) by modbundle and by
 * kmod's modprobe, alternating runs, on the Debian amd64 tree; prints the medians and their ratio
 * (target <= 1.0) and checks that both printed the same modules.
 */
function main(): void {
  const { moduleDir, version } = fixtureModuleDir();
  const work = fs.mkdtempSync("/tmp/modbundle-bench-aliases-");
  const base = path.join(work, "base");
  const dirname = path.join(base, "lib", "modules", version);
  fs.mkdirSync(path.dirname(dirname), { recursive: true });
  spawnSync("cp", ["-rs", moduleDir, dirname]);
  spawnSync("depmod", ["-b", base, version]);
  const bundle = path.join(work, "modules.bundle");
  spawnSync(process.execPath, [CLI, "pack", moduleDir, "-o", bundle]);
  const config = path.join(work, "modprobe.d");
  fs.mkdirSync(config);
  // Real modalias strings: the tree's own alias patterns with their wildcards filled in.
  const aliases = fs
    .readFileSync(path.join(dirname, "modules.alias"), "latin1")
    .split("\n")
    .filter((line) => line.startsWith("alias "))
    .map((line) => line.split(" ")[1].replace(/\[[^\]]*\]/g, "0").replace(/\*/g, "00001234").replace(/\?/g, "0"))
    .slice(0, 20000);
  const list = path.join(work, "aliases");
  fs.writeFileSync(list, aliases.join("\n"));
  const common = `-C ${config} -d ${base} -S ${version} -a -R $(cat ${list})`;
  // Some filled-in strings match nothing, so both exit 1 (as -a does then); the outputs are compared.
  const peer = `modprobe ${common} > ${work}/kmod.out 2>/dev/null || true`;
  const ours = `${process.execPath} ${CLI} modprobe --bundle ${bundle} ${common} > ${work}/ours.out 2>/dev/null || true`;
  const n = runs();
  const peerTimes: number[] = [];
  const ourTimes: number[] = [];
  timeCommand(peer);
  timeCommand(ours);
  for (let i = 0; i < n; i++) {
    peerTimes.push(timeCommand(peer).seconds);
    ourTimes.push(timeCommand(ours).seconds);
  }
  const same = fs.readFileSync(`${work}/kmod.out`).equals(fs.readFileSync(`${work}/ours.out`));
  const p = median(peerTimes);
  const o = median(ourTimes);
  console.log(`${aliases.length} aliases, ${n} runs each; outputs ${same ? "identical" : "DIFFER"}`);
  console.log(`kmod modprobe -a -R:      median ${p.toFixed(3)} s (${((p / aliases.length) * 1e6).toFixed(1)} us per alias)`);
  console.log(`modbundle modprobe -a -R: median ${o.toFixed(3)} s (${((o / aliases.length) * 1e6).toFixed(1)} us per alias)`);
  console.log(`ratio modbundle / kmod: ${(o / p).toFixed(2)} (target <= 1.00)`);
  fs.rmSync(work, { recursive: true, force: true });
  if (!same) process.exitCode = 1;
}

main();
