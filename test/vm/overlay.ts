import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A directory staged as the guest's root for one boot: files put at their guest paths here
 * become the initramfs's last layer (scripts/vm/initramfs.sh), over the system and project.
 */
export class Overlay {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "modbundle-vm-overlay-"));

  private target(guestPath: string): string {
    if (!guestPath.startsWith("/") || guestPath.split("/").includes("..")) throw new Error(`not an absolute guest path: ${guestPath}`);
    const file = path.join(this.dir, guestPath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return file;
  }

  /** Text (a script, a configuration file, expected values) at a guest path. */
  write(guestPath: string, text: string, mode = 0o644): this {
    fs.writeFileSync(this.target(guestPath), text, { mode });
    return this;
  }

  /** A copy of a host file or directory at a guest path. */
  copy(guestPath: string, hostPath: string): this {
    fs.cpSync(hostPath, this.target(guestPath), { recursive: true });
    return this;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
