/** Sorted-set commands. BZPOPMIN/BZPOPMAX/BZMPOP are left out: on an empty key they would block. */
import { anInt, type Gen, INTS, KEYS, kw, OTHER_TYPES, type Rng } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)

const LONG = 'x'.repeat(70)

/*
 * Keys that may hold a skiplist-encoded sorted set, per run (the Rng is new for every seed).
 * On a skiplist whose members are not in lex order (different scores), Redis's lex ranges
 * depend on its nodes' random levels, so no other implementation can give the same reply:
 * lex ranges go only to keys that can only be listpacks (where Redis's walk is deterministic
 * and embedis follows it). Valkey 8 also answers a negative LIMIT offset on a skiplist with
 * elements (a later Redis change, #12450), where Redis 7.2 answers nothing: negative offsets
 * likewise go only to listpack keys. The tracking is conservative (a key stays marked until
 * DEL).
 */
const MAYBE_SKIPLIST = new WeakMap<Rng, Set<string>>()
const marked = (r: Rng): Set<string> => {
  let s = MAYBE_SKIPLIST.get(r)
  if (s === undefined) MAYBE_SKIPLIST.set(r, (s = new Set()))
  return s
}
/** A key that cannot hold a skiplist (undefined when every key might). */
function listpackKey(r: Rng): string | undefined {
  const m = marked(r)
  const free = KEYS.filter((k) => !m.has(k))
  return free.length === 0 ? undefined : r.pick(free)
}

/** Updates the marks after a generated command. */
function track(r: Rng, argv: string[]): void {
  const m = marked(r)
  const cmd = argv[0]!.toUpperCase()
  const k1 = argv[1]
  if (k1 === undefined) return
  if (cmd === 'DEL') {
    for (const k of argv.slice(1)) m.delete(k)
  } else if (argv.length > 40 || argv.includes(LONG)) {
    m.add(k1)
  } else if (cmd === 'COPY' || cmd.endsWith('STORE')) {
    // The destination is argv[1] except for COPY (argv[2]); any marked source marks it.
    const dst = cmd === 'COPY' ? argv[2]! : k1
    if (argv.some((a, i) => i > 0 && a !== dst && m.has(a)) || (cmd === 'COPY' && m.has(k1))) m.add(dst)
  }
}

/** Members: a small pool so commands meet each other's members, with a long one (> 64 bytes). */
const MEMBERS = ['a', 'b', 'c', 'd', 'e', 'f', '', '1', '10', 'é', 'a b', 'B', 'aa', LONG] as const
const member = (r: Rng): string => r.pick(MEMBERS)

/** Scores: mostly few distinct values (ties ordered by member), sometimes edges and non-numbers. */
const score = (r: Rng): string =>
  r.chance(0.8)
    ? String(r.int(-4, 8) / 2)
    : r.pick(['inf', '-inf', '+inf', 'nan', 'abc', '', '1e400', '0x10', '.5', '-0', '1e-300', '3e2', ' 1', '1.7976931348623157e308', '4.9e-324', '0.1', '123456789.123456'])

/** A score range bound: inclusive, exclusive, infinite or malformed. */
function scoreBound(r: Rng): string {
  const u = r.next()
  if (u < 0.55) return String(r.int(-4, 8) / 2)
  if (u < 0.8) return '(' + String(r.int(-4, 8) / 2)
  if (u < 0.95) return r.pick(['-inf', '+inf', 'inf', '(-inf', '(+inf'])
  return r.pick(['abc', '(', '', 'nan', '(nan', '((1', '1 ', '[1'])
}

/** A lex range bound. */
function lexBound(r: Rng): string {
  const u = r.next()
  if (u < 0.75) return (r.chance(0.5) ? '[' : '(') + r.pick(MEMBERS.slice(0, 13))
  if (u < 0.95) return r.pick(['-', '+'])
  return r.pick(['a', '', '-a', '+x', '!a'])
}

/** Where a bound lies, for putting pairs in order: -inf/'-' first, +inf/'+' last. */
function boundKey(b: string, lex: boolean): [number, string | number] {
  if (b === '-' || b === '-inf' || b === '(-inf') return [0, 0]
  if (b === '+' || b === '+inf' || b === 'inf' || b === '(+inf') return [2, 0]
  const v = b.startsWith('(') || (lex && b.startsWith('[')) ? b.slice(1) : b
  return [1, lex ? v : Number(v)]
}

