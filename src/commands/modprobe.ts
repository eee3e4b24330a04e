import { KmodCommand } from "../cli-kit/io";
import { runModprobe } from "../modprobe/run";

/** modprobe: kmod's modprobe, reading modules from a bundle (src/modprobe/ holds the logic). */
export const run: KmodCommand = (args, io) => runModprobe(args, io);
