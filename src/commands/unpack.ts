import { openBundle } from "./open-bundle";
import { unpack } from "../pack/unpack";
import { checkUnpackTarget } from "../pack/unpack-target";

export function run(options: { readonly bundle: string; readonly directory: string; readonly force: boolean }): number {
  const bundle = openBundle(options.bundle);
  try {
    checkUnpackTarget(options.directory, options.force);
    unpack(bundle, options.directory, { replace: options.force });
  } finally {
    bundle.close();
  }
  return 0;
}
