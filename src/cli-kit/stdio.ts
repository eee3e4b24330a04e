import fs = require("node:fs");

/**
 * Standard output and standard error written with write(2) on descriptors 1 and 2, as C stdio
 * does. process.stdout and process.stderr are not used: creating them loads Node's stream
 * machinery (and `net` when the descriptor is a pipe), milliseconds that every
 * `modprobe -q -- ALIAS` from the kernel would pay.
 *
 * Standard output is collected and written in large pieces (a `modprobe -a -R` of thousands of
 * aliases is a few writes, not thousands). It is flushed before anything goes to standard error,
 * before a shell command runs and when the program ends, so that on a terminal the two streams
 * keep their order. A reader that went away (`lsmod | head -1`) ends the program quietly, as
 * SIGPIPE ends kmod's tools.
 */
const FLUSH_AT = 1 << 16;
let pending: string[] = [];
let pendingSize = 0;

function sleepOneMillisecond(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}

function writeAll(fd: number, data: Buffer): void {
  let done = 0;
  while (done < data.length) {
    try {
      done += fs.writeSync(fd, data, done, data.length - done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") {
        // A descriptor inherited in non-blocking mode: wait for the reader.
        sleepOneMillisecond();
        continue;
      }
      if (code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    }
  }
}

/** Appends byte strings (latin1) to standard output. */
export function writeStdout(text: string): void {
  pending.push(text);
  pendingSize += text.length;
  if (pendingSize >= FLUSH_AT) flushStdout();
}

export function flushStdout(): void {
  if (pendingSize === 0) return;
  const text = pending.join("");
  pending = [];
  pendingSize = 0;
  writeAll(1, Buffer.from(text, "latin1"));
}

/** Writes to standard error at once, after what standard output holds (byte strings by default). */
export function writeStderr(text: string, encoding: "latin1" | "utf8" = "latin1"): void {
  flushStdout();
  writeAll(2, Buffer.from(text, encoding));
}
