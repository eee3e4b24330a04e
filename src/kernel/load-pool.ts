import { errnoName, strerror } from "../util/errno";
import { timingMark } from "../util/timing";
import { CompressionKind } from "../compress/kind";
import { KernelError, LoadFlags, LoadPool } from "./kernel";
import { FinitRequest, ThreadMessage } from "./load-protocol";

/**
 * Up to N finit_module calls at once for the real kernel: the main thread plus N - 1 loading
 * threads (load-worker.ts), each calling finit_module synchronously and reading its own errno.
 * The main thread makes and fills every memfd (the descriptor is the process's), hands the
 * call to an idle thread, and makes the call itself only when no thread is free, after every
 * thread has been given work (while it waits in the kernel, it cannot hand out more). Threads
 * start when the pool opens, while the first loads run on the main thread; a thread that cannot
 * make system calls leaves the work to the others.
 *
 * Why threads and not ffi-napi's `.async`: an async call runs on libuv's pool and the errno
 * read in its callback is not that call's, so kmod's messages ("could not insert 'x': Invalid
 * argument") would be wrong; each worker thread loads its own ffi-napi and reads errno right
 * after its own call.
 */
export interface FinitThread {
  listen(listener: (message: ThreadMessage) => void): void;
  post(request: FinitRequest): void;
  terminate(): Promise<void>;
}

/** What the pool needs from the real kernel (real-kernel.ts). */
export interface PoolHost {
  inKernelDecompression(): CompressionKind | undefined;
  /** A load whose finit_module call is made by `finit` (memfd, ENOSYS fallback: the kernel's). */
  loadWith(image: Buffer, params: string, flags: LoadFlags, compressed: boolean, finit: (fd: number, params: string, flags: number) => Promise<void> | void): Promise<void>;
  /** finit_module on this thread. */
  finitHere(fd: number, params: string, flags: number): void;
}

interface Waiting {
  readonly request: FinitRequest;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  readonly thread: FinitThread;
  state: "starting" | "idle" | "busy" | "broken";
  current?: Waiting;
}

function answerError(errno: number, message: string): Error {
  if (errno <= 0) return new Error(message);
  const name = errnoName(errno);
  return new KernelError(name, errno, `finit_module: ${strerror(name)}`);
}

export class ThreadLoadPool implements LoadPool {
  private readonly slots: Slot[];
  private readonly queue: Waiting[] = [];
  private nextId = 1;
  private drainScheduled = false;

  constructor(
    private readonly host: PoolHost,
    threads: number,
    startThread: () => FinitThread,
  ) {
    this.slots = Array.from({ length: threads }, () => {
      const slot: Slot = { thread: startThread(), state: "starting" };
      slot.thread.listen((message) => this.heard(slot, message));
      return slot;
    });
  }

  inKernelDecompression(): CompressionKind | undefined {
    return this.host.inKernelDecompression();
  }

  loadModule(image: Buffer, params: string, flags: LoadFlags, compressed: boolean): Promise<void> {
    return this.host.loadWith(image, params, flags, compressed, (fd, p, f) => this.finit(fd, p, f));
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.thread.terminate()));
  }

  private finit(fd: number, params: string, flags: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, fd, params, flags }, resolve, reject });
      this.scheduleDrain();
    });
  }

  /** After the current turn: every load started in it is queued before work is handed out. */
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    for (const slot of this.slots) {
      if (slot.state !== "idle") continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.state = "busy";
      slot.current = next;
      slot.thread.post(next.request);
    }
    const mine = this.queue.shift();
    if (!mine) return;
    try {
      this.host.finitHere(mine.request.fd, mine.request.params, mine.request.flags);
      mine.resolve();
    } catch (error) {
      mine.reject(error);
    }
    if (this.queue.length > 0) this.scheduleDrain();
  }

  private heard(slot: Slot, message: ThreadMessage): void {
    if (message.kind === "ready") {
      timingMark("thread ready");
      slot.state = "idle";
    } else if (message.kind === "broken") {
      // A thread that died with a request in hand gives it back: the main thread makes the call.
      slot.state = "broken";
      if (slot.current) this.queue.unshift(slot.current);
      slot.current = undefined;
    }
    else {
      const done = slot.current;
      slot.current = undefined;
      slot.state = "idle";
      if (done && done.request.id === message.id) {
        if (message.errno === 0) done.resolve();
        else done.reject(answerError(message.errno, message.message));
      }
    }
    if (this.queue.length > 0) this.scheduleDrain();
  }
}
