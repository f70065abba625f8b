/**
 * Glob matching with Redis's `stringmatchlen` semantics (src/util.c), as used by KEYS, SCAN
 * MATCH, PSUBSCRIBE, CONFIG GET and friends.
 *
 * Redis matches bytes, so `?` consumes one byte and `[...]` compares single bytes: `?` does not
 * match "é" (two bytes in UTF-8). The engine below works on "byte strings" (JS strings whose
 * char codes are all below 256, one per byte); ASCII text already is one, anything else is
 * UTF-8 encoded first. Malformed patterns behave as in Redis:
 *  - an unterminated `[abc` acts as the class `[abc]` at the end of the pattern;
 *  - `[a-]` is a range from `a` to `]` (the `]` does not close the class);
 *  - a trailing `\` matches a literal backslash;
 *  - range ends are compared as C `char` (signed), so bytes ≥ 0x80 sort below ASCII;
 *  - `nocase` folds only A–Z; escaped characters inside a class are compared exactly;
 *  - more than 1000 nested `*` groups never match (Redis's recursion limit);
 *  - `*` does not match the empty string (KEYS and SCAN special-case the lone `*` pattern).
 */

// Set when a `*` found no match for the rest of the pattern at any later position: every
// enclosing `*` can then stop too (Redis's skipLongerMatches).
let skipLonger = false

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c)
const signedByte = (c: number): number => (c >= 128 ? c - 256 : c)

/**
 * The matcher proper, over byte strings. Reads past the end of the pattern yield NaN, which
 * compares like the NUL terminator C sees there.
 */
function matchFrom(p: string, pi: number, s: string, si: number, nocase: boolean, nesting: number): boolean {
  if (nesting > 1000) return false
  const plen = p.length
  const slen = s.length
  while (pi < plen && si < slen) {
    let pc = p.charCodeAt(pi)
    switch (pc) {
      case 42: {
        // '*': collapse a run of stars, then try the rest at every position.
        while (p.charCodeAt(pi + 1) === 42) pi++
        if (pi + 1 === plen) return true
        while (si < slen) {
          if (matchFrom(p, pi + 1, s, si, nocase, nesting + 1)) return true
          if (skipLonger) return false
          si++
        }
        skipLonger = true
        return false
      }
      case 63: // '?'
        si++
        break
      case 91: {
        // '['
        pi++
        const not = p.charCodeAt(pi) === 94 // '^'
        if (not) pi++
        const c = s.charCodeAt(si)
        let match = false
        for (;;) {
          const q = p.charCodeAt(pi)
          if (q === 92 && plen - pi >= 2) {
            pi++
            if (p.charCodeAt(pi) === c) match = true
          } else if (q === 93) {
            break
          } else if (pi >= plen) {
            pi-- // unterminated class: the last pattern byte ends it
            break
          } else if (plen - pi >= 3 && p.charCodeAt(pi + 1) === 45) {
            let start = signedByte(q)
            let end = signedByte(p.charCodeAt(pi + 2))
            let cc = signedByte(c)
            if (start > end) {
              const t = start
              start = end
              end = t
            }
            if (nocase) {
              start = lower(start)
              end = lower(end)
              cc = lower(cc)
            }
            pi += 2
            if (cc >= start && cc <= end) match = true
          } else if (nocase ? lower(q) === lower(c) : q === c) {
            match = true
          }
          pi++
        }
        if (not) match = !match
        if (!match) return false
        si++
        break
      }
      default: {
        // '\' escapes the next byte, unless it is the last one (then it is literal)
        if (pc === 92 && plen - pi >= 2) pc = p.charCodeAt(++pi)
        const c = s.charCodeAt(si)
        if (nocase ? lower(pc) !== lower(c) : pc !== c) return false
        si++
      }
    }
    pi++
    if (si === slen) {
      while (p.charCodeAt(pi) === 42) pi++
      break
    }
  }
  return pi === plen && si === slen
}

/** Matches byte strings (char codes < 256) with Redis semantics. */
function matchBytes(p: string, s: string, nocase: boolean): boolean {
  skipLonger = false
  return matchFrom(p, 0, s, 0, nocase, 0)
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false
  return true
}

let encoder: { encode(input: string): Uint8Array } | undefined

/** Bytes as a byte string (one char per byte). */
function bytesToByteString(b: Uint8Array): string {
  let out = ''
  for (let i = 0; i < b.length; i += 8192) {
    out += String.fromCharCode.apply(null, b.subarray(i, Math.min(i + 8192, b.length)) as unknown as number[])
  }
  return out
}

/** The UTF-8 bytes of `s` as a byte string; `s` itself when it is ASCII. */
function toByteString(s: string): string {
  // A marked key string (src/core/bytes.ts) already holds its bytes one per char after the mark.
  if (s.charCodeAt(0) === 0xdc00) return s.slice(1)
  if (isAscii(s)) return s
  encoder ??= new TextEncoder()
  return bytesToByteString(encoder.encode(s))
}

/**
 * Matches a subject against a glob pattern with Redis's `stringmatchlen` semantics, on the
 * UTF-8 bytes of both strings (`?` matches one byte). ASCII strings are matched in place.
 */
export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  return matchBytes(toByteString(pattern), toByteString(subject), nocase)
}

/** The exact byte-wise engine: `stringmatchlen(pattern, subject, nocase)`. */
export function globMatchBytes(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  return matchBytes(bytesToByteString(pattern), bytesToByteString(subject), nocase)
}

/** Index of the first glob metacharacter (`*`, `?`, `[`, `\`) at or after `from`, or -1. */
function metaIndex(p: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = p.charCodeAt(i)
    if (c === 42 || c === 63 || c === 91 || c === 92) return i
  }
  return -1
}

/**
 * Compiles a pattern for matching many subjects (KEYS, SCAN MATCH): same results as
 * {@link globMatch}, with fast paths for the common shapes — only stars, a literal,
 * `prefix*`, `*suffix` and `*infix*` (ASCII literals, case-sensitive).
 */
export function compileGlob(pattern: string, nocase = false): (subject: string) => boolean {
  const pb = toByteString(pattern)
  if (!nocase && pb === pattern) {
    const n = pattern.length
    let lead = 0
    while (lead < n && pattern.charCodeAt(lead) === 42) lead++
    if (lead === n && n > 0) return (s) => s.length > 0 // '*' needs at least one byte
    let trail = n
    while (trail > lead && pattern.charCodeAt(trail - 1) === 42) trail--
    // (An escaped trailing star, "a\*", leaves its '\' in the literal part: engine path.)
    if (metaIndex(pattern, lead, trail) < 0) {
      const lit = pattern.slice(lead, trail)
      // Marked (non-UTF-8) subjects go through the engine on their bytes.
      const bin = (s: string) => matchBytes(pattern, s.slice(1), false)
      if (lead === 0 && trail === n) return (s) => (s.charCodeAt(0) === 0xdc00 ? bin(s) : s === lit)
      if (lead === 0) return (s) => (s.charCodeAt(0) === 0xdc00 ? bin(s) : s.startsWith(lit))
      if (trail === n) return (s) => (s.charCodeAt(0) === 0xdc00 ? bin(s) : s.endsWith(lit))
      return (s) => (s.charCodeAt(0) === 0xdc00 ? bin(s) : s.includes(lit))
    }
  }
  return (s) => matchBytes(pb, toByteString(s), nocase)
}
