import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Bundle } from "../src/bundle/reader";
import { FileSource } from "../src/io/byte-source";
import { Span } from "../src/io/http-ranges";
import { ServedResponse, startRangeServer } from "../src/io/range-server";
import { FakeKernel } from "../src/kernel/fake-kernel";
import { runModprobe } from "../src/modprobe/run";
import { runInProcess } from "../test/helpers/inprocess";
import { packBundle } from "../test/vm/artefacts";
import { BENCH_SET } from "../test/vm/sets";
import { CLI, REPO_ROOT, fixtureModuleDir } from "./common";

/**
 * Remote bundles: what `modprobe` fetches from a URL of the full Debian amd64 bundle, served by
 * modbundle's own range server (src/io/range-server.ts) on 127.0.0.1, loading into the fake
 * kernel (checked against the kernel's Module.symvers). For `modprobe btrfs` and for
 * `modprobe -a` of bench/vm's set: requests and body bytes, against the bundle's size, the bytes
 * of the modules loaded, and the index bytes the same command reads from the local file (traced
 * here, in process). Target for btrfs: bytes <= 1.1 x (modules + index read), requests <=
 * modules + 3.
 */
interface Scenario {
  readonly label: string;
  readonly args: readonly string[];
  readonly byteTarget?: number;
}

const SCENARIOS: readonly Scenario[] = [
  { label: "modprobe btrfs", args: ["btrfs"], byteTarget: 1.1 },
  { label: `modprobe -a (bench set, ${BENCH_SET.length} named)`, args: ["-a", ...BENCH_SET] },
];

function union(spans: readonly Span[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let end = -1;
  for (const s of sorted) {
    if (s.end <= end) continue;
    total += s.end - Math.max(s.start, end);
    end = s.end;
  }
  return total;
}

function fakeKernelState(dir: string, symvers: string, vermagic: string): string {
  const file = path.join(dir, `kernel-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ symvers, vermagic }));
  return file;
}

function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stderr: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: "latin1", maxBuffer: 64 << 20 }, (error, _stdout, stderr) => {
      const status = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ status, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
  });
}

/** The index ranges the same modprobe reads from the file (FileSource.readAt traced). */
async function indexBytesRead(bundleFile: string, args: readonly string[], symvers: string, vermagic: string, index: Span): Promise<number> {
  const reads: Span[] = [];
  const original = FileSource.prototype.readAt;
  FileSource.prototype.readAt = function (this: FileSource, offset: number, length: number): Buffer {
    if (offset < index.end && offset + length > index.start) reads.push({ start: Math.max(offset, index.start), end: Math.min(offset + length, index.end) });
    return original.call(this, offset, length);
  };
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-bench-remote-"));
    const kernel = FakeKernel.persistent(fakeKernelState(dir, symvers, vermagic));
    const result = await runInProcess(runModprobe, ["--bundle", bundleFile, ...args], { kernel, env: {} });
    fs.rmSync(dir, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`modprobe from the file failed: ${result.stderr}`);
  } finally {
    FileSource.prototype.readAt = original;
  }
  return union(reads);
}

async function main(): Promise<void> {
  const { moduleDir, version } = fixtureModuleDir();
  const packageName = fs.readFileSync(path.join(REPO_ROOT, ".cache", "kernel", "amd64", "PACKAGE"), "latin1").trim();
  const symvers = path.join(REPO_ROOT, ".cache", "kernel", "amd64", "headers", "usr", "src", `linux-headers-${version}`, "Module.symvers");
  if (!fs.existsSync(symvers)) throw new Error(`${symvers} is missing: run scripts/fetch-headers.sh amd64`);
  console.log("packing the full bundle (cached)...");
  const bundleFile = packBundle({ arch: "amd64", moduleDir, version, packageName, vmlinuz: "" }, "full");
  const bundle = Bundle.open(FileSource.open(bundleFile));
  const { header } = bundle;
  const indexSpan = { start: header.indexOffset, end: header.indexOffset + header.indexLength };
  const vermagic = (() => {
    const btrfs = bundle.index.findModule("btrfs");
    const text = bundle.readMember(bundle.index.moduleMember(btrfs)).toString("latin1");
    const at = text.indexOf("vermagic=");
    return text.slice(at + "vermagic=".length, text.indexOf("\0", at));
  })();
  const sizeOfModule = (name: string): number => bundle.index.moduleMember(bundle.index.findModule(name)).size;

  const log: ServedResponse[] = [];
  const server = await startRangeServer({ files: [bundleFile], port: 0, bind: "127.0.0.1", onResponse: (r) => log.push(r) });
  const url = server.urls[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-bench-remote-"));
  console.log(`bundle: ${header.archiveLength} bytes (index ${header.indexLength}), served at ${url}`);
  console.log("(timings on a shared, contended machine; bytes and requests do not depend on it)\n");
  try {
    for (const scenario of SCENARIOS) {
      log.length = 0;
      const state = fakeKernelState(dir, symvers, vermagic);
      const env = { PATH: process.env.PATH, MODBUNDLE_NO_SYSCALLS: "1", MODBUNDLE_FAKE_KERNEL: state };
      const run = await runCliAsync(["modprobe", "--bundle", url, ...scenario.args], env);
      if (run.status !== 0) throw new Error(`${scenario.label} from the URL failed (${run.status}): ${run.stderr}`);
      const loaded = (JSON.parse(fs.readFileSync(state, "utf8")) as { modules: Array<{ name: string }> }).modules.map((m) => m.name);
      const moduleBytes = loaded.reduce((sum, name) => sum + sizeOfModule(name), 0);
      const indexRead = await indexBytesRead(bundleFile, scenario.args, symvers, vermagic, indexSpan);
      const transferred = log.reduce((sum, r) => sum + r.bodyBytes, 0);
      const requests = log.length;
      const ranges = log.reduce((sum, r) => sum + r.ranges.length, 0);
      const ratio = transferred / (moduleBytes + indexRead);
      console.log(scenario.label);
      console.log(`  modules loaded         ${loaded.length} (${moduleBytes} bytes)`);
      console.log(`  index bytes read       ${indexRead} (from the file, same command)`);
      console.log(`  transferred            ${transferred} bytes of body in ${requests} requests (${ranges} ranges), ${(transferred / header.archiveLength * 100).toFixed(2)} % of the bundle`);
      console.log(`  bytes / (modules + index read) = ${ratio.toFixed(4)}${scenario.byteTarget ? ` (target <= ${scenario.byteTarget})` : ""}`);
      console.log(`  requests ${requests} vs modules + 3 = ${loaded.length + 3}${scenario.byteTarget ? " (target: requests <= modules + 3)" : ""}`);
      console.log(`  wall time ${run.seconds.toFixed(2)} s (process start, worker start, fake-kernel checks included)\n`);
    }
  } finally {
    await server.close();
    bundle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
