// ffi-napi's and ref-napi's JavaScript is bundled into dist/ like our own code (and code-cached
// with it), while their native addons stay where npm built them. Each package finds its addon
// with require("node-gyp-build")(path.join(__dirname, "..")), which in a bundle would name
// dist/; this plugin routes that call to the package's own folder, found at run time from the
// bundle's place in node_modules (the dependencies may be hoisted or nested). The single
// executable routes the same call to its assets instead (scripts/build-sea.mjs).
const PACKAGES = [
  // [the importer's path contains, how to find the package's package.json at run time]
  ["/ffi-napi/", 'require.resolve("ffi-napi/package.json")'],
  ["/ref-napi/", 'createRequire(require.resolve("ffi-napi/package.json")).resolve("@2060.io/ref-napi/package.json")'],
];

export const npmAddons = {
  name: "npm-addons",
  setup(b) {
    b.onResolve({ filter: /^node-gyp-build$/ }, (args) => {
      const index = PACKAGES.findIndex(([part]) => args.importer.includes(part));
      if (index < 0) return { errors: [{ text: `node-gyp-build required by ${args.importer}, whose addon the build does not know` }] };
      return { path: String(index), namespace: "npm-addon" };
    });
    b.onLoad({ filter: /.*/, namespace: "npm-addon" }, (args) => ({
      contents: [
        'const { createRequire } = require("node:module");',
        'const path = require("node:path");',
        `module.exports = () => { const manifest = ${PACKAGES[Number(args.path)][1]}; return createRequire(manifest)("node-gyp-build")(path.dirname(manifest)); };`,
      ].join("\n"),
      loader: "js",
    }));
  },
};
