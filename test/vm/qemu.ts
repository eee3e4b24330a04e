import { spawn } from "node:child_process";
import * as path from "node:path";
import { GuestConsole, parseConsole } from "./console";
import { REPO_ROOT, VmArch } from "./fixture";

/**
 * Builds a guest's initramfs and boots it, through the shell builders in scripts/vm/ that the
 * demo and the benchmark use too.
 */
const SCRIPTS = path.join(REPO_ROOT, "scripts", "vm");

export interface BootOptions {
  /** amd64 unless given: the QEMU system and board that boot the kernel (scripts/vm/boot.sh). */
  readonly arch?: VmArch;
  readonly vmlinuz: string;
  readonly initrd: string;
  /** Attached as a read-only raw virtio disk: /dev/vda in the guest. */
  readonly disk?: string;
  /** More such disks after it (/dev/vdb, ...); QEMU's "blkdebug:CONFIG:IMAGE" is one too. */
  readonly disks?: readonly string[];
  /** A second NIC of this QEMU model (e.g. virtio-net-pci) on its own user network. */
  readonly nic?: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB?: number;
  readonly cpus?: number;
  /** More QEMU arguments (devices), passed as they are. */
  readonly qemuArgs?: readonly string[];
  /** Called with each piece of console output as it arrives. */
  readonly onOutput?: (chunk: string) => void;
}

export interface GuestRun extends GuestConsole {
  /** boot.sh's exit status: 124 when QEMU was killed at the time limit. */
  readonly status: number | null;
  readonly seconds: number;
  readonly stderr: string;
}

function runScript(script: string, args: readonly string[], onOutput?: (chunk: string) => void): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(SCRIPTS, script), args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      out.push(chunk);
      onOutput?.(chunk.toString("latin1"));
    });
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out).toString("latin1"), stderr: Buffer.concat(err).toString("latin1") }));
  });
}

/** scripts/vm/initramfs.sh: the system and project layers, then each directory's contents. */
export async function buildInitramfs(output: string, overlays: readonly string[], arch: VmArch = "amd64"): Promise<void> {
  const result = await runScript("initramfs.sh", ["--arch", arch, output, ...overlays]);
  if (result.status !== 0) throw new Error(`scripts/vm/initramfs.sh failed (${result.status}): ${result.stderr}`);
}

/**
 * scripts/vm/bare-initramfs.sh: busybox and the shared libraries of `libsOf` only (no node, no
 * kmod, no project), then each directory's contents.
 */
export async function buildBareInitramfs(output: string, libsOf: readonly string[], overlays: readonly string[]): Promise<void> {
  const result = await runScript("bare-initramfs.sh", [output, ...libsOf.flatMap((program) => ["--libs-of", program]), ...overlays]);
  if (result.status !== 0) throw new Error(`scripts/vm/bare-initramfs.sh failed (${result.status}): ${result.stderr}`);
}

/** Boots the guest and waits for it to power off (or for the time limit, when QEMU is killed). */
export async function bootGuest(options: BootOptions): Promise<GuestRun> {
  const args = ["--arch", options.arch ?? "amd64", "--timeout", String(options.timeoutSeconds), "--mem", String(options.memoryMiB ?? 1024), "--smp", String(options.cpus ?? 1)];
  for (const disk of [...(options.disk ? [options.disk] : []), ...(options.disks ?? [])]) args.push("--disk", disk);
  for (const arg of options.qemuArgs ?? []) args.push("--qemu", arg);
  if (options.nic) args.push("--nic", options.nic);
  const started = process.hrtime.bigint();
  const result = await runScript("boot.sh", [...args, options.vmlinuz, options.initrd], options.onOutput);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...parseConsole(result.stdout), status: result.status, seconds, stderr: result.stderr };
}
