import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { it } from "node:test";
import { REPO_ROOT } from "../helpers/paths";

/**
 * dist/kernel/ffi.js holds ffi-napi's and ref-napi's JavaScript, built and code-cached like our
 * own code, while their native addons are found at run time where npm built them
 * (scripts/npm-addons.mjs); the files that reach the system calls load it only for a call. Loaded
 * from dist/ in a fresh process, it finds the addons and calls a harmless libc function (getpid);
 * no system call of the module family is made.
 */
it("dist/kernel/ffi.js holds ffi-napi's JavaScript and finds the addons in node_modules", () => {
  const kernel = path.join(REPO_ROOT, "dist", "kernel");
  const ffiFile = path.join(kernel, "ffi.js");
  // A debug name of ffi-napi's own code: in ffi.js alone, the others load it when a call comes.
  assert.match(fs.readFileSync(ffiFile, "utf8"), /ffi:_ForeignFunction/);
  const factory = path.join(kernel, "factory.js");
  const text = fs.readFileSync(factory, "utf8");
  assert.doesNotMatch(text, /require\("(ffi-napi|@2060\.io\/ref-napi)"\)/, `${factory} requires ffi-napi from node_modules`);
  assert.doesNotMatch(text, /ffi:_ForeignFunction/, `${factory} carries ffi-napi's code`);
  const loader = path.join(REPO_ROOT, "build", "src", "code-cache.js");
  const script = [
    `const ffi = require(${JSON.stringify(loader)}).loadOwnModule(${JSON.stringify(ffiFile)});`,
    'const getpid = ffi.ForeignFunction(new ffi.DynamicLibrary().get("getpid"), "int", []);',
    'process.stdout.write(String(getpid() === process.pid));',
    // Swapped for small shims by the build (scripts/npm-addons.mjs): loading them is a tenth of a
    // second of each load in an emulated guest.
    'process.stdout.write(" " + process.moduleLoadList.filter((m) => /^NativeModule (assert|tty)$/.test(m)).join());',
  ].join("\n");
  const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(result.stdout, "true ", result.stderr);
});

/**
 * ffi.js looks for each addon where the build found it, relative to dist/, and otherwise finds
 * it through node_modules as npm placed it: here ffi.js sits in a package installed beside its
 * dependencies (hoisted), where the build's relative place holds nothing. The addons it loads
 * must be the ones in that node_modules.
 */
it("dist/kernel/ffi.js finds the addons through node_modules when they are not where the build found them", (t) => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-ffi-hoisted-"));
  t.after(() => fs.rmSync(prefix, { recursive: true, force: true }));
  const modules = path.join(prefix, "node_modules");
  const kernel = path.join(modules, "modbundle", "dist", "kernel");
  fs.mkdirSync(kernel, { recursive: true });
  fs.mkdirSync(path.join(modules, "@2060.io"));
  // Copies, so that where the addons were loaded from tells which way they were found.
  for (const name of ["ffi-napi", "@2060.io/ref-napi"]) fs.cpSync(path.join(REPO_ROOT, "node_modules", name), path.join(modules, name), { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules", "node-gyp-build"), path.join(modules, "node-gyp-build"));
  const ffiFile = path.join(kernel, "ffi.js");
  fs.copyFileSync(path.join(REPO_ROOT, "dist", "kernel", "ffi.js"), ffiFile);
  assert.equal(fs.existsSync(path.join(kernel, "..", "..", "node_modules")), false);
  const loader = path.join(REPO_ROOT, "build", "src", "code-cache.js");
  const script = [
    `const ffi = require(${JSON.stringify(loader)}).loadOwnModule(${JSON.stringify(ffiFile)});`,
    'const getpid = ffi.ForeignFunction(new ffi.DynamicLibrary().get("getpid"), "int", []);',
    'const addons = Object.keys(require.cache).filter((f) => f.endsWith(".node"));',
    `process.stdout.write(String(getpid() === process.pid) + " " + addons.length + " " + addons.every((f) => f.startsWith(${JSON.stringify(modules + "/")})));`,
  ].join("\n");
  const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
  assert.equal(result.stdout, "true 2 true", result.stderr);
});
