import { Bundle } from "../bundle/reader";
import { openByteSource } from "../io/open-source";

/** A bundle by file name or http(s) URL. */
export function openBundle(location: string): Bundle {
  const source = openByteSource(location);
  try {
    return Bundle.open(source);
  } catch (error) {
    source.close();
    throw error;
  }
}
