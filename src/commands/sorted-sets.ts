/**
 * The sorted_set command group: ZADD, ZRANGE and friends, ZUNION/ZINTER/ZDIFF,
 * the pops (and `zpopGeneric` for the blocking variants), ZRANDMEMBER and ZSCAN.
 *
 * Values are {@link ZSet}s: the skiplist-with-spans {@link SortedSet} plus what
 * Redis keeps per key (its encoding, which never goes back from skiplist to
 * listpack) and, once a skiplist-encoded set is ZSCANned, a member index that
 * gives ZSCAN a cursor safe against concurrent changes.
 */
import { byteLength, isBinaryKey, keyBytes } from '../core/bytes.js'
import { arityError, E, fail, replyError, ReplyError, syntaxError, wrongType } from '../core/errors.js'
import { formatDouble, string2d } from '../core/numbers.js'
import { Double, NULL_ARRAY, type Reply } from '../core/reply.js'
import { hotParam, registerConfig } from '../keyspace/config.js'
import { T, type Entry } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import { DenseSet } from '../types/dense-set.js'
import { compareBytes, lexGteMin, lexLteMax, lexRangeNonEmpty, parseLexBound, SortedSet, type LexBound, type SortedSetNode } from '../types/sorted-set.js'
import { float, int, int64, key, kw, str } from './args.js'
import { parseCursor, parseScanOptions, TYPE_HOOKS, type ScanArgs } from './keys.js'
import { defineCommand, type Arg } from './table.js'
import { repeatPicks } from './util.js'

// ---------------------------------------------------------------- configuration

registerConfig({
  name: 'zset-max-listpack-entries',
  kind: { type: 'int', min: 0, max: 9223372036854775807n },
  default: 128,
  aliases: ['zset-max-ziplist-entries'],
})
registerConfig({
  name: 'zset-max-listpack-value',
  kind: { type: 'memory', min: 0, max: 9223372036854775807n },
  default: 64,
  aliases: ['zset-max-ziplist-value'],
})

const lpEntries = hotParam<number>('zset-max-listpack-entries')
const lpValue = hotParam<number>('zset-max-listpack-value')
const maxEntries = (ctx: Session): number => lpEntries(ctx.ks.config)
const maxValue = (ctx: Session): number => lpValue(ctx.ks.config)

// ---------------------------------------------------------------- the value

/**
 * A sorted set value as a key holds it: a {@link SortedSet} that also knows
 * its Redis encoding and keeps the ZSCAN index up to date.
 *
 * Code that builds sorted set values for the keyspace (GEOADD, RDB loading,
 * RESTORE) should create `ZSet`s and add members with {@link zsetAdd} so the
 * encoding follows Redis's thresholds.
 */
export class ZSet extends SortedSet {
  /**
   * True once the value has Redis's `skiplist` encoding; false while it is a
   * `listpack`. Only writes change it, and only from false to true.
   */
  skiplist = false
  /**
   * Every member, in slots with a SCAN cursor ({@link DenseSet.scan}). Built
   * by the first ZSCAN of a skiplist-encoded set and then kept in step with
   * every change, so a ZSCAN iteration never misses a member that stays.
   */
  scanIndex: DenseSet | undefined = undefined

  /**
   * As {@link SortedSet.add}. A listpack stores an integral score as an
   * integer, so `-0` becomes `0` there; the skiplist keeps `-0`.
   */
  override add(member: string, score: number): ReturnType<SortedSet['add']> {
    if (score === 0 && !this.skiplist) score = 0
    const r = super.add(member, score)
    if (r === 'added' && this.scanIndex !== undefined) this.scanIndex.add(member)
    return r
  }

  override remove(member: string): boolean {
    const r = super.remove(member)
    if (r && this.scanIndex !== undefined) this.scanIndex.delete(member)
    return r
  }

  override clear(): void {
    super.clear()
    if (this.scanIndex !== undefined) this.scanIndex.clear()
  }

  override removeRangeByRank(start: number, stop: number): number {
    if (this.scanIndex === undefined) return super.removeRangeByRank(start, stop)
    return this.unindex(this.rangeByRank(start, stop), super.removeRangeByRank(start, stop))
  }

  override removeRangeByScore(min: number, max: number, opts?: { minExclusive?: boolean; maxExclusive?: boolean }): number {
    if (this.scanIndex === undefined) return super.removeRangeByScore(min, max, opts)
    return this.unindex(this.rangeByScore(min, max, opts), super.removeRangeByScore(min, max, opts))
  }

  override removeRangeByLex(min: LexBound, max: LexBound): number {
    if (!this.skiplist) {
      const nodes = this.rangeByLex(min, max)
      for (let i = 0; i < nodes.length; i++) this.remove(nodes[i]!.member)
      return nodes.length
    }
    if (this.scanIndex === undefined) return super.removeRangeByLex(min, max)
    return this.unindex(this.rangeByLex(min, max), super.removeRangeByLex(min, max))
  }

  /*
   * Lex ranges of a listpack walk it the way Redis does: from the first element
   * at or above `min` (the last at or below `max` in reverse) while elements stay
   * within the other end. Where scores differ (members then not in lex order)
   * this gives Redis's exact reply; with one shared score it is the ordinary
   * range. A listpack holds at most a few hundred elements, so the O(n) walk is
   * what Redis pays as well.
   */

  override rangeByLex(min: LexBound, max: LexBound, opts?: { reverse?: boolean; offset?: number; count?: number }): SortedSetNode[] {
    if (this.skiplist) return super.rangeByLex(min, max, opts)
    const reverse = opts?.reverse === true
    const offset = opts?.offset ?? 0
    let left = opts?.count ?? -1
    const out: SortedSetNode[] = []
    // A negative offset walks off the end in Redis 7.2 (`while (eptr && offset--)`).
    if (offset < 0) return out
    let x = reverse ? this.lastLexWalk(min, max) : this.firstLexWalk(min, max)
    for (let i = 0; x !== undefined && i < offset; i++) x = reverse ? this.prev(x) : this.next(x)
    while (x !== undefined && left-- !== 0) {
      if (reverse ? !lexGteMin(x.member, min) : !lexLteMax(x.member, max)) break
      out.push(x)
      x = reverse ? this.prev(x) : this.next(x)
    }
    return out
  }

  override countInLexRange(min: LexBound, max: LexBound): number {
    if (this.skiplist) return super.countInLexRange(min, max)
    let n = 0
    for (let x = this.firstLexWalk(min, max); x !== undefined && lexLteMax(x.member, max); x = this.next(x)) n++
    return n
  }

  /** zzlFirstInLexRange: the first element at or above `min`, if it is also at or below `max`. */
  private firstLexWalk(min: LexBound, max: LexBound): SortedSetNode | undefined {
    if (!this.mayHoldLex(min, max)) return undefined
    for (let x = this.first(); x !== undefined; x = this.next(x)) {
      if (lexGteMin(x.member, min)) return lexLteMax(x.member, max) ? x : undefined
    }
    return undefined
  }

  /** zzlLastInLexRange: the last element at or below `max`, if it is also at or above `min`. */
  private lastLexWalk(min: LexBound, max: LexBound): SortedSetNode | undefined {
    if (!this.mayHoldLex(min, max)) return undefined
    for (let x = this.last(); x !== undefined; x = this.prev(x)) {
      if (lexLteMax(x.member, max)) return lexGteMin(x.member, min) ? x : undefined
    }
    return undefined
  }

