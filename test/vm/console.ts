/**
 * What a guest printed on its serial console, read back: the guest's scripts print one line per
 * fact the host needs (scripts/vm/guest/init.sh, scripts/vm/guest/checks.sh):
 *
 *   @@BOOTED <kernel release> <uptime>     /init started
 *   @@RESULT <scenario> PASS|FAIL [detail]  one scenario's verdict
 *   @@NOTE <scenario> <text>               a value shown to explain a verdict
 *   @@<KEY> <text>                         anything else a script reports (bench figures, ...)
 *   @@DONE <uptime>                        the scenario script ended; the guest powers off next
 *
 * Kernel messages can land on the same console, so lines are matched wherever "@@" starts.
 */
export interface ScenarioResult {
  readonly passed: boolean;
  readonly detail: string;
}

export interface GuestConsole {
  readonly text: string;
  readonly booted: boolean;
  readonly done: boolean;
  readonly results: ReadonlyMap<string, ScenarioResult>;
  /** Scenario name -> the notes it printed, in order. */
  readonly notes: ReadonlyMap<string, readonly string[]>;
  /** Every "@@KEY rest" line, by KEY. */
  readonly reports: ReadonlyMap<string, readonly string[]>;
}

const LINE = /@@([A-Z_]+)(?: (.*))?$/;

export function parseConsole(text: string): GuestConsole {
  const results = new Map<string, ScenarioResult>();
  const notes = new Map<string, string[]>();
  const reports = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const match = LINE.exec(raw);
    if (!match) continue;
    const [, key, rest = ""] = match;
    const list = reports.get(key) ?? [];
    list.push(rest);
    reports.set(key, list);
    const [first = "", ...others] = rest.split(" ");
    if (key === "RESULT") {
      const [verdict = "", ...detail] = others;
      results.set(first, { passed: verdict === "PASS", detail: detail.join(" ") });
    } else if (key === "NOTE") {
      notes.set(first, [...(notes.get(first) ?? []), others.join(" ")]);
    }
  }
  return { text, booted: reports.has("BOOTED"), done: reports.has("DONE"), results, notes, reports };
}

/** The last lines of the console, for failure messages (escape sequences removed). */
export function consoleTail(text: string, lines = 40): string {
  // eslint-disable-next-line no-control-regex -- the firmware's terminal escapes are noise here
  const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, "");
  return clean.split(/\r?\n/).filter((l) => l.trim() !== "").slice(-lines).join("\n");
}
