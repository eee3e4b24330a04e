// Prints NAME@VERSION for every production dependency in package-lock.json (the packages an
// install of modbundle's tarball resolves), one a line, run from the repository's top: scripts/setup.sh puts their metadata in
// npm's cache so that test/package can install the tarball without the network.
import { readFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const specs = new Set();
for (const [key, entry] of Object.entries(lock.packages)) {
  if (key === "" || entry.dev || entry.link) continue;
  const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
  specs.add(`${name}@${entry.version}`);
}
console.log([...specs].sort().join("\n"));
