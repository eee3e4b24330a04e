import * as path from "node:path";
import { Bundle } from "../../src/bundle/reader";
import { FileSource } from "../../src/io/byte-source";
import { TEXT_INDEX_FILES, renderTextIndex } from "../../src/index/text-files";
import { pack, PackCompression } from "../../src/pack/pack";
import { tempDir } from "./paths";

/** Packs `moduleDir` with the library and returns the bundle's path. */
export async function packTree(moduleDir: string, compression: PackCompression = "keep", output?: string): Promise<string> {
  const file = output ?? path.join(tempDir("bundle"), "modules.bundle");
  await pack({ moduleDir, output: file, compression, kernelVersion: path.basename(moduleDir) });
  return file;
}

export function openBundleFile(file: string): Bundle {
  return Bundle.open(FileSource.open(file));
}

/** kmod's text index files as rendered from a bundle's index. */
export function textFilesOf(file: string): Record<string, string> {
  const bundle = openBundleFile(file);
  try {
    const index = bundle.index.toModuleIndex();
    return Object.fromEntries(TEXT_INDEX_FILES.map((name) => [name, renderTextIndex(index, name)]));
  } finally {
    bundle.close();
  }
}
