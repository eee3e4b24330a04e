import { CommandIO } from "../cli-kit/io";
import { KmodLogger } from "../cli-kit/kmod-log";
import { ModuleContext, ModuleHandle } from "../resolve/modules";
import { Kernel } from "../kernel/kernel";
import { ModprobeOptions } from "./args";
import { ScratchBuffers } from "../util/scratch-buffers";

/**
 * One modprobe run: the options, the resolved context (database and configuration), the logger,
 * and the kernel (requested only when something must be loaded, removed or checked). The log
 * threshold for modprobe's own "LOG" messages is FATAL, or WARNING with -a (kmod's
 * log_priority), while library messages use the verbosity.
 */
export class ModprobeSession {
  /** kmod_module's ignorecmd, kept for the whole run (see probePlan). */
  readonly ignoreCommand = new Map<ModuleHandle, boolean>();
  /** Buffers for the images of the modules being loaded. */
  readonly moduleBuffers = new ScratchBuffers();
  private kernelInstance: Kernel | undefined;

  constructor(
    readonly options: ModprobeOptions,
    readonly ctx: ModuleContext,
    readonly io: CommandIO,
    readonly logger: KmodLogger,
  ) {}

  get kernel(): Kernel {
    return (this.kernelInstance ??= this.io.kernel());
  }

  /** modprobe.c LOG(): FATAL, or WARNING with -a. */
  fatal(message: string): void {
    this.logger.log(this.options.all ? 4 : 2, message);
  }

  /** SHOW(): the dry-run and verbose action lines, on stdout. */
  get showing(): boolean {
    return this.options.showDepends || this.options.verbosity > 4;
  }

  /** LIVE or BUILTIN (module_is_inkernel). */
  isInKernel(module: ModuleHandle): boolean {
    if (this.ctx.isBuiltin(module)) return true;
    return this.kernel.initstate(module.name) === "live";
  }

  /** kmod_module_get_initstate: builtin, a state, or undefined when not loaded. */
  initstate(module: ModuleHandle): "builtin" | "live" | "coming" | "going" | undefined {
    if (this.ctx.isBuiltin(module)) return "builtin";
    return this.kernel.initstate(module.name);
  }

  /** $MODPROBE_OPTIONS for nested modprobe runs, with -C/-s/-q/-v appended. */
  childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    const env = { ...this.io.env, ...extra };
    if (this.options.inheritedOptions.length > 0) {
      const inherited = this.options.inheritedOptions.join(" ");
      env.MODPROBE_OPTIONS = env.MODPROBE_OPTIONS ? `${env.MODPROBE_OPTIONS} ${inherited}` : inherited;
    }
    return env;
  }
}
