import { asArg, isBinaryKey, keyBytes, keyOf, type Bytes, type StrValue } from '../core/bytes.js'
import { E, fail, replyError, ReplyError } from '../core/errors.js'
import type { Double } from '../core/reply.js'
import {
  AGG_MAX,
  AGG_MIN,
  AGG_SUM,
  BY_LEX,
  BY_SCORE,
  checkZAddFlags,
  OP_DIFF,
  OP_INTER,
  OP_UNION,
  parseLexRange,
  parseScoreRange,
  popNodes,
  rangeArgs,
  readZset,
  zaddGeneric,
  ZADD_CH,
  ZADD_GT,
  ZADD_INCR,
  ZADD_LT,
  ZADD_NX,
  ZADD_XX,
  ZCARD,
  ZCOUNT,
  ZLEXCOUNT,
  ZMSCORE,
  zrandNodes,
  zrangeQuery,
  zrangeStore,
  ZRANK,
  ZREM,
  zremRange,
  ZREVRANK,
  ZSCORE,
  zscanNodes,
  zsetOf,
  zsetOp,
  zsetOpNodes,
  zsetOpStore,
  type ZRangeArgs,
  type ZSetOpArgs,
} from '../commands/sorted-sets.js'
import { sortGeneric, sortPattern, type SortArgs } from '../commands/sort.js'
import { int } from '../commands/args.js'
import type { SortedSetNode } from '../types/sorted-set.js'
import type { StoreCore } from '../store-core.js'
import { cursorOf, scanOptionArgs } from './sets.js'
import { int64Of, longAboveMinOf, valueOf, type Key } from './strings.js'

/** A sorted set member as callers may pass it (a Buffer for exact bytes). */
export type Member = Bytes

/**
 * One element of a sorted set, as the typed methods return them. Members are
 * strings (non-UTF-8 members are decoded lossily, like `Buffer#toString`; use
 * `store.callBuffer()` for exact bytes).
 */
export interface ScoredMember {
  member: string
  score: number
}

/**
 * Members and scores for `zadd()`: `[score, member]` pairs (as ZADD takes
 * them), an object `{ member: score }`, or a `Map` from member to score.
 */
export type ZAddMembers =
  | ReadonlyArray<readonly [number, Member]>
  | Readonly<Record<string, number>>
  | ReadonlyMap<Member, number>

/** ZADD's conditions. `ch` makes `zadd()` count changed members too, not only added ones. */
export interface ZAddOptions {
  /** Only add new members. */
  nx?: boolean
  /** Only update existing members. */
  xx?: boolean
  /** Only update when the new score is greater. */
  gt?: boolean
  /** Only update when the new score is less. */
  lt?: boolean
  /** Return the number of changed (added or updated) members. */
  ch?: boolean
}

/**
 * A score range end: a number (inclusive) or Redis's text form — `'(1.5'`
 * exclusive, `'-inf'`, `'+inf'`, `'2'`.
 */
export type ScoreBound = number | string

/** A lex range end in Redis's form: `'-'`, `'+'`, `'[abc'` (inclusive) or `'(abc'` (exclusive). */
export type LexBound = Bytes

/** Paging for score and lex ranges: skip `offset` elements, return at most `count` (negative: all). */
export interface RangeLimit {
  offset: number
  count: number
}

/**
 * Options of `zrange()`, as the ZRANGE command takes them. With `by: 'score'`
 * or `'lex'`, `start`/`stop` are range ends; with `rev` they are given high
 * end first, exactly as in `ZRANGE key max min BYSCORE REV`.
 */
export interface ZRangeOptions {
  /** What `start` and `stop` are: ranks (default), scores or lex bounds. */
  by?: 'rank' | 'score' | 'lex'
  /** Highest first. */
  rev?: boolean
  /** LIMIT (score and lex ranges only). */
  limit?: RangeLimit
}

/** Options of `zunion()`, `zinter()` and their STORE forms. */
export interface ZSetOpOptions {
  /** One multiplier per input key. */
  weights?: number[]
  /** How scores of a member found in several inputs combine (default SUM). */
  aggregate?: 'SUM' | 'MIN' | 'MAX' | 'sum' | 'min' | 'max'
}

