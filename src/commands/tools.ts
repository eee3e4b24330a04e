import type { PackCompression } from "../pack/pack";
import { UsageError, writeOut } from "../cli-kit/output";
import { defineTool, Tool, ToolContext, toolUsage, toolUsageError } from "../cli-kit/subcommand";
import { VERSION_TEXT } from "../cli-kit/version";

/**
 * `modbundle COMMAND ...`: the bundle tools. Each is one entry of TOOLS: its options and operands
 * (from which its parsing, usage text and argument errors follow), a pure function from what was
 * parsed to the options its run takes, and a lazy import of that run. Adding a command is adding
 * an entry (and a row to test/commands/tools-args.test.ts). The kmod commands (modprobe, ...) are
 * dispatched by src/cli.ts before this file is loaded.
 */
const COMPRESSIONS: readonly PackCompression[] = ["keep", "none", "xz", "zstd", "gzip"];

export const TOOLS: readonly Tool[] = [
  defineTool({
    name: "pack",
    summary: "pack a module directory into a bundle",
    operands: ["[MODULEDIR]"],
    options: [
      { long: "output", short: "o", arg: "FILE", help: "bundle to write (default /boot/modules-VERSION)" },
      { long: "compress", arg: "MODE", help: "keep, none, xz, zstd or gzip (default keep)" },
      { long: "only", arg: "NAME", help: "only this module or alias and what it needs; repeat for more" },
    ],
    details:
      "MODULEDIR is /lib/modules/VERSION (default: that of the running kernel), or a staging root\n" +
      "holding lib/modules/VERSION (make modules_install INSTALL_MOD_PATH=...).\n",
    parse: (args) => {
      const compress = args.value("compress") ?? "keep";
      if (!(COMPRESSIONS as readonly string[]).includes(compress)) {
        throw new UsageError(`invalid --compress '${compress}' (expected one of ${COMPRESSIONS.join(", ")})`);
      }
      const only = args.values("only");
      return { moduleDir: args.operands[0], output: args.value("output"), compress: compress as PackCompression, only: only.length > 0 ? only : undefined };
    },
    load: async () => (await import("./pack.js")).run,
  }),
  defineTool({
    name: "unpack",
    summary: "restore the module tree and depmod's index files",
    operands: ["BUNDLE", "DIRECTORY"],
    options: [{ long: "force", short: "f", help: "unpack into a directory that already holds a module tree" }],
    parse: (args) => ({ bundle: args.operands[0], directory: args.operands[1], force: args.has("force") }),
    load: async () => (await import("./unpack.js")).run,
  }),
  defineTool({
    name: "depmod",
    summary: "write depmod's index files (text and .bin) into a module directory",
    operands: ["[VERSION]"],
    options: [{ long: "basedir", short: "b", arg: "ROOT", help: "the root the module directory is under (default /)" }],
    details: "The module directory is ROOT/lib/modules/VERSION (default: that of the running kernel).\n",
    parse: (args) => ({ basedir: args.value("basedir"), version: args.operands[0] }),
    load: async () => (await import("./depmod.js")).run,
  }),
  defineTool({
    name: "list",
    summary: "list the files a bundle holds",
    operands: ["BUNDLE"],
    options: [{ long: "long", short: "l", help: "show size and compression" }],
    parse: (args) => ({ bundle: args.operands[0], long: args.has("long") }),
    load: async () => (await import("./list.js")).run,
  }),
  defineTool({
    name: "info",
    summary: "describe a bundle",
    operands: ["BUNDLE"],
    options: [],
    parse: (args) => ({ bundle: args.operands[0] }),
    load: async () => (await import("./info.js")).run,
  }),
  defineTool({
    name: "verify",
    summary: "check every member of a bundle against its checksum",
    operands: ["BUNDLE"],
    options: [{ long: "quiet", short: "q", help: "print only problems" }],
    parse: (args) => ({ bundle: args.operands[0], quiet: args.has("quiet") }),
    load: async () => (await import("./verify.js")).run,
  }),
  defineTool({
    name: "serve",
    summary: "serve bundles over HTTP with byte ranges (for --bundle http://...)",
    operands: ["BUNDLE..."],
    options: [
      { long: "port", arg: "N", help: "port to listen on, 0 for any free one (default 8080)" },
      { long: "bind", arg: "ADDR", help: "address to listen on (default 127.0.0.1)" },
    ],
    parse: (args) => {
      const port = args.value("port") ?? "8080";
      if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new UsageError(`invalid --port '${port}' (expected 0 to 65535)`);
      return { files: args.operands, port: Number(port), bind: args.value("bind") ?? "127.0.0.1" };
    },
    load: async () => (await import("./serve.js")).run,
  }),
  defineTool({
    name: "link",
    summary: "create modprobe, insmod, rmmod, lsmod and modinfo links to modbundle",
    operands: ["[DIRECTORY]"],
    options: [{ long: "force", short: "f", help: "replace files that are not links to modbundle" }],
    details: "DIRECTORY defaults to /usr/local/sbin; for the kernel's own module requests use /sbin.\n",
    parse: (args, context) => ({ directory: args.operands[0] ?? "/usr/local/sbin", force: args.has("force"), program: context.program }),
    load: async () => (await import("./link.js")).run,
  }),
];

