import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compileGlob, globMatch, globMatchBytes } from '../../src/core/glob.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('globMatch', () => {
  // pattern, key, whether KEYS <pattern> returned the key (recorded from the reference server).
  const cases: [string, string, boolean][] = [
  ['**', '', false],
  ['?', '', false],
  ['', '', true],
  ['a*', 'a', true],
  ['*a', 'a', true],
  ['*', 'é', true],
  ['?', 'é', false],
  ['??', 'é', true],
  ['?', '😀', false],
  ['????', '😀', true],
  ['é', 'é', true],
  ['[é]', 'é', false],
  ['[é]?', 'é', true],
  ['?[é]', 'é', true],
  ['[^a]', 'é', false],
  ['[^a]?', 'é', true],
  ['*?', 'é', true],
  ['h?llo', 'hello', true],
  ['h?llo', 'hllo', false],
  ['h*llo', 'hllo', true],
  ['h*llo', 'heeeello', true],
  ['h[ae]llo', 'hallo', true],
  ['h[ae]llo', 'hillo', false],
  ['h[^e]llo', 'hallo', true],
  ['h[^e]llo', 'hello', false],
  ['h[a-b]llo', 'hbllo', true],
  ['h[b-a]llo', 'hallo', true],
  ['h[a-b]llo', 'hcllo', false],
  ['[', '[', false],
  ['[', 'a', false],
  ['[a', 'a', true],
  ['[a', 'b', false],
  ['[ab', 'b', true],
  ['x[ab', 'xb', true],
  ['[^', 'z', true],
  ['[^', '', false],
  ['[^a', 'b', true],
  ['[^a', 'a', false],
  ['[a-', 'a', true],
  ['[a-', '-', true],
  ['[a-]', ']', true],
  ['[a-]', '_', true],
  ['[a-]', 'a', true],
  ['[a-]', 'b', false],
  ['[a-]x]', '_x]', false],
  ['[a-]x]', '_', true],
  ['[]a]', ']', false],
  ['[]a]', ']a]', false],
  ['[]', '', false],
  ['[]', ']', false],
  ['[]]', ']', false],
  ['[!a]', '!', true],
  ['[!a]', 'b', false],
  ['\\', '\\', true],
  ['a\\', 'a\\', true],
  ['a\\', 'a', false],
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['\\?', '?', true],
  ['\\[', '[', true],
  ['\\a', 'a', true],
  ['a\\*', 'a*', true],
  ['a\\*', 'ab', false],
  ['[\\]]', ']', true],
  ['[\\', '\\', true],
  ['[\\', 'a', false],
  ['[\\]', ']', true],
  ['[\\]', '\\', false],
  ['[a\\-z]', '-', true],
  ['[a\\-z]', 'b', false],
  ['[\\a-c]', 'b', false],
  ['*a*b*c', 'aXbXc', true],
  ['*a*b*c', 'abXc', true],
  ['*a*b*c', 'acb', false],
  ['a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
  ['*?*?*', 'ab', true],
  ['*?*?*', 'a', false],
  ['user:*', 'user:', true],
  ['user:*', 'user', false],
  ['*:1', ':1', true],
  ['*mid*', 'mid', true],
  ['*mid*', 'xmidx', true],
  ['*mid*', 'mi', false],
  ['[A-z]', '_', true],
  ['[z-A]', '_', true],
  ['[0-9]*', '5abc', true],
  ['[^0-9]*', '5abc', false],
  ['[[]', '[', true],
  ['[-a]', '-', true],
  ['[a-c-e]', 'd', false],
  ['[a-c-e]', '-', true],
  ['[^-]', '-', false],
  ['a[', 'a[', false],
  ['a[', 'a', false],
  ['*[', 'x[', false],
  ['[*]', '*', true],
  ['[*]', 'x', false],
  ['[?]', 'x', false],
  ['?*?', 'ab', true],
  ['?*?', 'a', false],
  ]
  it.each(cases)('%j ~ %j', (p, s, expected) => {
    expect(globMatch(p, s)).toBe(expected)
    expect(compileGlob(p)(s)).toBe(expected)
    expect(globMatchBytes(utf8(p), utf8(s))).toBe(expected)
  })

  // nocase matching (COMMAND LIST FILTERBY PATTERN uses it), recorded.
  const nocase: [string, string, boolean][] = [
  ['GET', 'get', true],
  ['GET', 'hget', false],
  ['GET', 'client', false],
  ['GET', 'acl|cat', false],
  ['GET', 'set', false],
  ['get', 'get', true],
  ['get', 'hget', false],
  ['get', 'client', false],
  ['get', 'acl|cat', false],
  ['get', 'set', false],
  ['G?T', 'get', true],
  ['G?T', 'hget', false],
  ['G?T', 'client', false],
  ['G?T', 'acl|cat', false],
  ['G?T', 'set', false],
  ['g[A-F]t', 'get', true],
  ['g[A-F]t', 'hget', false],
  ['g[A-F]t', 'client', false],
  ['g[A-F]t', 'acl|cat', false],
  ['g[A-F]t', 'set', false],
  ['g[a-f]T', 'get', true],
  ['g[a-f]T', 'hget', false],
  ['g[a-f]T', 'client', false],
  ['g[a-f]T', 'acl|cat', false],
  ['g[a-f]T', 'set', false],
  ['[F-G]et', 'get', true],
  ['[F-G]et', 'hget', false],
  ['[F-G]et', 'client', false],
  ['[F-G]et', 'acl|cat', false],
  ['[F-G]et', 'set', false],
  ['G[^E]T', 'get', false],
  ['G[^E]T', 'hget', false],
  ['G[^E]T', 'client', false],
  ['G[^E]T', 'acl|cat', false],
  ['G[^E]T', 'set', false],
  ['h*', 'get', false],
  ['h*', 'hget', true],
  ['h*', 'client', false],
  ['h*', 'acl|cat', false],
  ['h*', 'set', false],
  ['H*', 'get', false],
  ['H*', 'hget', true],
  ['H*', 'client', false],
  ['H*', 'acl|cat', false],
  ['H*', 'set', false],
  ['[^h]*', 'get', true],
  ['[^h]*', 'hget', false],
  ['[^h]*', 'client', true],
  ['[^h]*', 'acl|cat', true],
  ['[^h]*', 'set', true],
  ['ge\\T', 'get', true],
  ['ge\\T', 'hget', false],
  ['ge\\T', 'client', false],
  ['ge\\T', 'acl|cat', false],
  ['ge\\T', 'set', false],
  ['g[\\E]t', 'get', false],
  ['g[\\E]t', 'hget', false],
  ['g[\\E]t', 'client', false],
  ['g[\\E]t', 'acl|cat', false],
  ['g[\\E]t', 'set', false],
  ['g[\\e]t', 'get', true],
  ['g[\\e]t', 'hget', false],
  ['g[\\e]t', 'client', false],
  ['g[\\e]t', 'acl|cat', false],
  ['g[\\e]t', 'set', false],
  ['G[Z-a]T', 'get', false],
  ['G[Z-a]T', 'hget', false],
  ['G[Z-a]T', 'client', false],
  ['G[Z-a]T', 'acl|cat', false],
  ['G[Z-a]T', 'set', false],
  ['c[l-L]ient', 'get', false],
  ['c[l-L]ient', 'hget', false],
  ['c[l-L]ient', 'client', true],
  ['c[l-L]ient', 'acl|cat', false],
  ['c[l-L]ient', 'set', false],
  ['*|*', 'get', false],
  ['*|*', 'hget', false],
  ['*|*', 'client', false],
  ['*|*', 'acl|cat', true],
  ['*|*', 'set', false],
  ]
  it.each(nocase)('nocase %j ~ %j', (p, s, expected) => {
    expect(globMatch(p, s, true)).toBe(expected)
    expect(compileGlob(p, true)(s)).toBe(expected)
  })

  it('matches bytes, comparing range ends as signed chars', () => {
    // pattern bytes, key bytes, KEYS result (recorded)
    const bytes: [number[], number[], boolean][] = [
      [[0x5b, 0x61, 0x2d, 0xff, 0x5d], [0xff], true],
      [[0x5b, 0x61, 0x2d, 0xff, 0x5d], [0x80], false],
      [[0x5b, 0x61, 0x2d, 0xff, 0x5d], [0x61], true],
      [[0x5b, 0x61, 0x2d, 0xff, 0x5d], [0x0], true],
      [[0x5b, 0x61, 0x2d, 0xff, 0x5d], [0x62], false],
      [[0x5b, 0x80, 0x2d, 0xff, 0x5d], [0xc3], true],
      [[0x5b, 0x80, 0x2d, 0xff, 0x5d], [0x7f], false],
      [[0x5b, 0x0, 0x2d, 0x7f, 0x5d], [0x80], false],
      [[0x5b, 0x0, 0x2d, 0x7f, 0x5d], [0x41], true],
      [[0x3f], [0xff], true],
      [[0x5b, 0x5e, 0x80, 0x5d], [0x81], true],
      [[0x5c, 0xff], [0xff], true],
      [[0x61, 0x0, 0x2a], [0x61, 0x0, 0x62], true],
      [[0x2a, 0x0], [0x61, 0x0], true],
      [[0x61, 0x2a], [0x61, 0x0], true],
      [[0x5b, 0x41, 0x2d, 0x80, 0x5d], [0x90], true],
      [[0x5b, 0x41, 0x2d, 0x80, 0x5d], [0x42], false],
      [[0x5b, 0x41, 0x2d, 0x80, 0x5d], [0x0], true],
    ]
    for (const [p, s, expected] of bytes) {
      expect(globMatchBytes(Uint8Array.from(p), Uint8Array.from(s))).toBe(expected)
    }
  })

  it('stops at 1000 nested star groups, as Redis does', () => {
    const key = 'x'.repeat(3000)
    // recorded: KEYS with each pattern against a 3000-byte key
    expect(globMatch('*?'.repeat(1000), key)).toBe(true)
    expect(globMatch('*?'.repeat(1001), key)).toBe(false)
    expect(globMatch('*'.repeat(100000) + 'x', key)).toBe(true)
    expect(globMatch('*x'.repeat(1000) + '*', key)).toBe(true)
    expect(globMatch('*x'.repeat(1001), key)).toBe(false)
    expect(globMatch('x*'.repeat(1001), key)).toBe(true)
  })

  it('stays fast on patterns that backtrack', () => {
    const t = performance.now()
    expect(globMatch('*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false)
    expect(performance.now() - t).toBeLessThan(2000)
  })
})

// A reference for well-formed patterns: translate to a RegExp over byte strings.
type Tok = { kind: 'lit'; b: number } | { kind: 'any' } | { kind: 'star' } | { kind: 'cls'; not: boolean; items: [number, number][] }

const metas = new Set([42, 63, 91, 92, 93, 94, 45])
const tokArb: fc.Arbitrary<Tok> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...Array.from('abcAB-]^\\*?[é')).map((c) => ({ kind: 'lit' as const, b: c.charCodeAt(0) })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'any' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'star' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('cls' as const),
      not: fc.boolean(),
      items: fc.array(
        fc
          .tuple(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x20, max: 0x7e }))
          // range ends are taken raw (no escapes), so keep '\\', ']' and '^' out of ranges
          .filter(([a, b]) => a === b || ![a, b].some((c) => c === 92 || c === 93 || c === 94))
          .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
)

