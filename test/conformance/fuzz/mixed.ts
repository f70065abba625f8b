/**
 * Command families meeting each other: every command is drawn from another family's generator
 * (or from a few generic key commands of this file: COPY, RENAME, MOVE, OBJECT, DUMP/RESTORE,
 * expiry, scripts touching any type), so every family's keys meet every other family's commands,
 * and transactions (from the `transactions` generator) wrap whatever comes next.
 *
 * The families are called with this run's Rng, so the generators that keep per-run state beside
 * it (`scripting`: its first two steps and its script cache; `streams`: its loaded scripts and
 * recent IDs; `sets` and `hashes`: their mode; `transactions`: whether it is inside MULTI) keep it
 * for the whole run, drawn when each is first called. What a family can assume about its keys no
 * longer holds once others write them, so replies are adapted here:
 * - a set or hash may be a hashtable whatever the family's mode: replies in its internal order are
 *   compared unordered, and SSCAN/HSCAN/ZSCAN scan in one full step from cursor 0;
 * - a script loaded by SCRIPT LOAD may have been flushed since (or its load discarded with a
 *   transaction): EVALSHA of a known body is sent as EVAL (the unknown SHA's error text is one
 *   of Valkey's differences); SORT … BY nosort STORE of a hashtable set would store its table
 *   order: not sent; the sets family's SPOP script no longer reports the encoding (a set with a
 *   long member from another family is rebuilt at random);
 * - lex ranges and negative LIMIT offsets stop once a sorted set may be a skiplist, numeric SORTs
 *   once errno may hold ERANGE (see `skiplistMaker` and `erange`);
 * - inside MULTI, a command whose reply is not compared exactly would be compared exactly inside
 *   EXEC's reply: another command is drawn instead;
 * - the `encodings` family's first command, a CONFIG SET of the encoding limits, may come mid-run:
 *   any sorted set may then be a skiplist, and the effects are not replayed (they would meet the
 *   new limits).
 * The run starts with FUNCTION FLUSH and SCRIPT FLUSH: the server's libraries and script cache
 * outlive FLUSHALL, the Store's do not.
 */
import type { Annotation } from '../harness.js'
import { createHash } from 'node:crypto'
import { type Cmd, type Gen, KEYS, kw, type Rng, VALUES } from './gen.js'
import { FAMILIES } from './index.js'

interface State {
  step: number
  /** A MULTI is open (as the commands sent so far say). */
  inMulti: boolean
  /** Script bodies by SHA1, from SCRIPT LOAD and EVAL. */
  bodies: Map<string, string>
  /** A sorted set may be a skiplist (see `skiplistMaker`). */
  skiplist: boolean
  /** A number that sets errno to ERANGE was parsed (see `erange`). */
  erange: boolean
}

const STATES = new WeakMap<Rng, State>()
const stateOf = (r: Rng): State => {
  let s = STATES.get(r)
  if (s === undefined) STATES.set(r, (s = { step: 0, inMulti: false, bodies: new Map(), skiplist: false, erange: false }))
  return s
}

const sha1 = (s: string): string => createHash('sha1').update(s, 'utf8').digest('hex')
const key = (r: Rng): string => r.pick(KEYS)
const db = (r: Rng): string => (r.chance(0.9) ? r.pick(['0', '1']) : r.pick(['2', '-1', 'x', '16']))

/** DUMP of KEYS[1] restored as KEYS[2] with the options in ARGV (the payload is each side's own). */
const RESTORE_SCRIPT = "local d = redis.call('DUMP', KEYS[1]) if not d then return 'no key' end return redis.pcall('RESTORE', KEYS[2], ARGV[1], d, unpack(ARGV, 2))"

