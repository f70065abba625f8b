import { Buffer } from 'node:buffer'
import { byteLength, readKey, strOf, toBuffer, type StoredStr, type StrValue } from '../core/bytes.js'
import { E, fail, replyError, syntaxError, wrongType } from '../core/errors.js'
import { incrByFloat, string2ll } from '../core/numbers.js'
import { MapReply, OK, type Reply } from '../core/reply.js'
import { F_NOINT, F_RAW, T, type Database } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import { int, int64, key, kw, numArg, val } from './args.js'
import { defineCommand, type Arg } from './table.js'
import { absoluteExpire, readTyped, timeArg, writeTyped } from './util.js'

const MAX_STRING = 512 * 1024 * 1024

/** GET's lookup: the string value at `k`, undefined when absent; WRONGTYPE for another type. */
export function getValue(ctx: Session, k: string): StrValue | undefined {
  const e = ctx.db.read(k)
  if (e === undefined) return undefined
  if (e.type !== T.STRING) wrongType()
  return strOf(e.value as StoredStr)
}

// ---------------------------------------------------------------- GET family

// GET and MGET only read: `readKey` spares the well-formedness check on the hit path (Database.read
// looks an ill-formed key's canonical form up on a miss), as the typed methods do.
export const GET = defineCommand('get', {
  parse: (a) => readKey(a[0]!),
  run: (ctx, k: string): Reply => getValue(ctx, k) ?? null,
})

/** One key of MGET: its string value, or null when it is missing or holds another type. */
export function mgetValue(db: Database, k: string): StrValue | null {
  const e = db.read(k)
  return e !== undefined && e.type === T.STRING ? strOf(e.value as StoredStr) : null
}

export const MGET = defineCommand('mget', {
  parse: (a) => a.map(readKey),
  run(ctx, keys: string[]): Reply {
    const out: Reply[] = new Array(keys.length)
    for (let i = 0; i < keys.length; i++) out[i] = mgetValue(ctx.db, keys[i]!)
    return out
  },
})

export const STRLEN = defineCommand('strlen', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const v = getValue(ctx, k)
    return v === undefined ? 0 : byteLength(v)
  },
})

export interface GetRangeArgs {
  key: string
  start: number
  end: number
}
const parseRange = (a: Arg[]): GetRangeArgs => ({ key: key(a[0]!), start: int(a[1]!), end: int(a[2]!) })
function runGetRange(ctx: Session, { key: k, start, end }: GetRangeArgs): Reply {
  const v = getValue(ctx, k)
  if (v === undefined) return ''
  const len = byteLength(v)
  if (start < 0 && end < 0 && start > end) return ''
  if (start < 0) start = len + start
  if (end < 0) end = len + end
  if (start < 0) start = 0
  if (end < 0) end = 0
  if (end >= len) end = len - 1
  if (start > end || len === 0) return ''
  if (typeof v === 'string' && len === v.length) return v.slice(start, end + 1)
  return toBuffer(v).subarray(start, end + 1)
}
export const GETRANGE = defineCommand('getrange', { parse: parseRange, run: runGetRange })
defineCommand('substr', { parse: parseRange, run: runGetRange })

// ---------------------------------------------------------------- SET family

/** SET flags, as a bitmask (the typed API passes them without building an options object). */
export const SF = { NX: 1, XX: 2, GET: 4, KEEPTTL: 8 } as const

/** SET's typed arguments. */
export interface SetArgs {
  key: string
  value: StrValue
  /** SF bits. */
  flags: number
  /** Absolute expiry time in ms, or 0 for none. */
  expireAt: number
}

const SET_EX = 1
const SET_PX = 2
const SET_EXAT = 3
const SET_PXAT = 4
const unitOf = (o: string): number => (o === 'EX' ? SET_EX : o === 'PX' ? SET_PX : o === 'EXAT' ? SET_EXAT : SET_PXAT)

