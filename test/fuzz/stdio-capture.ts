import fs = require("node:fs");

/**
 * Runs `operation` with writes to file descriptors 1 and 2 captured: the bundle tools (list,
 * info, verify) write with write(2) through src/cli-kit/stdio, not through a CommandIO, and a
 * fuzz run must neither print their output nor lose it.
 */
export async function captureStdio<T>(operation: () => Promise<T> | T): Promise<{ result: T; stdout: string; stderr: string }> {
  const original = fs.writeSync;
  const captured: Record<number, Buffer[]> = { 1: [], 2: [] };
  const patched = ((fd: number, data: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number => {
    if (fd !== 1 && fd !== 2) return (original as (...args: unknown[]) => number)(fd, data, ...rest);
    const bytes = typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const offset = typeof rest[0] === "number" ? rest[0] : 0;
    const length = typeof rest[1] === "number" ? rest[1] : bytes.length - offset;
    captured[fd].push(Buffer.from(bytes.subarray(offset, offset + length)));
    return length;
  }) as typeof fs.writeSync;
  // The module object itself (not an import copy), which src/cli-kit/stdio calls through.
  const writable = fs as { writeSync: typeof fs.writeSync };
  writable.writeSync = patched;
  try {
    const result = await operation();
    return { result, stdout: Buffer.concat(captured[1]).toString("latin1"), stderr: Buffer.concat(captured[2]).toString("latin1") };
  } finally {
    writable.writeSync = original;
  }
}
