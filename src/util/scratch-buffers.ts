/**
 * Buffers lent for bytes that are needed only for a while, and given back: a module's image from
 * the moment it is read until its load is over (by then it sits in its memfd, or was decoded).
 * A batch reads dozens of megabytes of modules; a fresh buffer costs a page fault and a zeroed
 * page per 4 KiB, which an emulated guest pays dearly for, while a buffer lent again is already
 * in place. At most as many buffers exist as were lent at once (one per load in flight).
 */
export class ScratchBuffers {
  private readonly spare: Buffer[] = [];

  /** A buffer of at least `length` bytes, the smallest spare one that is large enough. */
  take(length: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) {
      if (this.spare[i].length >= length && (best < 0 || this.spare[i].length < this.spare[best].length)) best = i;
    }
    if (best >= 0) return this.spare.splice(best, 1)[0];
    // None is large enough: the largest spare one is dropped for a new one, so that the number
    // of buffers stays the number lent at once, each as large as the largest image it held.
    if (this.spare.length > 0) {
      let largest = 0;
      for (let i = 1; i < this.spare.length; i++) if (this.spare[i].length > this.spare[largest].length) largest = i;
      this.spare.splice(largest, 1);
    }
    // Not from Node's shared pool: a buffer that is kept must not pin a slab others use.
    return Buffer.allocUnsafeSlow(length);
  }

  /** Gives back a buffer from take(); its bytes may be overwritten by the next taker. */
  give(buffer: Buffer): void {
    this.spare.push(buffer);
  }
}
