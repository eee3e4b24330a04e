import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Shared helpers for the benchmarks: repeated timed runs, medians, ratios. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const CLI = path.join(REPO_ROOT, "dist", "modbundle.js");

export function fixtureModuleDir(arch = "amd64"): { moduleDir: string; version: string } {
  const modules = path.join(REPO_ROOT, ".cache", "kernel", arch, "root", "lib", "modules");
  if (!fs.existsSync(modules)) throw new Error(`no kernel fixture: run scripts/fetch-kernel.sh ${arch}`);
  const version = fs.readdirSync(modules)[0];
  return { moduleDir: path.join(modules, version), version };
}

export interface Timed {
  readonly seconds: number;
  readonly maxRssKiB?: number;
}

/**
 * NODE_EXTRA_CA_CERTS (a machine may set it for its package registry) makes every node process
 * read that file of certificates as it starts: here some 90 ms, where node -e 0 takes 50 ms
 * without it. It adds to node's side of a comparison with a C tool, and to both sides of one
 * with node -e 0, so the benches that print ratios print them a second time without it, as
 * most machines run node.
 */
export const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
export const WITHOUT_EXTRA_CA_CERTS: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== "NODE_EXTRA_CA_CERTS"));

/** Runs a shell command, timing it; with `measureRss`, under GNU time for the peak RSS. */
export function timeCommand(command: string, measureRss = false, env: NodeJS.ProcessEnv = process.env): Timed {
  const rssFile = path.join(fs.mkdtempSync("/tmp/modbundle-bench-"), "rss");
  const wrapped = measureRss ? `/usr/bin/time -f %M -o ${rssFile} sh -c '${command.replace(/'/g, "'\\''")}'` : command;
  const start = process.hrtime.bigint();
  const result = spawnSync("sh", ["-c", wrapped], { stdio: ["ignore", "ignore", "pipe"], env });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const maxRssKiB = measureRss ? Number(fs.readFileSync(rssFile, "latin1").trim()) : undefined;
  fs.rmSync(path.dirname(rssFile), { recursive: true, force: true });
  return { seconds, maxRssKiB };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function runs(): number {
  const n = Number(process.env.BENCH_RUNS ?? 10);
  return Number.isInteger(n) && n > 0 ? n : 10;
}
