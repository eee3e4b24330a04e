import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./fixture";
import { Overlay } from "./overlay";
import { scenarioBundle, scenarioKmodTree } from "./sets";
import { guestSuite } from "./suite";

/**
 * Issue 15, finding 9 on Debian's kernel in QEMU: module parameters (from modprobe.d and from the
 * command line, UTF-8 and bytes that are not UTF-8) reach finit_module as Debian's kmod passes
 * them, as the kernel's own log of the parameters shows, and an install command gets its bytes.
 */
guestSuite({
  id: "bytes",
  title: "in a QEMU guest: parameters and install commands travel as bytes, as with kmod",
  timeoutSeconds: 240,
  scenarios: [
    { name: "params", title: "modprobe: the kernel logs the same parameter bytes for modbundle as for kmod" },
    { name: "insmod", title: "insmod: the kernel gets the parameter's bytes" },
    { name: "install", title: "an install command gets $MODPROBE_MODULE and $CMDLINE_OPTS with their bytes, as from kmod" },
  ],
  prepare: (fixture) => {
    const overlay = new Overlay()
      .copy(`/boot/modules-${fixture.version}`, scenarioBundle(fixture))
      .copy("/kmod", scenarioKmodTree(fixture))
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "bytes.sh"), "latin1"));
    return { overlay };
  },
});
