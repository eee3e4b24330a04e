import { openBundle } from "./open-bundle";
import { unpack } from "../pack/unpack";

export function run(options: { readonly bundle: string; readonly directory: string; readonly force: boolean }): number {
  const bundle = openBundle(options.bundle);
  try {
    unpack(bundle, options.directory);
  } finally {
    bundle.close();
  }
  return 0;
}
