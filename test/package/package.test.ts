import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { REPO_ROOT, tempDir } from "../helpers/paths";
import { packTree } from "../helpers/pack";
import { SMALL_VERSION, smallTree } from "../helpers/small-tree";

/**
 * The npm package as a user gets it: `npm pack` of the built dist/ (the prepack step is the build
 * this test run already made), installed into a temporary prefix from npm's cache without the
 * network, its `modbundle link` links run as modprobe and modinfo, its API compiled by tsc in a
 * small consumer, and its types checked by @arethetypeswrong/cli.
 */
interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Ran {
  const result = spawnSync(command, args, { encoding: "latin1", cwd: options.cwd, env: { ...process.env, MODBUNDLE_NO_SYSCALLS: "1", ...options.env }, maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function mustRun(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = run(command, args, options);
  assert.equal(result.status, 0, `${command} ${args.join(" ")}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const NPM_ENV = { npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

describe("the npm package", { skip: fs.existsSync(path.join(REPO_ROOT, "dist", "api", "index.js")) ? false : "dist/ is not built: run npm run build" }, () => {
  const work = tempDir("package");
  const prefix = path.join(work, "prefix");
  let tarball = "";
  let bundle = "";

  before(async () => {
    const packed = JSON.parse(mustRun("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: REPO_ROOT, env: NPM_ENV })) as Array<{ filename: string }>;
    tarball = path.join(work, packed[0].filename);
    const installed = run("npm", ["install", "--offline", "--ignore-scripts", "--no-save", "--prefix", prefix, tarball], { env: NPM_ENV });
    assert.equal(installed.status, 0, `npm install --offline of the tarball failed (scripts/setup.sh fills npm's cache): ${installed.stderr}`);
    bundle = await packTree(smallTree());
  });

  it("holds the program, its code caches, the API with its types and the man pages", () => {
    const files = mustRun("tar", ["-tzf", tarball]).split("\n").filter(Boolean);
    for (const file of ["dist/modbundle.js", "dist/commands/modprobe.js", `dist/commands/modprobe.${process.arch}.cache`, `dist/kernel/factory.${process.arch}.cache`, "dist/api/index.js", "dist/types/api/index.d.ts", "man/modbundle.8", "man/modbundle.5", "package.json"]) {
      assert.ok(files.includes(`package/${file}`), `${file} is missing from ${files.join(" ")}`);
    }
    assert.deepEqual(files.filter((f) => /\/(src|test|build|node_modules)\//.test(f)), []);
  });

  it("installs each native addon once (ffi-napi and the ref-napi it uses)", () => {
    const modules = path.join(prefix, "node_modules");
    const addons = (fs.readdirSync(modules, { recursive: true }) as string[])
      .filter((f) => path.basename(f) === "binding.gyp" && fs.existsSync(path.join(modules, path.dirname(f), "package.json")))
      .map((f) => path.dirname(f).split(path.sep).join("/"));
    assert.deepEqual(addons.sort(), ["@2060.io/ref-napi", "ffi-napi"]);
  });

  it("modbundle link makes links that run as modprobe and modinfo", () => {
    const links = path.join(work, "links");
    fs.mkdirSync(links);
    mustRun(path.join(prefix, "node_modules", ".bin", "modbundle"), ["link", links]);
    const shown = mustRun(path.join(links, "modprobe"), ["--bundle", bundle, "-C", "/nonexistent", "-S", SMALL_VERSION, "--show-depends", "mid"]);
    assert.equal(shown, `insmod /lib/modules/${SMALL_VERSION}/kernel/lib/base.ko \ninsmod /lib/modules/${SMALL_VERSION}/kernel/lib/mid.ko \n`);
    assert.equal(mustRun(path.join(links, "modinfo"), ["--bundle", bundle, "-F", "description", "base"]), "base\n");
  });

  it("its API compiles with tsc in a consumer and runs", () => {
    const consumer = path.join(prefix, "consumer.ts");
    fs.writeFileSync(
      consumer,
      [
        'import { openBundle, runCommand, type LoadStep } from "modbundle";',
        "async function main(file: string): Promise<void> {",
        "  const bundle = openBundle(file);",
        "  const plan: LoadStep[] = bundle.loadPlan(\"mid\", \"x=1\");",
        "  const bytes: Buffer = bundle.readModule(plan[0].name).data;",
        "  bundle.close();",
        '  const info = await runCommand("modinfo", ["-F", "description", "base"], { env: { MODBUNDLE: file } });',
        '  console.log(plan.map((s) => `${s.name}(${s.parameters})`).join(" "), bytes.length > 0, info.status, info.stdout.trim());',
        "}",
        "void main(process.argv[2]);",
        "",
      ].join("\n"),
    );
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const typeRoots = path.join(REPO_ROOT, "node_modules", "@types");
    mustRun(process.execPath, [tsc, "--strict", "--skipLibCheck", "--module", "node16", "--moduleResolution", "node16", "--target", "es2022", "--typeRoots", typeRoots, "--types", "node", "--outDir", prefix, consumer], { cwd: prefix });
    assert.equal(mustRun(process.execPath, [path.join(prefix, "consumer.js"), bundle], { cwd: prefix }), "base() mid(x=1) true 0 base\n");
  });

  it("@arethetypeswrong/cli finds no problem with its types", () => {
    const attw = path.join(REPO_ROOT, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
    const result = run(process.execPath, [attw, tarball, "--format", "ascii"]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /No problems found/);
  });
});
