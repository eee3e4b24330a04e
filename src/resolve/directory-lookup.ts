import { BundleIndex, encodeIndex } from "../bundle/index-codec";
import { loadDirectoryIndex } from "./directory-index";
import { BundleIndexLookup, IndexLookup } from "./index-lookup";
import { KmodBinLookup } from "./kmod-bin-lookup";

/**
 * The lookups of a plain module directory: kmod's .bin indexes when the directory has them, its
 * text files only when it has not, and an empty index when it has neither. Built as a file of
 * its own (dist/resolve/directory-lookup.js) and loaded only when no bundle is found, so that a
 * command reading a bundle neither parses nor compiles the trie reader, the text parsers or the
 * index encoder (locate.ts).
 */
export function openDirectoryLookup(dirname: string, version: string): IndexLookup {
  return KmodBinLookup.open(dirname) ?? new BundleIndexLookup(loadDirectoryIndex(dirname, version));
}

/** An index with no modules, for a place that has none (every lookup fails as kmod's would). */
export function emptyLookup(version: string, where: string): IndexLookup {
  const empty = { kernelVersion: version, modules: [], aliases: [], symbols: [], builtin: [], builtinAliases: [], devnames: [] };
  return new BundleIndexLookup(BundleIndex.fromBuffer(encodeIndex({ index: empty, members: [] }), where));
}