// pattern text for a token list: single class members that are special are escaped
function render(toks: Tok[]): string {
  let s = ''
  const esc = (c: number): string => (metas.has(c) ? '\\' : '') + String.fromCharCode(c)
  for (const t of toks) {
    if (t.kind === 'lit') s += ([42, 63, 91, 92].includes(t.b) ? '\\' : '') + String.fromCharCode(t.b)
    else if (t.kind === 'any') s += '?'
    else if (t.kind === 'star') s += '*'
    else {
      s += '[' + (t.not ? '^' : '')
      for (const [a, b] of t.items) s += a === b ? esc(a) : String.fromCharCode(a) + '-' + String.fromCharCode(b)
      s += ']'
    }
  }
  return s
}

// Reference: a regex over the UTF-8 bytes (as a latin1 string). Redis differs from plain glob
// only in that an empty key matches nothing but the empty pattern.
function reference(toks: Tok[], subject: string): boolean {
  const bytes = String.fromCharCode(...utf8(subject))
  if (bytes === '') return toks.length === 0
  let re = ''
  const hex = (c: number): string => '\\x' + c.toString(16).padStart(2, '0')
  for (const t of toks) {
    if (t.kind === 'lit') re += [...utf8(String.fromCharCode(t.b))].map(hex).join('')
    else if (t.kind === 'any') re += '[\\s\\S]'
    else if (t.kind === 'star') re += '[\\s\\S]*'
    else re += '[' + (t.not ? '^' : '') + t.items.map(([a, b]) => hex(a) + '-' + hex(b)).join('') + ']'
  }
  return new RegExp('^' + re + '$').test(bytes)
}