export const SET = defineCommand('set', {
  parse(a, ctx): SetArgs {
    let flags = 0
    let unit = 0
    let ttlArg: Arg | undefined
    for (let i = 2; i < a.length; i++) {
      const o = kw(a[i]!)
      const hasNext = i + 1 < a.length
      if (o === 'NX' && !(flags & SF.XX)) flags |= SF.NX
      else if (o === 'XX' && !(flags & SF.NX)) flags |= SF.XX
      else if (o === 'GET') flags |= SF.GET
      else if (o === 'KEEPTTL' && unit === 0) flags |= SF.KEEPTTL
      else if ((o === 'EX' || o === 'PX' || o === 'EXAT' || o === 'PXAT') && !(flags & SF.KEEPTTL) && hasNext && (unit === 0 || unit === unitOf(o))) {
        // Repeating the same unit is allowed (the last one wins); mixing units is not.
        unit = unitOf(o)
        ttlArg = a[++i]
      } else syntaxError()
    }
    let expireAt = 0
    if (ttlArg !== undefined) {
      const n = int64(ttlArg)
      const at = absoluteExpire(n, unit === SET_EX || unit === SET_EXAT ? 1000 : 1, unit === SET_EX || unit === SET_PX, ctx.ks.now())
      if (at === undefined) fail("invalid expire time in 'set' command")
      expireAt = at
    }
    return { key: key(a[0]!), value: val(a[1]!), flags, expireAt }
  },
  run: (ctx, a: SetArgs): Reply => setGeneric(ctx, a.key, a.value, a.flags, a.expireAt),
})

/**
 * The heart of SET, SETNX, SETEX, PSETEX, GETSET and the typed `set()`; `flags` are SF bits. The
 * caller runs it in a time snapshot, so the expiry is checked against the time it was computed at.
 */
export function setGeneric(ctx: Session, k: string, value: StrValue, flags: number, expireAt: number): Reply {
  return flags === 0 && setQuick(ctx, k, value, expireAt) ? OK : setFull(ctx, k, value, flags, expireAt)
}

/**
 * A plain SET (with or without a new TTL, `expireAt` 0 for none) while no write is observed
 * (`Keyspace.unobserved`): the key is added, or its value and TTL replaced, with no signals or
 * effects to send. False (nothing done) when writes are observed, when a TTL would be removed,
 * and for an expired key. Called with a TTL, it runs in the command's time snapshot (as setGeneric).
 */
export function setQuick(ctx: Session, k: string, value: StrValue, expireAt = 0): boolean {
  const db = ctx.db
  // Observed first: under eviction it is always, and the lookup would be done twice.
  if (!ctx.ks.unobserved(db)) return false
  const e = db.map.get(k)
  if (e === undefined) {
    const added = db.add(k, T.STRING, value)
    if (expireAt !== 0) db.setExpire(k, added, expireAt)
    return true
  }
  if (e.expire !== 0) {
    if (expireAt === 0 || e.expire <= ctx.ks.now()) return false
  } else if (expireAt !== 0) db.volatile.add(k)
  e.type = T.STRING
  e.value = value
  e.flags = 0
  e.expire = expireAt
  e.lru = ctx.ks.lruClock
  return true
}

/** `setGeneric` in full. */
export function setFull(ctx: Session, k: string, value: StrValue, flags: number, expireAt: number): Reply {
  const db = ctx.db
  let old: Reply = null
  const get = (flags & SF.GET) !== 0
  const e = get ? db.read(k) : db.lookup(k)
  if (get && e !== undefined) {
    if (e.type !== T.STRING) wrongType()
    old = strOf(e.value as StoredStr)
  }
  if (((flags & SF.NX) !== 0 && e !== undefined) || ((flags & SF.XX) !== 0 && e === undefined)) return get ? old : null
  const ks = ctx.ks
  const keepTtl = (flags & SF.KEEPTTL) !== 0
  let ent
  if (e === undefined) {
    ent = db.add(k, T.STRING, value)
    // A new key with no TTL where no write is watched (only the memory layer may be tracking keys,
    // and `add` has accounted for this one): there is nothing to signal.
    if (expireAt === 0 && ks.quiet(db)) return get ? old : OK
  } else {
    ent = e
    // A TTL being replaced by a new one is just overwritten below (no churn in the volatile set).
    if (e.expire !== 0 && !keepTtl && expireAt === 0) db.persist(k, e)
    e.type = T.STRING
    e.value = value
    e.flags = 0
  }
  ctx.signal(k, N.STRING, 'set')
  if (expireAt !== 0) {
    // A time already past is set as any other, as Redis 7.2 does: the key is written (WATCH sees
    // it), then expires at its next access or expiry cycle. (Valkey 8 skips or deletes it instead.)
    db.setExpire(k, ent, expireAt)
    ctx.signal(k, N.GENERIC, 'expire')
    if (ks.fx) ctx.effect('SET', k, value, 'PXAT', timeArg(expireAt))
  } else if (ks.fx) {
    if (keepTtl) ctx.effect('SET', k, value, 'KEEPTTL')
    else ctx.effect('SET', k, value)
  }
  return get ? old : OK
}