/** Options of `sort()`, `sortRo()` and `sortStore()`. */
export interface SortOptions {
  /** BY pattern (`weight_*`, `obj_*->field`); a pattern without `*` (e.g. `'nosort'`) keeps the native order. */
  by?: Bytes
  /** LIMIT offset count. */
  limit?: RangeLimit
  /** GET patterns (`'#'` is the element itself). */
  get?: Bytes[]
  /** Sort order (default ascending). */
  order?: 'ASC' | 'DESC' | 'asc' | 'desc'
  /** Compare as strings rather than numbers. */
  alpha?: boolean
}

/** Options of `zscan()` and `zscanIterator()`. */
export interface ZScanOptions {
  /** Glob-style pattern members must match. */
  match?: string
  /** How much work per call (a hint, default 10). */
  count?: number
}

const text = (m: string): string => (isBinaryKey(m) ? keyBytes(m).toString('utf8') : m)
const textOf = (v: StrValue): string => (typeof v === 'string' ? text(v) : v.toString('utf8'))

function members(nodes: SortedSetNode[]): string[] {
  const out = new Array<string>(nodes.length)
  for (let i = 0; i < nodes.length; i++) out[i] = text(nodes[i]!.member)
  return out
}

function scored(nodes: SortedSetNode[]): ScoredMember[] {
  const out = new Array<ScoredMember>(nodes.length)
  for (let i = 0; i < nodes.length; i++) out[i] = { member: text(nodes[i]!.member), score: nodes[i]!.score }
  return out
}

function scoreArg(n: number): number {
  if (typeof n !== 'number' || n !== n) fail(E.NOT_FLOAT)
  return n
}

function scoreArgAs(n: number, msg: string): number {
  if (typeof n !== 'number' || n !== n) fail(msg)
  return n
}

const intArg = (n: number): number => int64Of(n)

function boundText(b: ScoreBound): string {
  if (typeof b === 'number') {
    if (b !== b) fail('min or max is not a float')
    return b === Infinity ? '+inf' : b === -Infinity ? '-inf' : String(b)
  }
  return b
}

function zaddFlags(o: ZAddOptions | undefined): number {
  if (o === undefined) return 0
  return (o.nx ? ZADD_NX : 0) | (o.xx ? ZADD_XX : 0) | (o.gt ? ZADD_GT : 0) | (o.lt ? ZADD_LT : 0) | (o.ch ? ZADD_CH : 0)
}

function zaddPairs(input: ZAddMembers): { scores: number[]; members: string[] } {
  const scores: number[] = []
  const ms: string[] = []
  if (Array.isArray(input)) {
    for (const [s, m] of input as ReadonlyArray<readonly [number, Member]>) {
      scores.push(s)
      ms.push(keyOf(m))
    }
  } else if (input instanceof Map) {
    for (const [m, s] of input as ReadonlyMap<Member, number>) {
      scores.push(s)
      ms.push(keyOf(m))
    }
  } else {
    for (const m of Object.keys(input)) {
      scores.push((input as Record<string, number>)[m]!)
      ms.push(keyOf(m))
    }
  }
  return { scores, members: ms }
}

/** A rank given to a range method: a number, or text read as the command reads it. */
const rankOf = (x: number | LexBound): number => (typeof x === 'number' ? intArg(x) : int(asArg(x)))

/** Typed range arguments from zrange()-style parameters, with the command's errors in its order. */
function rangeOf(key: Key, start: number | LexBound, stop: number | LexBound, o: ZRangeOptions | undefined, withScores: boolean): ZRangeArgs {
  const by = o?.by ?? 'rank'
  const r = rangeArgs(keyOf(key))
  // ZRANGE reads its options (LIMIT's numbers) before it checks how they combine, then the range.
  if (o?.limit !== undefined) {
    r.offset = intArg(o.limit.offset)
    r.count = intArg(o.limit.count)
  }
  if (by === 'rank') {
    // A LIMIT whose count is -1 (all) is accepted with ranks and changes nothing.
    if (r.count !== -1) fail('syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX')
    r.start = rankOf(start)
    r.stop = rankOf(stop)
  } else if (by === 'score') {
    let lo = boundText(start as ScoreBound)
    let hi = boundText(stop as ScoreBound)
    if (o?.rev) [lo, hi] = [hi, lo]
    const s = parseScoreRange(asArg(key), lo, hi)
    r.by = BY_SCORE
    r.min = s.min
    r.max = s.max
    r.minEx = s.minEx
    r.maxEx = s.maxEx
  } else if (by === 'lex') {
    if (withScores) fail('syntax error, WITHSCORES not supported in combination with BYLEX')
    let lo = typeof start === 'number' ? (valueOf(start) as string) : start
    let hi = typeof stop === 'number' ? (valueOf(stop) as string) : stop
    if (o?.rev) [lo, hi] = [hi, lo]
    const l = parseLexRange(asArg(key), asArg(lo), asArg(hi))
    r.by = BY_LEX
    r.lmin = l.min
    r.lmax = l.max
  } else return fail('syntax error')
  r.rev = o?.rev === true
  r.withScores = withScores
  return r
}

