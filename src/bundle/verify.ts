import { escapeControls } from "../util/escape";
import { ModbundleError } from "../errors";
import { Bundle } from "./reader";

/**
 * The permission bits a bundle may carry and unpack applies: a tree's, without setuid, setgid,
 * sticky or world-writable bits, which nothing in a module tree needs and no checksum covers (they
 * live in the cpio headers). pack stores no others; verify reports a header that has them.
 */
export const SAFE_MODE_BITS = 0o775;

export interface VerifyProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Checks every member: its cpio header agrees with the index and carries only SAFE_MODE_BITS,
 * and its bytes match their CRC-32. All problems are collected, so that each bad member is named.
 */
export function verifyBundle(bundle: Bundle): { readonly checked: number; readonly problems: VerifyProblem[] } {
  const problems: VerifyProblem[] = [];
  bundle.validate();
  const { index } = bundle;
  bundle.prefetchMembers(Array.from({ length: index.memberCount }, (_, i) => index.member(i)), true);
  for (let i = 0; i < index.memberCount; i++) {
    const member = index.member(i);
    try {
      const header = bundle.readMemberHeader(member);
      const unsafe = header.mode & 0o7777 & ~SAFE_MODE_BITS;
      if (unsafe !== 0) {
        throw new ModbundleError("EUNSAFE", `${bundle.source.name}: member ${escapeControls(member.path)}: mode ${(header.mode & 0o7777).toString(8)} has setuid, setgid, sticky or world-writable bits (${unsafe.toString(8)}), which unpack does not apply`);
      }
      bundle.readMember(member);
    } catch (error) {
      if (!(error instanceof ModbundleError)) throw error;
      problems.push({ path: member.path, message: error.message });
    }
  }
  return { checked: index.memberCount, problems };
}
