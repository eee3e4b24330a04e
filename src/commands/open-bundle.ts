import { Bundle } from "../bundle/reader";
import { FileSource } from "../io/byte-source";

export function openBundle(file: string): Bundle {
  const source = FileSource.open(file);
  try {
    return Bundle.open(source);
  } catch (error) {
    source.close();
    throw error;
  }
}
