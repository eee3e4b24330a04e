import { openBundle } from "./open-bundle";
import { writeOut } from "../cli-kit/output";
import { escapeControls } from "../util/escape";

/** One line per stored file: size, compression, path (in archive order). */
export function run(options: { readonly bundle: string; readonly long: boolean }): number {
  const bundle = openBundle(options.bundle);
  try {
    const { index } = bundle;
    const lines: string[] = [];
    for (let i = 0; i < index.memberCount; i++) {
      const m = index.member(i);
      lines.push(options.long ? `${String(m.size).padStart(10)} ${m.compression.padEnd(4)} ${escapeControls(m.path)}\n` : `${escapeControls(m.path)}\n`);
    }
    writeOut(lines.join(""));
  } finally {
    bundle.close();
  }
  return 0;
}
