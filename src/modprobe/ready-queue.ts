/**
 * Runs a graph of jobs with at most `limit` in flight: a job starts the moment the last of its
 * prerequisites has ended (no rounds: a slow job holds back only what waits for it). With a limit
 * of 1 the jobs run in number order. With more, the ready job of the largest `weight` (its
 * expected cost) starts first, the lowest-numbered among equals: a long job started last would
 * run alone at the end, while the others' slots stay empty (longest processing time first, the
 * classic rule for filling parallel slots). A job whose `needs` include one that failed is not
 * started: its result is that failure. Edges must point to lower numbers (batch-plan.ts builds
 * them so).
 *
 * Jobs may be added while others run (a plan handed out as it is made, batch-insert.ts), each
 * batch numbered after the last; the queue is done once it is closed and every job has ended.
 */
export interface GraphJob {
  readonly needs: readonly number[];
  readonly after: readonly number[];
  /** The job's expected cost, in any unit (0 when absent). */
  readonly weight?: number;
}

export class ReadyQueue<R> {
  private readonly results: R[] = [];
  private readonly finished: boolean[] = [];
  private readonly waiting: number[] = [];
  private readonly dependents: number[][] = [];
  private readonly needs: Array<readonly number[]> = [];
  private readonly weights: number[] = [];
  /** The first failed prerequisite a job needs, whose result it takes. */
  private readonly blockedBy: Array<number | undefined> = [];
  private readonly ready: number[] = [];
  private running = 0;
  private ended = 0;
  private closed = false;
  private failed = false;
  private stopped = false;
  private readonly whenIdle: Array<() => void> = [];
  private settle!: { resolve: (results: R[]) => void; reject: (error: unknown) => void };
  /** The results in job order, once closed and all have ended; rejects with a job's exception. */
  readonly done: Promise<R[]>;

  constructor(
    private readonly limit: number,
    private readonly start: (index: number) => Promise<R>,
    private readonly passed: (result: R) => boolean,
  ) {
    this.done = new Promise<R[]>((resolve, reject) => (this.settle = { resolve, reject }));
    // Awaited by the caller only once its plan is made: an exception before that is kept for it.
    this.done.catch(() => undefined);
  }

  /** How many jobs have been added. */
  get size(): number {
    return this.waiting.length;
  }

  /** Jobs numbered from `size` on, in order; those with nothing to wait for may start at once. */
  add(jobs: readonly GraphJob[]): void {
    if (this.closed) throw new Error("jobs added to a closed queue");
    for (const job of jobs) {
      const index = this.waiting.length;
      const before = new Set([...job.needs, ...job.after]);
      this.dependents.push([]);
      this.needs.push(job.needs);
      this.weights.push(this.limit > 1 ? (job.weight ?? 0) : 0);
      this.blockedBy.push(undefined);
      this.finished.push(false);
      let waiting = 0;
      for (const earlier of before) {
        if (earlier >= index) throw new Error(`job ${index} waits for job ${earlier}, which does not come before it`);
        if (this.finished[earlier]) {
          this.inherit(index, earlier);
        } else {
          this.dependents[earlier].push(index);
          waiting++;
        }
      }
      this.waiting.push(waiting);
      if (waiting === 0) this.makeReady(index);
    }
    this.pump();
  }

  /** No more jobs: `done` settles when those added have ended. */
  close(): void {
    this.closed = true;
    this.pump();
  }

  /**
   * No job starts any more, and `done` never settles: for a caller giving up (its plan failed).
   * Resolves once the jobs running have ended, so that none outlives the caller's resources.
   */
  stop(): Promise<void> {
    this.stopped = true;
    return new Promise((resolve) => (this.running === 0 ? resolve() : this.whenIdle.push(resolve)));
  }

  /** A job learns of a prerequisite that has ended: it is blocked when it needed one that failed. */
  private inherit(index: number, earlier: number): void {
    if (this.blockedBy[index] === undefined && !this.passed(this.results[earlier]) && this.needs[index].includes(earlier)) {
      this.blockedBy[index] = earlier;
    }
  }

  private makeReady(index: number): void {
    const weight = this.weights[index];
    let at = this.ready.length;
    while (at > 0 && this.comesBefore(weight, index, this.ready[at - 1])) at--;
    this.ready.splice(at, 0, index);
  }

  private comesBefore(weight: number, index: number, other: number): boolean {
    const otherWeight = this.weights[other];
    return weight !== otherWeight ? weight > otherWeight : index < other;
  }

  private end(index: number, result: R): void {
    this.results[index] = result;
    this.finished[index] = true;
    this.ended++;
    for (const next of this.dependents[index]) {
      this.inherit(next, index);
      if (--this.waiting[next] === 0) this.makeReady(next);
    }
  }

  private pump(): void {
    while (this.ready.length > 0 && !this.failed && !this.stopped) {
      const index = this.ready[0];
      const blocker = this.blockedBy[index];
      if (blocker !== undefined) {
        this.ready.shift();
        this.end(index, this.results[blocker]);
        continue;
      }
      if (this.running >= this.limit) break;
      this.ready.shift();
      this.running++;
      this.start(index).then(
        (result) => {
          this.running--;
          this.end(index, result);
          this.pump();
        },
        (error: unknown) => {
          this.running--;
          this.failed = true;
          this.settle.reject(error);
          this.pump();
        },
      );
    }
    if (this.stopped && this.running === 0) for (const resolve of this.whenIdle.splice(0)) resolve();
    if (this.closed && !this.failed && !this.stopped && this.ended === this.waiting.length) this.settle.resolve(this.results);
  }
}

/** All of `jobs` through a queue closed at once. */
export function runReadyQueue<R>(jobs: readonly GraphJob[], limit: number, start: (index: number) => Promise<R>, passed: (result: R) => boolean): Promise<R[]> {
  const queue = new ReadyQueue(limit, start, passed);
  queue.add(jobs);
  queue.close();
  return queue.done;
}
