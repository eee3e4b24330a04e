import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import { REPO_ROOT } from "../helpers/paths";

/**
 * dist/ holds ffi-napi's and ref-napi's JavaScript, bundled and code-cached with our own, while
 * their native addons are found at run time where npm built them (scripts/npm-addons.mjs). A
 * loading thread started from dist/ loads ffi-napi that way and reports itself ready; no system
 * call is made (it is given no work). The child process then kills itself: a thread that loaded
 * ffi-napi crashes when torn down, which is why modbundle leaves with _exit(2).
 */
it("dist/kernel bundles ffi-napi's JavaScript and a loading thread finds the addons in node_modules", () => {
  const worker = path.join(REPO_ROOT, "dist", "kernel", "load-worker.js");
  const text = fs.readFileSync(worker, "utf8");
  assert.doesNotMatch(text, /require\("(ffi-napi|@2060\.io\/ref-napi)"\)/, "ffi-napi is bundled, not required");
  assert.match(text, /VariadicForeignFunction/);
  const loader = path.join(REPO_ROOT, "build", "src", "code-cache.js");
  const script = [
    `const thread = require(${JSON.stringify(loader)}).startOwnWorker(${JSON.stringify(worker)});`,
    'thread.on("message", (m) => { require("node:fs").writeSync(1, JSON.stringify(m) + "\\n"); process.kill(process.pid, "SIGKILL"); });',
    'thread.on("error", (e) => { require("node:fs").writeSync(1, "error " + e.message + "\\n"); process.kill(process.pid, "SIGKILL"); });',
  ].join("\n");
  const env = { ...process.env };
  delete env.MODBUNDLE_NO_SYSCALLS;
  const result = spawnSync(process.execPath, ["-e", script], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(result.stdout, '{"kind":"ready"}\n', result.stderr);
});