const setRun = (ctx: Session, a: SetArgs): Reply => setGeneric(ctx, a.key, a.value, a.flags, a.expireAt)

export const SETNX = defineCommand('setnx', {
  parse: (a): SetArgs => ({ key: key(a[0]!), value: val(a[1]!), flags: SF.NX, expireAt: 0 }),
  run: (ctx, a: SetArgs): Reply => (setRun(ctx, a) === OK ? 1 : 0),
})

function parseSetEx(unit: 1 | 1000, name: string) {
  return (a: Arg[], ctx: Session): SetArgs => {
    const at = absoluteExpire(int64(a[1]!), unit, true, ctx.ks.now())
    if (at === undefined) fail(`invalid expire time in '${name}' command`)
    return { key: key(a[0]!), value: val(a[2]!), flags: 0, expireAt: at }
  }
}
export const SETEX = defineCommand('setex', { parse: parseSetEx(1000, 'setex'), run: setRun })
export const PSETEX = defineCommand('psetex', { parse: parseSetEx(1, 'psetex'), run: setRun })

export const GETSET = defineCommand('getset', {
  parse: (a): SetArgs => ({ key: key(a[0]!), value: val(a[1]!), flags: SF.GET, expireAt: 0 }),
  run: setRun,
})

export const MSET = defineCommand('mset', {
  parse(a): Array<[string, StrValue]> {
    if (a.length % 2 !== 0) fail("wrong number of arguments for 'mset' command")
    const pairs: Array<[string, StrValue]> = []
    for (let i = 0; i < a.length; i += 2) pairs.push([key(a[i]!), val(a[i + 1]!)])
    return pairs
  },
  run: (ctx, pairs: Array<[string, StrValue]>): Reply => {
    msetGeneric(ctx, pairs)
    return OK
  },
})

function msetGeneric(ctx: Session, pairs: Array<[string, StrValue]>): void {
  const ks = ctx.ks
  for (const [k, v] of pairs) {
    ctx.db.set(k, T.STRING, v)
    ctx.signal(k, N.STRING, 'set')
  }
  if (ks.fx) ctx.effect('MSET', ...pairs.flat())
}

export const MSETNX = defineCommand('msetnx', {
  parse(a): Array<[string, StrValue]> {
    if (a.length % 2 !== 0) fail("wrong number of arguments for 'msetnx' command")
    const pairs: Array<[string, StrValue]> = []
    for (let i = 0; i < a.length; i += 2) pairs.push([key(a[i]!), val(a[i + 1]!)])
    return pairs
  },
  run(ctx, pairs: Array<[string, StrValue]>): Reply {
    for (const [k] of pairs) if (ctx.db.has(k)) return 0
    msetGeneric(ctx, pairs)
    return 1
  },
})

export const GETDEL = defineCommand('getdel', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const v = getValue(ctx, k)
    if (v === undefined) return null
    ctx.db.delete(k)
    ctx.signal(k, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect('DEL', k)
    return v
  },
})

/** GETEX options: a TTL argument (validated after the key lookup, as Redis does) or `persist`. */
export interface GetExArgs {
  key: string
  /** The TTL as given (a raw argument, or a number from the typed API), with its unit; undefined for none. */
  ttl: Arg | number | undefined
  unit: number
  persist: boolean
}