/** Two range bounds, mostly low end first (high end first for the REV forms). */
function boundPair(r: Rng, lex: boolean, rev = false): [string, string] {
  const a = lex ? lexBound(r) : scoreBound(r)
  const b = lex ? lexBound(r) : scoreBound(r)
  if (r.chance(0.25)) return [a, b]
  const [ka, va] = boundKey(a, lex)
  const [kb, vb] = boundKey(b, lex)
  const aFirst = ka !== kb ? ka < kb : va <= vb
  return aFirst !== rev ? [a, b] : [b, a]
}

/** Drops some trailing arguments now and then (arity and syntax errors), never the command name. */
function maybeShort(r: Rng, argv: string[]): string[] {
  if (argv.length > 1 && r.chance(0.03)) return argv.slice(0, r.int(1, argv.length - 1))
  return argv
}

function limit(r: Rng, k: string): string[] {
  const off = anInt(r, -1, 4)
  // See MAYBE_SKIPLIST: a negative offset only where Redis 7.2 and Valkey 8 agree.
  const out = [kw(r, 'LIMIT'), marked(r).has(k) && off.startsWith('-') ? off.slice(1) : off]
  if (r.chance(0.97)) out.push(r.chance(0.8) ? r.pick(['-1', '0', '1', '2', '3', '5']) : r.pick(INTS))
  return out
}

function zadd(r: Rng): string[] {
  const out = ['ZADD', key(r)]
  if (r.chance(0.4)) {
    const n = r.int(1, 3)
    for (let i = 0; i < n; i++) out.push(kw(r, r.pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'CH', 'INCR'])))
  }
  const incr = out.some((o) => o.toUpperCase() === 'INCR')
  const pairs = r.chance(0.9) ? (incr ? 1 : r.int(1, 3)) : r.int(0, 5)
  for (let i = 0; i < pairs; i++) out.push(score(r), member(r))
  if (r.chance(0.03)) out.push(score(r)) // an odd count: syntax error
  return out
}

/** Many members at once, now and then, to cross the 128-entry listpack limit. */
function zaddBulk(r: Rng): string[] {
  const out = ['ZADD', key(r)]
  const n = r.int(60, 140)
  const base = r.int(0, 200)
  for (let i = 0; i < n; i++) out.push(String(r.int(-10, 10) / 2), 'm' + (base + i))
  return out
}

function zrangeOptions(r: Rng, k: string, store = false): { by: string | null; opts: string[] } {
  const opts: string[] = []
  const by = r.chance(0.3) ? null : marked(r).has(k) ? 'BYSCORE' : r.pick(['BYSCORE', 'BYLEX'])
  if (by !== null) opts.push(kw(r, by))
  if (r.chance(0.3)) opts.push(kw(r, 'REV'))
  if (r.chance(by === null ? 0.05 : 0.3)) opts.push(...limit(r, k))
  if (r.chance(by === 'BYLEX' || store ? 0.04 : 0.4)) opts.push(kw(r, 'WITHSCORES'))
  if (r.chance(0.04)) opts.push(r.pick(['BYLEX', 'BYSCORE', 'FOO', 'WITHSCORE']))
  // Options in another order now and then.
  if (r.chance(0.2)) opts.reverse()
  return { by, opts }
}

function rangeArgs(r: Rng, by: string | null, rev: boolean): [string, string] {
  if (by === 'BYSCORE') return boundPair(r, false, rev)
  if (by === 'BYLEX') return boundPair(r, true, rev)
  // Indexes, now and then a score or lex bound where an index is expected.
  if (r.chance(0.05)) return [r.chance(0.5) ? scoreBound(r) : lexBound(r), anInt(r, -5, 5)]
  return [anInt(r, -5, 5), anInt(r, -5, 5)]
}

function numkeys(r: Rng, min = 1): { n: string; keys: string[] } {
  const c = r.int(min, 3)
  const keys = r.some(KEYS, c, c)
  if (r.chance(0.05)) return { n: r.pick(['0', '-1', 'abc', '5', '9223372036854775807']), keys }
  return { n: String(c), keys }
}

