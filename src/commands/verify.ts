import { openBundle } from "./open-bundle";
import { logLine, writeOut } from "../cli-kit/output";
import { verifyBundle } from "../bundle/verify";

export function run(options: { readonly bundle: string; readonly quiet: boolean }): number {
  const bundle = openBundle(options.bundle);
  try {
    const { checked, problems } = verifyBundle(bundle);
    for (const problem of problems) logLine("modbundle", "ERROR", problem.message);
    if (!options.quiet) writeOut(`${options.bundle}: ${checked} members checked, ${problems.length} bad\n`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    bundle.close();
  }
}
