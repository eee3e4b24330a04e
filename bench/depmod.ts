import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CLI, EXTRA_CA_CERTS, fixtureModuleDir, median, runs, timeCommand, WITHOUT_EXTRA_CA_CERTS } from "./common";

/**
 * `modbundle depmod` of the Debian amd64 tree against Debian's `depmod -b` on the same tree (each
 * on its own mirror of symbolic links, as depmod writes its files into the tree), alternating;
 * prints medians and their ratio (target <= 1.0), and checks that both wrote the same bytes.
 */
const FILES = [
  "modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin", "modules.softdep", "modules.symbols",
  "modules.symbols.bin", "modules.builtin.bin", "modules.builtin.alias.bin", "modules.devname",
];

function mirror(work: string, name: string, moduleDir: string, version: string): string {
  const base = path.join(work, name);
  fs.mkdirSync(path.join(base, "lib", "modules"), { recursive: true });
  spawnSync("cp", ["-rs", moduleDir, path.join(base, "lib", "modules", version)]);
  return base;
}

function main(): void {
  const { moduleDir, version } = fixtureModuleDir();
  const work = fs.mkdtempSync("/tmp/modbundle-bench-depmod-");
  const peerBase = mirror(work, "peer", moduleDir, version);
  const ourBase = mirror(work, "ours", moduleDir, version);
  const peer = `depmod -b ${peerBase} ${version}`;
  const ours = `${process.execPath} ${CLI} depmod -b ${ourBase} ${version}`;
  const n = runs();
  const peerTimes: number[] = [];
  const ourTimes: number[] = [];
  timeCommand(peer);
  timeCommand(ours);
  for (let i = 0; i < n; i++) {
    peerTimes.push(timeCommand(peer).seconds);
    ourTimes.push(timeCommand(ours).seconds);
  }
  const differing = FILES.filter((f) => {
    const a = fs.readFileSync(path.join(peerBase, "lib", "modules", version, f));
    const b = fs.readFileSync(path.join(ourBase, "lib", "modules", version, f));
    return !a.equals(b);
  });
  const p = median(peerTimes);
  const o = median(ourTimes);
  console.log(`tree: ${moduleDir}, ${n} runs each, alternating`);
  console.log(`Debian depmod -b:  median ${p.toFixed(3)} s`);
  console.log(`modbundle depmod:  median ${o.toFixed(3)} s`);
  console.log(`ratio modbundle / depmod: ${(o / p).toFixed(2)} (target <= 1.0)`);
  console.log(differing.length === 0 ? `all ${FILES.length} files byte-identical` : `DIFFERENT: ${differing.join(", ")}`);
  if (EXTRA_CA_CERTS !== undefined) {
    const plainPeer: number[] = [];
    const plainOurs: number[] = [];
    for (let i = 0; i < n; i++) {
      plainPeer.push(timeCommand(peer, false, WITHOUT_EXTRA_CA_CERTS).seconds);
      plainOurs.push(timeCommand(ours, false, WITHOUT_EXTRA_CA_CERTS).seconds);
    }
    const pp = median(plainPeer);
    const po = median(plainOurs);
    console.log(`without NODE_EXTRA_CA_CERTS (${EXTRA_CA_CERTS}), as most machines run node: depmod ${pp.toFixed(3)} s, modbundle ${po.toFixed(3)} s, ratio ${(po / pp).toFixed(2)} (target <= 1.0)`);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

main();
