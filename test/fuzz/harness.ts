import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import fc from "fast-check";
import { ModbundleError } from "../../src/errors";
import { REPO_ROOT } from "../helpers/paths";

/**
 * The fuzz harness. A target is an input generator and an operation; the property every target
 * shares is the project's promise for bad input: the operation succeeds, or it fails with a
 * ModbundleError whose message is one line (what the CLI prints as "prog: ERROR: ..." before
 * exiting 1). Any other exception, a case slower than the per-case time limit or a case that
 * raises the process's peak memory above the memory limit is a failure; fast-check shrinks it
 * and prints the seed and path that replay it.
 *
 * Two modes, chosen by the environment (scripts/fuzz.mjs sets it for `npm run fuzz`):
 * - CI (`npm test`): a fixed seed per target, at most `ciRuns` cases each, and each target
 *   stopped after its share of MODBUNDLE_FUZZ_CI_SECONDS (default 50 s for the whole suite):
 *   the same cases every run, in bounded time.
 * - long: MODBUNDLE_FUZZ_SECONDS=N runs every target for N seconds, from MODBUNDLE_FUZZ_SEED
 *   (each target derives its own seed from it and its name, so one seed replays the whole run).
 *
 * MODBUNDLE_FUZZ_PATH (with the seed, and MODBUNDLE_FUZZ_TARGET naming the target) replays one
 * failing case as fast-check reported it. Every failure found becomes a file under
 * test/fuzz/regressions/TARGET/, named by what it reproduces, replayed by `regressionTests`
 * (NAME.todo.json while its fix is still to land).
 */

/**
 * Every target, by name: the CI budget is shared among them. A target lives in
 * test/fuzz/NAME.test.ts (the long mode's --target runs that file). Add new targets here.
 */
export const FUZZ_TARGETS = [
  "cpio-header",
  "elf-module",
  "pkcs7-signature",
  "modprobe-config",
  "kernel-cmdline",
  "fnmatch",
  "bundle-commands",
  "kmod-index",
  "decompress",
  "bundle-index",
] as const;

export type FuzzTargetName = (typeof FUZZ_TARGETS)[number];

export interface FuzzTarget<T> {
  readonly name: FuzzTargetName;
  readonly arbitrary: fc.Arbitrary<T>;
  /** The operation under test; returns normally or throws. */
  run(input: T): Promise<void> | void;
  /** Cases in CI (fewer when the target's time share runs out first). */
  readonly ciRuns: number;
  /** Per-case time limit (default MODBUNDLE_FUZZ_CASE_MS or 10 s). */
  readonly caseTimeMs?: number;
  /** A short description of a case, written before it runs in long mode (names a hang). */
  describe?(input: T): string;
  /** Regression files: bytes to input (see regressionTests). */
  fromFile?(data: Buffer, name: string): T;
}

export interface FuzzSettings {
  /** Set in long mode. */
  readonly seconds: number | undefined;
  readonly seed: number;
  readonly ciSeconds: number;
  readonly caseTimeMs: number;
  readonly caseMemoryBytes: number;
  readonly path: string | undefined;
  readonly only: string | undefined;
  /** Long mode: a file rewritten before every case, so that a watchdog can name a hung case. */
  readonly inflightFile: string | undefined;
}

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${text} is not a non-negative number`);
  return value;
}

export function fuzzSettings(): FuzzSettings {
  const seconds = process.env.MODBUNDLE_FUZZ_SECONDS ? numberFromEnv("MODBUNDLE_FUZZ_SECONDS", 0) : undefined;
  return {
    seconds,
    seed: numberFromEnv("MODBUNDLE_FUZZ_SEED", 20261201) | 0,
    ciSeconds: numberFromEnv("MODBUNDLE_FUZZ_CI_SECONDS", 50),
    caseTimeMs: numberFromEnv("MODBUNDLE_FUZZ_CASE_MS", 10_000),
    caseMemoryBytes: numberFromEnv("MODBUNDLE_FUZZ_CASE_MB", 1024) * 1024 * 1024,
    path: process.env.MODBUNDLE_FUZZ_PATH || undefined,
    only: process.env.MODBUNDLE_FUZZ_TARGET || undefined,
    inflightFile: process.env.MODBUNDLE_FUZZ_INFLIGHT || undefined,
  };
}

/** The target's own seed: the run's seed mixed with its name (FNV-1a), as a 32-bit integer. */
export function targetSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * The shared property, for one operation: returns "ok" or "refused" (a one-line ModbundleError);
 * anything else thrown is rethrown as a failure naming what was thrown.
 */
export async function expectClean(operation: () => Promise<unknown> | unknown): Promise<"ok" | "refused"> {
  try {
    await operation();
    return "ok";
  } catch (error) {
    if (error instanceof ModbundleError) {
      assertOneLine(error.message, "ModbundleError message");
      return "refused";
    }
    const what = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
    throw new Error(`not a ModbundleError: ${what}`, { cause: error });
  }
}

export function assertOneLine(text: string, what: string): void {
  assert.ok(text.length > 0, `${what} is empty`);
  assert.ok(!text.includes("\n"), `${what} is more than one line: ${JSON.stringify(text)}`);
}

/**
 * What a kmod-style command printed and returned: exit 0 or 1, and every line of standard error
 * in the program's own format ("prog: ..."), with no stack trace and no internal error.
 */
export function assertCommandOutcome(prog: string, status: number, stderr: string): void {
  assert.ok(status === 0 || status === 1, `${prog} exited ${status}`);
  for (const line of stderr.split("\n").slice(0, -1)) {
    assert.ok(line.startsWith(`${prog}: `), `${prog} printed a line not in its format: ${JSON.stringify(line)}`);
    assert.ok(!/internal error|^\s+at /.test(line), `${prog} printed ${JSON.stringify(line)}`);
  }
  assert.ok(stderr === "" || stderr.endsWith("\n"), `${prog}'s standard error does not end with a newline`);
}

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  cases: number;
  refused: number;
  slowestMs: number;
  peakRssBytes: number;
  elapsedMs: number;
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Runs one case with the time and memory checks; counts it in the report. */
async function runCase<T>(target: FuzzTarget<T>, settings: FuzzSettings, report: FuzzReport, input: T): Promise<void> {
  if (settings.inflightFile) {
    const text = `${target.name} seed=${report.seed} case=${report.cases + 1}\n${target.describe?.(input) ?? ""}\n`;
    fs.writeFileSync(settings.inflightFile, text);
  }
  const limit = target.caseTimeMs ?? settings.caseTimeMs;
  const started = performance.now();
  const outcome = await expectClean(() => target.run(input));
  const elapsed = performance.now() - started;
  report.cases++;
  if (outcome === "refused") report.refused++;
  report.slowestMs = Math.max(report.slowestMs, elapsed);
  const rss = peakRss();
  report.peakRssBytes = Math.max(report.peakRssBytes, rss);
  if (elapsed > limit) throw new Error(`case took ${Math.round(elapsed)} ms (limit ${limit} ms)`);
  if (rss > settings.caseMemoryBytes) {
    throw new Error(`peak RSS reached ${(rss / 1048576).toFixed(0)} MiB (limit ${(settings.caseMemoryBytes / 1048576).toFixed(0)} MiB)`);
  }
}

