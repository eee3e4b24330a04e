/**
 * Strings from a bundle or a module (paths, names, kernel version, .modinfo values) are printed
 * with their control characters escaped, so that a hostile bundle cannot drive the terminal
 * (ESC ] 0 ; title BEL, ESC [ 2 J, a carriage return hiding a line) or forge output lines: C0
 * controls (but tab) and DEL become \xHH, and so does a C1 control encoded in UTF-8 (C2 80..C2 9F),
 * which some terminals obey. Strings are byte strings (latin1), so other UTF-8 text, a name in
 * a module's author field say, passes unchanged. (modinfo escapes only on a terminal, and keeps
 * newlines and tabs there: into a pipe it prints what kmod prints.) A backslash is left as is: the escaping is for
 * the terminal's sake, as kmod prints these strings raw.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]|\xc2[\x80-\x9f]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS_BUT_NEWLINE = /[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]/g;
// Text written UTF-8-encoded (log lines, whose messages mix arguments and bundle byte strings): a
// character U+0080..U+009F is itself a C1 control once encoded.
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS_UTF8 = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS_BUT_NEWLINE_UTF8 = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

function hex(match: string): string {
  let out = "";
  for (let i = 0; i < match.length; i++) out += `\\x${match.charCodeAt(i).toString(16).padStart(2, "0")}`;
  return out;
}

export function escapeControls(text: string, options: { readonly keepNewlines?: boolean; readonly writtenAsUtf8?: boolean } = {}): string {
  const pattern = options.writtenAsUtf8
    ? (options.keepNewlines ? CONTROLS_BUT_NEWLINE_UTF8 : CONTROLS_UTF8)
    : (options.keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS);
  pattern.lastIndex = 0;
  return pattern.test(text) ? text.replace(pattern, hex) : text;
}
