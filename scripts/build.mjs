// Bundles the CLI into one file (dist/modbundle.js): start-up reads one script, and each command's
// code is evaluated only when that command runs. Native addons stay external.
import { build } from "esbuild";
import { chmodSync } from "node:fs";

await build({
  entryPoints: ["src/cli.ts"],
  outfile: "dist/modbundle.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  banner: { js: "#!/usr/bin/env node" },
  external: ["ffi-napi", "ref-napi"],
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});
chmodSync("dist/modbundle.js", 0o755);
