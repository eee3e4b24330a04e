import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import { REPO_ROOT } from "../helpers/paths";

/**
 * dist/kernel/ffi.js holds ffi-napi's and ref-napi's JavaScript, built and code-cached like our
 * own code, while their native addons are found at run time where npm built them
 * (scripts/npm-addons.mjs); the files that reach the system calls load it only for a call. A
 * loading thread started from dist/ loads ffi-napi that way and reports itself ready; no system
 * call is made (it is given no work). The child process then kills itself: a thread that loaded
 * ffi-napi crashes when torn down, which is why modbundle leaves with _exit(2).
 */
it("dist/kernel/ffi.js holds ffi-napi's JavaScript and a loading thread finds the addons in node_modules", () => {
  const kernel = path.join(REPO_ROOT, "dist", "kernel");
  const worker = path.join(kernel, "load-worker.js");
  // A debug name of ffi-napi's own code: in ffi.js alone, the others load it when a call comes.
  assert.match(fs.readFileSync(path.join(kernel, "ffi.js"), "utf8"), /ffi:_ForeignFunction/);
  for (const file of [worker, path.join(kernel, "factory.js")]) {
    const text = fs.readFileSync(file, "utf8");
    assert.doesNotMatch(text, /require\("(ffi-napi|@2060\.io\/ref-napi)"\)/, `${file} requires ffi-napi from node_modules`);
    assert.doesNotMatch(text, /ffi:_ForeignFunction/, `${file} carries ffi-napi's code`);
  }
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