/** The kmod commands, run by src/cli.ts; listed here for `modbundle help`. */
const KMOD_COMMANDS = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo"];

function overview(): string {
  const width = Math.max(...TOOLS.map((t) => t.name.length)) + 2;
  return [
    "modbundle - all kernel modules of one kernel in a single file",
    "Usage:",
    "\tmodbundle [options] command [command_options]",
    "Options:",
    "\t-V, --version     show version",
    "\t-h, --help        show this help",
    "Commands:",
    ...TOOLS.map((t) => `  ${t.name.padEnd(width)}${t.summary}`),
    `  ${"help".padEnd(width)}show a command's usage: modbundle help COMMAND`,
    "kmod's commands, reading modules from a bundle (also through links made by 'modbundle link'):",
    `  ${KMOD_COMMANDS.join(", ")}`,
    "Loading the drivers of the devices present (an initramfs without udev; modbundle coldplug -h):",
    "  coldplug",
    "",
  ].join("\n");
}

export type ToolAction =
  | { readonly action: "print"; readonly text: string }
  | { readonly action: "run"; readonly tool: Tool; readonly args: readonly string[] };

/** What `modbundle ARGS` (ARGS not naming a kmod command) asks for; throws UsageError. */
export function toolAction(argv: readonly string[]): ToolAction {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("missing command (see 'modbundle help')");
  if (first === "-V" || first === "--version") return { action: "print", text: VERSION_TEXT };
  if (first === "-h" || first === "--help") return { action: "print", text: overview() };
  if (first === "help") {
    if (rest.length === 0) return { action: "print", text: overview() };
    if (rest.length > 1) throw toolUsageError("help", `unexpected argument '${rest[1]}'`);
    const tool = TOOLS.find((t) => t.name === rest[0]);
    if (tool === undefined) throw new UsageError(`help: unknown command '${rest[0]}' (see 'modbundle help')`);
    return { action: "print", text: toolUsage(tool) };
  }
  const tool = TOOLS.find((t) => t.name === first);
  if (tool === undefined) {
    if (first.startsWith("-")) throw new UsageError(`unrecognized option '${first}' (see 'modbundle help')`);
    throw new UsageError(`unknown command '${first}' (see 'modbundle help')`);
  }
  return { action: "run", tool, args: rest };
}

export async function runTools(argv: readonly string[], program: string): Promise<number> {
  const todo = toolAction(argv);
  if (todo.action === "print") {
    writeOut(todo.text);
    return 0;
  }
  const context: ToolContext = { env: process.env, program, stdout: writeOut };
  return todo.tool.run(todo.args, context);
}
