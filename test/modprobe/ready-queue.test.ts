import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReadyQueue, runReadyQueue } from "../../src/modprobe/ready-queue";

/** A job's result: its name and whether it passed. */
interface Outcome {
  readonly job: number;
  readonly ok: boolean;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("ReadyQueue", () => {
  it("with a limit of 1 runs the jobs in number order", async () => {
    const started: number[] = [];
    const results = await runReadyQueue(
      [{ needs: [], after: [] }, { needs: [], after: [] }, { needs: [0], after: [] }, { needs: [], after: [1] }],
      1,
      async (job) => {
        started.push(job);
        await tick();
        return { job, ok: true };
      },
      (r: Outcome) => r.ok,
    );
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.deepEqual(results.map((r) => r.job), [0, 1, 2, 3]);
  });

  it("with a limit above 1 starts the heaviest ready job first, in number order among equals; with 1 ignores weights", async () => {
    const jobs = [{ needs: [], after: [], weight: 1 }, { needs: [], after: [], weight: 5 }, { needs: [], after: [], weight: 3 }, { needs: [], after: [], weight: 5 }, { needs: [0], after: [], weight: 9 }];
    const order = async (limit: number): Promise<number[]> => {
      const started: number[] = [];
      await runReadyQueue(jobs, limit, async (job) => {
        started.push(job);
        await tick();
        return { job, ok: true };
      }, (r: Outcome) => r.ok);
      return started;
    };
    // Job 4 is the heaviest, but it waits for job 0, the lightest.
    assert.deepEqual(await order(2), [1, 3, 2, 0, 4]);
    assert.deepEqual(await order(1), [0, 1, 2, 3, 4]);
  });

  it("takes jobs added after their prerequisites ended: a failed need blocks, a failed `after` does not", async () => {
    const started: number[] = [];
    const queue = new ReadyQueue<Outcome>(4, async (job) => {
      started.push(job);
      return { job, ok: job !== 0 };
    }, (r) => r.ok);
    queue.add([{ needs: [], after: [] }, { needs: [], after: [] }]);
    await tick();
    assert.deepEqual(started, [0, 1]);
    queue.add([{ needs: [0], after: [] }, { needs: [], after: [0] }, { needs: [1], after: [] }]);
    let settled = false;
    void queue.done.then(() => (settled = true));
    await tick();
    assert.equal(settled, false, "done waits for close");
    queue.close();
    const results = await queue.done;
    assert.deepEqual(started, [0, 1, 3, 4], "job 2 needed job 0, which failed");
    assert.deepEqual(results.map((r) => r.job), [0, 1, 0, 3, 4], "a blocked job takes the failure it needed");
  });

  it("stop: nothing starts any more, and it resolves once the running jobs have ended", async () => {
    const started: number[] = [];
    let finishFirst: () => void = () => undefined;
    const queue = new ReadyQueue<Outcome>(1, async (job) => {
      started.push(job);
      if (job === 0) await new Promise<void>((resolve) => (finishFirst = resolve));
      return { job, ok: true };
    }, (r) => r.ok);
    queue.add([{ needs: [], after: [] }, { needs: [], after: [] }]);
    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await tick();
    assert.equal(stopped, false, "job 0 is still running");
    finishFirst();
    await stopping;
    assert.deepEqual(started, [0]);
  });

  it("refuses a job waiting for one that does not come before it", () => {
    const queue = new ReadyQueue<Outcome>(1, async (job) => ({ job, ok: true }), (r) => r.ok);
    assert.throws(() => queue.add([{ needs: [0], after: [] }]), /job 0 waits for job 0/);
  });
});