/** Scripts working on a key of any type. */
const SCRIPTS = [
  "return redis.call('TYPE', KEYS[1])",
  "return redis.pcall('OBJECT', 'ENCODING', KEYS[1])",
  "return redis.pcall('COPY', KEYS[1], KEYS[2], 'REPLACE')",
  "return redis.pcall('RENAME', KEYS[1], KEYS[2])",
  "local n = redis.call('DEL', KEYS[1]) return {n, redis.call('EXISTS', KEYS[1])}",
  "return redis.pcall('SORT', KEYS[1], 'LIMIT', 0, 3)",
  "return redis.pcall('SORT', KEYS[1], 'ALPHA', 'DESC')",
  "redis.call('EXPIRE', KEYS[1], 1000) return redis.call('TTL', KEYS[1])",
  "return {redis.call('EXISTS', KEYS[1]), redis.pcall('STRLEN', KEYS[1]), redis.pcall('LLEN', KEYS[1]), redis.pcall('SCARD', KEYS[1]), redis.pcall('ZCARD', KEYS[1]), redis.pcall('HLEN', KEYS[1]), redis.pcall('XLEN', KEYS[1])}",
  "return redis.pcall('MOVE', KEYS[1], '1')",
]

/** Generic key commands, on whatever the families left under the keys. */
const GENERIC: Array<readonly [number, Gen]> = [
  [4, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.3) ? ['DB', db(r)] : []), ...(r.chance(0.5) ? [kw(r, 'REPLACE')] : [])] })],
  [3, (r) => ({ argv: [r.pick(['RENAME', 'RENAMENX']), key(r), key(r)] })],
  [2, (r) => ({ argv: ['MOVE', key(r), db(r)] })],
  [1, (r) => ({ argv: ['SELECT', r.chance(0.7) ? '0' : '1'] })],
  [1, (r) => ({ argv: ['SWAPDB', '0', '1'] })],
  [4, (r) => ({ argv: ['OBJECT', r.pick(['ENCODING', 'encoding', 'REFCOUNT']), key(r)] })],
  [1, (r) => ({ argv: ['OBJECT', 'FREQ', key(r)] })],
  // (A shared small integer's idle time counts from the server's start.)
  [1, (r) => ({ argv: ['OBJECT', 'IDLETIME', key(r)], ann: ['any'] })],
  [1, (r) => ({ argv: ['DUMP', key(r)], ann: ['any'] })],
  [4, (r) => {
    const opts = [r.chance(0.8) ? '0' : r.pick(['4000000000000', '-1', 'x'])]
    if (opts[0] === '4000000000000') opts.push('ABSTTL')
    if (r.chance(0.5)) opts.push('REPLACE')
    if (r.chance(0.15)) opts.push(...r.pick([['IDLETIME', '5'], ['FREQ', '3'], ['IDLETIME', '-1'], ['BAD']]))
    return { argv: ['EVAL', RESTORE_SCRIPT, '2', key(r), key(r), ...opts] }
  }],
  [1, (r) => ({ argv: ['RESTORE', key(r), '0', r.pick(['', 'x', '\x00\x01'])] })],
  [3, (r) => ({ argv: ['TYPE', key(r)] })],
  [2, (r) => ({ argv: [r.pick(['EXISTS', 'TOUCH', 'UNLINK', 'DEL']), ...r.some(KEYS, 1, 3)] })],
  [2, (r) => ({ argv: [r.pick(['EXPIREAT', 'PEXPIREAT']), key(r), r.pick(['4000000000', '4000000000123', '1']), ...(r.chance(0.2) ? [r.pick(['NX', 'XX', 'GT', 'LT'])] : [])] })],
  // (The families set relative times too: the two sides' clocks then differ by a millisecond or so.)
  [1, (r) => ({ argv: ['EXPIRETIME', key(r)], ann: ['ttl'] })],
  [1, (r) => ({ argv: ['PEXPIRETIME', key(r)], ann: ['pttl'] })],
  [1, (r) => ({ argv: ['PERSIST', key(r)] })],
  [4, (r) => ({ argv: ['EVAL', r.pick(SCRIPTS), '2', key(r), key(r)] })],
  [1, (r) => ({ argv: ['SET', key(r), r.pick(VALUES)] })],
]

