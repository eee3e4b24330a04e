/**
 * The one fnmatch: glibc's fnmatch(pattern, string, 0), which kmod uses for aliases, softdep,
 * install and remove patterns. '*' and '?' match any characters ('/' and a leading '.'
 * included), '[...]' is a bracket expression ('!' or '^' negates, ranges, [:class:], a ']' first
 * is literal, an unterminated '[' is an ordinary character), and '\' quotes the next character.
 */
const CLASSES: Record<string, (c: number) => boolean> = {
  alnum: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 127,
  digit: (c) => c >= 48 && c <= 57,
  graph: (c) => c > 32 && c < 127,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c < 127,
  punct: (c) => c > 32 && c < 127 && !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)),
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  upper: (c) => c >= 65 && c <= 90,
  xdigit: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

/**
 * Matches the bracket expression starting at pattern[p] ('[') against code `c`. Returns the index
 * after the closing ']' and whether it matched, or undefined when the bracket is unterminated.
 */
function matchBracket(pattern: string, p: number, c: number): { next: number; matched: boolean } | undefined {
  let i = p + 1;
  let negate = false;
  if (pattern[i] === "!" || pattern[i] === "^") {
    negate = true;
    i++;
  }
  let matched = false;
  let first = true;
  while (i < pattern.length) {
    let ch = pattern[i];
    if (ch === "]" && !first) return { next: i + 1, matched: matched !== negate };
    first = false;
    if (ch === "[" && pattern[i + 1] === ":") {
      const end = pattern.indexOf(":]", i + 2);
      if (end >= 0) {
        const test = CLASSES[pattern.slice(i + 2, end)];
        if (test) {
          if (test(c)) matched = true;
          i = end + 2;
          continue;
        }
      }
    }
    if (ch === "\\" && i + 1 < pattern.length) {
      i++;
      ch = pattern[i];
    }
    const low = ch.charCodeAt(0);
    i++;
    if (pattern[i] === "-" && i + 1 < pattern.length && pattern[i + 1] !== "]") {
      let high = pattern[i + 1];
      i += 2;
      if (high === "\\" && i < pattern.length) high = pattern[i++];
      const highCode = high.charCodeAt(0);
      if (low <= c && c <= highCode) matched = true;
    } else if (low === c) {
      matched = true;
    }
  }
  return undefined;
}

/**
 * A pattern prepared for matching against many strings. A pattern of literal characters and '*'
 * only (nearly every module alias) is split at the stars and matched with startsWith, indexOf and
 * endsWith, in linear time; any other pattern goes to fnmatch itself.
 */
export interface CompiledPattern {
  readonly pattern: string;
  /** undefined when the pattern needs the general matcher. */
  readonly first?: string;
  readonly middle?: readonly string[];
  readonly last?: string;
  readonly stars: boolean;
}

export function compilePattern(pattern: string): CompiledPattern {
  if (/[?[\\]/.test(pattern)) return { pattern, stars: true };
  const segments = pattern.split("*");
  return {
    pattern,
    first: segments[0],
    middle: segments.slice(1, -1).filter((s) => s !== ""),
    last: segments[segments.length - 1],
    stars: segments.length > 1,
  };
}

export function matchCompiled(p: CompiledPattern, text: string): boolean {
  const { first, last, middle } = p;
  if (first === undefined || last === undefined || middle === undefined) return fnmatch(p.pattern, text);
  if (!p.stars) return text === p.pattern;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (let i = 0; i < middle.length; i++) {
    const found = text.indexOf(middle[i], at);
    if (found < 0 || found + middle[i].length > end) return false;
    at = found + middle[i].length;
  }
  return true;
}

export function fnmatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = -1;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === "*") {
      while (pattern[p] === "*") p++;
      if (p === pattern.length) return true;
      starP = p;
      starT = t;
      continue;
    }
    let ok = false;
    let advance = 1;
    if (pc === "?") {
      ok = true;
    } else if (pc === "[") {
      const bracket = matchBracket(pattern, p, text.charCodeAt(t));
      if (bracket) {
        ok = bracket.matched;
        advance = bracket.next - p;
      } else {
        ok = text[t] === "[";
      }
    } else if (pc === "\\") {
      // glibc: a trailing backslash loses outright.
      if (p + 1 === pattern.length) return false;
      ok = pattern[p + 1] === text[t];
      advance = 2;
    } else if (pc !== undefined) {
      ok = pc === text[t];
    }
    if (ok) {
      p += advance;
      t++;
    } else if (starP >= 0) {
      p = starP;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
