import * as path from "node:path";
import { buildModule } from "./elf-builder";
import { tempDir } from "./paths";
import { writeTree } from "./tree";

export const SMALL_VERSION = "6.1.0-small";

/** A three-module tree (top -> mid -> base) with modules.order, for bundle tests. */
export function smallTree(): string {
  const dir = path.join(tempDir("small"), SMALL_VERSION);
  writeTree(dir, {
    "kernel/lib/base.ko": buildModule({ exports: [{ name: "base_fn" }], modinfo: ["license=GPL", "description=base"] }),
    "kernel/lib/mid.ko": buildModule({ exports: [{ name: "mid_fn" }], needs: [{ name: "base_fn" }], modinfo: ["alias=mid-alias"] }),
    "kernel/drivers/top.ko": buildModule({ needs: [{ name: "mid_fn" }], modinfo: ["alias=pci:v00001234d*sv*sd*bc*sc*i*", "softdep=pre: base"] }),
    "modules.order": "kernel/lib/base.ko\nkernel/lib/mid.ko\nkernel/drivers/top.ko\n",
    "modules.builtin": "kernel/fs/ext4/ext4.ko\n",
    "modules.builtin.modinfo": "ext4.alias=fs-ext4\0ext4.license=GPL\0",
  });
  return dir;
}
