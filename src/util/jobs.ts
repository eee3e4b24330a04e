import os = require("node:os");

/**
 * How many loads a batch may have in flight: `-j N` / `--jobs N`, else $MODBUNDLE_JOBS, else the
 * number of CPUs this process may run on. A string is the error for a value that is not a
 * positive whole number.
 */
export function jobCount(option: string | undefined, env: NodeJS.ProcessEnv): number | string {
  const [text, where] = option !== undefined ? [option, "jobs"] : [env.MODBUNDLE_JOBS, "MODBUNDLE_JOBS"];
  if (text === undefined || text === "") return os.availableParallelism();
  if (!/^[1-9][0-9]{0,3}$/.test(text)) return `invalid ${where} value '${text}'.`;
  return Number(text);
}