const AGGREGATES: Record<string, number> = { SUM: AGG_SUM, MIN: AGG_MIN, MAX: AGG_MAX }

/**
 * Set operation arguments from a typed call. Option errors are raised by the command after it
 * has checked the input keys' types, as Redis does.
 */
function setOpArgs(op: number, keys: Key[], o: ZSetOpOptions | undefined, name: string, dest?: Key, limit = -1): ZSetOpArgs {
  if (keys.length === 0) fail(`at least 1 input key is needed for '${name}' command`)
  const r: ZSetOpArgs = {
    op,
    keys: keys.map(keyOf),
    weights: undefined,
    aggregate: AGG_SUM,
    withScores: false,
    limit,
    dest: dest === undefined ? undefined : keyOf(dest),
    error: undefined,
  }
  if (o === undefined) return r
  try {
    if (o.weights !== undefined) {
      // One weight per key is read; fewer is an unknown option, more leaves an extra argument.
      if (op === OP_DIFF || o.weights.length < keys.length) fail('syntax error')
      const w = new Array<number>(keys.length)
      for (let i = 0; i < keys.length; i++) w[i] = scoreArgAs(o.weights[i]!, 'weight value is not a float')
      if (o.weights.length > keys.length) fail('syntax error')
      r.weights = w
    }
    if (o.aggregate !== undefined) {
      const g = AGGREGATES[String(o.aggregate).toUpperCase()]
      if (g === undefined || op === OP_DIFF) fail('syntax error')
      r.aggregate = g
    }
  } catch (e) {
    if (!(e instanceof ReplyError)) throw e
    r.error = e
  }
  return r
}

function sortArgs(key: Key, o: SortOptions | undefined, store: Key | undefined): SortArgs {
  const r: SortArgs = { key: keyOf(key), by: undefined, dontSort: false, get: [], desc: false, alpha: false, offset: 0, count: -1, store: undefined }
  if (store !== undefined) r.store = keyOf(store)
  if (o === undefined) return r
  if (o.by !== undefined) {
    const p = sortPattern(asArg(o.by))
    r.by = p
    r.dontSort = !p.star
  }
  if (o.get !== undefined) r.get = o.get.map((g) => sortPattern(asArg(g)))
  if (o.order !== undefined) {
    const u = o.order.toUpperCase()
    if (u !== 'ASC' && u !== 'DESC') fail('syntax error')
    r.desc = u === 'DESC'
  }
  r.alpha = o.alpha === true
  if (o.limit !== undefined) {
    r.offset = intArg(o.limit.offset)
    r.count = intArg(o.limit.count)
  }
  return r
}

/**
 * Sorted set commands (and SORT) on the typed Store. Methods take keys and
 * members as strings or Buffers and return plain values: counts as numbers,
 * scores as numbers (`Infinity` for `inf`), elements as `{ member, score }`.
 */
export class SortedSetsApi {
  /**
   * ZADD: adds members with scores, or updates their scores. Returns how many
   * members were added (with `ch`, added or changed).
   *
   * ```ts
   * store.zadd('board', [[10, 'ann'], [7, 'bob']])
   * store.zadd('board', { cid: 12 }, { gt: true })
   * ```
   */
  zadd(this: StoreCore, key: Key, members: ZAddMembers, options?: ZAddOptions): number {
    this.beforeWrite()
    const { scores, members: ms } = zaddPairs(members)
    const flags = zaddFlags(options)
    if (ms.length === 0) fail('syntax error')
    // Flags are checked before scores are read, as ZADD does.
    checkZAddFlags(flags, ms.length)
    for (let i = 0; i < scores.length; i++) scoreArg(scores[i]!)
    return zaddGeneric(this.s, { key: keyOf(key), flags, scores, members: ms }) as number
  }

