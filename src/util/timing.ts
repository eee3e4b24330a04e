import fs = require("node:fs");

/**
 * MODBUNDLE_TIMING=1: where a run's time goes, for measuring in a guest (scripts/vm/guest/bench.sh
 * sets it). timingMark writes "modbundle-timing: STEP MS" to stderr, MS counted from the start of
 * the process (so the first mark shows Node's own start-up); timingAdd adds an interval to a named
 * part of the work, and timingTotals writes each part's sum and count. Intervals of loads running
 * side by side overlap, so parts can add up to more than the time that passed. Unset: a check.
 */
const enabled = process.env.MODBUNDLE_TIMING === "1";
type Totals = Map<string, { ms: number; count: number }>;
// One table for the whole process: each built file (a command, the kernel interface) carries
// its own copy of this module.
const shared = globalThis as { [key: symbol]: Totals | undefined };
const TOTALS_KEY = Symbol.for("modbundle.timing.totals");
const totals: Totals = (shared[TOTALS_KEY] ??= new Map());

export function timingNow(): number {
  return enabled ? performance.now() : 0;
}

export function timingMark(step: string): void {
  if (enabled) fs.writeSync(2, `modbundle-timing: ${step} ${performance.now().toFixed(1)}\n`);
}

/** Adds the time since `since` (a timingNow) to `part`. */
export function timingAdd(part: string, since: number): void {
  if (!enabled) return;
  const total = totals.get(part) ?? { ms: 0, count: 0 };
  total.ms += performance.now() - since;
  total.count++;
  totals.set(part, total);
}

export function timingTotals(): void {
  if (!enabled) return;
  for (const [part, { ms, count }] of totals) fs.writeSync(2, `modbundle-timing: total ${part} ${ms.toFixed(1)} ${count}\n`);
}
