import fs = require("node:fs");
import os = require("node:os");
import path = require("node:path");
import { ModbundleError, describeSystemError } from "../errors";

/**
 * The native addons (ffi-napi's and ref-napi's) travel inside the single executable as assets.
 * When a module is first loaded or removed, each is written to a private copy and loaded with
 * process.dlopen: a file created exclusively in a fresh mode-0700 directory (nobody else can have
 * prepared or can replace it), removed again as soon as it is mapped. The build routes
 * node-gyp-build, which the packages call to find their addon, here.
 */
function privateDirectory(): string {
  const candidates = [os.tmpdir(), "/dev/shm", "/run", "/tmp"];
  let lastError: unknown;
  for (const base of candidates) {
    try {
      return fs.mkdtempSync(path.join(base, "modbundle-addon-"));
    } catch (error) {
      lastError = error;
    }
  }
  throw new ModbundleError("EIO", `cannot create a private directory for the native addons (tried ${candidates.join(", ")}): ${describeSystemError(lastError)}`);
}

const loaded = new Map<string, unknown>();

export function loadAddon(asset: string): unknown {
  const known = loaded.get(asset);
  if (known !== undefined) return known;
  const sea = process.getBuiltinModule("node:sea");
  const raw = sea.getRawAsset(asset);
  if (typeof raw === "string") throw new ModbundleError("EIO", `the executable's asset ${asset} is not binary`);
  const bytes = new Uint8Array(raw);
  const directory = privateDirectory();
  const file = path.join(directory, asset);
  try {
    fs.writeFileSync(file, bytes, { flag: "wx", mode: 0o500 });
    const module = { exports: {} as unknown };
    process.dlopen(module, file);
    loaded.set(asset, module.exports);
    return module.exports;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
