// Builds the CLI into dist/: modbundle.js (the dispatcher) and one file per command under
// dist/commands/ (and the kernel interface under dist/kernel/), each a bundle of what it uses, so
// that start-up compiles only the command being run. Each of those files starts with a key line
// and gets V8's code cache beside it (src/code-cache.ts). Native addons and the decoders (loaded
// on demand) stay in node_modules.
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { buildApi } from "./build-api.mjs";
import { FFI_ENTRY, FFI_OUTFILE, npmAddons } from "./npm-addons.mjs";

const COMMANDS = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo", "coldplug", "tools"];
// package.json: resolved at run time, where the addons are (npm-addons.mjs).
const external = ["fzstd", "xz-decompress", "ffi-napi/package.json"];
const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: false, legalComments: "none", logLevel: "warning", external, minifyWhitespace: true, minifySyntax: true, plugins: [npmAddons] };

rmSync("dist", { recursive: true, force: true });
const scratch = mkdtempSync(join(tmpdir(), "modbundle-build-"));
try {
  // The code cache module itself, for the build's use.
  const codeCacheModule = join(scratch, "code-cache.cjs");
  await build({ ...common, entryPoints: ["src/code-cache.ts"], outfile: codeCacheModule });
  const codeCache = createRequire(import.meta.url)(codeCacheModule);

  // The dispatcher loads the others by path at run time (loadOwnModule), so they stay apart.
  await build({ ...common, entryPoints: ["src/cli.ts"], outfile: "dist/modbundle.js", banner: { js: "#!/usr/bin/env node" } });
  chmodSync("dist/modbundle.js", 0o755);

  // Remote bundles: the source and its HTTP worker are loaded by file name, only for a URL.
  for (const name of ["remote-source", "http-worker"]) await build({ ...common, entryPoints: [`src/io/${name}.ts`], outfile: `dist/io/${name}.js` });

  const entries = [...COMMANDS.map((name) => [`src/commands/${name}.ts`, `dist/commands/${name}.js`]), ["src/kernel/factory.ts", "dist/kernel/factory.js"], ["src/kernel/load-worker.ts", "dist/kernel/load-worker.js"], ["src/pack/depmod-worker.ts", "dist/commands/depmod-worker.js"], [FFI_ENTRY, FFI_OUTFILE]];
  await Promise.all(
    entries.map(async ([entry, outfile]) => {
      const result = await build({ ...common, entryPoints: [entry], outfile, write: false });
      const body = result.outputFiles[0].text;
      const source = codeCache.cacheKeyLine(body) + body;
      mkdirSync(dirname(outfile), { recursive: true });
      writeFileSync(outfile, source);
      writeFileSync(codeCache.cacheFileOf(outfile), codeCache.createCodeCache(source, outfile));
    }),
  );

  await buildApi(common);

  // V8 decides whether a cache is usable: ask it, in a fresh process as a command would run.
  for (const [, outfile] of entries) {
    const check = `process.exitCode = require(${JSON.stringify(codeCacheModule)}).codeCacheAccepted(${JSON.stringify(outfile)}) ? 0 : 1`;
    if (spawnSync(process.execPath, ["-e", check], { stdio: "inherit" }).status !== 0) {
      rmSync(codeCache.cacheFileOf(outfile), { force: true });
      console.warn(`build: V8 rejects the code cache of ${outfile}; it is compiled at each start instead`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