const generic: Gen = (r) => r.weighted(GENERIC)(r)

/** Replies in a set's or hash's internal order (a hashtable's is the table's). */
const ORDER: Record<string, Annotation> = {
  SMEMBERS: 'unordered',
  SINTER: 'unordered',
  SUNION: 'unordered',
  SDIFF: 'unordered',
  SSCAN: 'unordered',
  HKEYS: 'unordered',
  HVALS: 'unordered',
  HSCAN: 'unordered',
  HGETALL: 'unordered-pairs',
}

/**
 * Whether a command may make a skiplist-encoded sorted set: a sorted-set or geo write with a
 * member over 64 bytes or more than a few dozen arguments, or a set grown so (a set turns into a
 * sorted set by ZUNIONSTORE and the like). A few commands of small members from the families'
 * pools stay far below 128 members. Conservative: the whole run counts once it happened.
 */
const skiplistMaker = (argv: readonly string[], name: string): boolean =>
  /^(Z|GEO|S)/.test(name) && (argv.length > 40 || argv.some((a) => Buffer.byteLength(a) > 64))

/**
 * A number that strtod, strtoull and the like may read with errno = ERANGE (a three-digit exponent,
 * twenty digits or more; in a script's text too): Redis's numeric SORT tests errno after strtod
 * without clearing it first, so after one of those a later SORT may fail with "One or more scores
 * can't be converted into double" or not, as the calls made in between happen to leave errno.
 * Numeric SORTs are not sent after one (the sort family avoids such values).
 */
const erange = (a: string): boolean => /\d[eE][+-]?\d{3}|\d{20}/.test(a)

/** A CONFIG SET of the sorted-set listpack limits (the `encodings` family's): any sorted set may become a skiplist. */
const zsetLimits = (argv: readonly string[], name: string): boolean => name === 'CONFIG' && argv.some((a) => a.toLowerCase().startsWith('zset-max'))

/** Lex ranges on a skiplist and negative LIMIT offsets there: see `fuzz/zsets.ts` (MAYBE_SKIPLIST). */
function skiplistSensitive(argv: readonly string[], name: string): boolean {
  if (['ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZREMRANGEBYLEX', 'ZLEXCOUNT'].includes(name)) return true
  if (!name.startsWith('Z')) return false
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toUpperCase()
    if (a === 'BYLEX') return true
    if (a === 'LIMIT' && argv[i + 1]?.startsWith('-')) return true
  }
  return false
}

