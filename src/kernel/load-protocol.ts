/**
 * The messages between the loading pool (load-pool.ts) and a loading thread (load-worker.ts).
 * The memfd is made and filled by the main thread; descriptors belong to the process, so the
 * thread gets its number. The errno in an answer is the one the thread read right after its own
 * finit_module call (ffi-napi's errno is per thread: read anywhere else, it would be another
 * call's).
 */
export interface FinitRequest {
  readonly id: number;
  readonly fd: number;
  readonly params: string;
  readonly flags: number;
}

export type ThreadMessage =
  /** The thread has loaded its FFI and takes requests. */
  | { readonly kind: "ready" }
  /** The thread cannot make system calls (no ffi-napi, MODBUNDLE_NO_SYSCALLS): the main thread loads instead. */
  | { readonly kind: "broken"; readonly message: string }
  /** errno 0: loaded. A negative errno: a failure that is not the kernel's (message says what). */
  | { readonly kind: "done"; readonly id: number; readonly errno: number; readonly message: string };
