import * as fs from "node:fs";
import * as path from "node:path";
import { after, before } from "node:test";
import { RunningServer, ServedResponse, startRangeServer } from "../../src/io/range-server";
import { kmodLoadOrder, packBundle } from "./artefacts";
import { scenarioKmodTree } from "./sets";
import { REPO_ROOT, requireVmFixture, vmSkipReason } from "./fixture";
import { Overlay } from "./overlay";
import { guestSuite } from "./suite";

/**
 * Remote bundles on Debian's kernel in QEMU: the full bundle stays on the host, served by
 * modbundle's range server on the host's 127.0.0.1 (10.0.2.2 from the guest, through QEMU's user
 * network). The guest holds only a tiny bundle with the virtio NIC's driver; with that NIC up it
 * loads btrfs and e1000 (which binds the guest's e1000 NIC) over HTTP. Few commands, one boot: each
 * node start costs seconds under TCG; the failure modes are tested on the host (test/io/remote).
 */
const NET_MODULES = ["virtio_pci", "virtio_net"];
let server: RunningServer | undefined;
const served: ServedResponse[] = [];

before(async () => {
  if (vmSkipReason() !== false) return;
  const full = packBundle(requireVmFixture(), "full");
  server = await startRangeServer({ files: [full], port: 0, bind: "127.0.0.1", onResponse: (r) => served.push(r) });
});

after(async () => {
  await server?.close();
  if (served.length > 0) {
    const bytes = served.reduce((sum, r) => sum + r.bodyBytes, 0);
    console.log(`# the guest made ${served.length} requests, ${bytes} bytes of body`);
  }
});

guestSuite({
  id: "remote",
  title: "in a QEMU guest: modules loaded from a bundle on the host's HTTP server",
  timeoutSeconds: 240,
  scenarios: [
    { name: "net", title: "the virtio NIC comes up from a tiny local bundle; no full bundle in the guest" },
    { name: "load-url", title: "MODBUNDLE=http://10.0.2.2:PORT/... modprobe -a btrfs e1000: kmod's order, the e1000 NIC bound" },
    { name: "modinfo-url", title: "modinfo from the URL: the running kernel's vermagic" },
  ],
  prepare: (fixture) => {
    if (!server) throw new Error("the range server did not start");
    const url = server.urls[0].replace("//127.0.0.1:", "//10.0.2.2:");
    const overlay = new Overlay()
      .copy("/vm/net.bundle", packBundle(fixture, "virtio-net", { only: NET_MODULES }))
      .write("/vm/remote.url", `${url}\n`)
      .write("/vm/expect/load.order", `${kmodLoadOrder(scenarioKmodTree(fixture), fixture.version, ["btrfs", "e1000"]).join("\n")}\n`)
      .write("/vm/scenario.sh", fs.readFileSync(path.join(REPO_ROOT, "test", "vm", "guest", "remote.sh"), "latin1"));
    return { overlay, nic: "virtio-net-pci" };
  },
});
