// Builds the CLI into dist/: modbundle.js (the dispatcher) and one file per command, each a
// bundle of what that command uses, so that start-up compiles only the command being run.
// Native addons and the decoders (loaded on demand) stay in node_modules.
import { build } from "esbuild";
import { chmodSync } from "node:fs";

const COMMANDS = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo", "tools"];
const external = ["ffi-napi", "ref-napi", "fzstd", "xz-decompress", "commander"];
const common = { bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: false, legalComments: "none", logLevel: "warning", external, minifyWhitespace: true, minifySyntax: true };

// In the dispatcher, "./commands/X.js" and "./kernel/factory.js" are the separate files below.
const separateFiles = {
  name: "separate-files",
  setup(b) {
    b.onResolve({ filter: /^\.\/(commands\/[a-z]+|kernel\/factory)\.js$/ }, (args) => {
      const name = args.path.replace(/^\.\/(commands\/|kernel\/)/, "").replace(/\.js$/, "");
      return { path: `./${name === "factory" ? "kernel" : name}.js`, external: true };
    });
  },
};

await build({ ...common, entryPoints: ["src/cli.ts"], outfile: "dist/modbundle.js", banner: { js: "#!/usr/bin/env node" }, plugins: [separateFiles] });
await Promise.all([
  ...COMMANDS.map((name) => build({ ...common, entryPoints: [`src/commands/${name}.ts`], outfile: `dist/${name}.js` })),
  build({ ...common, entryPoints: ["src/kernel/factory.ts"], outfile: "dist/kernel.js" }),
]);
chmodSync("dist/modbundle.js", 0o755);
