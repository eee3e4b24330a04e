// npm run fuzz -- [--seconds N] [--seed S] [--target NAME] [--path P] [--hang-seconds H] [--no-build]
//
// The fuzz suite's long mode: every target of test/fuzz/ runs for N seconds (default 60) from
// one seed (random unless given, printed first), one test file after another. A failure prints
// fast-check's counterexample with the target's seed and path; the line to replay it follows. A
// case that runs for more than H seconds (default 60) is a hang: the run is stopped and the case
// in flight (target, seed, case number, input) is printed.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setInterval, clearInterval } from "node:timers";
import { fileURLToPath } from "node:url";

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const seconds = Number(option("seconds", "60"));
const seed = Number(option("seed", String(Math.floor(Math.random() * 0x7fffffff))));
const target = option("target", undefined);
const replayPath = option("path", undefined);
const hangSeconds = Number(option("hang-seconds", "60"));
if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
  console.error("usage: npm run fuzz -- [--seconds N] [--seed S] [--target NAME] [--path P] [--hang-seconds H] [--no-build]");
  process.exit(2);
}

console.error(`fuzz: seed ${seed}, ${seconds} s per target${target ? `, target ${target}` : ""}`);
if (!args.includes("--no-build")) {
  const tsc = spawnSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: top, stdio: "inherit" });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

const dir = path.join(top, "build", "test", "fuzz");
// Each target lives in test/fuzz/TARGET.test.ts: --target runs that file alone.
const files = target ? [`${target}.test.js`] : fs.readdirSync(dir).filter((f) => f.endsWith(".test.js")).sort();
if (target && !fs.existsSync(path.join(dir, files[0]))) {
  console.error(`fuzz: no target ${target} (no test/fuzz/${target}.test.ts)`);
  process.exit(2);
}
const inflight = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-fuzz-")), "inflight");
const replay = (name) => `npm run fuzz -- --seconds ${seconds} --seed ${seed}${name ? ` --target ${name}` : ""}`;

function runFile(file) {
  return new Promise((resolve) => {
    const env = { ...process.env, MODBUNDLE_FUZZ_SECONDS: String(seconds), MODBUNDLE_FUZZ_SEED: String(seed), MODBUNDLE_FUZZ_INFLIGHT: inflight };
    if (target) env.MODBUNDLE_FUZZ_TARGET = target;
    if (replayPath) env.MODBUNDLE_FUZZ_PATH = replayPath;
    fs.writeFileSync(inflight, "");
    const child = spawn(process.execPath, ["--test", "--test-reporter=spec", path.join(dir, file)], { cwd: top, env, stdio: "inherit", detached: true });
    let hung = false;
    const watchdog = setInterval(() => {
      const idle = (Date.now() - fs.statSync(inflight).mtimeMs) / 1000;
      if (idle > hangSeconds && fs.readFileSync(inflight, "utf8") !== "") {
        hung = true;
        console.error(`fuzz: HANG in ${file}: no new case for ${Math.round(idle)} s; the case in flight:\n${fs.readFileSync(inflight, "utf8")}`);
        process.kill(-child.pid, "SIGKILL");
      }
    }, 2000);
    child.on("exit", (code, signal) => {
      clearInterval(watchdog);
      resolve({ ok: code === 0 && !hung, code, signal, hung });
    });
  });
}

const failed = [];
for (const file of files) {
  const result = await runFile(file);
  if (!result.ok) failed.push(file);
}
fs.rmSync(path.dirname(inflight), { recursive: true, force: true });
if (failed.length > 0) {
  console.error(`fuzz: FAILED in ${failed.join(", ")} (seed ${seed}); replay with: ${replay(target)}`);
  process.exit(1);
}
console.error(`fuzz: all targets passed (seed ${seed})`);
