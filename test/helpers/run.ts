import { spawnSync } from "node:child_process";
import { CLI } from "./paths";

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; argv0?: string } = {}): RunResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "latin1",
    env: options.env ?? { ...process.env },
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
