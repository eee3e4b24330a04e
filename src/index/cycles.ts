import { ModbundleError } from "../errors";

/**
 * depmod's cycle report: each distinct cycle once, as "a -> b -> a", then the count of modules
 * involved. `remaining` are the modules the topological sort could not place.
 */
export function findCycles(names: readonly string[], deps: readonly (readonly number[])[], remaining: readonly number[]): string[][] {
  const inCycle = new Set(remaining);
  const reported = new Set<number>();
  const cycles: string[][] = [];
  for (const start of remaining) {
    if (reported.has(start)) continue;
    // Walk from `start` along dependencies that are themselves unplaced until a module repeats.
    const pathIndex = new Map<number, number>();
    const walk: number[] = [];
    let current: number | undefined = start;
    while (current !== undefined && !pathIndex.has(current)) {
      pathIndex.set(current, walk.length);
      walk.push(current);
      current = deps[current].find((d) => inCycle.has(d));
    }
    if (current === undefined) continue;
    const loop = walk.slice(pathIndex.get(current));
    if (loop.some((m) => reported.has(m))) continue;
    loop.forEach((m) => reported.add(m));
    cycles.push([...loop, current].map((m) => names[m]));
  }
  return cycles;
}

export class CycleError extends ModbundleError {
  readonly moduleCount: number;

  constructor(readonly cycles: readonly string[][]) {
    const moduleCount = new Set(cycles.flat()).size;
    super(
      "ECYCLE",
      cycles.map((cycle) => `Cycle detected: ${cycle.join(" -> ")}`).join("\n") +
        `\nFound ${moduleCount} modules in dependency cycles!`,
    );
    this.moduleCount = moduleCount;
  }
}