  /** zzlIsInLexRange: a range that is not empty by its ends, last element ≥ min, first ≤ max. */
  private mayHoldLex(min: LexBound, max: LexBound): boolean {
    if (!lexRangeNonEmpty(min, max)) return false
    const first = this.first()
    if (first === undefined) return false
    return lexGteMin(this.last()!.member, min) && lexLteMax(first.member, max)
  }

  override popMin(count = 1): SortedSetNode[] {
    const out = super.popMin(count)
    if (this.scanIndex !== undefined) this.unindex(out, 0)
    return out
  }

  override popMax(count = 1): SortedSetNode[] {
    const out = super.popMax(count)
    if (this.scanIndex !== undefined) this.unindex(out, 0)
    return out
  }

  /** An independent copy with the same encoding (COPY). */
  override clone(): ZSet {
    const c = new ZSet()
    c.skiplist = this.skiplist
    for (let x = this.first(); x !== undefined; x = this.next(x)) c.add(x.member, x.score)
    return c
  }

  /** Builds a ZSet holding the elements of any sorted set. */
  static from(z: SortedSet, skiplist: boolean): ZSet {
    const c = new ZSet()
    c.skiplist = skiplist
    for (let x = z.first(); x !== undefined; x = z.next(x)) c.add(x.member, x.score)
    return c
  }

  private unindex(nodes: SortedSetNode[], n: number): number {
    const idx = this.scanIndex!
    // Removed nodes keep their member, so the views collected before removal are still readable.
    for (let i = 0; i < nodes.length; i++) idx.delete(nodes[i]!.member)
    return n
  }
}

TYPE_HOOKS[T.ZSET] = {
  encoding: (v: SortedSet, ctx: Session) =>
    (v instanceof ZSet ? v.skiplist : v.size > maxEntries(ctx)) ? 'skiplist' : 'listpack',
  clone: (v: SortedSet) => (v instanceof ZSet ? v.clone() : ZSet.from(v, false)),
}

/** A value found under a zset key, as a ZSet (values built elsewhere as plain SortedSets are adopted once). */
function asZSet(e: Entry): ZSet {
  const v = e.value
  if (v instanceof ZSet) return v
  const z = ZSet.from(v as SortedSet, (v as SortedSet).size > 128)
  e.value = z
  return z
}

/** Read lookup of a sorted set (keyspace hit/miss counted); WRONGTYPE for other types. */
export function readZset(ctx: Session, k: string): ZSet | undefined {
  const e = ctx.db.read(k)
  if (e === undefined) return undefined
  if (e.type !== T.ZSET) wrongType()
  return asZSet(e)
}

/** Write lookup of a sorted set; WRONGTYPE for other types. */
export function zsetOf(ctx: Session, k: string): ZSet | undefined {
  const e = ctx.db.lookup(k)
  if (e === undefined) return undefined
  if (e.type !== T.ZSET) wrongType()
  return asZSet(e)
}

/** Byte length of a member (canonical string). */
function memberBytes(m: string): number {
  return isBinaryKey(m) ? m.length - 1 : byteLength(m)
}

/** True when a member is longer than `limit` bytes (cheap for short strings). */
function longerThan(m: string, limit: number): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes.
  return m.length * 3 > limit && memberBytes(m) > limit
}

/**
 * Adds or updates one member the way Redis's zsetAdd does for a plain add,
 * converting a listpack to a skiplist when it would grow past the thresholds.
 * For code that fills sorted set values (GEOADD and the like).
 */
export function zsetAdd(ctx: Session, z: ZSet, member: string, score: number): ReturnType<SortedSet['add']> {
  if (!z.skiplist && !z.has(member) && (z.size + 1 > maxEntries(ctx) || longerThan(member, maxValue(ctx)))) z.skiplist = true
  return z.add(member, score)
}

/**
 * Redis loads a sorted set from RDB or RESTORE as a skiplist and converts it afterwards when it is
 * small enough; the conversion stores integral scores as integers, so `-0` becomes `0` only then.
 * `z` was filled as a skiplist.
 */
export function settleLoadedZset(ctx: Session, z: ZSet): void {
  if (z.size > maxEntries(ctx)) return
  const limit = maxValue(ctx)
  const negativeZeros: string[] = []
  for (let x = z.first(); x !== undefined; x = z.next(x)) {
    if (longerThan(x.member, limit)) return
    if (Object.is(x.score, -0)) negativeZeros.push(x.member)
  }
  z.skiplist = false
  for (const m of negativeZeros) {
    z.remove(m)
    z.add(m, 0)
  }
}

/** A new, empty ZSet encoded as Redis would encode one created for `size` members of at most `maxLen` bytes. */
export function newZset(ctx: Session, size: number, maxLen: number): ZSet {
  const z = new ZSet()
  z.skiplist = size > maxEntries(ctx) || maxLen > maxValue(ctx)
  return z
}

// ---------------------------------------------------------------- small helpers

/** A member (or key) as it goes into a reply or an effect: bytes for non-UTF-8 members. */
export const mout = (m: string): string | Buffer => (m.charCodeAt(0) === 0xdc00 ? keyBytes(m) : m)

const E_MINMAX = 'min or max is not a float'
const E_LEX = 'min or max not valid string range item'

