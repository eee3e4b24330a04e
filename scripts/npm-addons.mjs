// ffi-napi's and ref-napi's JavaScript is built into dist/ like our own code: one file,
// dist/kernel/ffi.js, code-cached, which native-bindings/syscalls.ts loads (through the code
// cache) only when a system call is really coming, so that the files that merely reach it
// (the kernel interface, the API) do not carry it. Their native addons stay
// where npm built them. Each package finds its addon with
// require("node-gyp-build")(path.join(__dirname, "..")), which in a bundle would name dist/; the
// call is routed to the package's own folder, found at run time from the bundle's place in
// node_modules (the dependencies may be hoisted or nested). The single executable bundles the
// same JavaScript and routes the call to its assets instead (scripts/build-sea.mjs).
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The entry of ffi-napi's JavaScript, built as dist/kernel/ffi.js. */
export const FFI_ENTRY = createRequire(join(root, "package.json")).resolve("ffi-napi");
export const FFI_OUTFILE = "dist/kernel/ffi.js";

const PACKAGES = [
  // [the importer's path contains, how to find the package's package.json at run time, the package]
  ["/ffi-napi/", 'require.resolve("ffi-napi/package.json")', "ffi-napi"],
  ["/ref-napi/", 'createRequire(require.resolve("ffi-napi/package.json")).resolve("@2060.io/ref-napi/package.json")', "@2060.io/ref-napi"],
];

/**
 * The addon node-gyp-build loads for `name` as this build's node_modules holds it (the one .node
 * file in build/Release), relative to dist/kernel/; undefined when it is not there as one file.
 */
function builtAddon(name) {
  const manifest = createRequire(createRequire(join(root, "package.json")).resolve("ffi-napi/package.json")).resolve(`${name}/package.json`);
  const release = join(dirname(manifest), "build", "Release");
  let addons;
  try {
    addons = readdirSync(release).filter((file) => file.endsWith(".node"));
  } catch {
    return undefined;
  }
  return addons.length === 1 ? relative(join(root, "dist", "kernel"), join(release, addons[0])) : undefined;
}

/** Where ffi-napi's JavaScript and the packages it brings in live in node_modules. */
const FFI_PACKAGES = ["/ffi-napi/", "/ref-napi/", "/ref-struct-di/"];

const FFI_SHIMS = {
  debug: "module.exports = () => { const debug = () => {}; debug.enabled = false; return debug; };",
  assert: [
    'const fail = (message, actual, expected, operator) => { const error = new Error(message ?? `${String(actual)} ${operator} ${String(expected)}`); error.code = "ERR_ASSERTION"; throw error; };',
    'const assert = (value, message) => { if (!value) fail(message, value, true, "=="); };',
    'assert.ok = assert;',
    'assert.equal = (actual, expected, message) => { if (actual != expected) fail(message, actual, expected, "=="); };',
    'assert.strictEqual = (actual, expected, message) => { if (!Object.is(actual, expected)) fail(message, actual, expected, "==="); };',
    "module.exports = assert;",
  ].join("\n"),
};

/**
 * Two imports of ffi-napi's JavaScript are swapped for smaller ones, in dist/ and in the single
 * executable alike, as each costs a tenth of a second of every load in an emulated guest:
 * - `debug`, their tracing (DEBUG=ffi:*, ref): a logger that is always off, instead of the real
 *   one with supports-color, tty and util, asked at every call;
 * - node:assert, which loads a dozen internal modules: only assert(), equal() and strictEqual()
 *   are used, to check their own arguments, and these throw as Node's do.
 */
export const ffiShims = {
  name: "ffi-shims",
  setup(b) {
    b.onResolve({ filter: /^(debug|assert)$/ }, (args) => (FFI_PACKAGES.some((part) => args.importer.includes(part)) ? { path: args.path, namespace: "ffi-shim" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "ffi-shim" }, (args) => ({ contents: FFI_SHIMS[args.path], loader: "js" }));
  },
};

export const npmAddons = {
  name: "npm-addons",
  setup(b) {
    b.onResolve({ filter: /^node-gyp-build$/ }, (args) => {
      const index = PACKAGES.findIndex(([part]) => args.importer.includes(part));
      if (index < 0) return { errors: [{ text: `node-gyp-build required by ${args.importer}, whose addon the build does not know` }] };
      return { path: String(index), namespace: "npm-addon" };
    });
    // The addon is first looked for where it was at build time, relative to dist/ (this
    // repository, and a package whose dependencies npm nested under it): finding it through
    // node_modules (four resolutions and node-gyp-build's directory listings) costs a tenth of a
    // second in an emulated guest. node-gyp-build's PREBUILDS_ONLY skips build/ as it does there.
    b.onLoad({ filter: /.*/, namespace: "npm-addon" }, (args) => {
      const [, findManifest, name] = PACKAGES[Number(args.path)];
      const built = builtAddon(name);
      return {
        contents: [
          'const { createRequire } = require("node:module");',
          'const path = require("node:path");',
          "module.exports = () => {",
          ...(built === undefined
            ? []
            : [`  const built = path.join(__dirname, ${JSON.stringify(built)});`, '  if (!process.env.PREBUILDS_ONLY && require("node:fs").existsSync(built)) return require(built);']),
          `  const manifest = ${findManifest};`,
          '  return createRequire(manifest)("node-gyp-build")(path.dirname(manifest));',
          "};",
        ].join("\n"),
        loader: "js",
      };
    });
    // Our require("ffi-napi"): dist/kernel/ffi.js, from any file one folder below dist/.
    b.onResolve({ filter: /^ffi-napi$/ }, (args) => (args.importer.includes("/native-bindings/") ? { path: "ffi-napi", namespace: "own-ffi" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "own-ffi" }, () => ({
      contents: [
        `const { loadOwnModule } = require(${JSON.stringify(join(root, "src", "code-cache.ts"))});`,
        `module.exports = loadOwnModule(require("node:path").join(__dirname, "..", "kernel", "ffi.js"));`,
      ].join("\n"),
      resolveDir: root,
      loader: "js",
    }));
  },
};
