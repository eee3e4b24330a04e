import { Bundle } from "./reader";

export interface BundleSummary {
  readonly formatVersion: number;
  readonly kernelVersion: string;
  readonly archiveLength: number;
  readonly indexOffset: number;
  readonly indexLength: number;
  readonly modules: number;
  readonly moduleBytes: number;
  readonly compression: Readonly<Record<string, number>>;
  readonly otherFiles: readonly string[];
  readonly aliases: number;
  readonly symbols: number;
  readonly builtin: number;
  readonly builtinAliases: number;
  readonly devnames: number;
}

export function summarizeBundle(bundle: Bundle): BundleSummary {
  const { index, header } = bundle;
  const data = index.toModuleIndex();
  const moduleMembers = new Set<number>();
  const compression: Record<string, number> = {};
  let moduleBytes = 0;
  for (let i = 0; i < index.moduleCount; i++) {
    const member = index.moduleMember(i);
    moduleMembers.add(member.index);
    compression[member.compression] = (compression[member.compression] ?? 0) + 1;
    moduleBytes += member.size;
  }
  const otherFiles: string[] = [];
  for (let i = 0; i < index.memberCount; i++) if (!moduleMembers.has(i)) otherFiles.push(index.member(i).path);
  return {
    formatVersion: header.version,
    kernelVersion: index.kernelVersion,
    archiveLength: header.archiveLength,
    indexOffset: header.indexOffset,
    indexLength: header.indexLength,
    modules: index.moduleCount,
    moduleBytes,
    compression,
    otherFiles,
    aliases: data.aliases.length,
    symbols: data.symbols.length,
    builtin: data.builtin.length,
    builtinAliases: data.builtinAliases.length,
    devnames: data.devnames.length,
  };
}