/** True when an argument equals an ASCII keyword (case-insensitive), without allocating for long args. */
function isKw(a: Arg, word: string): boolean {
  if (a.length !== word.length) return false
  return kw(a) === word
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const INFINITY = /^[+-]?(?:inf|infinity)$/i

/**
 * C `strtod` over a whole string, as zslParseRange and SORT use it: leading
 * white space allowed, the empty string is 0, overflow gives ±inf, underflow
 * 0. Returns undefined when characters are left over or the value is NaN.
 */
export function strtodAll(s: string): number | undefined {
  if (s === '') return 0
  let i = 0
  while (i < s.length && isSpace(s.charCodeAt(i))) i++
  if (i > 0) {
    s = s.slice(i)
    if (s === '') return undefined
  }
  if (DECIMAL.test(s)) return Number(s)
  if (INFINITY.test(s)) return s.charCodeAt(0) === 45 ? -Infinity : Infinity
  const d = string2d(s) // hex floats
  return d
}

/** A score range bound: `(x` excludes x. */
interface ScoreBound {
  v: number
  ex: boolean
}

function parseScoreBound(a: Arg): ScoreBound | undefined {
  let s = str(a)
  let ex = false
  if (s.charCodeAt(0) === 40 /* ( */) {
    ex = true
    s = s.slice(1)
  }
  const v = strtodAll(s)
  return v === undefined || v !== v ? undefined : { v, ex }
}

function parseLex(a: Arg): LexBound | undefined {
  return parseLexBound(key(a))
}

/** Appends `score member` pairs of nodes to an effect argv. */
function pushPairs(argv: Arg[], nodes: ArrayLike<SortedSetNode>): void {
  for (let i = 0; i < nodes.length; i++) {
    const x = nodes[i]!
    argv.push(formatDouble(x.score), mout(x.member))
  }
}

/** The reply for a list of elements, with scores as Redis sends them for the session's protocol. */
export function rangeReply(ctx: Session, nodes: ArrayLike<SortedSetNode>, withScores: boolean): Reply[] {
  const n = nodes.length
  if (!withScores) {
    const out = new Array<Reply>(n)
    for (let i = 0; i < n; i++) out[i] = mout(nodes[i]!.member)
    return out
  }
  if (ctx.resp === 2) {
    const out = new Array<Reply>(n * 2)
    for (let i = 0; i < n; i++) {
      const x = nodes[i]!
      out[2 * i] = mout(x.member)
      out[2 * i + 1] = new Double(x.score)
    }
    return out
  }
  const out = new Array<Reply>(n)
  for (let i = 0; i < n; i++) {
    const x = nodes[i]!
    out[i] = [mout(x.member), new Double(x.score)]
  }
  return out
}

/** Deletes a key emptied by a write: `del` event and nothing else (the write's own effect covers it). */
function dropIfEmpty(ctx: Session, k: string, z: ZSet): boolean {
  if (z.size !== 0) return false
  ctx.db.delete(k)
  ctx.signal(k, N.GENERIC, 'del')
  return true
}

/**
 * Stores a computed sorted set at `dst` as the *STORE commands do: a
 * non-empty result replaces any value (and TTL) with event `event`; an empty
 * one deletes `dst`. Returns the stored size.
 */
function storeZset(ctx: Session, dst: string, z: ZSet, event: string): number {
  const db = ctx.db
  if (z.size > 0) {
    db.set(dst, T.ZSET, z)
    ctx.signal(dst, N.ZSET, event)
    if (ctx.ks.fx) {
      ctx.effect('DEL', mout(dst))
      const argv: Arg[] = ['ZADD', mout(dst)]
      for (let x = z.first(); x !== undefined; x = z.next(x)) argv.push(formatDouble(x.score), mout(x.member))
      ctx.effect(...argv)
    }
    return z.size
  }
  if (db.lookup(dst) !== undefined) {
    db.delete(dst)
    ctx.signal(dst, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect('DEL', mout(dst))
  }
  return 0
}

/** Fills a new ZSet for a *STORE result with Redis's encoding for it. */
function buildResult(ctx: Session, nodes: ArrayLike<SortedSetNode>): ZSet {
  let maxLen = 0
  const lim = maxValue(ctx)
  for (let i = 0; i < nodes.length && maxLen <= lim; i++) {
    const m = nodes[i]!.member
    if (longerThan(m, lim)) maxLen = lim + 1
  }
  const z = newZset(ctx, nodes.length, maxLen)
  for (let i = 0; i < nodes.length; i++) z.add(nodes[i]!.member, nodes[i]!.score)
  return z
}

// ---------------------------------------------------------------- ZADD, ZINCRBY

export const ZADD_NX = 1
export const ZADD_XX = 2
export const ZADD_GT = 4
export const ZADD_LT = 8
export const ZADD_INCR = 16
export const ZADD_CH = 32

/** ZADD's typed arguments: option bits (`ZADD_*`) and parallel score/member arrays. */
export interface ZAddArgs {
  key: string
  flags: number
  scores: number[]
  members: string[]
}

/** Redis's option compatibility checks for ZADD (shared with the typed API). */
export function checkZAddFlags(flags: number, pairs: number): void {
  if (flags & ZADD_NX && flags & ZADD_XX) fail('XX and NX options at the same time are not compatible')
  if ((flags & ZADD_NX && flags & (ZADD_GT | ZADD_LT)) || (flags & ZADD_GT && flags & ZADD_LT)) {
    fail('GT, LT, and/or NX options at the same time are not compatible')
  }
  if (flags & ZADD_INCR && pairs > 1) fail('INCR option supports a single increment-element pair')
}

function parseZAdd(a: Arg[], flags: number): ZAddArgs {
  let i = 1
  for (; i < a.length; i++) {
    const o = a[i]!
    if (o.length > 4 || o.length < 2) break
    const u = kw(o)
    if (u === 'NX') flags |= ZADD_NX
    else if (u === 'XX') flags |= ZADD_XX
    else if (u === 'CH') flags |= ZADD_CH
    else if (u === 'INCR') flags |= ZADD_INCR
    else if (u === 'GT') flags |= ZADD_GT
    else if (u === 'LT') flags |= ZADD_LT
    else break
  }
  const rest = a.length - i
  if (rest === 0 || rest % 2 !== 0) syntaxError()
  const n = rest / 2
  checkZAddFlags(flags, n)
  const scores = new Array<number>(n)
  const members = new Array<string>(n)
  for (let j = 0; j < n; j++) scores[j] = float(a[i + 2 * j]!)
  for (let j = 0; j < n; j++) members[j] = key(a[i + 2 * j + 1]!)
  return { key: key(a[0]!), flags, scores, members }
}

/** A ZADD command line doing what `flags`, `scores` and `members` did. */
function zaddVerbatim(k: string, flags: number, scores: number[], members: string[]): Arg[] {
  const argv: Arg[] = ['ZADD', mout(k)]
  if (flags & ZADD_NX) argv.push('NX')
  if (flags & ZADD_XX) argv.push('XX')
  if (flags & ZADD_GT) argv.push('GT')
  if (flags & ZADD_LT) argv.push('LT')
  if (flags & ZADD_INCR) argv.push('INCR')
  for (let j = 0; j < members.length; j++) argv.push(formatDouble(scores[j]!), mout(members[j]!))
  return argv
}

/**
 * ZADD and ZINCRBY. Returns the reply: the number of added (or with CH,
 * changed) members, or with INCR the new score as a `Double` (null when
 * NX/XX/GT/LT prevented the change).
 */
export function zaddGeneric(ctx: Session, a: ZAddArgs): Reply {
  const { key: k, flags, scores, members } = a
  const nx = (flags & ZADD_NX) !== 0
  const xx = (flags & ZADD_XX) !== 0
  const gt = (flags & ZADD_GT) !== 0
  const lt = (flags & ZADD_LT) !== 0
  const incr = (flags & ZADD_INCR) !== 0
  const n = members.length
  const db = ctx.db
  const e = db.lookup(k)
  let z: ZSet
  let fresh = false
  if (e === undefined) {
    if (xx) return incr ? null : 0
    z = new ZSet()
    fresh = true
  } else {
    if (e.type !== T.ZSET) wrongType()
    z = asZSet(e)
  }
  const lim = z.skiplist ? 0 : maxEntries(ctx)
  // Converted by the command's size hints (which members end up written does not matter).
  let hinted = false
  if (!z.skiplist) {
    // zsetTypeCreate / zsetTypeMaybeConvert: sized by the command's pairs and longest member.
    if (n > lim) hinted = z.skiplist = true
    else {
      const vlim = maxValue(ctx)
      for (let j = 0; j < n; j++) {
        if (longerThan(members[j]!, vlim)) {
          hinted = z.skiplist = true
          break
        }
      }
    }
  }
  const fx = ctx.ks.fx
  const eff: Arg[] | undefined = fx ? ['ZADD', mout(k)] : undefined
  let added = 0
  let updated = 0
  let processed = 0
  let last = 0
  for (let j = 0; j < n; j++) {
    let score = scores[j]!
    const m = members[j]!
    const cur = z.score(m)
    if (cur !== undefined) {
      if (nx) continue
      if (incr) {
        score += cur
        if (score !== score) fail('resulting score is not a number (NaN)')
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue
      processed++
      last = score
      if (score !== cur) {
        z.add(m, score)
        updated++
        if (eff !== undefined) eff.push(formatDouble(z.score(m)!), mout(m))
      }
    } else if (!xx) {
      if (!z.skiplist && z.size + 1 > lim) z.skiplist = true
      z.add(m, score)
      added++
      processed++
      last = score
      if (eff !== undefined) eff.push(formatDouble(z.score(m)!), mout(m))
    }
  }
  if (added + updated > 0) {
    if (fresh) db.add(k, T.ZSET, z)
    ctx.signal(k, N.ZSET, incr ? 'zincr' : 'zadd')
    // The written pairs alone would rebuild a listpack (where a -0 score reads back as 0): the
    // whole command then, as Redis propagates it, converts the replayed set the same way.
    if (eff !== undefined) ctx.effect(...(hinted ? zaddVerbatim(k, flags, scores, members) : eff))
  }
  if (incr) return processed > 0 ? new Double(last) : null
  return flags & ZADD_CH ? added + updated : added
}

export const ZADD = defineCommand('zadd', {
  parse: (a): ZAddArgs => parseZAdd(a, 0),
  run: zaddGeneric,
})

export const ZINCRBY = defineCommand('zincrby', {
  parse: (a): ZAddArgs => parseZAdd(a, ZADD_INCR),
  run: zaddGeneric,
})

// ---------------------------------------------------------------- simple reads

export const ZCARD = defineCommand('zcard', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => readZset(ctx, k)?.size ?? 0,
})

/** ZSCORE / ZMSCORE arguments. */
export interface ZMembersArgs {
  key: string
  members: string[]
}

export const ZSCORE = defineCommand('zscore', {
  parse: (a): ZMembersArgs => ({ key: key(a[0]!), members: [key(a[1]!)] }),
  run(ctx, a: ZMembersArgs): Reply {
    const s = readZset(ctx, a.key)?.score(a.members[0]!)
    return s === undefined ? null : new Double(s)
  },
})

export const ZMSCORE = defineCommand('zmscore', {
  parse: (a): ZMembersArgs => ({ key: key(a[0]!), members: a.slice(1).map(key) }),
  run(ctx, a: ZMembersArgs): Reply {
    const z = readZset(ctx, a.key)
    const out = new Array<Reply>(a.members.length)
    for (let i = 0; i < out.length; i++) {
      const s = z?.score(a.members[i]!)
      out[i] = s === undefined ? null : new Double(s)
    }
    return out
  },
})

/** ZRANK / ZREVRANK arguments. */
export interface ZRankArgs {
  key: string
  member: string
  withScore: boolean
}

function parseRank(name: string) {
  return (a: Arg[]): ZRankArgs => {
    if (a.length > 3) throw arityError(name)
    let withScore = false
    if (a.length === 3) {
      if (!isKw(a[2]!, 'WITHSCORE')) syntaxError()
      withScore = true
    }
    return { key: key(a[0]!), member: key(a[1]!), withScore }
  }
}

function rankGeneric(ctx: Session, a: ZRankArgs, rev: boolean): Reply {
  const z = readZset(ctx, a.key)
  const r = z?.rank(a.member, rev)
  if (r === undefined) return a.withScore ? NULL_ARRAY : null
  return a.withScore ? [r, new Double(z!.score(a.member)!)] : r
}

export const ZRANK = defineCommand('zrank', {
  parse: parseRank('zrank'),
  run: (ctx, a: ZRankArgs): Reply => rankGeneric(ctx, a, false),
})
export const ZREVRANK = defineCommand('zrevrank', {
  parse: parseRank('zrevrank'),
  run: (ctx, a: ZRankArgs): Reply => rankGeneric(ctx, a, true),
})

// ---------------------------------------------------------------- counts

/** ZCOUNT arguments (a parsed score range). */
export interface ZScoreRangeArgs {
  key: string
  min: number
  max: number
  minEx: boolean
  maxEx: boolean
}

/** Parses a key and score range (`(` exclusive, ±inf, strtod rules); `min or max is not a float` otherwise. */
export function parseScoreRange(k: Arg, lo: Arg, hi: Arg): ZScoreRangeArgs {
  const a = parseScoreBound(lo)
  const b = a === undefined ? undefined : parseScoreBound(hi)
  if (a === undefined || b === undefined) fail(E_MINMAX)
  return { key: key(k), min: a.v, max: b.v, minEx: a.ex, maxEx: b.ex }
}

export const ZCOUNT = defineCommand('zcount', {
  parse: (a): ZScoreRangeArgs => parseScoreRange(a[0]!, a[1]!, a[2]!),
  run(ctx, a: ZScoreRangeArgs): Reply {
    const z = readZset(ctx, a.key)
    if (z === undefined) return 0
    return z.countInScoreRange(a.min, a.max, { minExclusive: a.minEx, maxExclusive: a.maxEx })
  },
})

/** ZLEXCOUNT arguments (a parsed lex range). */
export interface ZLexRangeArgs {
  key: string
  min: LexBound
  max: LexBound
}

/** Parses a key and lex range (`-`, `+`, `[x`, `(x`); `min or max not valid string range item` otherwise. */
export function parseLexRange(k: Arg, lo: Arg, hi: Arg): ZLexRangeArgs {
  const min = parseLex(lo)
  const max = min === undefined ? undefined : parseLex(hi)
  if (min === undefined || max === undefined) fail(E_LEX)
  return { key: key(k), min, max }
}

export const ZLEXCOUNT = defineCommand('zlexcount', {
  parse: (a): ZLexRangeArgs => parseLexRange(a[0]!, a[1]!, a[2]!),
  run(ctx, a: ZLexRangeArgs): Reply {
    const z = readZset(ctx, a.key)
    return z === undefined ? 0 : z.countInLexRange(a.min, a.max)
  },
})

// ---------------------------------------------------------------- ZRANGE family

export const BY_RANK = 0
export const BY_SCORE = 1
export const BY_LEX = 2

/** The typed arguments of ZRANGE, ZRANGESTORE and the legacy range commands. */
export interface ZRangeArgs {
  key: string
  /** `BY_RANK`, `BY_SCORE` or `BY_LEX`. */
  by: number
  rev: boolean
  /** Ranks (BY_RANK). */
  start: number
  stop: number
  /** Score bounds, low end first (BY_SCORE). */
  min: number
  max: number
  minEx: boolean
  maxEx: boolean
  /** Lex bounds, low end first (BY_LEX). */
  lmin: LexBound
  lmax: LexBound
  /** LIMIT (score and lex ranges): offset < 0 gives nothing, count < 0 means all. */
  offset: number
  count: number
  withScores: boolean
  /** ZRANGESTORE's destination. */
  dest: string | undefined
}

/** Default range arguments (the typed API fills in the rest). */
export function rangeArgs(k: string): ZRangeArgs {
  return {
    key: k,
    by: BY_RANK,
    rev: false,
    start: 0,
    stop: -1,
    min: -Infinity,
    max: Infinity,
    minEx: false,
    maxEx: false,
    lmin: '-',
    lmax: '+',
    offset: 0,
    count: -1,
    withScores: false,
    dest: undefined,
  }
}

/**
 * Redis's zrangeGenericCommand argument handling: `a[at]` is the source key,
 * then the two range ends, then options. `by`/`rev` are fixed by the legacy
 * commands (undefined: chosen by BYSCORE/BYLEX/REV options).
 */
function parseRange(a: Arg[], at: number, store: boolean, by: number | undefined, rev: boolean | undefined): ZRangeArgs {
  const r = rangeArgs(key(a[at]!))
  let limit = false
  for (let j = at + 3; j < a.length; j++) {
    const left = a.length - j - 1
    const o = kw(a[j]!)
    if (!store && o === 'WITHSCORES') r.withScores = true
    else if (o === 'LIMIT' && left >= 2) {
      r.offset = int(a[j + 1]!)
      r.count = int(a[j + 2]!)
      limit = true
      j += 2
    } else if (rev === undefined && o === 'REV') rev = true
    else if (by === undefined && o === 'BYLEX') by = BY_LEX
    else if (by === undefined && o === 'BYSCORE') by = BY_SCORE
    else syntaxError()
  }
  r.rev = rev ?? false
  r.by = by ?? BY_RANK
  if (limit && r.count !== -1 && r.by === BY_RANK) {
    fail('syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX')
  }
  if (r.withScores && r.by === BY_LEX) fail('syntax error, WITHSCORES not supported in combination with BYLEX')
  let lo = a[at + 1]!
  let hi = a[at + 2]!
  if (r.rev && r.by !== BY_RANK) {
    const t = lo
    lo = hi
    hi = t
  }
  if (r.by === BY_RANK) {
    r.start = int(lo)
    r.stop = int(hi)
  } else if (r.by === BY_SCORE) {
    const s = parseScoreRange(a[at]!, lo, hi)
    r.min = s.min
    r.max = s.max
    r.minEx = s.minEx
    r.maxEx = s.maxEx
  } else {
    const l = parseLexRange(a[at]!, lo, hi)
    r.lmin = l.min
    r.lmax = l.max
  }
  if (store) r.dest = key(a[0]!)
  return r
}

/** The elements a range selects (views into the set). */
export function rangeNodes(z: SortedSet, a: ZRangeArgs): SortedSetNode[] {
  if (a.by === BY_RANK) return z.rangeByRank(a.start, a.stop, a.rev)
  if (a.by === BY_SCORE) {
    return z.rangeByScore(a.min, a.max, {
      minExclusive: a.minEx,
      maxExclusive: a.maxEx,
      reverse: a.rev,
      offset: a.offset,
      count: a.count,
    })
  }
  return z.rangeByLex(a.lmin, a.lmax, { reverse: a.rev, offset: a.offset, count: a.count })
}

/** Reads a range from the key (empty when missing). */
export function zrangeQuery(ctx: Session, a: ZRangeArgs): SortedSetNode[] {
  const z = readZset(ctx, a.key)
  return z === undefined ? [] : rangeNodes(z, a)
}

function runRange(ctx: Session, a: ZRangeArgs): Reply {
  return rangeReply(ctx, zrangeQuery(ctx, a), a.withScores)
}

/** ZRANGESTORE: returns the number of stored elements. */
export function zrangeStore(ctx: Session, a: ZRangeArgs): number {
  const nodes = zrangeQuery(ctx, a)
  // Redis creates the result for the range's size when it is known beforehand (by rank; by score or
  // lex it starts from 0) with no member length hint, then adds the elements in reply order,
  // converting to a skiplist when the 129th or a long member comes: elements added before that
  // went through the listpack (-0 stored as the integer 0), those after keep -0.
  const z = newZset(ctx, a.by === BY_RANK ? nodes.length : 0, 0)
  for (let i = 0; i < nodes.length; i++) zsetAdd(ctx, z, nodes[i]!.member, nodes[i]!.score)
  return storeZset(ctx, a.dest!, z, 'zrangestore')
}

export const ZRANGE = defineCommand('zrange', {
  parse: (a) => parseRange(a, 0, false, undefined, undefined),
  run: runRange,
})
export const ZRANGESTORE = defineCommand('zrangestore', {
  parse: (a) => parseRange(a, 1, true, undefined, undefined),
  run: (ctx, a: ZRangeArgs): Reply => zrangeStore(ctx, a),
})
export const ZREVRANGE = defineCommand('zrevrange', {
  parse: (a) => parseRange(a, 0, false, BY_RANK, true),
  run: runRange,
})
export const ZRANGEBYSCORE = defineCommand('zrangebyscore', {
  parse: (a) => parseRange(a, 0, false, BY_SCORE, false),
  run: runRange,
})
export const ZREVRANGEBYSCORE = defineCommand('zrevrangebyscore', {
  parse: (a) => parseRange(a, 0, false, BY_SCORE, true),
  run: runRange,
})
export const ZRANGEBYLEX = defineCommand('zrangebylex', {
  parse: (a) => parseRange(a, 0, false, BY_LEX, false),
  run: runRange,
})
export const ZREVRANGEBYLEX = defineCommand('zrevrangebylex', {
  parse: (a) => parseRange(a, 0, false, BY_LEX, true),
  run: runRange,
})

// ---------------------------------------------------------------- removal

/** ZREM arguments. */
export const ZREM = defineCommand('zrem', {
  parse: (a): ZMembersArgs => ({ key: key(a[0]!), members: a.slice(1).map(key) }),
  run(ctx, a: ZMembersArgs): Reply {
    const z = zsetOf(ctx, a.key)
    if (z === undefined) return 0
    let deleted = 0
    const fx = ctx.ks.fx
    const eff: Arg[] | undefined = fx ? ['ZREM', mout(a.key)] : undefined
    for (const m of a.members) {
      if (z.remove(m)) {
        deleted++
        if (eff !== undefined) eff.push(mout(m))
        if (z.size === 0) break
      }
    }
    if (deleted > 0) {
      ctx.signal(a.key, N.ZSET, 'zrem')
      dropIfEmpty(ctx, a.key, z)
      if (eff !== undefined) ctx.effect(...eff)
    }
    return deleted
  },
})

/** ZREMRANGEBYRANK / BYSCORE / BYLEX arguments; `raw` are the two range arguments as given (for the effect). */
export interface ZRemRangeArgs {
  range: ZRangeArgs
  raw: [Arg, Arg]
}

// Redis 7.2's event names (its documentation still shows the older zrembyrank/zrembyscore/zrembylex).
const REMRANGE_EVENTS = ['zremrangebyrank', 'zremrangebyscore', 'zremrangebylex']
const REMRANGE_CMDS = ['ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE', 'ZREMRANGEBYLEX']

function parseRemRange(by: number) {
  return (a: Arg[]): ZRemRangeArgs => {
    let r: ZRangeArgs
    if (by === BY_RANK) {
      r = rangeArgs(key(a[0]!))
      r.start = int(a[1]!)
      r.stop = int(a[2]!)
    } else if (by === BY_SCORE) {
      r = rangeArgs('')
      Object.assign(r, parseScoreRange(a[0]!, a[1]!, a[2]!))
    } else {
      const l = parseLexRange(a[0]!, a[1]!, a[2]!)
      r = rangeArgs(l.key)
      r.lmin = l.min
      r.lmax = l.max
    }
    r.by = by
    return { range: r, raw: [a[1]!, a[2]!] }
  }
}

/** ZREMRANGEBY*: returns how many elements were removed. */
export function zremRange(ctx: Session, a: ZRemRangeArgs): number {
  const r = a.range
  const z = zsetOf(ctx, r.key)
  if (z === undefined) return 0
  let n: number
  if (r.by === BY_RANK) n = z.removeRangeByRank(r.start, r.stop)
  else if (r.by === BY_SCORE) n = z.removeRangeByScore(r.min, r.max, { minExclusive: r.minEx, maxExclusive: r.maxEx })
  else n = z.removeRangeByLex(r.lmin, r.lmax)
  if (n > 0) {
    ctx.signal(r.key, N.ZSET, REMRANGE_EVENTS[r.by]!)
    dropIfEmpty(ctx, r.key, z)
    if (ctx.ks.fx) ctx.effect(REMRANGE_CMDS[r.by]!, mout(r.key), a.raw[0], a.raw[1])
  }
  return n
}

export const ZREMRANGEBYRANK = defineCommand('zremrangebyrank', { parse: parseRemRange(BY_RANK), run: zremRange })
export const ZREMRANGEBYSCORE = defineCommand('zremrangebyscore', { parse: parseRemRange(BY_SCORE), run: zremRange })
export const ZREMRANGEBYLEX = defineCommand('zremrangebylex', { parse: parseRemRange(BY_LEX), run: zremRange })

// ---------------------------------------------------------------- pops

const POP_FLAT = 0
const POP_NESTED = 1
const POP_MPOP = 2
const POP_BZPOP = 3

/**
 * Pops up to `count` (≥ 1) elements from an existing, non-empty set: the
 * `zpopmin`/`zpopmax` event, `del` when it empties, ZREM as the effect.
 * Returns the popped elements (detached views).
 */
export function popNodes(ctx: Session, k: string, z: ZSet, max: boolean, count: number): SortedSetNode[] {
  const nodes = max ? z.popMax(count) : z.popMin(count)
  ctx.signal(k, N.ZSET, max ? 'zpopmax' : 'zpopmin')
  dropIfEmpty(ctx, k, z)
  if (ctx.ks.fx) {
    const argv: Arg[] = ['ZREM', mout(k)]
    for (let i = 0; i < nodes.length; i++) argv.push(mout(nodes[i]!.member))
    ctx.effect(...argv)
  }
  return nodes
}

/** Pops from an existing, non-empty set and builds the reply in one of the four shapes. */
function popFrom(ctx: Session, k: string, z: ZSet, max: boolean, count: number, shape: number): Reply {
  const nodes = popNodes(ctx, k, z, max, count)
  if (shape === POP_FLAT || shape === POP_BZPOP) {
    const out: Reply[] = shape === POP_BZPOP ? [mout(k)] : []
    for (let i = 0; i < nodes.length; i++) out.push(mout(nodes[i]!.member), new Double(nodes[i]!.score))
    return out
  }
  const pairs = new Array<Reply>(nodes.length)
  for (let i = 0; i < nodes.length; i++) pairs[i] = [mout(nodes[i]!.member), new Double(nodes[i]!.score)]
  return shape === POP_MPOP ? [mout(k), pairs] : pairs
}

/**
 * Pops up to `count` (≥ 1) members of the sorted set at `key`, lowest scores
 * first or, with `max`, highest first. Returns null when the key is missing or
 * empty; WRONGTYPE for other types. Sends the `zpopmin`/`zpopmax` event (and
 * `del` when the set empties), reports the effect (ZREM of the popped
 * members) and returns the reply shaped as:
 *  - `'pop'`: ZPOPMIN/ZPOPMAX with a COUNT — RESP2 `[m, score, ...]`, RESP3 `[[m, score], ...]`;
 *  - `'mpop'`: ZMPOP — `[key, [[m, score], ...]]`;
 *  - `'bzpop'`: BZPOPMIN/BZPOPMAX — `[key, m, score]` (flat in both protocols).
 */
export function zpopGeneric(ctx: Session, key: string, max: boolean, count: number, reply: 'pop' | 'mpop' | 'bzpop'): Reply | null {
  const z = zsetOf(ctx, key)
  if (z === undefined || z.size === 0) return null
  const shape = reply === 'mpop' ? POP_MPOP : reply === 'bzpop' ? POP_BZPOP : ctx.resp === 2 ? POP_FLAT : POP_NESTED
  return popFrom(ctx, key, z, max, count, shape)
}

/** ZPOPMIN / ZPOPMAX arguments: `count` -1 when not given. */
export interface ZPopArgs {
  key: string
  count: number
}

/** Parses ZPOPMIN/ZPOPMAX arguments. */
export function parsePop(a: Arg[]): ZPopArgs {
  if (a.length > 2) syntaxError()
  let count = -1
  if (a.length === 2) {
    count = int(a[1]!, E.MUST_BE_POSITIVE)
    if (count < 0) fail(E.MUST_BE_POSITIVE)
  }
  return { key: key(a[0]!), count }
}

/** ZPOPMIN/ZPOPMAX. */
export function popCommand(ctx: Session, a: ZPopArgs, max: boolean): Reply {
  const z = zsetOf(ctx, a.key)
  if (z === undefined || a.count === 0) return []
  const shape = ctx.resp > 2 && a.count !== -1 ? POP_NESTED : POP_FLAT
  return popFrom(ctx, a.key, z, max, a.count === -1 ? 1 : a.count, shape)
}

export const ZPOPMIN = defineCommand('zpopmin', { parse: parsePop, run: (ctx, a: ZPopArgs): Reply => popCommand(ctx, a, false) })
export const ZPOPMAX = defineCommand('zpopmax', { parse: parsePop, run: (ctx, a: ZPopArgs): Reply => popCommand(ctx, a, true) })

/** ZMPOP arguments. */
export interface ZMPopArgs {
  keys: string[]
  max: boolean
  count: number
}

/** Parses `numkeys key... MIN|MAX [COUNT n]` from `a[at]` on (ZMPOP, and BZMPOP after its timeout). */
export function parseZMPop(a: Arg[], at: number): ZMPopArgs {
  const numkeys = int(a[at]!, 'numkeys should be greater than 0')
  if (numkeys < 1) fail('numkeys should be greater than 0')
  const whereIdx = at + numkeys + 1
  if (whereIdx >= a.length) syntaxError()
  const w = kw(a[whereIdx]!)
  if (w !== 'MIN' && w !== 'MAX') syntaxError()
  let count = -1
  for (let j = whereIdx + 1; j < a.length; j++) {
    if (count === -1 && isKw(a[j]!, 'COUNT') && j + 1 < a.length) {
      count = int(a[++j]!, 'count should be greater than 0')
      if (count < 1) fail('count should be greater than 0')
    } else syntaxError()
  }
  return { keys: a.slice(at + 1, whereIdx).map(key), max: w === 'MAX', count: count === -1 ? 1 : count }
}

/** ZMPOP: pops from the first non-empty set, null (nil array) when there is none. */
export function zmpop(ctx: Session, a: ZMPopArgs): Reply {
  for (const k of a.keys) {
    const z = zsetOf(ctx, k)
    if (z === undefined) continue
    return popFrom(ctx, k, z, a.max, a.count, POP_MPOP)
  }
  return NULL_ARRAY
}

export const ZMPOP = defineCommand('zmpop', { parse: (a) => parseZMPop(a, 0), run: zmpop, getKeys: (argv) => numkeysKeys(argv, 1, false) })

// ---------------------------------------------------------------- ZRANDMEMBER

/** ZRANDMEMBER arguments: `count` undefined for the single-member form. */
export interface ZRandArgs {
  key: string
  count: number | undefined
  withScores: boolean
}

const LONG_MAX = 9223372036854775807n

export const ZRANDMEMBER = defineCommand('zrandmember', {
  parse(a): ZRandArgs {
    const r: ZRandArgs = { key: key(a[0]!), count: undefined, withScores: false }
    if (a.length < 2) return r
    const l = int64(a[1]!)
    if (typeof l === 'bigint' && (l < -LONG_MAX || l > LONG_MAX)) {
      fail('value is out of range, value must between -9223372036854775807 and 9223372036854775807')
    }
    if (a.length > 3 || (a.length === 3 && !isKw(a[2]!, 'WITHSCORES'))) syntaxError()
    if (a.length === 3) {
      r.withScores = true
      const b = BigInt(l)
      if (b < -LONG_MAX / 2n || b > LONG_MAX / 2n) fail('value is out of range')
    }
    r.count = Number(l)
    return r
  },
  run(ctx, a: ZRandArgs): Reply {
    if (a.count === undefined) {
      const z = readZset(ctx, a.key)
      const x = z?.randomMember()
      return x === undefined ? null : mout(x.member)
    }
    return rangeReply(ctx, zrandNodes(ctx, a), a.withScores)
  },
})

/** The members ZRANDMEMBER with a count picks (empty for a missing key). */
export function zrandNodes(ctx: Session, a: ZRandArgs): SortedSetNode[] {
  const z = readZset(ctx, a.key)
  const l = a.count!
  if (z === undefined || l === 0) return []
  if (l < 0) return z.random(repeatPicks(l), true)
  if (l === 1) return z.random(1, true)
  // The whole set, highest first, as Redis 7.2 replies it.
  if (l >= z.size) return z.rangeByRank(0, -1, true)
  if (z.skiplist) return z.random(l, false)
  // A listpack hands out a unique sample in its own (sorted) order.
  return z.random(l, false).sort(byOrder)
}

/** Sorted-set order of two elements. */
function byOrder(x: SortedSetNode, y: SortedSetNode): number {
  return x.score < y.score ? -1 : x.score > y.score ? 1 : compareBytes(x.member, y.member)
}

// ---------------------------------------------------------------- ZSCAN

/** ZSCAN arguments: options are parsed after the key lookup, as Redis does (`opts` raw until then). */
export interface ZScanArgs {
  key: string
  cursor: number
  scan: ScanArgs | undefined
  opts: Arg[]
}

/** One ZSCAN step over the set at `key`: the next cursor and the elements seen, or null for a missing key. */
export function zscanNodes(ctx: Session, a: ZScanArgs): { cursor: number; nodes: SortedSetNode[]; skiplist: boolean } | null {
  const z = readZset(ctx, a.key)
  if (z === undefined) return null
  const o = a.scan ?? parseScanOptions(['0', ...a.opts], 1, false)
  const nodes: SortedSetNode[] = []
  const match = o.match
  if (!z.skiplist) {
    // A listpack is returned whole in one step, in order.
    for (let x = z.first(); x !== undefined; x = z.next(x)) if (match === undefined || match(x.member)) nodes.push(x)
    return { cursor: 0, nodes, skiplist: false }
  }
  if (z.scanIndex === undefined) z.scanIndex = new DenseSet(z.members())
  const cursor = z.scanIndex.scan(a.cursor, o.count, (m) => {
    if (match === undefined || match(m)) nodes.push({ member: m, score: z.score(m)! })
  })
  return { cursor, nodes, skiplist: true }
}

/** ZSCAN step: [next cursor, [member, score, ...]] with scores as bulk strings, as Redis prints them per encoding. */
export function zscan(ctx: Session, a: ZScanArgs): Reply {
  const r = zscanNodes(ctx, a)
  if (r === null) return ['0', []]
  const out = new Array<Reply>(r.nodes.length * 2)
  for (let i = 0; i < r.nodes.length; i++) {
    const x = r.nodes[i]!
    out[2 * i] = mout(x.member)
    out[2 * i + 1] = r.skiplist ? formatG17(x.score) : formatDouble(x.score)
  }
  return [String(r.cursor), out]
}

export const ZSCAN = defineCommand('zscan', {
  parse: (a): ZScanArgs => ({ key: key(a[0]!), cursor: parseCursor(a[1]!), scan: undefined, opts: a.slice(2) }),
  run: zscan,
})

const F64 = new Float64Array(1)
const U32 = new Uint32Array(F64.buffer)

/**
 * printf("%.17Lg") of a double, as Redis prints skiplist scores in ZSCAN
 * (ld2string LD_STR_AUTO): the exact value rounded half-to-even to 17
 * significant digits, trailing zeros dropped, C exponent style.
 */
export function formatG17(d: number): string {
  if (d === Infinity) return 'inf'
  if (d === -Infinity) return '-inf'
  if (d === 0) return 1 / d < 0 ? '-0' : '0'
  if (Number.isInteger(d) && d < 1e17 && d > -1e17) return String(d)
  const neg = d < 0
  F64[0] = neg ? -d : d
  const hi = U32[1]!
  const lo = U32[0]!
  const bexp = (hi >>> 20) & 0x7ff
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let e2: number
  if (bexp === 0) e2 = -1074
  else {
    mant |= 1n << 52n
    e2 = bexp - 1075
  }
  // value = mant · 2^e2 = digits · 10^(e10)
  let digits: string
  let e10: number
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString()
    e10 = 0
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString()
    e10 = e2
  }
  // Exponent of the leading digit.
  let x = digits.length - 1 + e10
  if (digits.length > 17) {
    const head = digits.slice(0, 17)
    const r = digits.charCodeAt(17) - 48
    let up = r > 5
    if (r === 5) {
      let tail = false
      for (let i = 18; i < digits.length; i++) {
        if (digits.charCodeAt(i) !== 48) {
          tail = true
          break
        }
      }
      up = tail || (head.charCodeAt(16) - 48) % 2 === 1
    }
    if (up) {
      const inc = (BigInt(head) + 1n).toString()
      if (inc.length > 17) {
        digits = inc.slice(0, 17)
        x++
      } else digits = inc
    } else digits = head
  }
  digits = digits.replace(/0+$/, '')
  let out: string
  if (x < -4 || x >= 17) {
    out = digits[0]! + (digits.length > 1 ? '.' + digits.slice(1) : '') + (x < 0 ? 'e-' : 'e+') + String(Math.abs(x)).padStart(2, '0')
  } else if (x >= 0) {
    const ip = digits.length > x + 1 ? digits.slice(0, x + 1) : digits.padEnd(x + 1, '0')
    const fp = digits.length > x + 1 ? digits.slice(x + 1) : ''
    out = fp === '' ? ip : ip + '.' + fp
  } else out = '0.' + '0'.repeat(-x - 1) + digits
  return neg ? '-' + out : out
}

// ---------------------------------------------------------------- ZUNION, ZINTER, ZDIFF

export const OP_UNION = 0
export const OP_INTER = 1
export const OP_DIFF = 2

export const AGG_SUM = 0
export const AGG_MIN = 1
export const AGG_MAX = 2

/** The typed arguments of ZUNION/ZINTER/ZDIFF (and *STORE, ZINTERCARD). */
export interface ZSetOpArgs {
  op: number
  keys: string[]
  weights: number[] | undefined
  aggregate: number
  withScores: boolean
  /** ZINTERCARD: stop counting there (0: no limit); -1 for the other commands. */
  limit: number
  dest: string | undefined
  /** An option error, raised after the input keys' types are checked (Redis's order). */
  error: ReplyError | undefined
}

/** Parses ZUNION/ZINTER/ZDIFF-style arguments from `a[at]` (numkeys) on. */
export function parseSetOp(a: Arg[], at: number, op: number, name: string, store: boolean, card: boolean): ZSetOpArgs {
  const r: ZSetOpArgs = {
    op,
    keys: [],
    weights: undefined,
    aggregate: AGG_SUM,
    withScores: false,
    limit: card ? 0 : -1,
    dest: store ? key(a[0]!) : undefined,
    error: undefined,
  }
  const setnum = int(a[at]!)
  if (setnum < 1) fail(`at least 1 input key is needed for '${name}' command`)
  if (setnum > a.length - at - 1) syntaxError()
  let j = at + 1
  for (let i = 0; i < setnum; i++) r.keys.push(key(a[j++]!))
  try {
    while (j < a.length) {
      const remaining = a.length - j
      const o = kw(a[j]!)
      if (op !== OP_DIFF && !card && remaining >= setnum + 1 && o === 'WEIGHTS') {
        j++
        const w = new Array<number>(setnum)
        for (let i = 0; i < setnum; i++) w[i] = float(a[j++]!, 'weight value is not a float')
        r.weights = w
      } else if (op !== OP_DIFF && !card && remaining >= 2 && o === 'AGGREGATE') {
        const g = kw(a[j + 1]!)
        if (g === 'SUM') r.aggregate = AGG_SUM
        else if (g === 'MIN') r.aggregate = AGG_MIN
        else if (g === 'MAX') r.aggregate = AGG_MAX
        else syntaxError()
        j += 2
      } else if (!store && !card && o === 'WITHSCORES') {
        r.withScores = true
        j++
      } else if (card && remaining >= 2 && o === 'LIMIT') {
        const l = int(a[j + 1]!, "LIMIT can't be negative")
        if (l < 0) fail("LIMIT can't be negative")
        r.limit = l
        j += 2
      } else syntaxError()
    }
  } catch (e) {
    if (!(e instanceof ReplyError)) throw e
    r.error = e
  }
  return r
}

/** One input of a set operation: a sorted set, or a set whose members score 1. */
interface OpSrc {
  z: SortedSet | undefined
  s: SetLike | undefined
  size: number
  weight: number
}

/** What a set value offers (DenseSet or any Set-like). */
interface SetLike {
  readonly size: number
  has(m: string): boolean
  forEach(fn: (m: string) => void): void
}

function opSources(ctx: Session, a: ZSetOpArgs): OpSrc[] {
  const n = a.keys.length
  const src = new Array<OpSrc>(n)
  for (let i = 0; i < n; i++) {
    const e = ctx.db.read(a.keys[i]!)
    const w = a.weights !== undefined ? a.weights[i]! : 1
    if (e === undefined) src[i] = { z: undefined, s: undefined, size: 0, weight: w }
    else if (e.type === T.ZSET) {
      const z = e.value as SortedSet
      src[i] = { z, s: undefined, size: z.size, weight: w }
    } else if (e.type === T.SET) {
      const s = e.value as SetLike
      src[i] = { z: undefined, s, size: s.size, weight: w }
    } else wrongType()
  }
  if (a.error !== undefined) throw a.error
  return src
}

/** Score of `m` in a source, or undefined. */
function srcScore(s: OpSrc, m: string): number | undefined {
  if (s.z !== undefined) return s.z.score(m)
  if (s.s !== undefined) return s.s.has(m) ? 1 : undefined
  return undefined
}

function srcEach(s: OpSrc, fn: (m: string, score: number) => void): void {
  if (s.z !== undefined) s.z.forEach(fn)
  else if (s.s !== undefined) s.s.forEach((m) => fn(m, 1))
}

function aggregate(target: number, v: number, agg: number): number {
  if (agg === AGG_SUM) {
    const r = target + v
    return r !== r ? 0 : r
  }
  if (agg === AGG_MIN) return v < target ? v : target
  return v > target ? v : target
}

/** Result of a set operation: member/score pairs, unordered. */
interface OpResult {
  members: string[]
  scores: number[]
}

/**
 * Computes ZUNION/ZINTER/ZDIFF (or ZINTERCARD's count, returned as a number)
 * with Redis's arithmetic: inputs smallest first, weighted scores, NaN → 0.
 */
export function zsetOp(ctx: Session, a: ZSetOpArgs): OpResult | number {
  const src = opSources(ctx, a)
  const res: OpResult = { members: [], scores: [] }
  if (a.op === OP_INTER) {
    // Smallest first (a stable sort, as glibc's merge sort is).
    const order = src.slice().sort((x, y) => x.size - y.size)
    const s0 = order[0]!
    if (s0.size === 0) return a.limit >= 0 ? 0 : res
    let card = 0
    const agg = a.aggregate
    const limit = a.limit
    const stop = {}
    try {
      srcEach(s0, (m, sc) => {
        let score = s0.weight * sc
        if (score !== score) score = 0
        for (let j = 1; j < order.length; j++) {
          const v = srcScore(order[j]!, m)
          if (v === undefined) return
          score = aggregate(score, v * order[j]!.weight, agg)
        }
        if (limit >= 0) {
          card++
          if (limit > 0 && card >= limit) throw stop
          return
        }
        res.members.push(m)
        res.scores.push(score)
      })
    } catch (e) {
      if (e !== stop) throw e
    }
    return limit >= 0 ? card : res
  }
  if (a.op === OP_UNION) {
    const order = src.slice().sort((x, y) => x.size - y.size)
    const acc = new Map<string, number>()
    const agg = a.aggregate
    for (const s of order) {
      if (s.size === 0) continue
      const w = s.weight
      srcEach(s, (m, sc) => {
        let score = w * sc
        if (score !== score) score = 0
        const cur = acc.get(m)
        acc.set(m, cur === undefined ? score : aggregate(cur, score, agg))
      })
    }
    for (const [m, s] of acc) {
      res.members.push(m)
      res.scores.push(s)
    }
    return res
  }
  const s0 = src[0]!
  if (s0.size === 0) return res
  srcEach(s0, (m, sc) => {
    for (let j = 1; j < src.length; j++) if (srcScore(src[j]!, m) !== undefined) return
    res.members.push(m)
    res.scores.push(sc)
  })
  return res
}

/** The pairs of a result in sorted-set order. */
function sortedNodes(r: OpResult): SortedSetNode[] {
  const n = r.members.length
  const nodes = new Array<SortedSetNode>(n)
  for (let i = 0; i < n; i++) nodes[i] = { member: r.members[i]!, score: r.scores[i]! }
  return nodes.sort(byOrder)
}

/** ZUNION/ZINTER/ZDIFF without STORE: the result in order. */
export function zsetOpNodes(ctx: Session, a: ZSetOpArgs): SortedSetNode[] {
  return sortedNodes(zsetOp(ctx, a) as OpResult)
}

const STORE_EVENTS = ['zunionstore', 'zinterstore', 'zdiffstore']

/** The *STORE variants: returns the stored size. */
export function zsetOpStore(ctx: Session, a: ZSetOpArgs): number {
  const r = zsetOp(ctx, a) as OpResult
  return storeZset(ctx, a.dest!, buildResult(ctx, sortedNodes(r)), STORE_EVENTS[a.op]!)
}

/** Key positions of a numkeys command (argv[at] is numkeys), as COMMAND GETKEYS reports them. */
function numkeysKeys(argv: Arg[], at: number, dest: boolean): number[] {
  const s = str(argv[at] ?? '')
  const n = /^\d{1,18}$/.test(s) ? Number(s) : 0
  if (n < 1 || n > argv.length - at - 1) throw replyError('Invalid arguments specified for command')
  const out: number[] = dest ? [1] : []
  for (let i = 1; i <= n; i++) out.push(at + i)
  return out
}

function setOpCommand(name: string, op: number, store: boolean) {
  return defineCommand(name, {
    getKeys: (argv) => numkeysKeys(argv, store ? 2 : 1, store),
    parse: (a) => parseSetOp(a, store ? 1 : 0, op, name, store, false),
    run: store
      ? (ctx, a: ZSetOpArgs): Reply => zsetOpStore(ctx, a)
      : (ctx, a: ZSetOpArgs): Reply => rangeReply(ctx, zsetOpNodes(ctx, a), a.withScores),
  })
}

export const ZUNION = setOpCommand('zunion', OP_UNION, false)
export const ZINTER = setOpCommand('zinter', OP_INTER, false)
export const ZDIFF = setOpCommand('zdiff', OP_DIFF, false)
export const ZUNIONSTORE = setOpCommand('zunionstore', OP_UNION, true)
export const ZINTERSTORE = setOpCommand('zinterstore', OP_INTER, true)
export const ZDIFFSTORE = setOpCommand('zdiffstore', OP_DIFF, true)

export const ZINTERCARD = defineCommand('zintercard', {
  getKeys: (argv) => numkeysKeys(argv, 1, false),
  parse: (a) => parseSetOp(a, 0, OP_INTER, 'zintercard', false, true),
  run: (ctx, a: ZSetOpArgs): Reply => zsetOp(ctx, a) as number,
})
