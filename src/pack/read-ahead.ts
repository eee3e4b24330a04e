import fs = require("node:fs");
import os = require("node:os");
import { ModuleFileEntry, NotRegularFile, ReusableReader, SectionReader, readModuleSections } from "./module-reader";

/**
 * Reading a tree's module files on a second thread while the main thread parses them
 * (`modbundle depmod`): opening and reading them is a quarter of the main thread's time, and
 * costs the other thread little but the system calls themselves, where sharing the parsing too
 * needs a processor more (see depmod.ts).
 *
 * The worker reads the files in order into a ring of shared memory, each at its own place, as
 * ReusableReader would (the file's parts at their offsets, zeros between); the main thread takes
 * them in the same order. It never waits for the worker: a file the worker has not finished when
 * the main thread wants it (at the start, while the worker boots; or on a busy machine, the
 * worker running at the lowest priority), the main thread reads itself, claiming it by an atomic
 * exchange of its state so that the worker skips it. Anything unusual (an error, a file that is
 * no regular file, one too big for the ring) the worker hands back for the main thread to read
 * and report as it always does. The worker waits for room in the ring, made as the main thread
 * moves past files.
 */
export interface ReadAheadRequest {
  /** The files' paths, NUL-separated (one string is copied to the worker faster than thousands). */
  readonly paths: string;
  /** 1 for a file listed unchecked (ModuleFileEntry.unchecked). */
  readonly unchecked: Uint8Array;
  readonly sections: readonly string[];
  readonly ring: SharedArrayBuffer;
  /** Per file: its state, and where the worker put it in the ring (start, size). */
  readonly slots: Int32Array;
  /**
   * Two numbers: the files before RELEASED the main thread is done with (all of them: stop); and
   * WAKE_AT, set by a worker waiting for room, the RELEASED it waits for (so that the main thread
   * wakes it once for a quarter of the ring, not at every file).
   */
  readonly control: Int32Array;
  /** Whether the worker lowers its priority (see lowerPriority); tests that need it to keep up do not. */
  readonly yielding: boolean;
}

const UNCLAIMED = 0;
const READING = 1;
const READY = 2;
/** The main thread reads it itself: it got there first, or the worker handed it back. */
const OWN = 3;
const SLOT = 3;
const RELEASED = 0;
const WAKE_AT = 1;
/**
 * Enough for some hundred modules ahead; a module more than half of it (Debian's amdgpu.ko, 19
 * MiB) the main thread reads itself. Only the parts read are ever touched, so the memory used is
 * what the files' needed parts take.
 */
const RING_BYTES = 16 << 20;

/** The main thread's side: a SectionReader that takes the files from the worker, in the order given. */
export class ReadAhead implements SectionReader {
  private readonly ring: Buffer;
  private readonly slots: Int32Array;
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly own = new ReusableReader();
  private cursor = 0;
  private taken = 0;

  constructor(private readonly files: readonly ModuleFileEntry[], ringBytes = RING_BYTES) {
    this.ring = Buffer.from(new SharedArrayBuffer(ringBytes));
    this.slots = new Int32Array(new SharedArrayBuffer(4 * SLOT * files.length));
  }

  /** How many files the worker read (for tests). */
  get readByWorker(): number {
    return this.taken;
  }

  /** What the worker is to be sent. */
  request(sections: readonly string[], yielding = true): ReadAheadRequest {
    const unchecked = Uint8Array.from(this.files, (file) => (file.unchecked ? 1 : 0));
    return { paths: this.files.map((file) => file.absolute).join("\0"), unchecked, sections, ring: this.ring.buffer as SharedArrayBuffer, slots: this.slots, control: this.control, yielding };
  }

  /** As ReusableReader's: the buffer is the worker's to reuse after the next call. */
  readSections(entry: ModuleFileEntry, sections: readonly string[]): Buffer | NotRegularFile {
    const position = this.cursor;
    if (this.files[position] !== entry) return this.own.readSections(entry, sections);
    this.cursor++;
    this.release(position);
    const at = position * SLOT;
    // A file the worker is reading at this moment is read here too rather than waited for: the
    // worker runs at the lowest priority, and may not get a processor again for a while.
    if (Atomics.compareExchange(this.slots, at, UNCLAIMED, OWN) !== READY) return this.own.readSections(entry, sections);
    this.taken++;
    const data = this.ring.subarray(this.slots[at + 1], this.slots[at + 1] + this.slots[at + 2]);
    // A compressed file goes to a decoder, some of which want memory of their own, not shared.
    return data.length >= 4 && data.readUInt32BE(0) === 0x7f454c46 ? data : Buffer.from(data);
  }

  /** Lets the worker go: it reads no further. */
  close(): void {
    this.release(this.files.length);
  }

  private release(before: number): void {
    Atomics.store(this.control, RELEASED, before);
    const wakeAt = Atomics.load(this.control, WAKE_AT);
    if (wakeAt > 0 && before >= wakeAt) Atomics.notify(this.control, RELEASED);
  }
}