export const GETEX = defineCommand('getex', {
  parse(a): GetExArgs {
    const r: GetExArgs = { key: key(a[0]!), ttl: undefined, unit: 0, persist: false }
    for (let i = 1; i < a.length; i++) {
      const o = kw(a[i]!)
      const hasNext = i + 1 < a.length
      if (o === 'PERSIST' && r.unit === 0) r.persist = true
      else if ((o === 'EX' || o === 'PX' || o === 'EXAT' || o === 'PXAT') && !r.persist && hasNext && (r.unit === 0 || r.unit === unitOf(o))) {
        r.unit = unitOf(o)
        r.ttl = a[++i]
      } else syntaxError()
    }
    return r
  },
  run(ctx, a: GetExArgs): Reply {
    const db = ctx.db
    const e = db.read(a.key)
    if (e === undefined) return null
    if (e.type !== T.STRING) wrongType()
    let expireAt = 0
    if (a.ttl !== undefined) {
      const n = typeof a.ttl === 'number' ? a.ttl : int64(a.ttl)
      const unit = a.unit
      const at = absoluteExpire(n, unit === SET_EX || unit === SET_EXAT ? 1000 : 1, unit === SET_EX || unit === SET_PX, ctx.ks.now())
      if (at === undefined) fail("invalid expire time in 'getex' command")
      expireAt = at
    }
    const v = strOf(e.value as StoredStr)
    const ks = ctx.ks
    if (expireAt !== 0) {
      if (expireAt <= ks.now()) {
        db.delete(a.key)
        ctx.signal(a.key, N.GENERIC, 'del')
        if (ks.fx) ctx.effect('DEL', a.key)
      } else {
        db.setExpire(a.key, e, expireAt)
        ctx.signal(a.key, N.GENERIC, 'expire')
        if (ks.fx) ctx.effect('PEXPIREAT', a.key, timeArg(expireAt))
      }
    } else if (a.persist && db.persist(a.key, e)) {
      ctx.signal(a.key, N.GENERIC, 'persist')
      if (ks.fx) ctx.effect('PERSIST', a.key)
    }
    return v
  },
})

/** The unit codes GETEX takes, for the typed API. */
export const TTL_UNIT = { EX: SET_EX, PX: SET_PX, EXAT: SET_EXAT, PXAT: SET_PXAT } as const

// ---------------------------------------------------------------- byte editing

function checkSize(n: number): void {
  if (n > MAX_STRING) fail(E.MAX_SIZE)
}

export const APPEND = defineCommand('append', {
  parse: (a): [string, StrValue] => [key(a[0]!), val(a[1]!)],
  run(ctx, [k, v]: [string, StrValue]): Reply {
    const db = ctx.db
    const e = writeTyped(ctx, k, T.STRING)
    let len: number
    if (e === undefined) {
      db.add(k, T.STRING, v)
      len = byteLength(v)
    } else {
      const cur = strOf(e.value as StoredStr)
      const total = byteLength(cur) + byteLength(v)
      checkSize(total)
      e.value = typeof cur === 'string' && typeof v === 'string' ? cur + v : Buffer.concat([toBuffer(cur), toBuffer(v)])
      e.flags |= F_RAW
      len = total
    }
    ctx.signal(k, N.STRING, 'append')
    if (ctx.ks.fx) ctx.effect('APPEND', k, v)
    return len
  },
})

