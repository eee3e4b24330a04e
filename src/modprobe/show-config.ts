import { ModuleDatabase } from "../resolve/module-db";
import { ModprobeConfig } from "../config/types";
import { escapeControls } from "../util/escape";

/**
 * `modprobe -c`: the configuration in kmod's order (blacklist, install, remove, alias, options,
 * softdep, then weakdep), then the alias and symbol indexes dumped as "alias KEY VALUE" in key
 * order, values by priority. Each line is printed with its control characters escaped: the
 * softdeps, weakdeps and indexes come from the bundle, and a hostile one could otherwise drive
 * the terminal or forge lines (a real index or configuration never holds a control character).
 */
export function renderConfig(config: ModprobeConfig, db: ModuleDatabase | undefined): string {
  const lines: string[] = [];
  for (const name of config.blacklists) lines.push(`blacklist ${name}`);
  for (const c of config.installs) lines.push(`install ${c.module} ${c.command}`);
  for (const c of config.removes) lines.push(`remove ${c.module} ${c.command}`);
  for (const a of config.aliases) lines.push(`alias ${a.pattern} ${a.module}`);
  for (const o of config.options) lines.push(`options ${o.module} ${o.options}`);
  for (const s of config.softdeps) lines.push(`softdep ${s.module} ${s.text}`);
  for (const w of config.weakdeps) lines.push(`weakdep ${w.module} ${w.deps.join(" ")}`);
  lines.push("", "# End of configuration files. Dumping indexes now:", "");
  db?.lookup.forEachIndexAlias((key, value) => lines.push(`alias ${key} ${value}`));
  return lines.map((line) => `${escapeControls(line)}\n`).join("");
}
