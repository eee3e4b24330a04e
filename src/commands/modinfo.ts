import { ModbundleError } from "../errors";
import { formatFields, formatHeader, LayoutOptions } from "../info/format";
import { InfoError, InfoField } from "../info/modinfo";
import { HELP_TEXT, ModinfoOptions, parseModinfoArgs } from "../info/options";
import { VERSION_TEXT } from "../cli-kit/version";
import { ModinfoSession, ModinfoTarget, isModuleFilename } from "../info/targets";
import { openDatabase } from "../modprobe/context";
import { CommandIO, KmodCommand } from "../cli-kit/io";
import { strerror } from "../util/errno";
import { escapeControls } from "../util/escape";

/**
 * modinfo: kmod's modinfo (tools/modinfo.c), reading modules from a bundle. Each argument is a
 * module file (an existing path with a module extension), else a name (-m) or an alias; every
 * module it resolves to is shown in turn. The exit status is 1 if any argument failed.
 */
export const run: KmodCommand = async (args, io) => {
  const parsed = parseModinfoArgs(args, io.env);
  switch (parsed.action) {
    case "help":
      io.stdout(HELP_TEXT.replace("%s", io.prog));
      return 0;
    case "version":
      io.stdout(VERSION_TEXT);
      return 0;
    case "getopt-error":
      io.stderr(`${io.prog}: ${parsed.message}\n`);
      return 1;
    case "error":
      io.stderr(`${io.prog}: ERROR: ${parsed.message}\n`);
      return 1;
    case "run":
      return modinfo(parsed.options, io);
  }
};

/** Where one module's lines go, and how they are laid out. */
interface Output {
  readonly io: CommandIO;
  readonly layout: LayoutOptions;
  error(message: string): void;
}

async function modinfo(options: ModinfoOptions, io: CommandIO): Promise<number> {
  const out: Output = {
    io,
    layout: { field: options.field, separator: options.separator },
    // Error lines name modules, paths and kernel versions from a bundle: escaped, as every
    // kmod-style error line is (cli-kit/kmod-log), on a terminal or not.
    error: (message) => io.stderr(`${io.prog}: ERROR: ${escapeControls(message)}\n`),
  };
  const session = new ModinfoSession(() => openDatabase(options, io), io.env);
  let ok = true;
  try {
    for (const arg of options.operands) {
      if (!(await modinfoArgument(arg, options.modname, session, out))) ok = false;
    }
  } catch (caught) {
    // The bundle itself is unusable (unreadable, corrupt, unknown version): nothing more can be shown.
    if (!(caught instanceof ModbundleError)) throw caught;
    out.error(caught.message);
    return 1;
  } finally {
    session.close();
  }
  return ok ? 0 : 1;
}

/** modinfo_name_do, modinfo_path_do or modinfo_alias_do: one argument; false if it failed. */
async function modinfoArgument(arg: string, modname: boolean, session: ModinfoSession, out: Output): Promise<boolean> {
  if (modname) {
    const target = session.resolveName(arg);
    if (target) return show(target, out);
    out.error(`Module name ${arg} not found.`);
    return false;
  }
  if (isModuleFilename(arg)) {
    const target = session.resolvePath(arg);
    if (target) return show(target, out);
    out.error(`Module file ${arg} not found.`);
    return false;
  }
  const targets = session.resolveAlias(arg);
  if (targets === undefined) {
    out.error(`Module alias ${arg} not found.`);
    return false;
  }
  if (targets.length === 0) {
    out.error(`Module ${arg} not found.`);
    return false;
  }
  let ok = true;
  for (const target of targets) if (!(await show(target, out))) ok = false;
  return ok;
}

/** modinfo_do: one module. */
async function show(target: ModinfoTarget, out: Output): Promise<boolean> {
  // Names, paths and .modinfo values come from the module. On a terminal they are shown with
  // controls escaped (newlines and tabs kept: signatures span lines); into a pipe they stay
  // byte for byte what kmod's modinfo prints, for scripts that parse them.
  const shown = process.stdout.isTTY ? (text: string): string => escapeControls(text, { keepNewlines: true }) : (text: string): string => text;
  const header = formatHeader(shown(target.name), target.filename === undefined ? undefined : shown(target.filename), out.layout);
  if (header.text !== "") out.io.stdout(header.text);
  if (header.done) return true;
  let fields: InfoField[];
  try {
    fields = await target.info();
  } catch (caught) {
    if (!(caught instanceof InfoError)) throw caught;
    // A builtin module of a kernel without modules.builtin.modinfo: its name is all there is.
    if (target.filename === undefined && caught.errno === "ENOENT") return true;
    out.error(`could not get modinfo from '${target.name}': ${caught.reason ?? strerror(caught.errno)}`);
    return false;
  }
  const body = formatFields(fields.map((f) => ({ ...f, key: shown(f.key), value: shown(f.value) })), out.layout);
  if (body.text !== "") out.io.stdout(body.text);
  for (const message of body.errors) out.error(message);
  return true;
}