export const SETRANGE = defineCommand('setrange', {
  parse(a): [string, number, StrValue] {
    const off = int(a[1]!)
    if (off < 0) fail('offset is out of range')
    return [key(a[0]!), off, val(a[2]!)]
  },
  run(ctx, [k, off, v]: [string, number, StrValue]): Reply {
    const db = ctx.db
    const e = writeTyped(ctx, k, T.STRING)
    const vlen = byteLength(v)
    let len: number
    if (e === undefined) {
      if (vlen === 0) return 0
      checkSize(off + vlen)
      const buf = Buffer.alloc(off + vlen)
      toBuffer(v).copy(buf, off)
      db.add(k, T.STRING, buf).flags |= F_RAW
      len = buf.length
    } else {
      const cur = strOf(e.value as StoredStr)
      const clen = byteLength(cur)
      if (vlen === 0) return clen
      checkSize(off + vlen)
      const buf = Buffer.alloc(Math.max(clen, off + vlen))
      toBuffer(cur).copy(buf, 0)
      toBuffer(v).copy(buf, off)
      e.value = buf
      e.flags |= F_RAW
      len = buf.length
    }
    ctx.signal(k, N.STRING, 'setrange')
    if (ctx.ks.fx) ctx.effect('SETRANGE', k, String(off), v)
    return len
  },
})

// ---------------------------------------------------------------- counters

const I64_MAX = 9223372036854775807n
const I64_MIN = -9223372036854775808n
const SAFE = 9007199254740991

/** Reads a stored value as a 64-bit integer (`value is not an integer or out of range` otherwise). */
function storedInt(v: StoredStr): number | bigint {
  if (typeof v === 'number') return v
  const s = typeof v === 'string' ? v : v.length > 20 ? '' : v.toString('latin1')
  const n = string2ll(s)
  if (n === undefined) fail(E.NOT_INTEGER)
  return n
}

/** INCR/DECR/INCRBY/DECRBY: adds `by` to the integer at `k`. */
export function incrBy(ctx: Session, k: string, by: number | bigint): Reply {
  const db = ctx.db
  const e = writeTyped(ctx, k, T.STRING)
  const cur = e === undefined ? 0 : storedInt(e.value as StoredStr)
  let next: number | bigint
  if (typeof cur === 'number' && typeof by === 'number') {
    next = cur + by
    if (next > SAFE || next < -SAFE) next = bigAdd(cur, by)
  } else next = bigAdd(cur, by)
  // A safe integer is kept as a number (printed when read); beyond ±2^53 the text is kept.
  const stored = typeof next === 'number' ? next : next.toString()
  if (e === undefined) db.add(k, T.STRING, stored)
  else {
    e.value = stored
    e.flags = 0
  }
  ctx.signal(k, N.STRING, 'incrby')
  if (ctx.ks.fx) ctx.effect('SET', k, String(stored), 'KEEPTTL')
  return next
}

function bigAdd(a: number | bigint, b: number | bigint): number | bigint {
  const r = BigInt(a) + BigInt(b)
  if (r > I64_MAX || r < I64_MIN) fail(E.OVERFLOW)
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r
}

export const INCR = defineCommand('incr', { parse: (a) => key(a[0]!), run: (ctx, k: string) => incrBy(ctx, k, 1) })
export const DECR = defineCommand('decr', { parse: (a) => key(a[0]!), run: (ctx, k: string) => incrBy(ctx, k, -1) })
export const INCRBY = defineCommand('incrby', {
  parse: (a): [string, number | bigint] => [key(a[0]!), int64(a[1]!)],
  run: (ctx, [k, by]: [string, number | bigint]) => incrBy(ctx, k, by),
})
export const DECRBY = defineCommand('decrby', {
  parse(a): [string, number | bigint] {
    const by = int64(a[1]!)
    if (by === I64_MIN) fail('decrement would overflow')
    return [key(a[0]!), typeof by === 'number' ? -by : bigNorm(-by)]
  },
  run: (ctx, [k, by]: [string, number | bigint]) => incrBy(ctx, k, by),
})

function bigNorm(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b
}

export const INCRBYFLOAT = defineCommand('incrbyfloat', {
  parse: (a): [string, string] => [key(a[0]!), typeof a[1] === 'string' ? a[1] : a[1]!.toString('latin1')],
  run(ctx, [k, by]: [string, string]): Reply {
    const db = ctx.db
    const e = writeTyped(ctx, k, T.STRING)
    const v = e === undefined ? '0' : strOf(e.value as StoredStr)
    const cur = typeof v === 'string' ? v : v.toString('latin1')
    const text = incrByFloat(cur, by)
    // Redis stores the printed double as a string object, never int-encoded.
    if (e === undefined) db.add(k, T.STRING, text).flags = F_NOINT
    else {
      e.value = text
      e.flags = F_NOINT
    }
    ctx.signal(k, N.STRING, 'incrbyfloat')
    if (ctx.ks.fx) ctx.effect('SET', k, text, 'KEEPTTL')
    return text
  },
})

