import path = require("node:path");
import type { MessagePort, Worker } from "node:worker_threads";
import { startOwnWorker } from "../code-cache";
import { ModbundleError } from "../errors";
import { ByteRange, ByteSource, checkRange } from "./byte-source";
import type { Span } from "./http-ranges";
import type { FetchAnswer, FetchRequest, WorkerSetup } from "./http-worker";

/**
 * A bundle on an HTTP(S) server, read with Range requests.
 *
 * Why a worker and Atomics.wait: the bundle reader, the index and every command above them are
 * synchronous (a file is read with readSync), and one reader must serve files and URLs alike.
 * Making all of them asynchronous would put a promise on every index lookup of every file-based
 * run to serve the rare URL run. Instead readAt() posts the spans it lacks to a worker thread
 * (http-worker.ts), which does the HTTP, and sleeps on Atomics.wait until the worker answers (the
 * pattern of synckit). The worker costs ~30 ms to start, paid only when a URL is given: this
 * module is loaded (open-source.ts), and node:worker_threads touched, only then.
 *
 * What was fetched is kept in a small extent cache (CACHE_LIMIT), so that nothing is fetched
 * twice in one run. Callers announce what they will read (prefetch: the index sections a lookup
 * needs, the modules of a load plan, the next members of a verify); the first miss then fetches
 * the missed bytes together with the announced ones, up to WINDOW bytes, as one multi-range
 * request (or as few single ranges as the server allows), with ranges closer than MERGE_GAP
 * joined into one.
 */
const CACHE_LIMIT = 64 << 20;
const WINDOW = 16 << 20;
const MERGE_GAP = 4096;
const FIRST_SPAN = 512;

interface Extent {
  readonly start: number;
  readonly data: Buffer;
  readonly age: number;
}

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Ranges sorted and joined where they touch or lie closer than `gap`. */
function mergeSpans(spans: readonly Span[], gap: number): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start - last.end <= gap) merged[merged.length - 1] = { start: last.start, end: Math.max(last.end, span.end) };
    else merged.push(span);
  }
  return merged;
}

export class RemoteSource implements ByteSource {
  private extents: Extent[] = [];
  private cached = 0;
  private age = 0;
  private pending: Span[] = [];
  private readonly deadlineMs: number;
  private total = 0;

  private constructor(
    readonly name: string,
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    timeoutMs: number,
    attempts: number,
    private readonly receive: (port: MessagePort) => { message: unknown } | undefined,
  ) {
    // The worker gives up first; this only guards against a worker that died.
    this.deadlineMs = (attempts + 1) * (timeoutMs + 2000);
  }

  get size(): number {
    return this.total;
  }

  /**
   * Starts the worker and reads the first bytes, which gives the size. MODBUNDLE_HTTP_TIMEOUT
   * (seconds without data, default 20) and MODBUNDLE_HTTP_ATTEMPTS (default 3) bound each request.
   */
  static open(url: string, env: NodeJS.ProcessEnv = process.env): RemoteSource {
    const threads = process.getBuiltinModule("node:worker_threads");
    const timeoutMs = envNumber(env, "MODBUNDLE_HTTP_TIMEOUT", 20) * 1000;
    const attempts = Math.floor(envNumber(env, "MODBUNDLE_HTTP_ATTEMPTS", 3));
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new threads.MessageChannel();
    const setup: WorkerSetup = { url, signal, port: port2, timeoutMs, attempts };
    // Built next to this module (build/src/io/) or next to the command bundles (dist/io/).
    const file = path.join(__dirname, "..", "io", "http-worker.js");
    const worker = startOwnWorker(file, { workerData: setup, transferList: [port2] });
    worker.unref();
    port1.unref();
    const source = new RemoteSource(url, worker, port1, signal, timeoutMs, attempts, threads.receiveMessageOnPort);
    try {
      const answer = source.call({ first: true, spans: [{ start: 0, end: FIRST_SPAN }] });
      source.total = answer.size;
      source.store(answer);
    } catch (error) {
      source.close();
      throw error;
    }
    return source;
  }

  readAt(offset: number, length: number): Buffer {
    checkRange(this.name, offset, length, this.size);
    const end = offset + length;
    const missing = this.missing(offset, end);
    if (missing.length > 0) this.fetch(missing, { start: offset, end });
    return this.assemble(offset, end);
  }

