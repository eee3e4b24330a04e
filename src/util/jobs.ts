/**
 * How many loads a batch may have in flight: `-j N` / `--jobs N`, else $MODBUNDLE_JOBS, else
 * undefined, which means the number of CPUs this process may run on (cpuCount: asked only when a
 * batch runs, as it loads node:os). A string is the error for a value that is not a positive
 * whole number.
 */
export function jobCount(option: string | undefined, env: NodeJS.ProcessEnv): number | string | undefined {
  const [text, where] = option !== undefined ? [option, "jobs"] : [env.MODBUNDLE_JOBS, "MODBUNDLE_JOBS"];
  if (text === undefined || text === "") return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(text)) return `invalid ${where} value '${text}'.`;
  return Number(text);
}

/** The number of CPUs this process may run on: the jobs when none are asked for. */
export function cpuCount(): number {
  return process.getBuiltinModule("node:os").availableParallelism();
}
