import { ModuleLoader } from "../kernel/kernel";
import { BatchNode, BatchPlan, BatchPlanner, BatchRequest, BatchSettings, planBatch, TargetOutcome } from "./batch-plan";
import { OK, prefetchLoads, reportInsert, Result, runStep } from "./insert";
import { ReadyQueue } from "./ready-queue";
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

/** How this session plans: its options, its kernel state, its warnings. */
function batchSettings(session: ModprobeSession): BatchSettings {
  return {
    useBlacklist: session.options.useBlacklist,
    ignoreCommands: session.options.ignoreCommands,
    isInKernel: (module) => session.isInKernel(module),
    ignoreCommand: session.ignoreCommand,
    warn: (message) => session.logger.error(message),
  };
}

export function planInsert(session: ModprobeSession, requests: readonly BatchRequest[]): BatchPlan {
  return planBatch(session.ctx, requests, batchSettings(session));
}

/**
 * Runs the nodes of a plan as they are handed to it, in order; one result per node. The loads
 * start with the first nodes handed out, before the rest of the plan may exist.
 */
class BatchExecutor {
  private queue: ReadyQueue<Result> | undefined;

  constructor(
    private readonly session: ModprobeSession,
    private readonly nodes: readonly BatchNode[],
    private readonly jobs: number,
  ) {}

  /** Nodes up to `upTo` may run; `planned`: the plan is complete. */
  handOut(upTo: number, planned: boolean): void {
    const from = this.queue?.size ?? 0;
    if (upTo <= from) return;
    const fresh = this.nodes.slice(from, upTo);
    prefetchLoads(this.session, fresh);
    const { ctx } = this.session;
    // A load's cost grows with the module's size (copied, hashed for its signature, relocated).
    (this.queue ??= this.startQueue(planned)).add(fresh.map((node) => ({ ...node, weight: node.useCommand ? 0 : ctx.db.moduleSize(ctx.moduleNumber(node.module)) })));
  }

  /** The plan failed: no more loads start, and those running are waited for. */
  async abandon(): Promise<void> {
    await this.queue?.stop();
  }

  async finish(): Promise<Result[]> {
    if (!this.queue) return [];
    this.queue.close();
    try {
      return await this.queue.done;
    } finally {
      timingMark("loaded");
    }
  }

  private startQueue(planned: boolean): ReadyQueue<Result> {
    const { session, nodes } = this;
    const kernel = session.kernel;
    // A whole plan of a single module needs no second thread.
    const wanted = planned ? Math.min(this.jobs, nodes.length) : this.jobs;
    const pool: ModuleLoader | undefined = wanted > 1 ? kernel.parallelLoads?.(wanted) : undefined;
    const width = pool || !kernel.parallelLoads ? wanted : 1;
    return new ReadyQueue<Result>(
      width,
      async (index) => {
        const node = nodes[index];
        if (session.isInKernel(node.module)) return { ok: false, code: "EEXIST" };
        return runStep(session, node.module, node.options, node.useCommand, pool);
      },
      (result) => result.ok || result.code === "EEXIST",
    );
  }
}

/** Runs every node of the plan; one result per node. */
export async function executeBatch(session: ModprobeSession, plan: BatchPlan, jobs: number): Promise<Result[]> {
  timingMark("planned");
  const executor = new BatchExecutor(session, plan.nodes, jobs);
  executor.handOut(plan.nodes.length, true);
  return executor.finish();
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
 * modprobe [-a] NAME...: the queries planned one after the other, each one's modules starting to
 * load as soon as they are planned (while the next queries are planned, on this thread), then
 * each query's modules reported in order as modprobe reports them. False when the last module of
 * any query failed (kmod's exit status).
 */
export async function modprobeInsertBatch(session: ModprobeSession, requests: readonly BatchRequest[], jobs: number): Promise<boolean> {
  const planner = new BatchPlanner(session.ctx, batchSettings(session));
  const executor = new BatchExecutor(session, planner.nodes, jobs);
  try {
    for (const [i, request] of requests.entries()) {
      const query = planner.plan(request);
      if (query.targets === undefined) session.fatal(`Module ${query.query} not found in ${session.ctx.db.description}`);
      const last = i === requests.length - 1;
      executor.handOut(planner.settled, last && planner.settled === planner.nodes.length);
      // Loads that ended while this query was planned start the next ones before the next query.
      if (!last && planner.nodes.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (error) {
    // A damaged index met halfway: what is loading ends before the error is reported.
    await executor.abandon();
    throw error;
  }
  timingMark("planned");
  executor.handOut(planner.nodes.length, true);
  const results = await executor.finish();
  let ok = true;
  for (const query of planner.queries) {
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
