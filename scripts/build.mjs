// Builds the CLI into dist/: modbundle.js (the dispatcher) and one file per command under
// dist/commands/ (and the kernel interface under dist/kernel/), each a bundle of what it uses, so
// that start-up compiles only the command being run. Those files are the program's own modules
// (src/code-cache.ts): each is written as the function Node would wrap it in, starts with a key
// line and gets V8's code cache beside it. Worker scripts stay plain files that Node runs itself.
// Native addons and the decoders (loaded on demand) stay in node_modules.
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { buildApi } from "./build-api.mjs";
import { FFI_ENTRY, FFI_OUTFILE, ffiShims, npmAddons } from "./npm-addons.mjs";

const COMMANDS = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo", "coldplug", "tools"];
// Parts of a command that only some runs need, loaded by file name when they do (loadOwnModule).
const LAZY_PARTS = ["resolve/directory-lookup", "modprobe/batch-insert", "modprobe/modversions", "compress/zstd/decoder"];
// package.json: resolved at run time, where the addons are (npm-addons.mjs).
const external = ["xz-decompress", "ffi-napi/package.json"];
const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: false, legalComments: "none", logLevel: "warning", external, minifyWhitespace: true, minifySyntax: true, minifyIdentifiers: true, plugins: [npmAddons, ffiShims] };
// ffi-napi's and ref-napi's own code is bundled as its authors wrote it, names included.
const KEEPS_NAMES = new Set(["dist/kernel/ffi.js"]);
// Ported code whose licence asks for its notice in every copy (a /*! comment in its source).
const KEEPS_LICENCE = new Set(["dist/compress/zstd/decoder.js"]);

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

  // Remote bundles: the HTTP worker is started by file name, only for a URL.
  await build({ ...common, entryPoints: ["src/io/http-worker.ts"], outfile: "dist/io/http-worker.js" });

  // The program's own modules; depmod's worker script is too (startOwnWorker).
  const entries = [
    ...COMMANDS.map((name) => [`src/commands/${name}.ts`, `dist/commands/${name}.js`]),
    ["src/kernel/factory.ts", "dist/kernel/factory.js"],
    ["src/pack/depmod-worker.ts", "dist/commands/depmod-worker.js"],
    [FFI_ENTRY, FFI_OUTFILE],
    ["src/io/remote-source.ts", "dist/io/remote-source.js"],
    ...LAZY_PARTS.map((part) => [`src/${part}.ts`, `dist/${part}.js`]),
  ];
  await Promise.all(
    entries.map(async ([entry, outfile]) => {
      const result = await build({ ...common, entryPoints: [entry], outfile, write: false, minifyIdentifiers: !KEEPS_NAMES.has(outfile), legalComments: KEEPS_LICENCE.has(outfile) ? "inline" : "none" });
      const body = codeCache.wrapAsOwnModule(result.outputFiles[0].text);
      const source = codeCache.cacheKeyLine(body) + body;
      mkdirSync(dirname(outfile), { recursive: true });
      writeFileSync(outfile, source);
      writeFileSync(codeCache.cacheFileOf(outfile), codeCache.createCodeCache(source, outfile));
    }),
  );

  await buildApi(common);

  // modprobe's cache holds what its common runs compile, not every function (src/pack/code-cache-training.ts).
  const trainingModule = join(scratch, "code-cache-training.cjs");
  await build({ ...common, entryPoints: ["src/pack/code-cache-training.ts"], outfile: trainingModule });
  const train = `require(${JSON.stringify(trainingModule)}).trainModprobeCodeCache("dist/commands/modprobe.js").catch((e) => { console.error(e.message); process.exitCode = 1; })`;
  if (spawnSync(process.execPath, ["-e", train], { stdio: "inherit" }).status !== 0) {
    console.warn("build: training modprobe's code cache failed; it keeps the cache of every function");
  }

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
