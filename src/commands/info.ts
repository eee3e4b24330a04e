import { openBundle } from "./open-bundle";
import { writeOut } from "../cli-kit/output";
import { summarizeBundle } from "../bundle/summary";
import { escapeControls } from "../util/escape";

export function run(options: { readonly bundle: string }): number {
  const bundle = openBundle(options.bundle);
  try {
    const summary = summarizeBundle(bundle);
    const rows: Array<[string, string]> = [
      ["file", options.bundle],
      ["format version", String(summary.formatVersion)],
      ["kernel version", escapeControls(summary.kernelVersion)],
      ["size", `${summary.archiveLength} bytes`],
      ["modules", String(summary.modules)],
      ["compression", Object.entries(summary.compression).map(([k, n]) => `${k} ${n}`).join(", ")],
      ["module bytes", String(summary.moduleBytes)],
      ["other files", summary.otherFiles.map((name) => escapeControls(name)).join(" ") || "(none)"],
      ["aliases", String(summary.aliases)],
      ["symbols", String(summary.symbols)],
      ["builtin modules", String(summary.builtin)],
      ["builtin aliases", String(summary.builtinAliases)],
      ["devnames", String(summary.devnames)],
      ["index", `${summary.indexLength} bytes at offset ${summary.indexOffset}`],
    ];
    writeOut(rows.map(([k, v]) => `${(k + ":").padEnd(17)}${v}\n`).join(""));
  } finally {
    bundle.close();
  }
  return 0;
}