  /**
   * ZADD ... INCR: adds `increment` to the member's score (creating it), under
   * ZADD's conditions. Returns the new score, or null when a condition
   * prevented the change.
   */
  zaddIncr(this: StoreCore, key: Key, increment: number, member: Member, options?: Omit<ZAddOptions, 'ch'>): number | null {
    this.beforeWrite()
    const flags = zaddFlags(options) | ZADD_INCR
    checkZAddFlags(flags, 1)
    const r = zaddGeneric(this.s, { key: keyOf(key), flags, scores: [scoreArg(increment)], members: [keyOf(member)] })
    return r === null ? null : (r as Double).value
  }

  /** ZINCRBY: adds `increment` to the member's score (a missing member starts at 0); returns the new score. */
  zincrby(this: StoreCore, key: Key, increment: number, member: Member): number {
    this.beforeWrite()
    const r = zaddGeneric(this.s, { key: keyOf(key), flags: ZADD_INCR, scores: [scoreArg(increment)], members: [keyOf(member)] })
    return (r as Double).value
  }

  /** ZCARD: the number of members (0 for a missing key). */
  zcard(this: StoreCore, key: Key): number {
    return ZCARD.run(this.s, keyOf(key)) as number
  }

  /** ZSCORE: the member's score, or null. */
  zscore(this: StoreCore, key: Key, member: Member): number | null {
    const r = ZSCORE.run(this.s, { key: keyOf(key), members: [keyOf(member)] }) as Double | null
    return r === null ? null : r.value
  }

  /** ZMSCORE: the scores of several members (null for each missing one). */
  zmscore(this: StoreCore, key: Key, members: Member[]): Array<number | null> {
    if (members.length === 0) fail("wrong number of arguments for 'zmscore' command")
    const r = ZMSCORE.run(this.s, { key: keyOf(key), members: members.map(keyOf) }) as Array<Double | null>
    return r.map((d) => (d === null ? null : d.value))
  }

  /** ZRANK: the member's 0-based rank by ascending score, or null. */
  zrank(this: StoreCore, key: Key, member: Member): number | null {
    return ZRANK.run(this.s, { key: keyOf(key), member: keyOf(member), withScore: false }) as number | null
  }

  /** ZRANK ... WITHSCORE: rank and score, or null. */
  zrankWithScore(this: StoreCore, key: Key, member: Member): { rank: number; score: number } | null {
    const r = ZRANK.run(this.s, { key: keyOf(key), member: keyOf(member), withScore: true })
    return Array.isArray(r) ? { rank: r[0] as number, score: (r[1] as Double).value } : null
  }

  /** ZREVRANK: the member's 0-based rank by descending score, or null. */
  zrevrank(this: StoreCore, key: Key, member: Member): number | null {
    return ZREVRANK.run(this.s, { key: keyOf(key), member: keyOf(member), withScore: false }) as number | null
  }

  /** ZREVRANK ... WITHSCORE: rank (from the top) and score, or null. */
  zrevrankWithScore(this: StoreCore, key: Key, member: Member): { rank: number; score: number } | null {
    const r = ZREVRANK.run(this.s, { key: keyOf(key), member: keyOf(member), withScore: true })
    return Array.isArray(r) ? { rank: r[0] as number, score: (r[1] as Double).value } : null
  }

  /** ZCOUNT: how many members have a score within [min, max] (`'(x'` excludes x). */
  zcount(this: StoreCore, key: Key, min: ScoreBound, max: ScoreBound): number {
    return ZCOUNT.run(this.s, parseScoreRange(asArg(key), boundText(min), boundText(max))) as number
  }

  /** ZLEXCOUNT: how many members lie within a lex range (`'-'`, `'+'`, `'[a'`, `'(a'`). */
  zlexcount(this: StoreCore, key: Key, min: LexBound, max: LexBound): number {
    return ZLEXCOUNT.run(this.s, parseLexRange(asArg(key), asArg(min), asArg(max))) as number
  }

  /**
   * ZRANGE: members by rank (default), score or lex range, lowest first (or
   * highest first with `rev`).
   *
   * ```ts
   * store.zrange('board', 0, -1)                                  // all, lowest first
   * store.zrange('board', '(5', '+inf', { by: 'score', limit: { offset: 0, count: 10 } })
   * store.zrange('board', '+inf', 5, { by: 'score', rev: true })   // high end first with rev
   * ```
   */
  zrange(this: StoreCore, key: Key, start: number | LexBound, stop: number | LexBound, options?: ZRangeOptions): string[] {
    return members(zrangeQuery(this.s, rangeOf(key, start, stop, options, false)))
  }

