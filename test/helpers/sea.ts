import * as path from "node:path";
import { REPO_ROOT } from "./paths";

/**
 * The single executable (scripts/build-sea.mjs, what `npm run sea` builds), from its cache under
 * .cache/sea/ keyed by its inputs: built once, reused by every test and run while nothing that
 * goes into it changes. Not copied into dist/, which other tests hash and copy into guests.
 */
interface SeaBuilder {
  buildSea(options: { quiet?: boolean; toDist?: boolean }): Promise<string>;
}

export async function singleExecutable(): Promise<string> {
  const builder = (await import(path.join(REPO_ROOT, "scripts", "build-sea.mjs"))) as SeaBuilder;
  return builder.buildSea({ quiet: true, toDist: false });
}
