import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "../helpers/paths";

export { REPO_ROOT };

/**
 * What a guest needs from the host: QEMU, busybox-static, Debian's kmod (the peer), the built
 * CLI and the Debian amd64 kernel fixture (its vmlinuz boots the guest; its modules are packed).
 */
export interface VmFixture {
  readonly vmlinuz: string;
  readonly moduleDir: string;
  readonly version: string;
  /** The Debian package the fixture came from: part of every cache key. */
  readonly packageName: string;
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** The fixture, or why the guest cannot be booted here (with the command that fixes it). */
export function findVmFixture(): VmFixture | string {
  if (!onPath("qemu-system-x86_64")) return "qemu-system-x86_64 is missing: run scripts/setup.sh (installs qemu-system-x86)";
  if (!fs.existsSync("/bin/busybox")) return "/bin/busybox is missing: run scripts/setup.sh (installs busybox-static)";
  if (!onPath("kmod") || !onPath("depmod")) return "kmod is missing: run scripts/setup.sh";
  if (!fs.existsSync(path.join(REPO_ROOT, "dist", "modbundle.js"))) return "dist/ is not built: run npm run build";
  const cache = path.join(REPO_ROOT, ".cache", "kernel", "amd64");
  const root = path.join(cache, "root");
  const modules = path.join(root, "lib", "modules");
  const versions = fs.existsSync(modules) ? fs.readdirSync(modules) : [];
  if (versions.length !== 1) return "the amd64 kernel fixture is missing: run scripts/fetch-kernel.sh amd64";
  const version = versions[0];
  const vmlinuz = path.join(root, "boot", `vmlinuz-${version}`);
  if (!fs.existsSync(vmlinuz)) return `${vmlinuz} is missing: run scripts/fetch-kernel.sh amd64`;
  const packageName = fs.readFileSync(path.join(cache, "PACKAGE"), "latin1").trim();
  return { vmlinuz, moduleDir: path.join(modules, version), version, packageName };
}

/**
 * For describe(..., { skip }): the reason to skip outside CI. Under CI=true nothing is skipped,
 * so that requireVmFixture() fails the suite instead.
 */
export function vmSkipReason(): string | false {
  const found = findVmFixture();
  return typeof found === "string" && process.env.CI !== "true" ? found : false;
}

export function requireVmFixture(): VmFixture {
  const found = findVmFixture();
  if (typeof found === "string") throw new Error(found);
  return found;
}