  /** ZRANGE ... WITHSCORES: as `zrange()`, with scores (not for lex ranges). */
  zrangeWithScores(this: StoreCore, key: Key, start: number | LexBound, stop: number | LexBound, options?: ZRangeOptions): ScoredMember[] {
    return scored(zrangeQuery(this.s, rangeOf(key, start, stop, options, true)))
  }

  /** ZRANGESTORE: stores the range as a sorted set at `dest` (deleting it when empty); returns its size. */
  zrangestore(this: StoreCore, dest: Key, src: Key, start: number | LexBound, stop: number | LexBound, options?: ZRangeOptions): number {
    this.beforeWrite()
    const r = rangeOf(src, start, stop, options, false)
    r.dest = keyOf(dest)
    return zrangeStore(this.s, r)
  }

  /** ZREVRANGE: members by rank, highest score first. */
  zrevrange(this: StoreCore, key: Key, start: number, stop: number): string[] {
    return members(zrangeQuery(this.s, rangeOf(key, start, stop, { rev: true }, false)))
  }

  /** ZRANGEBYSCORE: members with min ≤ score ≤ max, lowest first. */
  zrangebyscore(this: StoreCore, key: Key, min: ScoreBound, max: ScoreBound, options?: { limit?: RangeLimit }): string[] {
    return members(zrangeQuery(this.s, rangeOf(key, min, max, { by: 'score', limit: options?.limit }, false)))
  }

  /** ZREVRANGEBYSCORE: members with max ≥ score ≥ min, highest first (note: `max` first, as in Redis). */
  zrevrangebyscore(this: StoreCore, key: Key, max: ScoreBound, min: ScoreBound, options?: { limit?: RangeLimit }): string[] {
    return members(zrangeQuery(this.s, rangeOf(key, max, min, { by: 'score', rev: true, limit: options?.limit }, false)))
  }

  /** ZRANGEBYLEX: members within a lex range, in order (for sets whose scores are all equal). */
  zrangebylex(this: StoreCore, key: Key, min: LexBound, max: LexBound, options?: { limit?: RangeLimit }): string[] {
    return members(zrangeQuery(this.s, rangeOf(key, min, max, { by: 'lex', limit: options?.limit }, false)))
  }

  /** ZREVRANGEBYLEX: members within a lex range, in reverse order (`max` first, as in Redis). */
  zrevrangebylex(this: StoreCore, key: Key, max: LexBound, min: LexBound, options?: { limit?: RangeLimit }): string[] {
    return members(zrangeQuery(this.s, rangeOf(key, max, min, { by: 'lex', rev: true, limit: options?.limit }, false)))
  }

  /** ZREM: removes members; returns how many were there. */
  zrem(this: StoreCore, key: Key, ...members: Member[]): number {
    if (members.length === 0) fail("wrong number of arguments for 'zrem' command")
    return ZREM.run(this.s, { key: keyOf(key), members: members.map(keyOf) }) as number
  }

  /** ZREMRANGEBYRANK: removes members with ranks start..stop (negative from the end); returns the count. */
  zremrangebyrank(this: StoreCore, key: Key, start: number, stop: number): number {
    const r = rangeArgs(keyOf(key))
    r.start = intArg(start)
    r.stop = intArg(stop)
    return zremRange(this.s, { range: r, raw: [String(start), String(stop)] })
  }

  /** ZREMRANGEBYSCORE: removes members with scores within [min, max]; returns the count. */
  zremrangebyscore(this: StoreCore, key: Key, min: ScoreBound, max: ScoreBound): number {
    const lo = boundText(min)
    const hi = boundText(max)
    const r = rangeArgs(keyOf(key))
    Object.assign(r, parseScoreRange(asArg(key), lo, hi))
    r.by = BY_SCORE
    return zremRange(this.s, { range: r, raw: [lo, hi] })
  }

