/**
 * Set commands (SADD … SUNIONSTORE) and the set value they work on.
 *
 * A set key holds a {@link RedisSet}: a {@link DenseSet} (O(1) add/has/delete,
 * O(1) random member, a SCAN cursor that survives writes) that also knows the
 * encoding Redis 7.2 would give it — `intset`, `listpack` or `hashtable` —
 * because OBJECT ENCODING reports it and because Redis's reply order follows
 * it: an intset iterates in numeric order, a listpack in insertion order, a
 * hashtable in hash order (which clients must treat as unordered).
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { E, fail, replyError, syntaxError } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import { SetReply, type Reply } from '../core/reply.js'
import { hotParam, registerConfig, type Config } from '../keyspace/config.js'
import { T } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import { DenseSet } from '../types/dense-set.js'
import { int64, key, kw, str } from './args.js'
import { parseCursor, parseScanOptions, TYPE_HOOKS, type ScanArgs } from './keys.js'
import { defineCommand, type Arg } from './table.js'
import { readTyped, repeatPicks, writeTyped } from './util.js'

// ---------------------------------------------------------------- configuration


registerConfig({ name: 'set-max-intset-entries', kind: { type: 'int', min: 0, max: 9223372036854775807n }, default: 512 })
registerConfig({ name: 'set-max-listpack-entries', kind: { type: 'int', min: 0, max: 9223372036854775807n }, default: 128 })
registerConfig({ name: 'set-max-listpack-value', kind: { type: 'int', min: 0, max: 9223372036854775807n }, default: 64 })

/** Redis caps the intset size at 2^30 whatever the configuration says (intsetMaxEntries). */
const intsetEntries = hotParam<number>('set-max-intset-entries')
export const intsetMax = (cfg: Config): number => Math.min(intsetEntries(cfg), 1 << 30)
const lpEntries = hotParam<number>('set-max-listpack-entries')
const lpValue = hotParam<number>('set-max-listpack-value')

// ---------------------------------------------------------------- the value

/** Set encodings, as OBJECT ENCODING names them ({@link SET_ENCODINGS}). */
export const SET_INTSET = 0
export const SET_LISTPACK = 1
export const SET_HASHTABLE = 2
export const SET_ENCODINGS = ['intset', 'listpack', 'hashtable'] as const

/**
 * A set value as a key holds it: a {@link DenseSet} plus its Redis encoding.
 *
 * `forEach` and {@link ordered} follow Redis's iteration order (numeric for
 * an intset, insertion order otherwise); `values()` and the iterator always
 * give insertion order. Code that builds sets for the keyspace should start
 * from {@link createSet} (or, loading a hashtable set, from the encoding Redis's
 * loader picks) and add with {@link setAdd} so the encoding follows Redis's rules.
 */
export class RedisSet extends DenseSet {
  /** {@link SET_INTSET}, {@link SET_LISTPACK} or {@link SET_HASHTABLE}. */
  enc: number = SET_INTSET
  /** Intset only: the members in numeric order, rebuilt after a change. */
  private sortedInts: string[] | undefined = undefined
  /**
   * Intset only: the bytes per member (2, 4 or 8). Redis widens an intset for a member that needs it
   * and never narrows it again, so DUMP writes this width, not the narrowest that fits.
   */
  intWidth = 2

  override add(member: string): boolean {
    if (!super.add(member)) return false
    this.sortedInts = undefined
    if (this.enc === SET_INTSET && this.intWidth < 8) {
      const w = intWidthOf(member)
      if (w > this.intWidth) this.intWidth = w
    }
    return true
  }

  override delete(member: string): boolean {
    if (!super.delete(member)) return false
    this.sortedInts = undefined
    return true
  }

  override clear(): void {
    super.clear()
    this.sortedInts = undefined
    this.intWidth = 2
  }

  /**
   * The members in Redis's order. For an intset this is a shared, cached
   * array: do not modify it (use {@link members} for a copy).
   */
  ordered(): readonly string[] {
    if (this.enc !== SET_INTSET) return this.toArray()
    let s = this.sortedInts
    if (s === undefined) s = this.sortedInts = this.toArray().sort(compareInts)
    return s
  }

  /** A new array of the members in Redis's order (SMEMBERS). */
  members(): string[] {
    return this.enc === SET_INTSET ? this.ordered().slice() : this.toArray()
  }