const subjectArb = fc.string({ unit: fc.constantFrom(...Array.from('abcAB-]^\\*?[éx😀')), maxLength: 8 })

describe('glob properties', () => {
  it('agrees with a regex reference on well-formed patterns', () => {
    fc.assert(
      fc.property(fc.array(tokArb, { maxLength: 6 }), subjectArb, (toks, subject) => {
        const p = render(toks)
        const expected = reference(toks, subject)
        expect(globMatch(p, subject)).toBe(expected)
        expect(compileGlob(p)(subject)).toBe(expected)
      }),
      { numRuns: 5000 },
    )
  })

  const patArb = fc.string({ unit: fc.constantFrom(...Array.from('ab*?[]^-\\é😀')), maxLength: 7 })

  it('compiled patterns, string and byte entry points agree on arbitrary patterns', () => {
    fc.assert(
      fc.property(patArb, subjectArb, fc.boolean(), (p, s, nocase) => {
        const r = globMatch(p, s, nocase)
        expect(compileGlob(p, nocase)(s)).toBe(r)
        expect(globMatchBytes(utf8(p), utf8(s), nocase)).toBe(r)
      }),
      { numRuns: 5000 },
    )
  })

  // (ranges are left out: Redis orders the ends before folding them, so [a-C] matches nothing)
  it('folds ASCII letters under nocase', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'abcABC*?[]^'.split('')), maxLength: 6 }), fc.string({ unit: fc.constantFrom(...'abcABC'.split('')), maxLength: 6 }), (p, s) => {
        expect(globMatch(p, s, true)).toBe(globMatch(p.toLowerCase(), s.toLowerCase()))
      }),
      { numRuns: 3000 },
    )
  })
})
