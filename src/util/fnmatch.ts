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

/** glibc's CHAR_CLASS_MAX_LENGTH: a longer class name makes the pattern ill-formed. */
const CHAR_CLASS_MAX_LENGTH = 256;

/**
 * What a bracket expression does with one character: matches it (the pattern goes on at `next`,
 * after the closing ']'), does not match it (or is ill-formed: glibc returns FNM_NOMATCH, which
 * at this position is the same), or is unterminated before anything matched, when glibc takes the
 * '[' as an ordinary character.
 */
type BracketResult = { readonly kind: "match"; readonly next: number } | { readonly kind: "mismatch" } | { readonly kind: "literal" };

const MISMATCH: BracketResult = { kind: "mismatch" };
const LITERAL: BracketResult = { kind: "literal" };

/** A character class name: only lowercase letters below 'z' (glibc's own test). */
function isClassNameChar(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "a" && ch < "z";
}

/**
 * glibc's bracket matching (posix/fnmatch_loop.c, flags 0, the C locale) for the bracket at
 * pattern[p] and the character code `c`, with its quirks kept: an unknown [:class:] is
 * ill-formed only when the scan reaches it (elements after a match are skipped by syntax alone),
 * [=c=] and [.c.] name single characters, a range's end may be a [.c.], and an unterminated
 * bracket is an ordinary '['.
 */
function matchBracket(pattern: string, p: number, c: number): BracketResult {
  let i = p + 1;
  const negate = pattern[i] === "!" || pattern[i] === "^";
  if (negate) i++;
  let ch = pattern[i++];
  for (;;) {
    let cold: number;
    let normal = false;
    if (ch === "\\") {
      if (i >= pattern.length) return MISMATCH;
      ch = pattern[i++];
      normal = true;
    } else if (ch === "[" && pattern[i] === ":") {
      const start = i;
      let name = "";
      for (;;) {
        if (name.length === CHAR_CLASS_MAX_LENGTH) return MISMATCH;
        const next = pattern[++i];
        if (next === ":" && pattern[i + 1] === "]") {
          i += 2;
          break;
        }
        if (!isClassNameChar(next)) {
          i = start;
          name = "";
          break;
        }
        name += next;
      }
      if (i === start) {
        normal = true; // not a class name: '[' is an ordinary element
      } else {
        const test = CLASSES[name];
        if (!test) return MISMATCH;
        if (test(c)) return skipRest(pattern, i, negate);
        ch = pattern[i++];
        if (ch === "]") break;
        continue;
      }
    } else if (ch === "[" && pattern[i] === "=") {
      const start = i;
      const equivalent = pattern[i + 1];
      if (equivalent !== undefined && pattern[i + 2] === "=" && pattern[i + 3] === "]") {
        i += 4;
        if (equivalent.charCodeAt(0) === c) return skipRest(pattern, i, negate);
        ch = pattern[i++];
        if (ch === "]") break;
        continue;
      }
      i = start;
      normal = true;
    } else if (ch === undefined) {
      return LITERAL;
    }
    let isRange: boolean;
    if (!normal && ch === "[" && pattern[i] === ".") {
      const start = i;
      i = collatingSymbolEnd(pattern, start);
      if (i < 0) return MISMATCH;
      isRange = pattern[i] === "-" && i + 1 < pattern.length;
      cold = pattern.charCodeAt(start + 1);
      if (!isRange && cold === c) return skipRest(pattern, i, negate);
    } else {
      isRange = pattern[i] === "-" && i + 1 < pattern.length && pattern[i + 1] !== "]";
      cold = ch.charCodeAt(0);
      if (!isRange && cold === c) return skipRest(pattern, i, negate);
    }
    ch = pattern[i++];
    if (ch === "-" && pattern[i] !== "]") {
      let end = pattern[i++];
      if (end === "[" && pattern[i] === ".") {
        const start = i;
        i = collatingSymbolEnd(pattern, start);
        if (i < 0) return MISMATCH;
        end = pattern[start + 1];
      } else {
        if (end === "\\") end = pattern[i++];
        if (end === undefined) return MISMATCH;
      }
      if (cold <= c && c <= end.charCodeAt(0)) return skipRest(pattern, i, negate);
      ch = pattern[i++];
    }
    if (ch === "]") break;
  }
  return negate ? { kind: "match", next: i } : MISMATCH;
}

/** After a match: the rest of the bracket is skipped by its syntax alone, up to its ']'. */
function skipRest(pattern: string, i: number, negate: boolean): BracketResult {
  for (;;) {
    const ch = pattern[i++];
    if (ch === "]") break;
    // Unterminated after all: glibc 2.36 takes the '[' as an ordinary character here too.
    if (ch === undefined) return LITERAL;
    if (ch === "\\") {
      if (i >= pattern.length) return MISMATCH;
      i++;
    } else if (ch === "[" && pattern[i] === ":") {
      const start = i;
      let length = 0;
      for (;;) {
        const next = pattern[++i];
        if (++length === CHAR_CLASS_MAX_LENGTH) return MISMATCH;
        if (next === ":" && pattern[i + 1] === "]") break;
        if (!isClassNameChar(next)) {
          i = start - 2;
          break;
        }
      }
      i += 2;
    } else if (ch === "[" && pattern[i] === "=") {
      if (pattern[i + 1] === undefined || pattern[i + 2] !== "=" || pattern[i + 3] !== "]") return MISMATCH;
      i += 4;
    } else if (ch === "[" && pattern[i] === ".") {
      for (;;) {
        const next = pattern[++i];
        if (next === undefined) return MISMATCH;
        if (next === "." && pattern[i + 1] === "]") break;
      }
      i += 2;
    }
  }
  return negate ? MISMATCH : { kind: "match", next: i };
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
      if (bracket.kind === "match") {
        ok = true;
        advance = bracket.next - p;
      } else {
        ok = bracket.kind === "literal" && text[t] === "[";
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

/**
 * The index just past the collating symbol "[.c.]" whose "." is at `dot`, or -1 when it is
 * unterminated or names more than one character (the C locale has no collating element names).
 */
function collatingSymbolEnd(pattern: string, dot: number): number {
  for (let i = dot + 1; i < pattern.length; i++) {
    if (pattern[i] === "." && pattern[i + 1] === "]") return i + 2 - dot === 4 ? i + 2 : -1;
  }
  return -1;
}

/**
 * The first of a list of patterns that matches a name, as a scan with fnmatch from the start
 * finds it, without trying each: the plain names among the patterns (most softdep lines and
 * install commands of a configuration, every line of modules.softdep) are looked up in a map,
 * and only the other patterns that come before that plain match are tried.
 */
export class FirstMatch<T> {
  private readonly plain = new Map<string, number>();
  private readonly others: Array<{ readonly at: number; readonly pattern: CompiledPattern }> = [];

  constructor(
    private readonly items: readonly T[],
    patternOf: (item: T) => string,
  ) {
    items.forEach((item, at) => {
      const pattern = compilePattern(patternOf(item));
      if (pattern.stars) this.others.push({ at, pattern });
      else if (!this.plain.has(pattern.pattern)) this.plain.set(pattern.pattern, at);
    });
  }

  find(name: string): T | undefined {
    const plainAt = this.plain.get(name) ?? this.items.length;
    for (const { at, pattern } of this.others) {
      if (at > plainAt) break;
      if (matchCompiled(pattern, name)) return this.items[at];
    }
    return this.items[plainAt];
  }
}
