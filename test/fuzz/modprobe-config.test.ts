import fc from "fast-check";
import { parseConfigFile } from "../../src/config/parse";
import { emptyConfig } from "../../src/config/types";
import { FuzzTarget, assertOneLine, fuzzTest, regressionTests } from "./harness";

/**
 * The modprobe.d parser, on files made of its commands and the characters its tokenizer and
 * line joining turn on (brackets in names, backslash continuations, tabs, comments, softdep's
 * pre:/post:), plus stray bytes. Every warning names the file and is one line.
 */
const COMMANDS = ["alias", "blacklist", "options", "install", "remove", "softdep", "weakdep", "include", "config", "bogus", "#"];
const WORDS = ["dummy", "snd-hda", "snd_[a-b]x", "[", "]", "pci:v*", "pre:", "post:", "a=1", "b", "/bin/true", "$CMDLINE_OPTS", "-", "é", "\0"];
const SEPARATORS = [" ", " ", "\t", "  ", "\\\n", "\\", "\n", "\r"];

const lineArbitrary = fc
  .tuple(
    fc.constantFrom(...COMMANDS, ""),
    fc.array(fc.tuple(fc.constantFrom(...SEPARATORS), fc.constantFrom(...WORDS)), { maxLength: 8 }),
  )
  .map(([command, rest]) => command + rest.map(([sep, word]) => sep + word).join(""));

const fileArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.array(lineArbitrary, { maxLength: 20 }).map((lines) => lines.join("\n")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) },
);

function run(text: string): void {
  parseConfigFile(emptyConfig(), text, "/etc/modprobe.d/fuzz.conf", (message) => {
    assertOneLine(message, "warning");
    if (!message.startsWith("/etc/modprobe.d/fuzz.conf")) throw new Error(`warning without the file name: ${message}`);
  });
}

export const modprobeConfigTarget: FuzzTarget<string> = {
  name: "modprobe-config",
  arbitrary: fileArbitrary,
  run,
  ciRuns: 3000,
  describe: (text) => JSON.stringify(text),
  fromFile: (data) => data.toString("latin1"),
};

fuzzTest("modprobe-config", modprobeConfigTarget);
regressionTests("modprobe-config", modprobeConfigTarget);
