import { ModbundleError } from "../errors";
import { Bundle } from "./reader";

export interface VerifyProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Checks every member: its cpio header agrees with the index, and its bytes match their
 * CRC-32. All problems are collected, so that each bad member is named.
 */
export function verifyBundle(bundle: Bundle): { readonly checked: number; readonly problems: VerifyProblem[] } {
  const problems: VerifyProblem[] = [];
  bundle.validate();
  const { index } = bundle;
  bundle.prefetchMembers(Array.from({ length: index.memberCount }, (_, i) => index.member(i)), true);
  for (let i = 0; i < index.memberCount; i++) {
    const member = index.member(i);
    try {
      bundle.readMemberHeader(member);
      bundle.readMember(member);
    } catch (error) {
      if (!(error instanceof ModbundleError)) throw error;
      problems.push({ path: member.path, message: error.message });
    }
  }
  return { checked: index.memberCount, problems };
}