  prefetch(ranges: readonly ByteRange[]): void {
    for (const r of ranges) {
      if (r.length > 0 && r.offset >= 0 && r.offset + r.length <= this.size) this.pending.push({ start: r.offset, end: r.offset + r.length });
    }
  }

  close(): void {
    this.pending = [];
    this.extents = [];
    void this.worker.terminate();
    this.port.close();
  }

  /** The missed spans and, up to WINDOW bytes, the announced ones not yet here: one round. */
  private fetch(missing: Span[], reading: Span): void {
    const wanted = [...missing];
    let budget = WINDOW - missing.reduce((sum, s) => sum + s.end - s.start, 0);
    while (this.pending.length > 0 && budget > 0) {
      const next = this.pending[0];
      const gaps = this.missing(next.start, next.end);
      const bytes = gaps.reduce((sum, s) => sum + s.end - s.start, 0);
      if (bytes > budget && wanted.length > missing.length) break;
      this.pending.shift();
      wanted.push(...gaps);
      budget -= bytes;
    }
    this.evict(WINDOW - budget, reading);
    this.store(this.call({ first: false, spans: mergeSpans(wanted, MERGE_GAP) }));
  }

  private call(request: FetchRequest): FetchAnswer & { ok: true } {
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(request);
    let progress = Atomics.load(this.signal, 1);
    let idleSince = Date.now();
    while (Atomics.wait(this.signal, 0, 0, 1000) === "timed-out") {
      const now = Atomics.load(this.signal, 1);
      if (now !== progress) {
        progress = now;
        idleSince = Date.now();
      } else if (Date.now() - idleSince > this.deadlineMs) {
        throw new ModbundleError("EIO", `${this.name}: no answer from the HTTP worker in ${Math.round(this.deadlineMs / 1000)} s`);
      }
    }
    const reply = this.receive(this.port);
    const answer = reply?.message as FetchAnswer | undefined;
    if (!answer) throw new ModbundleError("EIO", `${this.name}: the HTTP worker answered nothing`);
    if (!answer.ok) throw new ModbundleError("EIO", `${this.name}: ${answer.message}`);
    return answer;
  }

  private store(answer: FetchAnswer & { ok: true }): void {
    for (const part of answer.parts) {
      const data = Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength);
      // Only the bytes not held yet: parts may overlap what a merged gap already covered.
      for (const gap of this.missing(part.start, part.start + data.length)) {
        this.insert({ start: gap.start, data: data.subarray(gap.start - part.start, gap.end - part.start), age: this.age++ });
      }
    }
  }

  private insert(extent: Extent): void {
    let i = this.extents.length;
    while (i > 0 && this.extents[i - 1].start > extent.start) i--;
    this.extents.splice(i, 0, extent);
    this.cached += extent.data.length;
  }

  /** Drops the oldest extents (but none of the read in progress) until `incoming` more bytes fit. */
  private evict(incoming: number, reading: Span): void {
    if (this.cached + incoming <= CACHE_LIMIT) return;
    const byAge = [...this.extents].sort((a, b) => a.age - b.age);
    const dropped = new Set<Extent>();
    for (const extent of byAge) {
      if (this.cached + incoming <= CACHE_LIMIT) break;
      if (extent.start < reading.end && extent.start + extent.data.length > reading.start) continue;
      dropped.add(extent);
      this.cached -= extent.data.length;
    }
    this.extents = this.extents.filter((e) => !dropped.has(e));
  }

  /** The parts of [start, end) no extent holds. */
  private missing(start: number, end: number): Span[] {
    const gaps: Span[] = [];
    let at = start;
    for (const extent of this.extents) {
      const extentEnd = extent.start + extent.data.length;
      if (extentEnd <= at) continue;
      if (extent.start >= end) break;
      if (extent.start > at) gaps.push({ start: at, end: extent.start });
      at = Math.max(at, extentEnd);
      if (at >= end) break;
    }
    if (at < end) gaps.push({ start: at, end });
    return gaps;
  }

  private assemble(start: number, end: number): Buffer {
    const pieces: Buffer[] = [];
    let at = start;
    for (const extent of this.extents) {
      const extentEnd = extent.start + extent.data.length;
      if (extentEnd <= at || extent.start > at) continue;
      const stop = Math.min(end, extentEnd);
      pieces.push(extent.data.subarray(at - extent.start, stop - extent.start));
      at = stop;
      if (at >= end) break;
    }
    if (at < end) throw new ModbundleError("EIO", `${this.name}: bytes ${at}-${end - 1} were not received`);
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, end - start);
  }
}
