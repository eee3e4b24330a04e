// npm run sea: dist/modbundle-linux-ARCH, one executable holding node, the program and its native
// addons (a Node single-executable application), for an initramfs without node or node_modules.
// The script is src/sea/main.ts bundled with everything it can reach (commands, decoders,
// ffi-napi's JavaScript); src/sea/own-modules.ts stands in for the code-cache loader and
// src/sea/addons.ts for node-gyp-build, so the addons come from the executable's assets. V8's
// code cache of the script is built in (useCodeCache). The result is cached under .cache/sea/,
// keyed by everything that goes into it, since injecting into a 100 MB binary takes a while.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isBuiltin } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ffiShims } from "./npm-addons.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ADDONS = {
  "ffi_bindings.node": { file: "node_modules/ffi-napi/build/Release/ffi_bindings.node", from: "/ffi-napi/" },
  "ref_binding.node": { file: "node_modules/@2060.io/ref-napi/build/Release/binding.node", from: "/ref-napi/" },
};
// Worker threads' scripts, as assets named like their files in dist/ (src/sea/own-modules.ts).
const WORKER_SCRIPTS = { "http-worker.js": "src/io/http-worker.ts", "depmod-worker.js": "src/pack/depmod-worker.ts" };
const NAME = `modbundle-linux-${process.arch}`;

const seaParts = {
  name: "sea-parts",
  setup(b) {
    b.onResolve({ filter: /^(\.\.?\/)+code-cache$/ }, () => ({ path: join(root, "src", "sea", "own-modules.ts") }));
    b.onResolve({ filter: /^node-gyp-build$/ }, (args) => {
      const asset = Object.keys(ADDONS).find((name) => args.importer.includes(ADDONS[name].from));
      if (!asset) return { errors: [{ text: `node-gyp-build required by ${args.importer}, whose addon the executable does not carry` }] };
      return { path: asset, namespace: "sea-addon" };
    });
    b.onLoad({ filter: /.*/, namespace: "sea-addon" }, (args) => ({
      contents: `const { loadAddon } = require(${JSON.stringify(join(root, "src", "sea", "addons.ts"))});\nmodule.exports = () => loadAddon(${JSON.stringify(args.path)});\n`,
      resolveDir: root,
      loader: "js",
    }));
  },
};

/** One script holding everything it reaches; in the executable, require reaches only Node's built-ins. */
async function bundle(entry, outfile) {
  const result = await build({
    metafile: true,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    legalComments: "none",
    logLevel: "warning",
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [seaParts, ffiShims],
  });
  const outside = Object.values(result.metafile.outputs).flatMap((output) => output.imports.filter((i) => !isBuiltin(i.path)).map((i) => i.path));
  if (outside.length > 0) throw new Error(`sea: ${entry} would require modules it does not hold: ${[...new Set(outside)].join(", ")}`);
}

function contentKey(hash, name, file) {
  hash.update(name).update("\0").update(readFileSync(file)).update("\0");
}

export async function buildSea({ quiet = false, toDist = true } = {}) {
  const work = mkdtempSync(join(tmpdir(), "modbundle-sea-"));
  try {
    const script = join(work, "modbundle-sea.js");
    await bundle(join(root, "src", "sea", "main.ts"), script);
    // Worker threads start from these texts (src/sea/own-modules.ts).
    const workers = {};
    for (const [asset, entry] of Object.entries(WORKER_SCRIPTS)) {
      workers[asset] = join(work, asset);
      await bundle(join(root, entry), workers[asset]);
    }
    const config = {
      main: script,
      output: join(work, "sea.blob"),
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets: { ...Object.fromEntries(Object.entries(ADDONS).map(([name, { file }]) => [name, join(root, file)])), ...workers },
    };
    const node = process.execPath;
    const nodeStat = statSync(node);
    const hash = createHash("sha256").update(`${node} ${nodeStat.size} ${nodeStat.mtimeMs} ${process.version}\0`);
    contentKey(hash, "main", script);
    for (const [name, file] of Object.entries(config.assets).sort()) contentKey(hash, name, file);
    contentKey(hash, "postject", join(root, "node_modules", "postject", "package.json"));
    const key = hash.digest("hex").slice(0, 16);
    const cacheDir = join(root, ".cache", "sea");
    const cached = join(cacheDir, `${NAME}-${key}`);

    if (!existsSync(cached)) {
      writeFileSync(join(work, "sea-config.json"), JSON.stringify(config));
      const blob = spawnSync(node, ["--experimental-sea-config", join(work, "sea-config.json")], { stdio: quiet ? "pipe" : "inherit" });
      if (blob.status !== 0) throw new Error(`sea: node --experimental-sea-config failed: ${blob.stderr ?? ""}`);
      const executable = join(work, NAME);
      copyFileSync(node, executable);
      chmodSync(executable, 0o755);
      const postject = join(root, "node_modules", "postject", "dist", "cli.js");
      const fuse = readFileSync(node).toString("latin1").match(/NODE_SEA_FUSE_[0-9a-f]{32}/)?.[0];
      if (!fuse) throw new Error(`sea: ${node} has no single-executable fuse (a Node built without SEA support)`);
      const injected = spawnSync(node, [postject, executable, "NODE_SEA_BLOB", config.output, "--sentinel-fuse", fuse], { stdio: quiet ? "pipe" : "inherit" });
      if (injected.status !== 0) throw new Error(`sea: postject failed: ${injected.stderr ?? ""}`);
      mkdirSync(cacheDir, { recursive: true });
      renameSync(executable, cached);
      // Older executables of this name are of no further use (each is about 100 MB).
      for (const entry of readdirSync(cacheDir)) {
        if (entry.startsWith(`${NAME}-`) && entry !== `${NAME}-${key}`) rmSync(join(cacheDir, entry), { force: true });
      }
    }
    if (!toDist) return cached;
    mkdirSync(join(root, "dist"), { recursive: true });
    const output = join(root, "dist", NAME);
    rmSync(output, { force: true });
    copyFileSync(cached, output, constants.COPYFILE_FICLONE);
    chmodSync(output, 0o755);
    return output;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const output = await buildSea();
  console.log(`${output}: ${(statSync(output).size / 1048576).toFixed(1)} MiB`);
}
