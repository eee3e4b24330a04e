import { ModuleDatabase } from "../resolve/module-db";
import { ModprobeConfig } from "../config/types";

/**
 * `modprobe -c`: the configuration in kmod's order (blacklist, install, remove, alias, options,
 * softdep, then weakdep), then the alias and symbol indexes dumped as "alias KEY VALUE" in key
 * order, values by priority.
 */
export function renderConfig(config: ModprobeConfig, db: ModuleDatabase | undefined): string {
  const out: string[] = [];
  for (const name of config.blacklists) out.push(`blacklist ${name}\n`);
  for (const c of config.installs) out.push(`install ${c.module} ${c.command}\n`);
  for (const c of config.removes) out.push(`remove ${c.module} ${c.command}\n`);
  for (const a of config.aliases) out.push(`alias ${a.pattern} ${a.module}\n`);
  for (const o of config.options) out.push(`options ${o.module} ${o.options}\n`);
  for (const s of config.softdeps) out.push(`softdep ${s.module} ${s.text}\n`);
  for (const w of config.weakdeps) out.push(`weakdep ${w.module} ${w.deps.join(" ")}\n`);
  out.push("\n# End of configuration files. Dumping indexes now:\n\n");
  db?.lookup.forEachIndexAlias((key, value) => out.push(`alias ${key} ${value}\n`));
  return out.join("");
}
