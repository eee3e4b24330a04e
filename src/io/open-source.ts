import path = require("node:path");
import { loadOwnModule } from "../code-cache";
import { ByteSource, FileSource } from "./byte-source";
import { FsPath, pathName } from "../util/bytes";

/** Whether a bundle location is an http:// or https:// URL rather than a file name. */
export function isRemoteLocation(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * A bundle's bytes by location: a URL through Range requests (remote-source.ts), else a file or
 * block device. The remote source is a file of its own, built beside the commands (dist/io/) and
 * loaded only for a URL, so that a file-based run neither parses nor compiles any of it.
 */
export function openByteSource(location: FsPath, env: NodeJS.ProcessEnv = process.env): ByteSource {
  if (!isRemoteLocation(pathName(location))) return FileSource.open(location);
  const remote = loadOwnModule<typeof import("./remote-source")>(path.join(__dirname, "..", "io", "remote-source.js"));
  return remote.RemoteSource.open(pathName(location), env);
}