  /** Calls `fn` for each member in Redis's order; `fn` must not modify the set. */
  override forEach(fn: (member: string) => void): void {
    if (this.enc !== SET_INTSET) return super.forEach(fn)
    const s = this.ordered()
    for (let i = 0; i < s.length; i++) fn(s[i]!)
  }

  /** An independent copy with the same encoding and order. */
  override clone(): RedisSet {
    const c = new RedisSet()
    for (const m of this.values()) c.add(m)
    c.enc = this.enc
    c.intWidth = this.intWidth
    return c
  }

  /**
   * Re-fills the set with `members` in that order (an encoding change that reorders, as Redis's
   * conversions do). An intset built this way is as wide as its widest member.
   */
  refill(members: readonly string[]): void {
    super.clear()
    let w = 2
    for (let i = 0; i < members.length; i++) {
      super.add(members[i]!)
      if (w < 8 && this.enc === SET_INTSET) w = Math.max(w, intWidthOf(members[i]!))
    }
    this.sortedInts = undefined
    this.intWidth = w
  }
}

TYPE_HOOKS[T.SET] = {
  encoding: (v: RedisSet) => SET_ENCODINGS[v.enc]!,
  clone: (v: RedisSet) => v.clone(),
}

/** The intset width (2, 4 or 8 bytes) a canonical integer member needs. */
export function intWidthOf(m: string): number {
  if (m.length > 11) return 8
  const v = +m
  return v >= -32768 && v <= 32767 ? 2 : v >= -2147483648 && v <= 2147483647 ? 4 : 8
}

/** True when a member is an integer an intset can hold (string2ll rules: canonical, within int64). */
export function isIntMember(m: string): boolean {
  const n = m.length
  if (n === 0 || n > 20) return false
  const c = m.charCodeAt(0)
  if (c !== 45 && (c < 48 || c > 57)) return false
  return string2ll(m) !== undefined
}

/** Numeric order of two canonical integer strings. */
function compareInts(a: string, b: string): number {
  const x = +a
  const y = +b
  if (x < y) return -1
  if (x > y) return 1
  if (a === b) return 0
  // Beyond 2^53 two integers may round to the same double.
  const p = BigInt(a)
  const q = BigInt(b)
  return p < q ? -1 : p > q ? 1 : 0
}

/** Whether a member's byte length is at most `limit` (without measuring short strings). */
export function fitsBytes(m: string, limit: number): boolean {
  const n = m.length
  if (n * 3 <= limit) return true
  if (m.charCodeAt(0) === 0xdc00) return n - 1 <= limit
  if (n > limit) return false
  return Buffer.byteLength(m, 'utf8') <= limit
}

/** A new empty set with the encoding Redis's setTypeCreate picks for a first member and a size hint. */
export function createSet(first: string, sizeHint: number, cfg: Config): RedisSet {
  const s = new RedisSet()
  if (isIntMember(first) && sizeHint <= intsetMax(cfg)) s.enc = SET_INTSET
  else if (sizeHint <= lpEntries(cfg)) s.enc = SET_LISTPACK
  else s.enc = SET_HASHTABLE
  return s
}

/** setTypeMaybeConvert: a multi-member add larger than the small encodings allow goes to a hashtable at once. */
function maybeConvert(s: RedisSet, sizeHint: number, cfg: Config): void {
  if ((s.enc === SET_LISTPACK && sizeHint > lpEntries(cfg)) || (s.enc === SET_INTSET && sizeHint > intsetMax(cfg))) s.enc = SET_HASHTABLE
}

/** Adds one member, converting the encoding where Redis's setTypeAdd does. Returns true when added. */
export function setAdd(s: RedisSet, m: string, cfg: Config): boolean {
  const enc = s.enc
  if (enc === SET_HASHTABLE) return s.add(m)
  if (enc === SET_LISTPACK) {
    if (s.has(m)) return false
    if (s.size >= lpEntries(cfg) || !fitsBytes(m, lpValue(cfg))) s.enc = SET_HASHTABLE
    return s.add(m)
  }
  if (isIntMember(m)) {
    if (!s.add(m)) return false
    if (s.size > intsetMax(cfg)) s.enc = SET_HASHTABLE
    return true
  }
  // A non-integer leaves the intset: a listpack (members in numeric order) when everything fits.
  const n = s.size
  const lim = lpValue(cfg)
  let widest = 0
  if (n > 0) {
    const o = s.ordered()
    widest = Math.max(o[0]!.length, o[n - 1]!.length)
  }
  if (n < lpEntries(cfg) && fitsBytes(m, lim) && widest <= lim) {
    const o = s.ordered()
    s.enc = SET_LISTPACK
    s.refill(o)
  } else s.enc = SET_HASHTABLE
  return s.add(m)
}

