import { KmodCommand } from "../cli-kit/io";
import { runColdplug } from "../coldplug/run";

/** `modbundle coldplug`: loads the drivers of the devices present (src/coldplug/ holds the logic). */
export const run: KmodCommand = (args, io) => runColdplug(args, { ...io, prog: "modbundle coldplug" });
