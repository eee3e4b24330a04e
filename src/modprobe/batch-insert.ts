import { ModuleLoader } from "../kernel/kernel";
import { BatchPlan, BatchRequest, planBatch, TargetOutcome } from "./batch-plan";
import { OK, prefetchLoads, reportInsert, Result, runStep } from "./insert";
import { runReadyQueue } from "./ready-queue";
import { timingMark } from "../util/timing";
import { ModprobeSession } from "./session";

/**
 * Inserting a batch in parallel: the plan (batch-plan.ts) walked by the ready queue with at most
 * `jobs` loads in flight, each load's system call on a thread of its own when the kernel offers
 * that (kernel.parallelLoads; one at a time when it cannot).
 * Every step is the sequential one (runStep: the `insmod` line of -v printed when the load
 * starts, the same errors); a module already in the kernel when its turn comes counts as
 * loaded, as it does for kmod.
 */
export function planInsert(session: ModprobeSession, requests: readonly BatchRequest[]): BatchPlan {
  const { ctx, options } = session;
  return planBatch(ctx, requests, {
    useBlacklist: options.useBlacklist,
    ignoreCommands: options.ignoreCommands,
    isInKernel: (module) => session.isInKernel(module),
    ignoreCommand: session.ignoreCommand,
    warn: (message) => session.logger.error(message),
  });
}

/** Runs every node of the plan; one result per node. */
export async function executeBatch(session: ModprobeSession, plan: BatchPlan, jobs: number): Promise<Result[]> {
  const { nodes } = plan;
  if (nodes.length === 0) return [];
  timingMark("planned");
  prefetchLoads(session, nodes);
  const kernel = session.kernel;
  const wanted = Math.min(jobs, nodes.length);
  const pool: ModuleLoader | undefined = wanted > 1 ? kernel.parallelLoads?.(wanted) : undefined;
  const width = pool || !kernel.parallelLoads ? wanted : 1;
  try {
    return await runReadyQueue(
      nodes,
      width,
      async (index) => {
        const node = nodes[index];
        if (session.isInKernel(node.module)) return { ok: false, code: "EEXIST" };
        return runStep(session, node.module, node.options, node.useCommand, pool);
      },
      (result) => result.ok || result.code === "EEXIST",
    );
  } finally {
    timingMark("loaded");
  }
}

/** A target's result once its node (if any) has run, with --first-time's EEXIST. */
export function targetResult(outcome: TargetOutcome, results: readonly Result[], firstTime: boolean): Result {
  const exists: Result = firstTime ? { ok: false, code: "EEXIST" } : OK;
  if (outcome.kind === "done") return outcome.existed ? exists : OK;
  const result = results[outcome.node];
  if (result.ok) return outcome.already ? exists : OK;
  return result.code === "EEXIST" ? exists : result;
}

/**
 * modprobe [-a] NAME...: every query planned, the plan run, then each query's modules reported
 * in order as modprobe reports them. False when the last module of any query failed (kmod's
 * exit status).
 */
export async function modprobeInsertBatch(session: ModprobeSession, requests: readonly BatchRequest[], jobs: number): Promise<boolean> {
  const plan = planInsert(session, requests);
  for (const query of plan.queries) {
    if (query.targets === undefined) session.fatal(`Module ${query.query} not found in ${session.ctx.db.description}`);
  }
  const results = await executeBatch(session, plan, jobs);
  let ok = true;
  for (const query of plan.queries) {
    if (query.targets === undefined) {
      ok = false;
      continue;
    }
    let last: Result = OK;
    for (const target of query.targets) {
      last = targetResult(target.outcome, results, session.options.firstTime);
      reportInsert(session, target.module, last);
    }
    if (!last.ok) ok = false;
  }
  return ok;
}