/** maybeConvertToIntset: a result holding only integers becomes an intset when small enough. */
function maybeToIntset(s: RedisSet, cfg: Config): void {
  if (s.enc === SET_INTSET || s.size > intsetMax(cfg)) return
  s.enc = SET_INTSET
  s.refill(s.toArray())
}

// ---------------------------------------------------------------- helpers

function readSet(ctx: Session, k: string): RedisSet | undefined {
  const e = readTyped(ctx, k, T.SET)
  return e === undefined ? undefined : (e.value as RedisSet)
}

/** Deletes an emptied set key with its `del` event. */
function dropIfEmpty(ctx: Session, k: string, s: RedisSet): void {
  if (s.size !== 0) return
  ctx.db.delete(k)
  ctx.signal(k, N.GENERIC, 'del')
}

/** Parses keys `a[from..]`. */
function keysFrom(a: Arg[], from: number): string[] {
  const out = new Array<string>(a.length - from)
  for (let i = from; i < a.length; i++) out[i - from] = key(a[i]!)
  return out
}

// ---------------------------------------------------------------- SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS

/** A key and members (SADD, SREM, SMISMEMBER). */
export interface KeyMembers {
  key: string
  members: string[]
}
const parseKeyMembers = (a: Arg[]): KeyMembers => ({ key: key(a[0]!), members: keysFrom(a, 1) })

/** SADD: returns how many members were new. */
export function sadd(ctx: Session, { key: k, members }: KeyMembers): number {
  const cfg = ctx.ks.config
  const e = writeTyped(ctx, k, T.SET)
  let s: RedisSet
  if (e === undefined) {
    if (members.length === 0) return 0
    s = createSet(members[0]!, members.length, cfg)
    ctx.db.add(k, T.SET, s)
  } else {
    s = e.value as RedisSet
    maybeConvert(s, members.length, cfg)
  }
  let added = 0
  for (let i = 0; i < members.length; i++) if (setAdd(s, members[i]!, cfg)) added++
  if (added > 0) {
    ctx.signal(k, N.SET, 'sadd')
    if (ctx.ks.fx) ctx.effect('SADD', k, ...members)
  }
  return added
}

export const SADD = defineCommand('sadd', { parse: parseKeyMembers, run: sadd })

/** SREM: returns how many members were removed; an emptied set is deleted. */
export function srem(ctx: Session, { key: k, members }: KeyMembers): number {
  const e = writeTyped(ctx, k, T.SET)
  if (e === undefined) return 0
  const s = e.value as RedisSet
  let removed = 0
  for (let i = 0; i < members.length; i++) {
    if (s.delete(members[i]!)) {
      removed++
      if (s.size === 0) break
    }
  }
  if (removed > 0) {
    ctx.signal(k, N.SET, 'srem')
    dropIfEmpty(ctx, k, s)
    if (ctx.ks.fx) ctx.effect('SREM', k, ...members)
  }
  return removed
}

export const SREM = defineCommand('srem', { parse: parseKeyMembers, run: srem })

export const SCARD = defineCommand('scard', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => readSet(ctx, k)?.size ?? 0,
})

export const SISMEMBER = defineCommand('sismember', {
  parse: (a): [string, string] => [key(a[0]!), key(a[1]!)],
  run: (ctx, [k, m]: [string, string]): Reply => (readSet(ctx, k)?.has(m) ? 1 : 0),
})

export const SMISMEMBER = defineCommand('smismember', {
  parse: parseKeyMembers,
  run(ctx, { key: k, members }: KeyMembers): Reply {
    const s = readSet(ctx, k)
    const out = new Array<number>(members.length)
    for (let i = 0; i < members.length; i++) out[i] = s !== undefined && s.has(members[i]!) ? 1 : 0
    return out
  },
})