  /** ZREMRANGEBYLEX: removes members within a lex range; returns the count. */
  zremrangebylex(this: StoreCore, key: Key, min: LexBound, max: LexBound): number {
    const l = parseLexRange(asArg(key), asArg(min), asArg(max))
    const r = rangeArgs(l.key)
    r.by = BY_LEX
    r.lmin = l.min
    r.lmax = l.max
    return zremRange(this.s, { range: r, raw: [asArg(min), asArg(max)] })
  }

  /** ZPOPMIN: removes and returns up to `count` (default 1) members with the lowest scores. */
  zpopmin(this: StoreCore, key: Key, count = 1): ScoredMember[] {
    return pop(this, key, count, false)
  }

  /** ZPOPMAX: removes and returns up to `count` (default 1) members with the highest scores. */
  zpopmax(this: StoreCore, key: Key, count = 1): ScoredMember[] {
    return pop(this, key, count, true)
  }

  /**
   * ZMPOP: pops up to `count` (default 1) members from the first non-empty
   * sorted set among `keys`; null when all are empty.
   */
  zmpop(this: StoreCore, keys: Key[], where: 'MIN' | 'MAX' | 'min' | 'max', count = 1): { key: string; members: ScoredMember[] } | null {
    if (keys.length === 0) fail('numkeys should be greater than 0')
    const w = String(where).toUpperCase()
    if (w !== 'MIN' && w !== 'MAX') fail('syntax error')
    if (int64Of(count, 'count should be greater than 0') < 1) fail('count should be greater than 0')
    const s = this.s
    for (const key of keys) {
      const k = keyOf(key)
      const z = zsetOf(s, k)
      if (z === undefined) continue
      return { key: text(k), members: scored(popNodes(s, k, z, w === 'MAX', count)) }
    }
    return null
  }

  /** ZRANDMEMBER: a random member, or null for a missing key. */
  zrandmember(this: StoreCore, key: Key): string | null {
    const x = readZset(this.s, keyOf(key))?.randomMember()
    return x === undefined ? null : text(x.member)
  }

  /**
   * ZRANDMEMBER with a count: up to `count` distinct members, or with a
   * negative count exactly `-count` members that may repeat.
   */
  zrandmemberCount(this: StoreCore, key: Key, count: number): string[] {
    return members(zrandNodes(this.s, { key: keyOf(key), count: longAboveMinOf(count), withScores: false }))
  }

  /** ZRANDMEMBER ... WITHSCORES. */
  zrandmemberWithScores(this: StoreCore, key: Key, count: number): ScoredMember[] {
    // ±(LONG_MAX / 2) rounds to ±2^62 as a double, which is itself out of range.
    if (longAboveMinOf(count) <= -4611686018427387904 || count >= 4611686018427387904) fail('value is out of range')
    return scored(zrandNodes(this.s, { key: keyOf(key), count, withScores: true }))
  }

  /**
   * ZSCAN: one step of an iteration; returns the next cursor ('0' when done)
   * and the elements seen. Small sets come back whole in one step.
   */
  zscan(this: StoreCore, key: Key, cursor: number | string, options?: ZScanOptions): [string, ScoredMember[]] {
    const r = zscanNodes(this.s, { key: keyOf(key), cursor: cursorOf(cursor), scan: undefined, opts: scanOptionArgs(options) })
    return r === null ? ['0', []] : [String(r.cursor), scored(r.nodes)]
  }

  /** Iterates over a sorted set with ZSCAN's guarantees (every member present throughout is seen at least once). */
  *zscanIterator(this: StoreCore, key: Key, options?: ZScanOptions): IterableIterator<ScoredMember> {
    let cursor = '0'
    do {
      const [next, items] = (this as StoreCore & SortedSetsApi).zscan(key, cursor, options)
      yield* items
      cursor = next
    } while (cursor !== '0')
  }

  /** ZUNION: the union of sorted sets (sets count with score 1), in order. */
  zunion(this: StoreCore, keys: Key[], options?: ZSetOpOptions): string[] {
    return members(zsetOpNodes(this.s, setOpArgs(OP_UNION, keys, options, 'zunion')))
  }

  /** ZUNION ... WITHSCORES. */
  zunionWithScores(this: StoreCore, keys: Key[], options?: ZSetOpOptions): ScoredMember[] {
    return scored(zsetOpNodes(this.s, setOpArgs(OP_UNION, keys, options, 'zunion')))
  }

