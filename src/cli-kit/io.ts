import { Kernel } from "../kernel/kernel";

/**
 * What a command needs from its surroundings, passed in so that tests can run commands in-process
 * with a fake kernel and captured output. The CLI passes the real process and, only when a
 * command asks for it, the real kernel.
 */
export interface CommandIO {
  /** The name the program was invoked as (for messages: "modprobe: ERROR: ..."). */
  readonly prog: string;
  readonly env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Called only when the command needs the kernel; the real one loads the FFI bindings. */
  kernel(): Kernel;
  /** Runs a shell command (install/remove commands), returning its exit status. */
  system(command: string, env: NodeJS.ProcessEnv): number;
  /** /proc/cmdline's contents, or undefined when unreadable. */
  kernelCmdline(): string | undefined;
  /** `uname -r`. */
  release(): string;
}

export type KmodCommand = (args: readonly string[], io: CommandIO) => Promise<number>;