export const SMEMBERS = defineCommand('smembers', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const s = readSet(ctx, k)
    return new SetReply(s === undefined ? [] : s.members())
  },
})

// ---------------------------------------------------------------- SMOVE

/** SMOVE arguments. */
export interface SMoveArgs {
  src: string
  dst: string
  member: string
}

/** SMOVE: 1 when the member was in `src` (and is now in `dst`), else 0. */
export function smove(ctx: Session, { src, dst, member }: SMoveArgs): number {
  const db = ctx.db
  const se = db.lookup(src)
  const de = db.lookup(dst)
  // A missing source answers 0 before any type check, as Redis does.
  if (se === undefined) return 0
  if (se.type !== T.SET || (de !== undefined && de.type !== T.SET)) fail(E.WRONGTYPE)
  const s = se.value as RedisSet
  if (src === dst) return s.has(member) ? 1 : 0
  if (!s.delete(member)) return 0
  ctx.signal(src, N.SET, 'srem')
  dropIfEmpty(ctx, src, s)
  const cfg = ctx.ks.config
  let d: RedisSet
  if (de === undefined) {
    d = createSet(member, 1, cfg)
    db.add(dst, T.SET, d)
  } else d = de.value as RedisSet
  if (setAdd(d, member, cfg)) ctx.signal(dst, N.SET, 'sadd')
  if (ctx.ks.fx) ctx.effect('SMOVE', src, dst, member)
  return 1
}

export const SMOVE = defineCommand('smove', {
  parse: (a): SMoveArgs => ({ src: key(a[0]!), dst: key(a[1]!), member: key(a[2]!) }),
  run: smove,
})

// ---------------------------------------------------------------- SPOP SRANDMEMBER

/** SPOP / SRANDMEMBER arguments: `count` undefined for the single-member form. */
export interface SPopArgs {
  key: string
  count: number | undefined
}

/** Redis's SPOP_MOVE_STRATEGY_MUL: past this ratio SPOP rebuilds the set from the members that stay. */
const SPOP_MOVE_STRATEGY_MUL = 5

/** SPOP without a count: a random member removed, or null. */
export function spopOne(ctx: Session, k: string): string | null {
  const e = writeTyped(ctx, k, T.SET)
  if (e === undefined) return null
  const s = e.value as RedisSet
  const m = s.pop()!
  ctx.signal(k, N.SET, 'spop')
  dropIfEmpty(ctx, k, s)
  if (ctx.ks.fx) ctx.effect('SREM', k, m)
  return m
}

