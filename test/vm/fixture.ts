import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../helpers/paths";

export { REPO_ROOT };

/** The guests' architectures, by Debian's names: the host's own, and arm64 emulated on it. */
export type VmArch = "amd64" | "arm64";

/**
 * What a guest needs from the host: QEMU, busybox-static, Debian's kmod (the peer), the built
 * CLI and the Debian kernel fixture of the architecture (its vmlinuz boots the guest; its
 * modules are packed). An arm64 guest's userland comes from Debian's arm64 packages and its
 * native addons are cross-built (scripts/vm/arm64/), hence the cross compiler.
 */
export interface VmFixture {
  readonly arch: VmArch;
  readonly vmlinuz: string;
  readonly moduleDir: string;
  readonly version: string;
  /** The Debian package the fixture came from: part of every cache key. */
  readonly packageName: string;
}

/** What each architecture's guest needs on the host besides the common tools: command -> package. */
const HOST_NEEDS: Readonly<Record<VmArch, ReadonlyArray<readonly [string, string]>>> = {
  amd64: [["qemu-system-x86_64", "qemu-system-x86"]],
  arm64: [
    ["qemu-system-aarch64", "qemu-system-arm"],
    ["aarch64-linux-gnu-g++", "g++-aarch64-linux-gnu"],
  ],
};

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** The fixture, or why the guest cannot be booted here (with the command that fixes it). */
export function findVmFixture(arch: VmArch = "amd64"): VmFixture | string {
  for (const [command, pkg] of HOST_NEEDS[arch]) {
    if (!onPath(command)) return `${command} is missing: run scripts/setup.sh (installs ${pkg})`;
  }
  if (!fs.existsSync("/bin/busybox")) return "/bin/busybox is missing: run scripts/setup.sh (installs busybox-static)";
  if (!onPath("kmod") || !onPath("depmod")) return "kmod is missing: run scripts/setup.sh";
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "modbundle.js"))) return "dist/ is not built: run npm run build";
  const cache = path.join(REPO_ROOT, ".cache", "kernel", arch);
  const root = path.join(cache, "root");
  const modules = path.join(root, "lib", "modules");
  const versions = fs.existsSync(modules) ? fs.readdirSync(modules) : [];
  if (versions.length !== 1) return `the ${arch} kernel fixture is missing: run scripts/fetch-kernel.sh ${arch}`;
  const version = versions[0];
  const vmlinuz = path.join(root, "boot", `vmlinuz-${version}`);
  if (!fs.existsSync(vmlinuz)) return `${vmlinuz} is missing: run scripts/fetch-kernel.sh ${arch}`;
  const packageName = fs.readFileSync(path.join(cache, "PACKAGE"), "latin1").trim();
  return { arch, vmlinuz, moduleDir: path.join(modules, version), version, packageName };
}

/**
 * For describe(..., { skip }): the reason to skip outside CI. Under CI=true nothing is skipped,
 * so that requireVmFixture() fails the suite instead.
 */
export function vmSkipReason(arch: VmArch = "amd64"): string | false {
  const found = findVmFixture(arch);
  return typeof found === "string" && process.env.CI !== "true" ? found : false;
}

export function requireVmFixture(arch: VmArch = "amd64"): VmFixture {
  const found = findVmFixture(arch);
  if (typeof found === "string") throw new Error(found);
  return found;
}