  /** ZUNIONSTORE: stores the union at `dest` (deleting it when empty); returns its size. */
  zunionstore(this: StoreCore, dest: Key, keys: Key[], options?: ZSetOpOptions): number {
    this.beforeWrite()
    return zsetOpStore(this.s, setOpArgs(OP_UNION, keys, options, 'zunionstore', dest))
  }

  /** ZINTER: members present in every input, in order. */
  zinter(this: StoreCore, keys: Key[], options?: ZSetOpOptions): string[] {
    return members(zsetOpNodes(this.s, setOpArgs(OP_INTER, keys, options, 'zinter')))
  }

  /** ZINTER ... WITHSCORES. */
  zinterWithScores(this: StoreCore, keys: Key[], options?: ZSetOpOptions): ScoredMember[] {
    return scored(zsetOpNodes(this.s, setOpArgs(OP_INTER, keys, options, 'zinter')))
  }

  /** ZINTERSTORE: stores the intersection at `dest`; returns its size. */
  zinterstore(this: StoreCore, dest: Key, keys: Key[], options?: ZSetOpOptions): number {
    this.beforeWrite()
    return zsetOpStore(this.s, setOpArgs(OP_INTER, keys, options, 'zinterstore', dest))
  }

  /** ZINTERCARD: the size of the intersection; counting stops at `limit` when given (0 or none: no limit). */
  zintercard(this: StoreCore, keys: Key[], limit?: number): number {
    const a = setOpArgs(OP_INTER, keys, undefined, 'zintercard', undefined, 0)
    if (limit !== undefined) {
      // A bad LIMIT is reported after the input keys' types are checked.
      if (!Number.isInteger(limit) || limit < 0 || limit >= 9223372036854775808) a.error = replyError("LIMIT can't be negative")
      else a.limit = limit
    }
    return zsetOp(this.s, a) as number
  }

  /** ZDIFF: members of the first set that are in none of the others, in order. */
  zdiff(this: StoreCore, keys: Key[]): string[] {
    return members(zsetOpNodes(this.s, setOpArgs(OP_DIFF, keys, undefined, 'zdiff')))
  }

  /** ZDIFF ... WITHSCORES (scores from the first set). */
  zdiffWithScores(this: StoreCore, keys: Key[]): ScoredMember[] {
    return scored(zsetOpNodes(this.s, setOpArgs(OP_DIFF, keys, undefined, 'zdiff')))
  }

  /** ZDIFFSTORE: stores the difference at `dest`; returns its size. */
  zdiffstore(this: StoreCore, dest: Key, keys: Key[]): number {
    this.beforeWrite()
    return zsetOpStore(this.s, setOpArgs(OP_DIFF, keys, undefined, 'zdiffstore', dest))
  }

  /**
   * SORT: the elements of a list, set or sorted set, sorted numerically (or
   * with `alpha` as strings), optionally by external keys (`by`), paged
   * (`limit`) and projected (`get`; a missing GET key gives null).
   *
   * ```ts
   * store.sort('ids', { by: 'user_*->age', get: ['#', 'user_*->name'], limit: { offset: 0, count: 10 } })
   * ```
   */
  sort(this: StoreCore, key: Key, options?: SortOptions): Array<string | null> {
    // SORT is a denyoom command even without STORE (SORT_RO is the one that is not).
    this.beforeWrite()
    return (this as StoreCore & SortedSetsApi).sortRo(key, options)
  }

  /** SORT_RO: the read-only SORT (no STORE). */
  sortRo(this: StoreCore, key: Key, options?: SortOptions): Array<string | null> {
    return (sortGeneric(this.s, sortArgs(key, options, undefined)) as Array<StrValue | null>).map((v) => (v === null ? null : textOf(v)))
  }

  /** SORT ... STORE: stores the result as a list at `dest` (missing GET values as ''); returns its length. */
  sortStore(this: StoreCore, key: Key, dest: Key, options?: SortOptions): number {
    this.beforeWrite()
    return sortGeneric(this.s, sortArgs(key, options, dest)) as number
  }
}

function pop(store: StoreCore, key: Key, count: number, max: boolean): ScoredMember[] {
  if (int64Of(count, E.MUST_BE_POSITIVE) < 0) fail(E.MUST_BE_POSITIVE)
  const k = keyOf(key)
  const z = zsetOf(store.s, k)
  if (z === undefined || count === 0) return []
  return scored(popNodes(store.s, k, z, max, count))
}