/** The command as sent in a mixed run, or null to draw another. */
function adapt(c: Cmd, s: State): Cmd | null {
  const argv = c.argv
  const name = argv[0]!.toUpperCase()
  const ann = c.ann ?? []
  if (ann.length === 0 && ORDER[name] !== undefined) c.ann = [ORDER[name]!]
  // SPOP/SRANDMEMBER/HRANDFIELD with a count that takes nothing or everything.
  if (ann.length === 0 && argv.length >= 3 && (name === 'SPOP' || name === 'SRANDMEMBER' || name === 'HRANDFIELD')) {
    // With values, RESP3 nests field-value pairs, which `unordered` does not reorder.
    c.ann = [argv.length > 3 ? 'any' : 'unordered']
  }
  if (name === 'SSCAN' || name === 'HSCAN' || name === 'ZSCAN') {
    // Valid non-zero cursors (-1 reads as 2^64-1) start a hashtable scan mid-table.
    if (['1', '-1', '18446744073709551615'].includes(argv[2]!)) argv[2] = '0'
    let count = false
    for (let i = 3; i < argv.length - 1; i++) {
      if (argv[i]!.toUpperCase() !== 'COUNT') continue
      count = true
      if (/^[1-9]\d{0,4}$/.test(argv[i + 1]!)) argv[i + 1] = '100000'
    }
    if (!count) argv.push('COUNT', '100000')
  }
  if (name === 'SCRIPT' && argv[1]?.toUpperCase() === 'LOAD' && argv.length === 3) s.bodies.set(sha1(argv[2]!), argv[2]!)
  if ((name === 'EVAL' || name === 'EVAL_RO') && argv[1] !== undefined) s.bodies.set(sha1(argv[1]), argv[1])
  if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && argv[1] !== undefined) {
    const body = s.bodies.get(argv[1])
    if (body !== undefined) {
      argv[0] = name === 'EVALSHA' ? 'EVAL' : 'EVAL_RO'
      argv[1] = body
    }
  }
  if (name === 'EVAL' && argv[1]?.includes("redis.call('COPY', KEYS[1], 'tmp', 'REPLACE')")) {
    argv[1] = argv[1].replace("redis.call('OBJECT', 'ENCODING', 'tmp') or '-'", "'-'")
  }
  if (name === 'SORT' && argv.some((a) => a.toUpperCase() === 'STORE')) {
    for (let i = 2; i < argv.length - 1; i++) if (argv[i]!.toUpperCase() === 'BY' && !argv[i + 1]!.includes('*')) return null
  }
  if (s.erange && (name === 'SORT' || name === 'SORT_RO') && !argv.some((a) => a.toUpperCase() === 'ALPHA')) return null
  if (s.erange && name === 'EVAL' && argv[1]?.includes("'SORT', KEYS[1], 'LIMIT'")) return null
  if (s.skiplist && skiplistSensitive(argv, name)) return null
  // Inside EXEC, a value may still be referenced by the queued commands' arguments.
  if (s.inMulti && name === 'OBJECT' && argv[1]?.toUpperCase() === 'REFCOUNT') return null
  if (s.inMulti && c.ann !== undefined && c.ann.length > 0 && !['MULTI', 'WATCH'].includes(name)) return null
  return c
}

/** Follows MULTI/EXEC/DISCARD and what may have happened to the data, as sent. */
function track(c: Cmd, s: State): void {
  const name = c.argv[0]!.toUpperCase()
  if (!s.skiplist && (skiplistMaker(c.argv, name) || zsetLimits(c.argv, name))) s.skiplist = true
  if (!s.erange && c.argv.some(erange)) s.erange = true
  if (c.argv.length !== 1) return
  if (name === 'MULTI') s.inMulti = true
  else if (name === 'EXEC' || name === 'DISCARD') s.inMulti = false
}

/** The families to draw from (read at run time: index.ts imports this file), and their weights. */
let SOURCES: Array<readonly [number, Gen]> | undefined
function sources(): Array<readonly [number, Gen]> {
  if (SOURCES === undefined) {
    SOURCES = [[4, generic]]
    for (const [name, gen] of Object.entries(FAMILIES)) {
      // `config` changes every encoding limit at any time, which the adaptations here do not follow.
      if (name === 'commands' || name === 'mixed' || name === 'config') continue
      SOURCES.push([name === 'transactions' ? 2 : 1, gen])
    }
  }
  return SOURCES
}

export const mixed: Gen = (r) => {
  const s = stateOf(r)
  const step = s.step++
  if (step === 0) return { argv: ['FUNCTION', 'FLUSH'] }
  if (step === 1) return { argv: ['SCRIPT', 'FLUSH'] }
  const c = drawAdapted(r, sources())
  // CONFIG SET is not an effect: replayed under the new encoding limits, the effects of writes made
  // under the old ones may rightly build other encodings (a dense HyperLogLog where it was sparse).
  if (c.argv[0]!.toUpperCase() === 'CONFIG') c.unreplicated = true
  return c
}

/**
 * A command from `from` (weighted generators), adapted as a mixed run adapts it: for runs whose
 * keys may hold any encoding of any type.
 */
export function drawAdapted(r: Rng, from: ReadonlyArray<readonly [number, Gen]>): Cmd {
  const s = stateOf(r)
  for (;;) {
    const c = adapt(r.weighted(from)(r), s)
    if (c === null) continue
    track(c, s)
    return c
  }
}