/** ZUNION/ZINTER/ZDIFF options (WEIGHTS, AGGREGATE, WITHSCORES), sometimes malformed. */
function setOpOptions(r: Rng, nkeys: number, withScores: boolean, weights: boolean): string[] {
  const out: string[] = []
  if (weights && r.chance(0.4)) {
    out.push(kw(r, 'WEIGHTS'))
    const n = r.chance(0.9) ? nkeys : r.int(0, nkeys + 1)
    for (let i = 0; i < n; i++) out.push(r.chance(0.9) ? String(r.int(-2, 3) / (r.chance(0.7) ? 1 : 2)) : r.pick(['inf', '-inf', 'nan', 'abc', '0']))
  }
  if (weights && r.chance(0.4)) {
    out.push(kw(r, 'AGGREGATE'))
    if (r.chance(0.97)) out.push(r.chance(0.95) ? kw(r, r.pick(['SUM', 'MIN', 'MAX'])) : 'AVG')
  }
  if (withScores && r.chance(0.5)) out.push(kw(r, 'WITHSCORES'))
  if (r.chance(0.03)) out.push(r.pick(['FOO', 'LIMIT', 'WEIGHTS']))
  return out
}

function setOp(r: Rng): string[] {
  const cmd = r.pick(['ZUNION', 'ZINTER', 'ZDIFF', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'])
  const store = cmd.endsWith('STORE')
  const { n, keys } = numkeys(r)
  const weights = !cmd.startsWith('ZDIFF')
  const opts = setOpOptions(r, keys.length, !store, weights)
  return maybeShort(r, [cmd, ...(store ? [key(r)] : []), n, ...keys, ...opts])
}

function zmpop(r: Rng): string[] {
  const { n, keys } = numkeys(r)
  const out = ['ZMPOP', n, ...keys]
  if (r.chance(0.95)) out.push(r.chance(0.95) ? kw(r, r.pick(['MIN', 'MAX'])) : 'LEFT')
  if (r.chance(0.4)) {
    out.push(kw(r, 'COUNT'))
    if (r.chance(0.95)) out.push(anInt(r, 0, 5))
  }
  return out
}

function zscan(r: Rng): Cmd {
  const out = ['ZSCAN', key(r), r.chance(0.95) ? '0' : r.pick(['abc', '-1', '18446744073709551616'])]
  if (r.chance(0.4)) out.push(kw(r, 'MATCH'), r.pick(['*', 'a*', '?', 'm1*', '[ab]', 'x*']))
  // A COUNT big enough to finish in one call whatever the encoding, so the cursor is 0 on both sides.
  out.push(kw(r, 'COUNT'), r.chance(0.95) ? '1000' : r.pick(['0', '-1', 'abc']))
  return { argv: out, ann: ['unordered'] }
}

type Cmd = ReturnType<Gen>

const isRev = (opts: string[]): boolean => opts.some((o) => o.toUpperCase() === 'REV')

const GENS: Array<readonly [number, Gen]> = [
  [10, (r) => ({ argv: maybeShort(r, zadd(r)) })],
  [1, (r) => ({ argv: zaddBulk(r) })],
  // One shared score, so lex ranges have ordered members to work on.
  [2, (r) => ({ argv: ['ZADD', key(r), ...r.some(MEMBERS.slice(0, 13), 1, 5).flatMap((m) => ['0', m])] })],
  [3, (r) => ({ argv: maybeShort(r, ['ZINCRBY', key(r), score(r), member(r)]) })],
  [3, (r) => ({ argv: maybeShort(r, ['ZREM', key(r), ...r.some(MEMBERS, 1, 3)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['ZCARD', key(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['ZCOUNT', key(r), ...boundPair(r, false)]) })],
  [2, (r) => {
    const k = listpackKey(r)
    return { argv: k === undefined ? ['ZCARD', key(r)] : maybeShort(r, ['ZLEXCOUNT', k, ...boundPair(r, true)]) }
  }],
  [3, (r) => ({ argv: maybeShort(r, ['ZSCORE', key(r), member(r)]) })],
  [2, (r) => ({ argv: maybeShort(r, ['ZMSCORE', key(r), ...r.some(MEMBERS, 1, 3)]) })],
  [3, (r) => ({ argv: maybeShort(r, [r.pick(['ZRANK', 'ZREVRANK']), key(r), member(r), ...(r.chance(0.4) ? [r.chance(0.95) ? kw(r, 'WITHSCORE') : 'WITHSCORES'] : [])]) })],
  [6, (r) => {
    const k = key(r)
    const { by, opts } = zrangeOptions(r, k)
    return { argv: maybeShort(r, ['ZRANGE', k, ...rangeArgs(r, by, isRev(opts)), ...opts]) }
  }],
  [3, (r) => {
    const k = key(r)
    const { by, opts } = zrangeOptions(r, k, true)
    return { argv: maybeShort(r, ['ZRANGESTORE', key(r), k, ...rangeArgs(r, by, isRev(opts)), ...opts]) }
  }],
  [2, (r) => {
    const k = key(r)
    const cmd = r.pick(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'])
    return { argv: maybeShort(r, [cmd, k, ...boundPair(r, false, cmd.startsWith('ZREV')), ...(r.chance(0.4) ? [kw(r, 'WITHSCORES')] : []), ...(r.chance(0.3) ? limit(r, k) : [])]) }
  }],
  [2, (r) => {
    const k = listpackKey(r)
    if (k === undefined) return { argv: ['ZCARD', key(r)] }
    const cmd = r.pick(['ZRANGEBYLEX', 'ZREVRANGEBYLEX'])
    return { argv: maybeShort(r, [cmd, k, ...boundPair(r, true, cmd.startsWith('ZREV')), ...(r.chance(0.3) ? limit(r, k) : []), ...(r.chance(0.04) ? [kw(r, 'WITHSCORES')] : [])]) }
  }],
  [2, (r) => ({ argv: maybeShort(r, ['ZREVRANGE', key(r), anInt(r, -5, 5), anInt(r, -5, 5), ...(r.chance(0.4) ? [kw(r, 'WITHSCORES')] : [])]) })],
  [1, (r) => ({ argv: maybeShort(r, ['ZREMRANGEBYRANK', key(r), anInt(r, -5, 5), anInt(r, -5, 5)]) })],
  [1, (r) => ({ argv: maybeShort(r, ['ZREMRANGEBYSCORE', key(r), ...boundPair(r, false)]) })],
  [1, (r) => {
    const k = listpackKey(r)
    return { argv: k === undefined ? ['ZCARD', key(r)] : maybeShort(r, ['ZREMRANGEBYLEX', k, ...boundPair(r, true)]) }
  }],
  [3, (r) => ({ argv: [r.pick(['ZPOPMIN', 'ZPOPMAX']), key(r), ...(r.chance(0.5) ? [anInt(r, -1, 4)] : [])] })],
  [2, (r) => ({ argv: maybeShort(r, zmpop(r)) })],
  [5, (r) => ({ argv: setOp(r) })],
  [2, (r) => {
    const { n, keys } = numkeys(r)
    const lim = r.chance(0.4) ? [kw(r, 'LIMIT'), ...(r.chance(0.95) ? [anInt(r, -1, 3)] : [])] : []
    return { argv: maybeShort(r, ['ZINTERCARD', n, ...keys, ...lim]) }
  }],
  // Random picks: only the reply type is compared (errors are still compared as errors).
  [2, (r) => ({ argv: ['ZRANDMEMBER', key(r), ...(r.chance(0.7) ? [anInt(r, -4, 4), ...(r.chance(0.5) ? [kw(r, 'WITHSCORES')] : [])] : [])], ann: ['any'] })],
  // Counts that pick every member (or none) are deterministic up to order.
  [1, (r) => {
    const ws = r.chance(0.5)
    return { argv: ['ZRANDMEMBER', key(r), r.pick(['0', '1000']), ...(ws ? [kw(r, 'WITHSCORES')] : [])], ann: ['unordered'] }
  }],
  [2, zscan],
  [2, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: [r.pick(['DEL', 'EXISTS', 'TYPE']), key(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.5) ? [kw(r, 'REPLACE')] : [])] })],
  [2, (r) => r.pick(OTHER_TYPES)(r)],
  [0.5, (r) => ({ argv: ['SADD', key(r), member(r)] })],
]

export const zsets: Gen = (r) => {
  const c = r.weighted(GENS)(r)
  track(r, c.argv)
  return c
}
