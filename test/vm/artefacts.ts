import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Bundle } from "../../src/bundle/reader";
import { FileSource } from "../../src/io/byte-source";
import { moduleNameFromPath } from "../../src/util/modname";
import { REPO_ROOT, VmFixture } from "./fixture";

/**
 * Host-side artefacts for the guests: bundles packed by the built CLI, a corrupted copy, and the
 * unpacked + depmod'ed tree Debian's kmod loads from. Each is cached under .cache/vm/, keyed by
 * its inputs (the built CLI, the fixture's package, the arguments), so that a second run reuses
 * them; older versions of an artefact are deleted when a new one is made (a full bundle is 400 MB).
 */
export const CACHE = path.join(REPO_ROOT, ".cache", "vm");
const CLI = path.join(REPO_ROOT, "dist", "modbundle.js");

let distDigestValue: string | undefined;

/** The built CLI's contents: any rebuild that changes it invalidates the bundles made with it. */
function distDigest(): string {
  if (distDigestValue === undefined) {
    const hash = createHash("sha256");
    const dist = path.join(REPO_ROOT, "dist");
    const files = (fs.readdirSync(dist, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(dist, name)).isFile() && !name.startsWith("modbundle-linux-"));
    for (const name of files.sort()) hash.update(name).update(fs.readFileSync(path.join(dist, name)));
    distDigestValue = hash.digest("hex");
  }
  return distDigestValue;
}

/** The artefact `name` for these inputs, built by `build(path)` (file or directory) when missing. */
export function cached(name: string, inputs: readonly string[], build: (output: string) => void): string {
  const key = createHash("sha256").update([distDigest(), ...inputs].join("\0")).digest("hex").slice(0, 16);
  const output = path.join(CACHE, `${name}-${key}`);
  if (fs.existsSync(output)) return output;
  fs.mkdirSync(CACHE, { recursive: true });
  const temporary = `${output}.tmp-${process.pid}`;
  fs.rmSync(temporary, { recursive: true, force: true });
  try {
    build(temporary);
    // Another test process may have made the same artefact meanwhile: either copy will do.
    if (fs.existsSync(output)) fs.rmSync(temporary, { recursive: true, force: true });
    else fs.renameSync(temporary, output);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
  for (const entry of fs.readdirSync(CACHE)) {
    if (entry.startsWith(`${name}-`) && !entry.includes(".tmp-") && path.join(CACHE, entry) !== output) {
      fs.rmSync(path.join(CACHE, entry), { recursive: true, force: true });
    }
  }
  return output;
}

/** Runs a host command that must succeed; never one that touches the host's kernel. */
function mustRun(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, {
    encoding: "latin1",
    maxBuffer: 64 << 20,
    // The module system calls stay unreachable on the host, whatever the command.
    env: { ...process.env, MODBUNDLE_NO_SYSCALLS: "1" },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

export type Compression = "keep" | "xz" | "zstd";

/**
 * `modbundle pack` of the fixture: every module, or `only` these and what they need. Bundles of
 * another architecture's fixture are named apart (ARCH-NAME), so that each keeps its own cache.
 */
export function packBundle(fixture: VmFixture, name: string, options: { only?: readonly string[]; compress?: Compression } = {}): string {
  const compress = options.compress ?? "keep";
  const only = options.only ?? [];
  const label = fixture.arch === "amd64" ? name : `${fixture.arch}-${name}`;
  return cached(`${label}.bundle`, [fixture.packageName, compress, ...only], (output) => {
    const args = ["pack", fixture.moduleDir, "-o", output, "--compress", compress];
    for (const name of only) args.push("--only", name);
    mustRun(process.execPath, [CLI, ...args]);
  });
}

/** A copy of `bundle` with one byte inverted in the middle of the member `memberPath`. */
export function corruptedCopy(bundle: string, memberPath: string, name = "corrupt"): string {
  return cached(`${name}.bundle`, [bundle, memberPath], (output) => {
    const opened = Bundle.open(FileSource.open(bundle));
    const member = opened.index.findMember(memberPath);
    opened.close();
    if (!member) throw new Error(`${bundle} has no member ${memberPath}`);
    fs.copyFileSync(bundle, output);
    const fd = fs.openSync(output, "r+");
    try {
      const at = member.offset + Math.floor(member.size / 2);
      const byte = Buffer.alloc(1);
      fs.readSync(fd, byte, 0, 1, at);
      byte[0] ^= 0xff;
      fs.writeSync(fd, byte, 0, 1, at);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * A ROOT for kmod's `-d`: ROOT/lib/modules/VERSION is the bundle unpacked and indexed by depmod.
 * `name` keeps trees of different bundles apart in the cache.
 */
export function kmodTree(name: string, bundle: string, version: string): string {
  return cached(`${name}.kmod-tree`, [bundle], (output) => {
    mustRun(process.execPath, [CLI, "unpack", bundle, path.join(output, "lib", "modules", version)]);
    mustRun("depmod", ["-b", output, version]);
  });
}

/**
 * What Debian's kmod would insert for `names`, in order, as module names: `modprobe -D` on the
 * host (read-only: it loads nothing), with no configuration but the tree's own softdeps.
 */
export function kmodLoadOrder(root: string, version: string, names: readonly string[]): string[] {
  const noConfig = path.join(CACHE, "empty-modprobe.d");
  fs.mkdirSync(noConfig, { recursive: true });
  const shown = mustRun("modprobe", ["-C", noConfig, "-d", root, "-S", version, "-D", "-a", ...names]);
  return shown
    .split("\n")
    .filter((line) => line.startsWith("insmod "))
    .map((line) => moduleNameFromPath(line.split(" ")[1]));
}

/** The hard dependencies of `name` in the tree's modules.dep, as module names. */
export function kmodDependencies(root: string, version: string, name: string): string[] {
  const dep = fs.readFileSync(path.join(root, "lib", "modules", version, "modules.dep"), "latin1");
  for (const line of dep.split("\n")) {
    const [target, deps = ""] = line.split(":");
    if (target && moduleNameFromPath(target) === name) return deps.split(" ").filter(Boolean).map(moduleNameFromPath);
  }
  throw new Error(`${name} is not in ${root}'s modules.dep`);
}