// ---------------------------------------------------------------- LCS

export interface LcsArgs {
  a: string
  b: string
  len: boolean
  idx: boolean
  minMatchLen: number
  withMatchLen: boolean
}

export const LCS = defineCommand('lcs', {
  parse(a): LcsArgs {
    const r: LcsArgs = { a: key(a[0]!), b: key(a[1]!), len: false, idx: false, minMatchLen: 0, withMatchLen: false }
    for (let i = 2; i < a.length; i++) {
      const o = kw(a[i]!)
      if (o === 'IDX') r.idx = true
      else if (o === 'LEN') r.len = true
      else if (o === 'WITHMATCHLEN') r.withMatchLen = true
      else if (o === 'MINMATCHLEN' && i + 1 < a.length) {
        r.minMatchLen = int(a[++i]!)
        if (r.minMatchLen < 0) r.minMatchLen = 0
      } else syntaxError()
    }
    return r
  },
  run(ctx, o: LcsArgs): Reply {
    const va = lcsValue(ctx, o.a)
    const vb = lcsValue(ctx, o.b)
    if (o.idx && o.len) fail('If you want both the length and indexes, please just use IDX.')
    return lcs(va, vb, o, ctx.ks.config.get<number>('proto-max-bulk-len'))
  },
})

function lcsValue(ctx: Session, k: string): Buffer {
  const e = ctx.db.read(k)
  if (e === undefined) return Buffer.alloc(0)
  if (e.type !== T.STRING) fail('The specified keys must contain string values')
  return toBuffer(strOf(e.value as StoredStr))
}

function lcs(a: Buffer, b: Buffer, o: LcsArgs, maxBulk: number): Reply {
  const alen = a.length
  const blen = b.length
  // The table of uint32 cells may not take more than proto-max-bulk-len bytes (nor 4 GiB here).
  const cells = (alen + 1) * (blen + 1)
  if (cells * 4 > maxBulk || cells > 0xffffffff / 4) throw replyError('Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len')
  const w = blen + 1
  const dp = new Uint32Array((alen + 1) * w)
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      dp[i * w + j] = a[i - 1] === b[j - 1] ? dp[(i - 1) * w + j - 1]! + 1 : Math.max(dp[(i - 1) * w + j]!, dp[i * w + j - 1]!)
    }
  }
  let idx = dp[alen * w + blen]!
  if (o.len) return idx
  const total = idx
  const result = o.idx ? undefined : Buffer.alloc(idx)
  const matches: Reply[] = []
  let i = alen
  let j = blen
  let aStart = alen
  let aEnd = 0
  let bStart = 0
  let bEnd = 0
  // Walk back from the end, collecting the string and (for IDX) the matching ranges.
  while (i > 0 && j > 0) {
    let emit = false
    if (a[i - 1] === b[j - 1]) {
      if (result) result[idx - 1] = a[i - 1]!
      if (aStart === alen) {
        aStart = aEnd = i - 1
        bStart = bEnd = j - 1
      } else if (aStart === i && bStart === j) {
        aStart--
        bStart--
      } else emit = true
      if (aStart === 0 || bStart === 0) emit = true
      idx--
      i--
      j--
    } else {
      if (dp[(i - 1) * w + j]! > dp[i * w + j - 1]!) i--
      else j--
      if (aStart !== alen) emit = true
    }
    if (emit && o.idx) {
      const mlen = aEnd - aStart + 1
      if (o.minMatchLen === 0 || mlen >= o.minMatchLen) {
        const m: Reply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ]
        if (o.withMatchLen) m.push(mlen)
        matches.push(m)
      }
    }
    if (emit) aStart = alen
  }
  if (o.idx) return new MapReply(['matches', matches, 'len', total])
  return result!
}
