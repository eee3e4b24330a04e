import fs = require("node:fs");
import { cpuCount } from "./jobs";

/**
 * How many processors are idle now besides the one the calling thread runs on, for deciding
 * whether a second thread would have one to itself: the processors this process may use, less
 * the other processes' runnable tasks, by the kernel's count (the "running" of /proc/loadavg's
 * "running/total", which counts this process's runnable threads too: those, read from
 * /proc/self/task, are taken off again, so that V8's compiler threads at work at that moment
 * do not count as someone else's load). A snapshot, not an average: a machine quiet a minute
 * ago may be busy now. Without /proc: one fewer than the processors.
 */
export function idleProcessors(): number {
  const processors = cpuCount();
  let running: number;
  try {
    running = Number(fs.readFileSync("/proc/loadavg", "latin1").split(" ")[3]?.split("/")[0]);
  } catch {
    return processors - 1;
  }
  if (!Number.isInteger(running)) return processors - 1;
  return Math.max(0, processors - Math.max(1, running - ownRunnable() + 1));
}

/** This process's threads that are runnable now (at least the caller, which is). */
function ownRunnable(): number {
  let count = 0;
  try {
    for (const task of fs.readdirSync("/proc/self/task")) {
      try {
        // The state follows the command name in parentheses, which may itself hold ") ".
        const stat = fs.readFileSync(`/proc/self/task/${task}/stat`, "latin1");
        if (stat[stat.lastIndexOf(")") + 2] === "R") count++;
      } catch {
        // a thread that has ended
      }
    }
  } catch {
    return 1;
  }
  return Math.max(1, count);
}
