import { ModuleContext, ModuleHandle } from "../resolve/modules";
import { lookupModules } from "../resolve/lookup";
import { concatOptions, probePlan } from "./probe-plan";

/**
 * The plan of a run that inserts several modules at once (modprobe -a, coldplug, a module with
 * dependencies or softdeps), as a graph for a parallel executor: one node per module to load,
 * deduplicated by name, numbered in the order a sequential modprobe would load them (kmod's
 * order, which is also the ready queue's priority), with two kinds of edges:
 * - `needs`: the node's hard dependencies, and for a post-softdep the module naming it; when
 *   one fails, the node is not loaded and fails the same way (kmod stops a plan at a failed
 *   required step). A post-softdep that is also a target of its own loses its need of the module
 *   naming it (the order stays): kmod, its first plan stopped, loads it for the later name;
 * - `after`: order only, whatever the result: softdeps (pre: before their module, post: after
 *   it), and each install command after the previous one, so that commands run one at a time in
 *   kmod's order.
 * Edges point to lower numbers only, so the graph has no cycle and a sequential walk in number
 * order is valid.
 *
 * It is built by replaying modprobe's per-target decisions (probeInsert) against the kernel state
 * at planning time plus what the plan itself will load, as if every load succeeds. The result is
 * plain data; the executor (batch-insert.ts) walks it.
 */
export interface BatchNode {
  readonly index: number;
  readonly module: ModuleHandle;
  /** The parameters: configured options (and the command line's, for a lone target). */
  readonly options: string;
  /** Run the install command instead of loading the module. */
  readonly useCommand: boolean;
  readonly needs: readonly number[];
  readonly after: readonly number[];
}

/** How a target's result is known: decided now, or from a node (`already`: planned before it). */
export type TargetOutcome =
  | { readonly kind: "done"; readonly existed: boolean }
  | { readonly kind: "node"; readonly node: number; readonly already: boolean };

export interface BatchTarget {
  readonly module: ModuleHandle;
  readonly outcome: TargetOutcome;
}

export interface BatchQuery {
  readonly query: string;
  /** undefined: the name matched nothing ("Module X not found"). */
  readonly targets: readonly BatchTarget[] | undefined;
}

export interface BatchPlan {
  readonly queries: readonly BatchQuery[];
  readonly nodes: readonly BatchNode[];
}

export interface BatchRequest {
  readonly query: string;
  /** Parameters from the command line (modprobe NAME PARAMS...). */
  readonly extraOptions?: string;
}

export interface BatchSettings {
  readonly useBlacklist: boolean;
  readonly ignoreCommands: boolean;
  /** A module in the kernel (live or builtin) when planning starts. */
  readonly isInKernel: (module: ModuleHandle) => boolean;
  /** kmod_module's ignorecmd memory, shared with the rest of the run (see probePlan). */
  readonly ignoreCommand: Map<ModuleHandle, boolean>;
  readonly warn: (message: string) => void;
}

/**
 * A plan made query by query, so that its first nodes can run while the rest is planned: nodes
 * are only ever appended, and `settled` tells how many of them later queries can no longer
 * change (a post-softdep's needs are relaxed when a later query names it: see standAlone).
 */
export class BatchPlanner {
  readonly nodes: BatchNode[] = [];
  readonly queries: BatchQuery[] = [];
  private readonly nodeOf = new Map<string, number>();
  /** Nodes planned as post-softdeps: their hard dependencies' nodes, and those of the modules naming them. */
  private readonly postOfPlans = new Map<number, { readonly hardNeeds: readonly number[]; readonly naming: readonly number[] }>();
  private lastCommand: number | undefined;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly settings: BatchSettings,
  ) {}

  /** The nodes before the first one a later query may still change. */
  get settled(): number {
    let first = this.nodes.length;
    for (const index of this.postOfPlans.keys()) first = Math.min(first, index);
    return first;
  }

  /** Plans one query, appending the nodes it needs; its targets' outcomes. */
  plan({ query, extraOptions }: BatchRequest): BatchQuery {
    const found = lookupModules(this.ctx, query);
    const planned: BatchQuery =
      found === undefined || found.length === 0 ? { query, targets: undefined } : { query, targets: found.map((module) => ({ module, outcome: this.planTarget(module, extraOptions) })) };
    this.queries.push(planned);
    return planned;
  }

  private inKernel(module: ModuleHandle): boolean {
    return !this.nodeOf.has(module.name) && this.settings.isInKernel(module);
  }

  private addNode(module: ModuleHandle, options: string, useCommand: boolean, softAfter: readonly ModuleHandle[], postOf: readonly ModuleHandle[]): number {
    const index = this.nodes.length;
    const earlier = (names: Iterable<ModuleHandle>): number[] => {
      const found = new Set<number>();
      for (const m of names) {
        const n = this.nodeOf.get(m.name);
        if (n !== undefined && n < index) found.add(n);
      }
      return [...found].sort((a, b) => a - b);
    };
    const after = earlier(softAfter);
    if (useCommand && this.lastCommand !== undefined && !after.includes(this.lastCommand)) after.push(this.lastCommand);
    const hardNeeds = earlier(this.ctx.dependencies(module));
    const naming = earlier(postOf);
    if (naming.length > 0) this.postOfPlans.set(index, { hardNeeds, naming });
    this.nodes.push({ index, module, options, useCommand, needs: [...new Set([...hardNeeds, ...naming])].sort((a, b) => a - b), after });
    this.nodeOf.set(module.name, index);
    if (useCommand) this.lastCommand = index;
    return index;
  }

  /** A node wanted for itself: a failure of the module naming it as post-softdep no longer stops it. */
  private standAlone(index: number): void {
    const planned = this.postOfPlans.get(index);
    if (planned === undefined) return;
    this.postOfPlans.delete(index);
    const node = this.nodes[index];
    const after = [...new Set([...node.after, ...planned.naming])].sort((x, y) => x - y);
    this.nodes[index] = { ...node, needs: planned.hardNeeds, after };
  }

  private planTarget(target: ModuleHandle, extraOptions: string | undefined): TargetOutcome {
    const { ctx, settings } = this;
    const planned = this.nodeOf.get(target.name);
    if (planned !== undefined) {
      this.standAlone(planned);
      return { kind: "node", node: planned, already: true };
    }
    if (this.inKernel(target)) return { kind: "done", existed: true };
    if ((target.alias !== undefined || settings.useBlacklist) && ctx.isBlacklisted(target)) return { kind: "done", existed: false };
    for (const step of probePlan(ctx, target, settings.ignoreCommands, settings.ignoreCommand, settings.warn)) {
      const module = step.module;
      if (this.nodeOf.has(module.name) || this.inKernel(module)) continue;
      const options = concatOptions(ctx.options(module), module === target ? extraOptions : undefined);
      const useCommand = ctx.installCommand(module) !== undefined && !step.ignoreCommand;
      this.addNode(module, options, useCommand, step.after, step.postOf);
    }
    const node = this.nodeOf.get(target.name);
    return node === undefined ? { kind: "done", existed: false } : { kind: "node", node, already: false };
  }
}

/** The whole plan of `requests` at once. */
export function planBatch(ctx: ModuleContext, requests: readonly BatchRequest[], settings: BatchSettings): BatchPlan {
  const planner = new BatchPlanner(ctx, settings);
  for (const request of requests) planner.plan(request);
  return { queries: planner.queries, nodes: planner.nodes };
}