/** A file's place in the ring, and the ranges of it the worker filled (to zero again once released). */
interface Placed {
  readonly file: number;
  readonly start: number;
  readonly filled: number[];
}

/** The worker's side: reads the files ahead of the main thread until it is done or let go. */
export function serveReadAhead(request: ReadAheadRequest): void {
  if (request.yielding) lowerPriority();
  const { slots, control, sections } = request;
  const paths = request.paths.split("\0");
  const ring = Buffer.from(request.ring);
  const placed: Placed[] = [];
  let head = 0;

  const reclaim = (): void => {
    const done = Atomics.load(control, RELEASED);
    while (placed.length > 0 && placed[0].file < done) {
      const { start, filled } = placed.shift() as Placed;
      for (let k = 0; k < filled.length; k += 2) zero(ring, start + filled[k], filled[k + 1]);
    }
    if (placed.length === 0) head = 0;
  };
  // Room for `size` bytes after the last file placed, or from the ring's start once the files
  // there are released; every file takes at least a byte, so head === tail means full.
  const place = (file: number, size: number, filled: number[]): number => {
    if (size > ring.length / 2) throw new Error("too big for the ring");
    // Each file on an 8-byte boundary, as a buffer of its own would be: the parser reads an ELF64
    // symbol table as 32-bit words only where it is aligned (module-elf.ts symbolWords).
    const room = (Math.max(size, 1) + 7) & ~7;
    for (;;) {
      reclaim();
      if (Atomics.load(control, RELEASED) >= paths.length) throw new Error("let go");
      const tail = placed.length === 0 ? ring.length : placed[0].start;
      let start = -1;
      if (placed.length === 0 || head > tail) start = head + room <= ring.length ? head : room <= tail ? 0 : -1;
      else if (head + room <= tail) start = head;
      if (start >= 0) {
        Atomics.store(control, WAKE_AT, 0);
        head = start + room;
        placed.push({ file, start, filled });
        return start;
      }
      // Set before RELEASED is read, as the main thread sets RELEASED before it reads WAKE_AT:
      // either it sees that the worker waits (and wakes it), or the worker sees what it
      // released, and waits only if that is not enough yet (a RELEASED already past WAKE_AT,
      // the main thread's last, might never be followed by a notify).
      const wake = wakeAt(placed, ring.length / 4);
      Atomics.store(control, WAKE_AT, wake);
      const seen = Atomics.load(control, RELEASED);
      if (seen < wake) Atomics.wait(control, RELEASED, seen);
    }
  };

  for (let file = 0; file < paths.length; file++) {
    file = Math.max(file, Atomics.load(control, RELEASED));
    if (file >= paths.length) break;
    const at = file * SLOT;
    if (Atomics.compareExchange(slots, at, UNCLAIMED, READING) !== UNCLAIMED) continue;
    let state = OWN;
    try {
      const filled: number[] = [];
      let start = 0;
      const data = readModuleSections({ absolute: paths[file], unchecked: request.unchecked[file] === 1 }, sections, (size) => {
        start = place(file, size, filled);
        return ring.subarray(start, start + size);
      }, filled);
      if (typeof data !== "string") {
        slots[at + 1] = start;
        slots[at + 2] = data.length;
        state = READY;
      }
    } catch {
      // handed back: the main thread reads the file itself, and reports what it finds
    }
    Atomics.store(slots, at, state);
  }
}

/**
 * This thread at the lowest priority: what it does, the main thread can do itself, so it should
 * take only a processor nobody else wants, least of all V8's compiler threads, whose code the
 * main thread is waiting for. (setpriority(2) of a thread id sets that thread's alone.)
 */
function lowerPriority(): void {
  try {
    const thread = Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(thread)) os.setPriority(thread, 19);
  } catch {
    // no /proc: it runs at the process's priority
  }
}

/** The RELEASED that frees the first `bytes` of the ring's files, or all of them. */
function wakeAt(placed: readonly Placed[], bytes: number): number {
  const first = placed[0].start;
  const beyond = placed.findIndex((one) => one.start < first || one.start - first >= bytes);
  return placed[beyond > 0 ? beyond - 1 : placed.length - 1].file + 1;
}

const ZEROS = new Uint8Array(64 * 1024 + 8);

/**
 * Zeroes `length` bytes of shared memory from `at`, by copying zeros: V8 fills shared memory a
 * byte at a time (atomically, for other threads' sake), and copies into it a word at a time only
 * where source and target are aligned alike, hence the zeros taken from the same offset modulo 8.
 */
function zero(ring: Buffer, at: number, length: number): void {
  for (let done = 0; done < length; ) {
    const skew = (at + done) & 7;
    const n = Math.min(length - done, ZEROS.length - 8);
    ring.set(ZEROS.subarray(skew, skew + n), at + done);
    done += n;
  }
}
