/**
 * Runs a graph of jobs with at most `limit` in flight: a job starts the moment the last of its
 * prerequisites has ended (no rounds: a slow job holds back only what waits for it), the
 * lowest-numbered ready job first, so that with a limit of 1 the jobs run in number order. A job
 * whose `needs` include one that failed is not started: its result is that failure. Edges must
 * point to lower numbers (batch-plan.ts builds them so).
 */
export interface GraphJob {
  readonly needs: readonly number[];
  readonly after: readonly number[];
}

export async function runReadyQueue<R>(jobs: readonly GraphJob[], limit: number, start: (index: number) => Promise<R>, passed: (result: R) => boolean): Promise<R[]> {
  const results: R[] = new Array<R>(jobs.length);
  const waiting = jobs.map((job) => new Set([...job.needs, ...job.after]).size);
  const dependents: number[][] = jobs.map(() => []);
  jobs.forEach((job, index) => {
    for (const before of new Set([...job.needs, ...job.after])) {
      if (before >= index) throw new Error(`job ${index} waits for job ${before}, which does not come before it`);
      dependents[before].push(index);
    }
  });
  /** The first failed prerequisite a job needs, whose result it takes. */
  const blockedBy: Array<number | undefined> = new Array(jobs.length);
  const ready: number[] = [];
  const makeReady = (index: number): void => {
    let at = ready.length;
    while (at > 0 && ready[at - 1] > index) at--;
    ready.splice(at, 0, index);
  };
  jobs.forEach((_, index) => waiting[index] === 0 && makeReady(index));

  return new Promise<R[]>((resolve, reject) => {
    let running = 0;
    let ended = 0;
    let failed = false;
    const end = (index: number, result: R): void => {
      results[index] = result;
      ended++;
      const ok = passed(result);
      for (const next of dependents[index]) {
        if (!ok && blockedBy[next] === undefined && jobs[next].needs.includes(index)) blockedBy[next] = index;
        if (--waiting[next] === 0) makeReady(next);
      }
    };
    const pump = (): void => {
      while (ready.length > 0 && !failed) {
        const index = ready[0];
        const blocker = blockedBy[index];
        if (blocker !== undefined) {
          ready.shift();
          end(index, results[blocker]);
          continue;
        }
        if (running >= limit) break;
        ready.shift();
        running++;
        start(index).then(
          (result) => {
            running--;
            end(index, result);
            pump();
          },
          (error: unknown) => {
            failed = true;
            reject(error);
          },
        );
      }
      if (ended === jobs.length) resolve(results);
    };
    pump();
  });
}
