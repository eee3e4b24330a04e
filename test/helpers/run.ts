import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CLI, tempDir } from "./paths";

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let fakeKernelDir: string | undefined;
let fakeKernelCount = 0;

/**
 * A fresh fake-kernel state file for one CLI run; all of them go when the test process exits.
 */
function freshFakeKernel(): string {
  if (!fakeKernelDir) {
    const dir = tempDir("fake-kernel");
    fakeKernelDir = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return path.join(fakeKernelDir, `kernel-${++fakeKernelCount}.json`);
}

/**
 * Runs the built CLI as a user would, but never against the kernel of the machine running the
 * tests: unless the caller gives its own MODBUNDLE_FAKE_KERNEL state file, the run gets a fresh
 * one, and MODBUNDLE_NO_SYSCALLS keeps the module system calls unreachable either way.
 */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; argv0?: string; cwd?: string } = {}): RunResult {
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  if (!env.MODBUNDLE_FAKE_KERNEL) env.MODBUNDLE_FAKE_KERNEL = freshFakeKernel();
  env.MODBUNDLE_NO_SYSCALLS = "1";
  // One load at a time unless the caller asks for more: most tests check kmod's sequential order.
  env.MODBUNDLE_JOBS ??= "1";
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "latin1",
    env,
    cwd: options.cwd,
    maxBuffer: 256 << 20,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs any command; throws when it cannot be started. */
export function run(command: string, args: readonly string[], options: { cwd?: string; input?: Buffer } = {}): RunResult {
  const result = spawnSync(command, args, { encoding: "latin1", cwd: options.cwd, input: options.input, maxBuffer: 256 << 20 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
