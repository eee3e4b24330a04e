import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { TestContext, after, describe, it } from "node:test";
import { buildModule } from "../helpers/elf-builder";
import { CLI, tempDir } from "../helpers/paths";

/**
 * modinfo through the built CLI, invoked by a link named "modinfo" as a system would: it runs, and
 * it loads neither commander nor the FFI bindings, and a decoder only for a compressed module.
 */
const dir = tempDir("modinfo-startup");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function builtCli(t: TestContext): string | undefined {
  if (fs.existsSync(CLI)) return CLI;
  if (process.env.CI === "true") throw new Error(`${CLI} missing: run npm run build`);
  t.skip(`${CLI} missing: run npm run build`);
  return undefined;
}

/** Runs the link and returns what it printed and every file Node's require loaded. */
function runLink(cli: string, args: readonly string[]): { status: number | null; stdout: string; loaded: string[] } {
  const link = path.join(dir, "modinfo");
  if (!fs.existsSync(link)) fs.symlinkSync(cli, link);
  const hook = path.join(dir, "hook.js");
  const record = path.join(dir, "loaded.json");
  fs.writeFileSync(hook, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(record)}, JSON.stringify(Object.keys(require.cache))));\n`);
  const result = spawnSync(process.execPath, ["--require", hook, link, ...args], { encoding: "latin1", env: { PATH: process.env.PATH } });
  return { status: result.status, stdout: result.stdout, loaded: JSON.parse(fs.readFileSync(record, "utf8")) as string[] };
}

describe("modinfo start-up", () => {
  it("a plain module: no commander, no FFI, no decoder", (t) => {
    const cli = builtCli(t);
    if (!cli) return;
    const file = path.join(dir, "plain.ko");
    fs.writeFileSync(file, buildModule({ modinfo: ["license=GPL", "description=plain"] }));
    const result = runLink(cli, ["-F", "description", file]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, "plain\n");
    assert.deepEqual(result.loaded.filter((f) => /node_modules\/(commander|ffi-napi|ref-napi|@2060\.io|xz-decompress)\//.test(f)), []);
  });

  it("an xz module loads the xz decoder and nothing else of the kind", (t) => {
    const cli = builtCli(t);
    if (!cli) return;
    const file = path.join(dir, "packed.ko");
    fs.writeFileSync(file, buildModule({ modinfo: ["license=GPL", "description=packed"] }));
    assert.equal(spawnSync("xz", ["-f", file]).status, 0);
    const result = runLink(cli, ["-F", "description", `${file}.xz`]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, "packed\n");
    const heavy = result.loaded.filter((f) => /node_modules\/(commander|ffi-napi|ref-napi|@2060\.io|xz-decompress)\//.test(f));
    assert.ok(heavy.length > 0 && heavy.every((f) => f.includes("/xz-decompress/")), heavy.join(", "));
  });
});