/** Runs a target's property with fast-check under the settings; throws fast-check's report on failure. */
export async function runTarget<T>(target: FuzzTarget<T>, settings: FuzzSettings = fuzzSettings()): Promise<FuzzReport> {
  const seed = targetSeed(settings.seed, target.name);
  const report: FuzzReport = { target: target.name, seed, cases: 0, refused: 0, slowestMs: 0, peakRssBytes: 0, elapsedMs: 0 };
  const shareMs = Math.max(1000, (settings.ciSeconds * 1000) / FUZZ_TARGETS.length);
  const long = settings.seconds !== undefined;
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(target.arbitrary, (input) => runCase(target, settings, report, input)),
    {
      seed,
      path: settings.path,
      numRuns: long ? 2 ** 30 : target.ciRuns,
      interruptAfterTimeLimit: long ? (settings.seconds as number) * 1000 : shareMs,
      markInterruptAsFailure: false,
      endOnFailure: settings.path !== undefined,
      includeErrorInReport: true,
    },
  );
  report.elapsedMs = performance.now() - started;
  return report;
}

export function describeReport(report: FuzzReport): string {
  return `fuzz ${report.target}: ${report.cases} cases (${report.refused} refused) in ${(report.elapsedMs / 1000).toFixed(1)} s, ` +
    `slowest ${Math.round(report.slowestMs)} ms, peak RSS ${(report.peakRssBytes / 1048576).toFixed(0)} MiB, seed ${report.seed}`;
}

type TargetSource<T> = FuzzTarget<T> | (() => Promise<FuzzTarget<T> | undefined> | FuzzTarget<T> | undefined);

function resolveTarget<T>(source: TargetSource<T>): Promise<FuzzTarget<T> | undefined> {
  return Promise.resolve(typeof source === "function" ? source() : source);
}

/**
 * Registers the target as a node:test test (skipped when MODBUNDLE_FUZZ_TARGET names another).
 * A target that needs fixtures is given as a function, called only when the test runs. The
 * report goes to the test's diagnostics and, in long mode, to standard error.
 */
export function fuzzTest<T>(name: FuzzTargetName, source: TargetSource<T>): void {
  it(`fuzz: ${name}`, async (t) => {
    const settings = fuzzSettings();
    if (settings.only !== undefined && settings.only !== name) {
      t.skip(`MODBUNDLE_FUZZ_TARGET=${settings.only}`);
      return;
    }
    const target = await resolveTarget(source);
    if (target === undefined) return;
    const report = await runTarget(target, settings);
    t.diagnostic(describeReport(report));
    if (settings.seconds !== undefined) process.stderr.write(`${describeReport(report)}\n`);
    assert.ok(report.cases > 0, "no case ran");
  });
}

/** test/fuzz/regressions/TARGET/, in the source tree (tests run compiled, from build/). */
export function regressionDir(target: string): string {
  return path.join(REPO_ROOT, "test", "fuzz", "regressions", target);
}

/**
 * One test per file under test/fuzz/regressions/TARGET/: the file is decoded into an input and
 * must pass the shared property (and anything `check` adds).
 */
export function regressionTests<T>(name: FuzzTargetName, source: TargetSource<T>): void {
  const dir = regressionDir(name);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith(".")).sort() : [];
  for (const file of files) {
    // A finding not fixed yet (in code another change owns) is named *.todo.*: it runs, and its
    // failure is reported without failing the suite, until the fix lands and the name loses ".todo".
    const todo = /\.todo\.[^.]+$/.test(file) ? "not fixed yet" : undefined;
    it(`regression ${name}: ${file}`, { todo }, async () => {
      const target = await resolveTarget(source);
      if (target === undefined) return;
      assert.ok(target.fromFile, `target ${name} cannot read regression files`);
      const input = target.fromFile(fs.readFileSync(path.join(dir, file)), file);
      const report: FuzzReport = { target: name, seed: 0, cases: 0, refused: 0, slowestMs: 0, peakRssBytes: 0, elapsedMs: 0 };
      await runCase(target, fuzzSettings(), report, input);
    });
  }
}