/** SPOP with a count: up to `count` distinct random members, removed. */
export function spopCount(ctx: Session, k: string, count: number): string[] {
  const e = writeTyped(ctx, k, T.SET)
  if (e === undefined || count === 0) return []
  const s = e.value as RedisSet
  const size = s.size
  if (count >= size) {
    const all = s.members()
    ctx.db.delete(k)
    ctx.signal(k, N.SET, 'spop')
    ctx.signal(k, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect('DEL', k)
    return all
  }
  const out = new Array<string>(count)
  for (let i = 0; i < count; i++) out[i] = s.pop()!
  const remaining = size - count
  if (s.enc === SET_HASHTABLE && remaining * SPOP_MOVE_STRATEGY_MUL <= count) {
    // Redis builds a new set from the members that stay: a listpack again when they fit.
    const rest = s.toArray()
    const cfg = ctx.ks.config
    s.clear()
    s.enc = SET_LISTPACK
    for (let i = 0; i < rest.length; i++) setAdd(s, rest[i]!, cfg)
  }
  ctx.signal(k, N.SET, 'spop')
  if (ctx.ks.fx) ctx.effect('SREM', k, ...out)
  return out
}

/** SRANDMEMBER with a count: distinct members for a positive count, independent picks (repeats allowed) for a negative one. */
export function srandmemberCount(ctx: Session, k: string, count: number): string[] {
  const s = readSet(ctx, k)
  if (s === undefined || count === 0) return []
  if (count < 0) {
    return s.sample(repeatPicks(count), true)
  }
  if (count >= s.size) return s.members()
  return s.sample(count)
}

/** A count argument bounded to ±LONG_MAX (getRangeLongFromObjectOrReply). */
export function rangeCount(a: Arg): number {
  const n = int64(a)
  if (n === -9223372036854775808n) fail(`value is out of range, value must between -${LONG_MAX_TEXT} and ${LONG_MAX_TEXT}`)
  return typeof n === 'number' ? n : Number(n)
}
const LONG_MAX_TEXT = '9223372036854775807'

export const SPOP = defineCommand('spop', {
  parse(a): SPopArgs {
    if (a.length > 2) syntaxError()
    let count: number | undefined
    if (a.length === 2) {
      const n = string2ll(str(a[1]!))
      if (n === undefined || n < 0) fail(E.MUST_BE_POSITIVE)
      count = Number(n)
    }
    return { key: key(a[0]!), count }
  },
  run: (ctx, a: SPopArgs): Reply => (a.count === undefined ? spopOne(ctx, a.key) : new SetReply(spopCount(ctx, a.key, a.count))),
})

export const SRANDMEMBER = defineCommand('srandmember', {
  parse(a): SPopArgs {
    if (a.length > 2) syntaxError()
    return { key: key(a[0]!), count: a.length === 2 ? rangeCount(a[1]!) : undefined }
  },
  run(ctx, a: SPopArgs): Reply {
    if (a.count !== undefined) return srandmemberCount(ctx, a.key, a.count)
    const s = readSet(ctx, a.key)
    return s === undefined ? null : s.random()!
  },
})

// ---------------------------------------------------------------- SINTER family

/** Looks up the sets for an operation: undefined for a missing key, WRONGTYPE for any other type. */
function lookupSets(ctx: Session, keys: string[]): Array<RedisSet | undefined> {
  const sets = new Array<RedisSet | undefined>(keys.length)
  for (let i = 0; i < keys.length; i++) {
    const e = ctx.db.read(keys[i]!)
    if (e !== undefined && e.type !== T.SET) fail(E.WRONGTYPE)
    sets[i] = e === undefined ? undefined : (e.value as RedisSet)
  }
  return sets
}

/** Stores an operation's result at `dst` (or deletes `dst` for an empty result), with events and effects. */
function storeResult(ctx: Session, dst: string, result: RedisSet, event: string, argv: Arg[]): number {
  const db = ctx.db
  if (result.size > 0) {
    db.set(dst, T.SET, result)
    ctx.signal(dst, N.SET, event)
    if (ctx.ks.fx) ctx.effect(...argv)
    return result.size
  }
  if (db.lookup(dst) !== undefined) {
    db.delete(dst)
    ctx.signal(dst, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect('DEL', dst)
  }
  return 0
}

/** Intersection of the sets (all present), iterating the smallest in Redis's order; stops after `limit` members when > 0. */
function intersect(sets: RedisSet[], limit: number, fn: (m: string) => void): void {
  // Smallest first, as Redis sorts them (a stable sort keeps ties in argument order).
  const sorted = sets.length > 1 ? sets.slice().sort((x, y) => x.size - y.size) : sets
  const first = sorted[0]!
  const n = sorted.length
  let found = 0
  const order = first.ordered()
  for (let i = 0; i < order.length; i++) {
    const m = order[i]!
    let j = 1
    for (; j < n; j++) {
      const other = sorted[j]!
      if (other !== first && !other.has(m)) break
    }
    if (j === n) {
      fn(m)
      if (++found === limit) return
    }
  }
}

/** SINTER: the members in every set. */
export function sinter(ctx: Session, keys: string[]): string[] {
  const sets = lookupSets(ctx, keys)
  const out: string[] = []
  if (sets.includes(undefined)) return out
  intersect(sets as RedisSet[], 0, (m) => out.push(m))
  return out
}

/** SINTERSTORE: stores the intersection at `dst`; returns its size. */
export function sinterstore(ctx: Session, dst: string, keys: string[]): number {
  const sets = lookupSets(ctx, keys)
  const cfg = ctx.ks.config
  const result = new RedisSet()
  if (!sets.includes(undefined)) {
    const all = sets as RedisSet[]
    let smallest = all[0]!
    for (const s of all) if (s.size < smallest.size) smallest = s
    // The result starts as an intset when the smallest set is one, else as a listpack.
    result.enc = smallest.enc === SET_INTSET ? SET_INTSET : SET_LISTPACK
    let onlyInts = true
    intersect(all, 0, (m) => {
      if (onlyInts && !isIntMember(m)) onlyInts = false
      setAdd(result, m, cfg)
    })
    if (onlyInts && result.size > 0) maybeToIntset(result, cfg)
  }
  return storeResult(ctx, dst, result, 'sinterstore', ['SINTERSTORE', dst, ...keys])
}

/** SINTERCARD: the size of the intersection, counting at most `limit` members (0 = no limit). */
export function sintercard(ctx: Session, keys: string[], limit: number): number {
  const sets = lookupSets(ctx, keys)
  if (sets.includes(undefined)) return 0
  let n = 0
  intersect(sets as RedisSet[], limit, () => n++)
  return n
}

export const SINTER = defineCommand('sinter', {
  parse: (a) => keysFrom(a, 0),
  run: (ctx, keys: string[]): Reply => new SetReply(sinter(ctx, keys)),
})

/** A destination and source keys (the *STORE commands). */
export interface StoreArgs {
  dst: string
  keys: string[]
}
const parseStore = (a: Arg[]): StoreArgs => ({ dst: key(a[0]!), keys: keysFrom(a, 1) })

export const SINTERSTORE = defineCommand('sinterstore', {
  parse: parseStore,
  run: (ctx, a: StoreArgs): Reply => sinterstore(ctx, a.dst, a.keys),
})

/** SINTERCARD arguments. */
export interface SInterCardArgs {
  keys: string[]
  limit: number
}

/** numkeys for SINTERCARD: 1..LONG_MAX, with SINTERCARD's own message. */
function numKeys(a: Arg): number {
  const n = string2ll(str(a))
  if (n === undefined || n < 1) fail('numkeys should be greater than 0')
  return Number(n)
}

export const SINTERCARD = defineCommand('sintercard', {
  parse(a): SInterCardArgs {
    const n = numKeys(a[0]!)
    if (n > a.length - 1) fail("Number of keys can't be greater than number of args")
    const keys = new Array<string>(n)
    for (let i = 0; i < n; i++) keys[i] = key(a[i + 1]!)
    let limit = 0
    for (let i = n + 1; i < a.length; i++) {
      if (kw(a[i]!) === 'LIMIT' && i + 1 < a.length) {
        const l = string2ll(str(a[++i]!))
        if (l === undefined || l < 0) fail("LIMIT can't be negative")
        limit = Number(l)
      } else syntaxError()
    }
    return { keys, limit }
  },
  run: (ctx, a: SInterCardArgs): Reply => sintercard(ctx, a.keys, a.limit),
  getKeys(argv: Arg[]): number[] {
    // Redis reads numkeys with atoi here (leading blanks and sign, digits up to the first other character).
    const n = argv.length > 1 ? parseInt(str(argv[1]!), 10) || 0 : 0
    if (n < 1 || n > argv.length - 2) throw replyError('Invalid arguments specified for command')
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push(i + 2)
    return out
  },
})

// ---------------------------------------------------------------- SUNION / SDIFF family

const OP_UNION = 0
const OP_DIFF = 1

/**
 * sunionDiffGenericCommand: the union or difference as a new set. `store`
 * selects the result's starting encoding as Redis does (an intset growing
 * through the usual conversions when storing or when every input is an
 * intset; a hashtable otherwise), which decides the reply order.
 */
function unionDiff(ctx: Session, keys: string[], op: number, store: boolean): RedisSet {
  const sets = lookupSets(ctx, keys)
  const cfg = ctx.ks.config
  const out = new RedisSet()
  let allIntsets = true
  let sameset = false
  for (let j = 0; j < sets.length; j++) {
    const s = sets[j]
    if (s === undefined) continue
    if (s.enc !== SET_INTSET) allIntsets = false
    if (j > 0 && s === sets[0]) sameset = true
  }
  out.enc = store || allIntsets ? SET_INTSET : SET_HASHTABLE
  if (op === OP_UNION) {
    for (const s of sets) if (s !== undefined) s.forEach((m) => setAdd(out, m, cfg))
    return out
  }
  const first = sets[0]
  if (first === undefined || sameset) return out
  // Redis picks the cheaper of two algorithms; the choice shows in the result's encoding.
  let work1 = 0
  let work2 = 0
  for (const s of sets) {
    if (s === undefined) continue
    work1 += first.size
    work2 += s.size
  }
  if (Math.floor(work1 / 2) <= work2) {
    // For each member of the first set, keep it when no other set has it.
    const n = sets.length
    first.forEach((m) => {
      for (let j = 1; j < n; j++) {
        const s = sets[j]
        if (s !== undefined && s.has(m)) return
      }
      setAdd(out, m, cfg)
    })
  } else {
    // Add the first set, then remove the members of the others.
    first.forEach((m) => setAdd(out, m, cfg))
    for (let j = 1; j < sets.length && out.size > 0; j++) {
      const s = sets[j]
      if (s !== undefined) s.forEach((m) => out.delete(m))
    }
  }
  return out
}

export const SUNION = defineCommand('sunion', {
  parse: (a) => keysFrom(a, 0),
  run: (ctx, keys: string[]): Reply => new SetReply(unionDiff(ctx, keys, OP_UNION, false).members()),
})

export const SDIFF = defineCommand('sdiff', {
  parse: (a) => keysFrom(a, 0),
  run: (ctx, keys: string[]): Reply => new SetReply(unionDiff(ctx, keys, OP_DIFF, false).members()),
})

/** SUNIONSTORE: stores the union at `dst`; returns its size. */
export function sunionstore(ctx: Session, dst: string, keys: string[]): number {
  return storeResult(ctx, dst, unionDiff(ctx, keys, OP_UNION, true), 'sunionstore', ['SUNIONSTORE', dst, ...keys])
}

/** SDIFFSTORE: stores the difference at `dst`; returns its size. */
export function sdiffstore(ctx: Session, dst: string, keys: string[]): number {
  return storeResult(ctx, dst, unionDiff(ctx, keys, OP_DIFF, true), 'sdiffstore', ['SDIFFSTORE', dst, ...keys])
}

/** SUNION without STORE, as an array in Redis's order. */
export const sunion = (ctx: Session, keys: string[]): string[] => unionDiff(ctx, keys, OP_UNION, false).members()
/** SDIFF without STORE, as an array in Redis's order. */
export const sdiff = (ctx: Session, keys: string[]): string[] => unionDiff(ctx, keys, OP_DIFF, false).members()

export const SUNIONSTORE = defineCommand('sunionstore', {
  parse: parseStore,
  run: (ctx, a: StoreArgs): Reply => sunionstore(ctx, a.dst, a.keys),
})

export const SDIFFSTORE = defineCommand('sdiffstore', {
  parse: parseStore,
  run: (ctx, a: StoreArgs): Reply => sdiffstore(ctx, a.dst, a.keys),
})

// ---------------------------------------------------------------- SSCAN

/**
 * SSCAN/HSCAN arguments. The options are parsed after the key is looked up
 * (`opts`), because Redis checks the key (missing → empty reply, wrong type →
 * WRONGTYPE) before it looks at them; typed callers pass `scan` ready-made.
 */
export interface CollectionScanArgs {
  key: string
  cursor: number
  opts: Arg[]
  scan?: ScanArgs
}

export const parseCollectionScan = (a: Arg[]): CollectionScanArgs => ({ key: key(a[0]!), cursor: parseCursor(a[1]!), opts: a.slice(2) })

/** The scan options of a collection scan, parsed now that the key is known to exist. */
export const scanOptionsOf = (a: CollectionScanArgs): ScanArgs => a.scan ?? parseScanOptions(['0', ...a.opts], 1, false)

/** One SSCAN step: [next cursor, members]. Small encodings are returned whole with cursor 0, as Redis does. */
export function sscan(ctx: Session, a: CollectionScanArgs): [number, string[]] {
  const s = readSet(ctx, a.key)
  if (s === undefined) return [0, []]
  const o = scanOptionsOf(a)
  const match = o.match
  const out: string[] = []
  if (s.enc !== SET_HASHTABLE) {
    const all = s.ordered()
    for (let i = 0; i < all.length; i++) if (match === undefined || match(all[i]!)) out.push(all[i]!)
    return [0, out]
  }
  const next = s.scan(a.cursor, o.count, (m) => {
    if (match === undefined || match(m)) out.push(m)
  })
  return [next, out]
}

export const SSCAN = defineCommand('sscan', {
  parse: parseCollectionScan,
  run(ctx, a: CollectionScanArgs): Reply {
    const [next, members] = sscan(ctx, a)
    return [String(next), members]
  },
})
