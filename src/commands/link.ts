import { createLinks } from "../install/links";
import { writeOut } from "../cli-kit/output";

export function run(options: { readonly directory: string; readonly force: boolean; readonly program: string }): number {
  for (const link of createLinks(options.directory, options.program, options.force)) {
    writeOut(`${link.path} ${link.description} (${link.action})\n`);
  }
  return 0;
}
