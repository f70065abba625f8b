/**
 * Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD,
 * XREADGROUP, XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO, XSETID —
 * Redis 7.2's t_stream.c, including its order of checks (some commands look
 * the key up before they validate IDs, so those IDs are parsed in `run`).
 */
import { Buffer } from 'node:buffer'
import { isBinaryKey, keyBytes, keyText, type StrValue } from '../core/bytes.js'
import { E, fail, syntaxError, wrongType } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import { MapReply, NULL_ARRAY, OK, type Reply } from '../core/reply.js'
import { blockOn } from '../keyspace/blocking.js'
import { registerConfig } from '../keyspace/config.js'
import { T } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import {
  cmpId,
  Consumer,
  ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  idString,
  isMaxId,
  signed64,
  Nack,
  nextId,
  parseId,
  prevId,
  Stream,
  U64_MAX,
  u64,
  inc64,
  type NodeLimits,
  type ParsedId,
  type StreamId,
  type TrimSpec,
  type U64,
} from '../types/stream.js'
import { int64, key, kw, str, val } from './args.js'
import { TYPE_HOOKS } from './keys.js'
import { defineCommand, helpReply, type Arg } from './table.js'
import { readTyped, writeTyped } from './util.js'

registerConfig({ name: 'stream-node-max-bytes', kind: { type: 'memory', min: 0, max: 9223372036854775807n }, default: 4096 })
registerConfig({ name: 'stream-node-max-entries', kind: { type: 'int', min: 0, max: 9223372036854775807n }, default: 100 })

TYPE_HOOKS[T.STREAM] = {
  encoding: () => 'stream',
  clone: (v: Stream) => v.clone(),
}

const E_ID = 'Invalid stream ID specified as stream command argument'

/** A key, group or consumer name as a reply (its exact bytes when not UTF-8). */
const nameReply = (k: string): Reply => (isBinaryKey(k) ? keyBytes(k) : k)

const idReply = (ms: U64, seq: U64): string => `${ms}-${seq}`

function limitsOf(ctx: Session): NodeLimits {
  const c = ctx.ks.config
  return { maxBytes: c.get<number>('stream-node-max-bytes'), maxEntries: c.get<number>('stream-node-max-entries') }
}

/** A keyspace event without WATCH invalidation (consumer-group changes, XSETID). */
function notifyOnly(ctx: Session, event: string, k: string): void {
  const ks = ctx.ks
  if (ks.notifyFlags & N.STREAM) ks.notify(N.STREAM, event, k, ctx.db.id)
}

/** Wakes XREAD/XREADGROUP clients blocked on `k` (Database.add only does it for new keys). */
function signalStreamReady(ctx: Session, k: string): void {
  const db = ctx.db
  if (db.blocked !== undefined && db.blocked.has(k)) ctx.ks.signalReady(db, k)
}

// ---------------------------------------------------------------- ID arguments

/** A strict ID (no `-` / `+`). */
function strictId(a: Arg, missingSeq: U64 = 0): ParsedId {
  const id = parseId(str(a), missingSeq, true)
  if (id === undefined) fail(E_ID)
  return id
}

/** A non-strict ID (`-` = 0-0, `+` = the maximum ID). */
function looseId(a: Arg, missingSeq: U64 = 0): ParsedId {
  const id = parseId(str(a), missingSeq, false)
  if (id === undefined) fail(E_ID)
  return id
}

/** An interval bound: `(id` is exclusive (strict), anything else as looseId. Returns the inclusive bound. */
function intervalStart(a: Arg): StreamId {
  const s = str(a)
  if (s.length > 1 && s.charCodeAt(0) === 40 /* ( */) {
    const id = strictId(s.slice(1), 0)
    const n = nextId(id.ms, id.seq)
    if (n === undefined) fail('invalid start ID for the interval')
    return n
  }
  return looseId(s, 0)
}

function intervalEnd(a: Arg): StreamId {
  const s = str(a)
  if (s.length > 1 && s.charCodeAt(0) === 40) {
    const id = strictId(s.slice(1), U64_MAX)
    const p = prevId(id.ms, id.seq)
    if (p === undefined) fail('invalid end ID for the interval')
    return p
  }
  return looseId(s, U64_MAX)
}

// ---------------------------------------------------------------- replies

/** One entry: [id, [field, value, ...]]. */
const entryReply = (ms: U64, seq: U64, fv: StrValue[]): Reply => [idReply(ms, seq), fv]

/** Entries of a range as replies. */
function rangeReply(s: Stream, sm: U64, ss: U64, em: U64, es: U64, count: number, rev: boolean): Reply[] {
  const out: Reply[] = []
  s.range(sm, ss, em, es, count, rev, (ms, seq, fv) => {
    out.push(entryReply(ms, seq, fv))
  })
  return out
}

/** The entry with this ID, or null (a pending entry whose message was deleted). */
function entryOrNull(s: Stream, ms: U64, seq: U64): Reply {
  const fv = s.get(ms, seq)
  return fv === undefined ? null : entryReply(ms, seq, fv)
}

// ---------------------------------------------------------------- lookups

function streamForRead(ctx: Session, k: string): Stream | undefined {
  return readTyped(ctx, k, T.STREAM)?.value as Stream | undefined
}

function streamForWrite(ctx: Session, k: string): Stream | undefined {
  return writeTyped(ctx, k, T.STREAM)?.value as Stream | undefined
}

const groupOf = (s: Stream | undefined, name: string): ConsumerGroup | undefined => s?.groups?.get(name)

function noGroup(k: string, g: string): never {
  return fail(`-NOGROUP No such key '${keyText(k)}' or consumer group '${keyText(g)}'`)
}

function noGroupForKey(k: string, g: string): never {
  return fail(`-NOGROUP No such consumer group '${keyText(g)}' for key name '${keyText(k)}'`)
}

/** Creates a consumer (with its keyspace event); undefined when it already exists. */
function createConsumer(ctx: Session, k: string, g: ConsumerGroup, name: string): Consumer | undefined {
  if (g.consumers.has(name)) return undefined
  const c = new Consumer(name, ctx.ks.now())
  g.consumers.set(name, c)
  notifyOnly(ctx, 'xgroup-createconsumer', k)
  if (ctx.ks.fx) ctx.effect('XGROUP', 'CREATECONSUMER', k, g.name, name)
  return c
}

/** The effect Redis propagates for a pending-entry change: an idempotent XCLAIM. */
function claimEffect(ctx: Session, k: string, g: ConsumerGroup, nack: Nack, consumer: string): void {
  ctx.effect(
    'XCLAIM', k, g.name, consumer, '0', idString(nack.ms, nack.seq),
    'TIME', String(nack.deliveryTime), 'RETRYCOUNT', String(nack.deliveryCount), 'FORCE', 'JUSTID',
    'LASTID', idString(g.lastMs, g.lastSeq),
  )
}

function groupIdEffect(ctx: Session, k: string, g: ConsumerGroup): void {
  ctx.effect('XGROUP', 'SETID', k, g.name, idString(g.lastMs, g.lastSeq), 'ENTRIESREAD', String(g.entriesRead))
}

// ---------------------------------------------------------------- trimming arguments

/** XADD/XTRIM options. */
export interface TrimArgs {
  trim?: TrimSpec
  /** XADD only. */
  noMkStream: boolean
}

/**
 * Redis's streamParseAddOrTrimArgsOrReply over args[1..]: returns the options
 * and the index where XADD's ID is (a.length when none).
 */
function parseTrimOptions(a: Arg[], xadd: boolean, ctx: Session): { opts: TrimArgs; idAt: number; id?: ParsedId } {
  const opts: TrimArgs = { noMkStream: false }
  // XADD's explicit ID is parsed where it is met, before the LIMIT checks below (Redis's order).
  let id: ParsedId | undefined
  let strategy: TrimSpec['strategy'] | undefined
  let approx = false
  let maxlen = 0
  let minMs: U64 = 0
  let minSeq: U64 = 0
  let limit = 0
  let limitGiven = false
  let i = 1
  for (; i < a.length; i++) {
    const more = a.length - 1 - i
    const raw = a[i]!
    const o = kw(raw)
    if (xadd && o === '*') break
    if ((o === 'MAXLEN' || o === 'MINID') && more > 0) {
      if (strategy !== undefined) fail('syntax error, MAXLEN and MINID options at the same time are not compatible')
      approx = false
      const next = str(a[i + 1]!)
      if (more >= 2 && next === '~') {
        approx = true
        i++
      } else if (more >= 2 && next === '=') i++
      if (o === 'MAXLEN') {
        const n = int64(a[i + 1]!)
        if (n < 0) fail('The MAXLEN argument must be >= 0.')
        maxlen = Number(n)
      } else {
        const id = strictId(a[i + 1]!)
        minMs = id.ms
        minSeq = id.seq
      }
      i++
      strategy = o
    } else if (o === 'LIMIT' && more > 0) {
      const n = int64(a[i + 1]!)
      if (n < 0) fail('The LIMIT argument must be >= 0.')
      limit = Number(n)
      limitGiven = true
      i++
    } else if (xadd && o === 'NOMKSTREAM') opts.noMkStream = true
    else if (xadd) {
      id = strictIdSeqStar(raw)
      break
    } else syntaxError()
  }
  if (limit !== 0 && strategy === undefined) fail('syntax error, LIMIT cannot be used without specifying a trimming strategy')
  if (!xadd && strategy === undefined) fail('syntax error, XTRIM must be called with a trimming strategy')
  if (limitGiven) {
    if (!approx) fail('syntax error, LIMIT cannot be used without the special ~ option')
  } else if (approx) {
    limit = 100 * ctx.ks.config.get<number>('stream-node-max-entries')
    if (limit <= 0 || limit > 10000) limit = 10000
  } else limit = 0
  if (strategy !== undefined) opts.trim = { strategy, approx, maxlen, minMs, minSeq, limit }
  return id === undefined ? { opts, idAt: i } : { opts, idAt: i, id }
}

/** Trims and reports the effect: shared by XADD and XTRIM. */
function applyTrim(ctx: Session, k: string, s: Stream, t: TrimSpec): number {
  const deleted = s.trim(t)
  // Trimming always removes the oldest entries: replayed as an exact MAXLEN of what is left.
  if (deleted > 0 && ctx.ks.fx) ctx.effect('XTRIM', k, 'MAXLEN', '=', String(s.length))
  return deleted
}

// ---------------------------------------------------------------- XADD

export interface XAddArgs extends TrimArgs {
  key: string
  /** Explicit ID; undefined for `*`. */
  id?: ParsedId
  /** Field/value pairs, flattened. */
  fields: StrValue[]
}

export const XADD = defineCommand('xadd', {
  parse(a, ctx): XAddArgs {
    const { opts, idAt, id } = parseTrimOptions(a, true, ctx)
    const fieldPos = idAt + 1
    const nf = a.length - fieldPos
    if (nf < 2 || nf % 2 === 1) fail("wrong number of arguments for 'xadd' command")
    if (id !== undefined && id.seqGiven && id.ms === 0 && id.seq === 0) fail('The ID specified in XADD must be greater than 0-0')
    const fields: StrValue[] = new Array(nf)
    for (let i = 0; i < nf; i++) fields[i] = val(a[fieldPos + i]!)
    const r: XAddArgs = { key: key(a[0]!), fields, noMkStream: opts.noMkStream }
    if (id !== undefined) r.id = id
    if (opts.trim !== undefined) r.trim = opts.trim
    return r
  },
  run: xaddRun,
})

function strictIdSeqStar(a: Arg): ParsedId {
  const id = parseId(str(a), 0, true, true)
  if (id === undefined) fail(E_ID)
  return id
}

/** XADD's heart; also the typed `xadd`. Returns the new ID, or null under NOMKSTREAM for a missing key. */
export function xaddRun(ctx: Session, a: XAddArgs): Reply {
  const k = a.key
  let s = streamForWrite(ctx, k)
  const created = s === undefined
  if (s === undefined) {
    if (a.noMkStream) return null
    s = new Stream()
  }
  if (isMaxId(s.lastMs, s.lastSeq)) fail('The stream has exhausted the last possible ID, unable to add more items')
  // The new ID: from the clock, or the given one (with `ms-*` continuing the last sequence).
  let ms: U64
  let seq: U64
  const given = a.id
  if (given === undefined) {
    const now = ctx.ks.now()
    if (now > s.lastMs) {
      ms = now
      seq = 0
    } else {
      const n = nextId(s.lastMs, s.lastSeq)!
      ms = n.ms
      seq = n.seq
    }
  } else if (given.seqGiven) {
    ms = given.ms
    seq = given.seq
  } else if (s.lastMs == given.ms) {
    if (s.lastSeq === U64_MAX) fail('The ID specified in XADD is equal or smaller than the target stream top item')
    ms = s.lastMs
    seq = inc64(s.lastSeq)
  } else {
    ms = given.ms
    seq = given.seq
  }
  if (cmpId(ms, seq, s.lastMs, s.lastSeq) <= 0) fail('The ID specified in XADD is equal or smaller than the target stream top item')
  if (created) ctx.db.add(k, T.STREAM, s)
  s.append(ms, seq, a.fields, limitsOf(ctx))
  const id = idReply(ms, seq)
  ctx.signal(k, N.STREAM, 'xadd')
  if (ctx.ks.fx) ctx.effect('XADD', k, id, ...a.fields)
  if (a.trim !== undefined && applyTrim(ctx, k, s, a.trim) > 0) notifyOnly(ctx, 'xtrim', k)
  if (!created) signalStreamReady(ctx, k)
  return id
}

// ---------------------------------------------------------------- XLEN, XRANGE, XREVRANGE

export const XLEN = defineCommand('xlen', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => streamForRead(ctx, k)?.length ?? 0,
})

export interface XRangeArgs {
  key: string
  start: StreamId
  end: StreamId
  /** -1 when no COUNT was given. */
  count: number
}

function parseXRange(a: Arg[], rev: boolean): XRangeArgs {
  const start = intervalStart(rev ? a[2]! : a[1]!)
  const end = intervalEnd(rev ? a[1]! : a[2]!)
  let count = -1
  for (let j = 3; j < a.length; j++) {
    if (kw(a[j]!) === 'COUNT' && j + 1 < a.length) {
      const n = int64(a[++j]!)
      count = n < 0 ? 0 : Number(n)
    } else syntaxError()
  }
  return { key: key(a[0]!), start, end, count }
}

function runXRange(ctx: Session, a: XRangeArgs, rev: boolean): Reply {
  const s = streamForRead(ctx, a.key)
  if (s === undefined) return []
  if (a.count === 0) return NULL_ARRAY
  return rangeReply(s, a.start.ms, a.start.seq, a.end.ms, a.end.seq, a.count < 0 ? 0 : a.count, rev)
}

export const XRANGE = defineCommand('xrange', {
  parse: (a) => parseXRange(a, false),
  run: (ctx, a: XRangeArgs) => runXRange(ctx, a, false),
})

export const XREVRANGE = defineCommand('xrevrange', {
  parse: (a) => parseXRange(a, true),
  run: (ctx, a: XRangeArgs) => runXRange(ctx, a, true),
})

// ---------------------------------------------------------------- XDEL, XTRIM

/** Key plus raw ID arguments (validated after the key lookup, as Redis does). */
export interface KeyIdsArgs {
  key: string
  ids: Arg[]
}

export const XDEL = defineCommand('xdel', {
  parse: (a): KeyIdsArgs => ({ key: key(a[0]!), ids: a.slice(1) }),
  run(ctx, a: KeyIdsArgs): Reply {
    const s = streamForWrite(ctx, a.key)
    if (s === undefined) return 0
    const ids = a.ids.map((x) => strictId(x))
    let deleted = 0
    let first = false
    const done: string[] = []
    for (const id of ids) {
      if (!s.deleteEntry(id.ms, id.seq)) continue
      if (id.ms == s.firstMs && id.seq == s.firstSeq) first = true
      if (cmpId(id.ms, id.seq, s.maxDelMs, s.maxDelSeq) > 0) {
        s.maxDelMs = id.ms
        s.maxDelSeq = id.seq
      }
      deleted++
      if (ctx.ks.fx) done.push(idString(id.ms, id.seq))
    }
    if (deleted > 0) {
      if (s.length === 0) {
        s.firstMs = 0
        s.firstSeq = 0
      } else if (first) s.refreshFirst()
      ctx.signal(a.key, N.STREAM, 'xdel')
      if (ctx.ks.fx) ctx.effect('XDEL', a.key, ...done)
    }
    return deleted
  },
})

export interface XTrimArgs {
  key: string
  trim: TrimSpec
}

export const XTRIM = defineCommand('xtrim', {
  parse(a, ctx): XTrimArgs {
    const { opts } = parseTrimOptions(a, false, ctx)
    return { key: key(a[0]!), trim: opts.trim! }
  },
  run(ctx, a: XTrimArgs): Reply {
    const s = streamForWrite(ctx, a.key)
    if (s === undefined) return 0
    const deleted = applyTrim(ctx, a.key, s, a.trim)
    if (deleted > 0) ctx.signal(a.key, N.STREAM, 'xtrim')
    return deleted
  },
})

// ---------------------------------------------------------------- XREAD / XREADGROUP

export interface XReadArgs {
  /** XREADGROUP's group and consumer. */
  group?: string
  consumer?: string
  /** 0 = no limit. */
  count: number
  /** Relative BLOCK timeout in ms (0 = forever), or -1 without BLOCK. */
  block: number
  noAck: boolean
  keys: string[]
  /** ID arguments as given (`$`, `>`, `+` or IDs), resolved after each key's lookup. */
  ids: Arg[]
  /** Typed API: aborts a blocking wait. */
  signal?: AbortSignal | undefined
}

/** Redis's getTimeoutFromObjectOrReply in milliseconds. */
function blockMs(a: Arg, now: number): number {
  const n = string2ll(str(a))
  if (n === undefined) fail('timeout is not an integer or out of range')
  if (n < 0) fail('timeout is negative')
  if (n > 0 && BigInt(n) > 9223372036854775807n - BigInt(Math.floor(now))) fail('timeout is out of range')
  return Number(n)
}

function parseXRead(a: Arg[], ctx: Session, group: boolean): XReadArgs {
  const r: XReadArgs = { count: 0, block: -1, noAck: false, keys: [], ids: [] }
  let streamsAt = -1
  for (let i = 0; i < a.length; i++) {
    const more = a.length - i - 1
    const o = kw(a[i]!)
    if (o === 'BLOCK' && more > 0) r.block = blockMs(a[++i]!, ctx.ks.now())
    else if (o === 'COUNT' && more > 0) {
      const n = int64(a[++i]!)
      r.count = n < 0 ? 0 : Number(n)
    } else if (o === 'STREAMS' && more > 0) {
      streamsAt = i + 1
      if ((a.length - streamsAt) % 2 !== 0) {
        const name = group ? 'xreadgroup' : 'xread'
        fail(`Unbalanced '${name}' list of streams: for each stream key an ID or '${group ? '>' : '$'}' must be specified.`)
      }
      break
    } else if (o === 'GROUP' && more >= 2) {
      if (!group) fail('The GROUP option is only supported by XREADGROUP. You called XREAD instead.')
      r.group = key(a[i + 1]!)
      r.consumer = key(a[i + 2]!)
      i += 2
    } else if (o === 'NOACK') {
      if (!group) fail('The NOACK option is only supported by XREADGROUP. You called XREAD instead.')
      r.noAck = true
    } else syntaxError()
  }
  if (streamsAt < 0) syntaxError()
  if (group && r.group === undefined) fail('Missing GROUP option for XREADGROUP')
  const n = (a.length - streamsAt) / 2
  for (let i = 0; i < n; i++) {
    r.keys.push(key(a[streamsAt + i]!))
    r.ids.push(a[streamsAt + n + i]!)
  }
  return r
}

/** Marker for `>`: the group's last delivered ID, looked up at each attempt. */
const NEW_ONLY: StreamId = { ms: U64_MAX, seq: U64_MAX }

/**
 * Resolves the ID arguments in key order, with Redis's checks per key
 * (WRONGTYPE, NOGROUP, `$`/`>`/`+` misuse, bad IDs). Returns the IDs after
 * which to read; NEW_ONLY stands for `>`.
 */
function resolveReadIds(ctx: Session, a: XReadArgs): StreamId[] {
  const out: StreamId[] = new Array(a.keys.length)
  const grouped = a.group !== undefined
  for (let i = 0; i < a.keys.length; i++) {
    const k = a.keys[i]!
    const s = streamForRead(ctx, k)
    if (grouped && groupOf(s, a.group!) === undefined) {
      fail(`-NOGROUP No such key '${keyText(k)}' or consumer group '${keyText(a.group!)}' in XREADGROUP with GROUP option`)
    }
    const t = str(a.ids[i]!)
    if (t === '$') {
      if (grouped) {
        fail(
          'The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        )
      }
      out[i] = s === undefined ? { ms: 0, seq: 0 } : { ms: s.lastMs, seq: s.lastSeq }
    } else if (t === '>') {
      if (!grouped) fail('The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.')
      out[i] = NEW_ONLY
    } else if (t === '+') {
      // Valkey's (and Redis 7.4's) "the last entry": read after the ID before the last one.
      if (grouped) {
        fail(
          'The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.',
        )
      }
      if (s === undefined) out[i] = { ms: 0, seq: 0 }
      else {
        const p = prevId(s.lastMs, s.lastSeq)
        if (p === undefined) fail('the stream last element ID is 0-0')
        out[i] = p
      }
    } else out[i] = strictId(t)
  }
  return out
}

/**
 * Serves what can be served now: the reply, or undefined when nothing is
 * available (then the command blocks or answers nil).
 */
function serveRead(ctx: Session, a: XReadArgs, after: StreamId[]): Reply | undefined {
  const entries: Array<[string, Reply]> = []
  const now = ctx.ks.now()
  const fx = ctx.ks.fx
  for (let i = 0; i < a.keys.length; i++) {
    const k = a.keys[i]!
    // Read again as Redis's serving loop does (after the ID pass, a second hit or miss per key).
    const s = ctx.db.read(k)?.value as Stream | undefined
    if (s === undefined || !(s instanceof Stream)) continue
    let gt = after[i]!
    let serve = false
    let history = false
    let consumer: Consumer | undefined
    const g = a.group === undefined ? undefined : s.groups?.get(a.group)
    if (g !== undefined) {
      // `>` is the maximal ID inside Redis, so that ID written out means `>` as well.
      if (gt !== NEW_ONLY && !isMaxId(gt.ms, gt.seq)) {
        serve = true
        history = true
      } else if (s.length > 0) {
        const max = s.lastValidId()
        if (cmpId(max.ms, max.seq, g.lastMs, g.lastSeq) > 0) {
          serve = true
          gt = { ms: g.lastMs, seq: g.lastSeq }
        }
      }
      consumer = g.consumers.get(a.consumer!)
      if (consumer === undefined) consumer = createConsumer(ctx, k, g, a.consumer!)!
      consumer.seenTime = now
    } else if (a.group === undefined && s.length > 0) {
      const max = s.lastValidId()
      if (cmpId(max.ms, max.seq, gt.ms, gt.seq) > 0) serve = true
    }
    if (!serve) continue
    let items: Reply[]
    if (history) items = consumerHistory(s, consumer!, gt, a.count, now)
    else {
      const start = nextId(gt.ms, gt.seq)
      items = start === undefined ? [] : g !== undefined ? deliverNew(ctx, k, s, g, consumer!, start, a.count, a.noAck, now) : rangeReply(s, start.ms, start.seq, U64_MAX, U64_MAX, a.count, false)
    }
    entries.push([nameReply(k) as string, items])
  }
  if (entries.length === 0) return undefined
  if (ctx.resp === 3) return new MapReply(entries.flat())
  return entries
}

/** XREADGROUP with an ID: the consumer's own pending entries after it (deleted messages as [id, nil]). */
function consumerHistory(s: Stream, c: Consumer, after: StreamId, count: number, now: number): Reply[] {
  const start = nextId(after.ms, after.seq)
  if (start === undefined) return []
  const out: Reply[] = []
  for (const nack of c.pel.range(start.ms, start.seq, U64_MAX, U64_MAX, count)) {
    const fv = s.get(nack.ms, nack.seq)
    if (fv === undefined) out.push([idReply(nack.ms, nack.seq), NULL_ARRAY])
    else {
      nack.deliveryTime = now
      nack.deliveryCount = inc64(nack.deliveryCount)
      out.push(entryReply(nack.ms, nack.seq, fv))
    }
  }
  return out
}

/** XREADGROUP `>`: new entries, moving the group's last ID and adding them to the PELs. */
function deliverNew(
  ctx: Session,
  k: string,
  s: Stream,
  g: ConsumerGroup,
  c: Consumer,
  start: StreamId,
  count: number,
  noAck: boolean,
  now: number,
): Reply[] {
  const out: Reply[] = []
  const fx = ctx.ks.fx
  let moved = false
  s.range(start.ms, start.seq, U64_MAX, U64_MAX, count, false, (ms, seq, fv) => {
    if (cmpId(ms, seq, g.lastMs, g.lastSeq) > 0) {
      if (g.entriesRead !== ENTRIES_READ_UNKNOWN && !s.hasTombstonesFrom(ms, seq)) g.entriesRead = incRead(g.entriesRead)
      else if (s.entriesAdded !== 0) g.entriesRead = s.estimateDistance(ms, seq)
      g.lastMs = ms
      g.lastSeq = seq
      moved = true
    }
    out.push(entryReply(ms, seq, fv))
    if (!noAck) {
      let nack = g.pel.get(ms, seq)
      if (nack === undefined) {
        nack = new Nack(ms, seq, c, now, 1)
        g.pel.insert(nack)
        c.pel.insert(nack)
      } else {
        // Already pending (the group's ID was moved back): it changes hands and restarts its count.
        if (nack.consumer !== null) nack.consumer.pel.delete(ms, seq)
        nack.consumer = c
        nack.deliveryTime = now
        nack.deliveryCount = 1
        c.pel.insert(nack)
      }
      c.activeTime = now
      if (fx) claimEffect(ctx, k, g, nack, c.name)
    }
  })
  if (moved && fx) groupIdEffect(ctx, k, g)
  return out
}

/** n + 1 in a signed 64-bit counter (wrapping as Redis's long long does). */
const incRead = (n: number | bigint): number | bigint => (typeof n === 'number' ? (n === Number.MAX_SAFE_INTEGER ? BigInt(n) + 1n : n + 1) : BigInt.asIntN(64, n + 1n))

function runXRead(ctx: Session, a: XReadArgs): Reply | Promise<Reply> {
  const after = resolveReadIds(ctx, a)
  const now = serveRead(ctx, a, after)
  if (now !== undefined) return now
  if (a.block < 0 || ctx.noBlock) return NULL_ARRAY
  return blockOn(ctx, {
    keys: a.keys,
    type: T.STREAM,
    timeoutMs: a.block,
    timeoutReply: NULL_ARRAY,
    signal: a.signal,
    // XREADGROUP is re-run when its stream is deleted or replaced: its group went with it.
    unblockOnNoKey: a.group !== undefined,
    retry: (s) => {
      // Re-run as Redis re-executes the command (with `$` as resolved when it blocked): the group
      // may be gone (NOGROUP) or a key retyped (WRONGTYPE, checked in key order).
      if (a.group !== undefined) resolveReadIds(s, a)
      else for (let i = 0; i < a.keys.length; i++) streamForRead(s, a.keys[i]!)
      return serveRead(s, a, after)
    },
  })
}

export const XREAD = defineCommand('xread', {
  parse: (a, ctx) => parseXRead(a, ctx, false),
  run: runXRead,
})

export const XREADGROUP = defineCommand('xreadgroup', {
  parse: (a, ctx) => parseXRead(a, ctx, true),
  run: runXRead,
})

// ---------------------------------------------------------------- XGROUP

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
]

defineCommand('xgroup|help', {
  parse: () => undefined,
  run: (): Reply => helpReply('XGROUP', XGROUP_HELP),
})

/** `ERR unknown subcommand or wrong number of arguments for '<sub as typed>'. Try XGROUP HELP.` */
function subcommandSyntax(ctx: Session, container: string, fallback: string): never {
  const typed = ctx.argv?.[1]
  const name = typed === undefined ? fallback : str(typed)
  return fail(`unknown subcommand or wrong number of arguments for '${name.slice(0, 128)}'. Try ${container} HELP.`)
}

export interface XGroupCreateArgs {
  key: string
  group: string
  /** `$` or an ID argument. */
  id: Arg
  mkStream: boolean
  entriesRead: number | bigint
}

/** XGROUP CREATE/SETID options: MKSTREAM (CREATE only) and ENTRIESREAD. */
function groupOptions(a: Arg[], ctx: Session, create: boolean, sub: string): { mkStream: boolean; entriesRead: number | bigint } {
  let mkStream = false
  let entriesRead: number | bigint = ENTRIES_READ_UNKNOWN
  let i = 3
  while (i < a.length) {
    const o = kw(a[i]!)
    if (create && o === 'MKSTREAM') {
      mkStream = true
      i++
    } else if (o === 'ENTRIESREAD' && i + 1 < a.length) {
      entriesRead = int64(a[i + 1]!)
      if (entriesRead < 0 && entriesRead !== ENTRIES_READ_UNKNOWN) fail('value for ENTRIESREAD must be positive or -1')
      i += 2
    } else subcommandSyntax(ctx, 'XGROUP', sub)
  }
  return { mkStream, entriesRead }
}

/** XGROUP's shared lookup: WRONGTYPE, the key must exist (unless MKSTREAM), and some subcommands need the group. */
function xgroupLookup(ctx: Session, k: string, g: string, needGroup: boolean, mkStream: boolean): { s?: Stream; cg?: ConsumerGroup } {
  const s = streamForWrite(ctx, k)
  if (mkStream) return s === undefined ? {} : { s, cg: groupOf(s, g) }
  if (s === undefined) {
    fail(
      'The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
    )
  }
  const cg = groupOf(s, g)
  if (cg === undefined && needGroup) noGroupForKey(k, g)
  return cg === undefined ? { s } : { s, cg }
}

export const XGROUP_CREATE = defineCommand('xgroup|create', {
  parse(a, ctx): XGroupCreateArgs {
    const { mkStream, entriesRead } = groupOptions(a, ctx, true, 'create')
    if (a.length > 6) subcommandSyntax(ctx, 'XGROUP', 'create')
    return { key: key(a[0]!), group: key(a[1]!), id: a[2]!, mkStream, entriesRead }
  },
  run(ctx, a: XGroupCreateArgs): Reply {
    let { s } = xgroupLookup(ctx, a.key, a.group, false, a.mkStream)
    let id: StreamId
    if (str(a.id) === '$') id = s === undefined ? { ms: 0, seq: 0 } : { ms: s.lastMs, seq: s.lastSeq }
    else id = strictId(a.id)
    if (s === undefined) {
      s = new Stream()
      ctx.db.add(a.key, T.STREAM, s)
      ctx.ks.keyChanged(ctx.db, a.key)
    }
    const groups = s.groups ?? (s.groups = new Map())
    if (groups.has(a.group)) fail('-BUSYGROUP Consumer Group name already exists')
    groups.set(a.group, new ConsumerGroup(a.group, id.ms, id.seq, a.entriesRead))
    notifyOnly(ctx, 'xgroup-create', a.key)
    if (ctx.ks.fx) {
      const args: Arg[] = ['XGROUP', 'CREATE', a.key, a.group, idString(id.ms, id.seq)]
      if (a.mkStream) args.push('MKSTREAM')
      args.push('ENTRIESREAD', String(a.entriesRead))
      ctx.effect(...args)
    }
    return OK
  },
})

export const XGROUP_SETID = defineCommand('xgroup|setid', {
  parse(a, ctx): XGroupCreateArgs {
    const { entriesRead } = groupOptions(a, ctx, false, 'setid')
    if (a.length !== 3 && a.length !== 5) subcommandSyntax(ctx, 'XGROUP', 'setid')
    return { key: key(a[0]!), group: key(a[1]!), id: a[2]!, mkStream: false, entriesRead }
  },
  run(ctx, a: XGroupCreateArgs): Reply {
    const { s, cg } = xgroupLookup(ctx, a.key, a.group, true, false)
    const id = str(a.id) === '$' ? { ms: s!.lastMs, seq: s!.lastSeq } : looseId(a.id)
    cg!.lastMs = id.ms
    cg!.lastSeq = id.seq
    cg!.entriesRead = a.entriesRead
    notifyOnly(ctx, 'xgroup-setid', a.key)
    if (ctx.ks.fx) groupIdEffect(ctx, a.key, cg!)
    return OK
  },
})

export const XGROUP_DESTROY = defineCommand('xgroup|destroy', {
  parse: (a): [string, string] => [key(a[0]!), key(a[1]!)],
  run(ctx, [k, g]: [string, string]): Reply {
    const { s, cg } = xgroupLookup(ctx, k, g, false, false)
    if (cg === undefined) return 0
    s!.groups!.delete(g)
    notifyOnly(ctx, 'xgroup-destroy', k)
    if (ctx.ks.fx) ctx.effect('XGROUP', 'DESTROY', k, g)
    // Blocked XREADGROUP clients of this group get NOGROUP.
    signalStreamReady(ctx, k)
    return 1
  },
})

export const XGROUP_CREATECONSUMER = defineCommand('xgroup|createconsumer', {
  parse: (a): [string, string, string] => [key(a[0]!), key(a[1]!), key(a[2]!)],
  run(ctx, [k, g, c]: [string, string, string]): Reply {
    const { cg } = xgroupLookup(ctx, k, g, true, false)
    const created = createConsumer(ctx, k, cg!, c)
    return created === undefined ? 0 : 1
  },
})

export const XGROUP_DELCONSUMER = defineCommand('xgroup|delconsumer', {
  parse: (a): [string, string, string] => [key(a[0]!), key(a[1]!), key(a[2]!)],
  run(ctx, [k, g, c]: [string, string, string]): Reply {
    const { cg } = xgroupLookup(ctx, k, g, true, false)
    const consumer = cg!.consumers.get(c)
    if (consumer === undefined) return 0
    const pending = consumer.pel.size
    // Its pending entries leave the group's PEL too (they can no longer be claimed by anyone).
    for (const nack of consumer.pel) cg!.pel.delete(nack.ms, nack.seq)
    cg!.consumers.delete(c)
    notifyOnly(ctx, 'xgroup-delconsumer', k)
    if (ctx.ks.fx) ctx.effect('XGROUP', 'DELCONSUMER', k, g, c)
    return pending
  },
})

// ---------------------------------------------------------------- XACK

export interface XAckArgs {
  key: string
  group: string
  ids: Arg[]
}

export const XACK = defineCommand('xack', {
  parse: (a): XAckArgs => ({ key: key(a[0]!), group: key(a[1]!), ids: a.slice(2) }),
  run(ctx, a: XAckArgs): Reply {
    const s = streamForRead(ctx, a.key)
    const g = groupOf(s, a.group)
    if (g === undefined) return 0
    const ids = a.ids.map((x) => strictId(x))
    let acked = 0
    const done: string[] = []
    for (const id of ids) {
      const nack = g.pel.delete(id.ms, id.seq)
      if (nack === undefined) continue
      if (nack.consumer !== null) nack.consumer.pel.delete(id.ms, id.seq)
      acked++
      if (ctx.ks.fx) done.push(idString(id.ms, id.seq))
    }
    if (acked > 0 && ctx.ks.fx) ctx.effect('XACK', a.key, a.group, ...done)
    return acked
  },
})

// ---------------------------------------------------------------- XPENDING

export interface XPendingArgs {
  key: string
  group: string
  /** The extended form's range; undefined for the summary. */
  range?: { start: StreamId; end: StreamId; count: number; idle: number; consumer?: string }
}

export const XPENDING = defineCommand('xpending', {
  parse(a): XPendingArgs {
    if (a.length !== 2 && (a.length < 5 || a.length > 8)) syntaxError()
    const r: XPendingArgs = { key: key(a[0]!), group: key(a[1]!) }
    if (a.length >= 5) {
      let at = 2
      let idle = 0
      if (kw(a[2]!) === 'IDLE') {
        idle = Number(int64(a[3]!))
        if (a.length < 7) syntaxError()
        at += 2
      }
      const c = int64(a[at + 2]!)
      const count = c < 0 ? 0 : Number(c)
      const start = intervalStart(a[at]!)
      const end = intervalEnd(a[at + 1]!)
      r.range = { start, end, count, idle }
      if (at + 3 < a.length) r.range.consumer = key(a[at + 3]!)
    }
    return r
  },
  run(ctx, a: XPendingArgs): Reply {
    const s = streamForRead(ctx, a.key)
    const g = groupOf(s, a.group)
    if (g === undefined) noGroup(a.key, a.group)
    const r = a.range
    if (r === undefined) {
      if (g.pel.size === 0) return [0, null, null, NULL_ARRAY]
      const first = g.pel.first()!
      const last = g.pel.last()!
      const owners: Reply[] = []
      for (const name of sortedNames(g.consumers)) {
        const c = g.consumers.get(name)!
        if (c.pel.size > 0) owners.push([nameReply(name), String(c.pel.size)])
      }
      return [g.pel.size, idReply(first.ms, first.seq), idReply(last.ms, last.seq), owners]
    }
    let pel = g.pel
    if (r.consumer !== undefined) {
      const c = g.consumers.get(r.consumer)
      if (c === undefined) return []
      pel = c.pel
    }
    if (r.count === 0) return []
    const now = ctx.ks.now()
    const keep = r.idle !== 0 ? (n: Nack) => now - n.deliveryTime >= r.idle : undefined
    return pel.range(r.start.ms, r.start.seq, r.end.ms, r.end.seq, r.count, keep).map((n) => [
      idReply(n.ms, n.seq),
      nameReply(n.consumer!.name),
      Math.max(0, now - n.deliveryTime),
      n.deliveryCount,
    ])
  },
})

/** Names in Redis's radix-tree order (byte order). */
function sortedNames(m: Map<string, unknown>): string[] {
  const names = [...m.keys()]
  return names.sort(compareNames)
}

function compareNames(a: string, b: string): number {
  const x = keyBytes(a)
  const y = keyBytes(b)
  return Buffer.compare(x, y)
}

// ---------------------------------------------------------------- XCLAIM

export interface XClaimArgs {
  key: string
  group: string
  consumer: string
  minIdle: Arg
  /** IDs, then options, as given: parsed after the group lookup. */
  rest: Arg[]
}

export const XCLAIM = defineCommand('xclaim', {
  parse: (a): XClaimArgs => ({ key: key(a[0]!), group: key(a[1]!), consumer: key(a[2]!), minIdle: a[3]!, rest: a.slice(4) }),
  run(ctx, a: XClaimArgs): Reply {
    const s = streamForRead(ctx, a.key)
    const g = groupOf(s, a.group)
    if (g === undefined) noGroup(a.key, a.group)
    let minIdle = Number(int64(a.minIdle, 'Invalid min-idle-time argument for XCLAIM'))
    if (minIdle < 0) minIdle = 0
    const ids: StreamId[] = []
    let j = 0
    for (; j < a.rest.length; j++) {
      const id = parseId(str(a.rest[j]!), 0, true)
      if (id === undefined) break
      ids.push(id)
    }
    const now = ctx.ks.now()
    let force = false
    let justId = false
    let deliveryTime = -1
    let retryCount: number | bigint = -1
    let last: StreamId = { ms: 0, seq: 0 }
    for (; j < a.rest.length; j++) {
      const more = a.rest.length - 1 - j
      const o = kw(a.rest[j]!)
      if (o === 'FORCE') force = true
      else if (o === 'JUSTID') justId = true
      else if (o === 'IDLE' && more > 0) deliveryTime = now - Number(int64(a.rest[++j]!, 'Invalid IDLE option argument for XCLAIM'))
      else if (o === 'TIME' && more > 0) deliveryTime = Number(int64(a.rest[++j]!, 'Invalid TIME option argument for XCLAIM'))
      else if (o === 'RETRYCOUNT' && more > 0) retryCount = int64(a.rest[++j]!, 'Invalid RETRYCOUNT option argument for XCLAIM')
      else if (o === 'LASTID' && more > 0) last = strictId(a.rest[++j]!)
      else fail(`Unrecognized XCLAIM option '${str(a.rest[j]!)}'`)
    }
    const fx = ctx.ks.fx
    let propagateLast = false
    if (cmpId(last.ms, last.seq, g.lastMs, g.lastSeq) > 0) {
      g.lastMs = last.ms
      g.lastSeq = last.seq
      propagateLast = true
    }
    // A bogus time (negative or in the future) means now, rather than an error.
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now
    const out: Reply[] = []
    let consumer = g.consumers.get(a.consumer)
    if (consumer === undefined) consumer = createConsumer(ctx, a.key, g, a.consumer)!
    consumer.seenTime = now
    for (const id of ids) {
      let nack = g.pel.get(id.ms, id.seq)
      if (!s!.has(id.ms, id.seq)) {
        // The message is gone: its pending entry goes too.
        if (nack !== undefined) {
          if (fx) claimEffect(ctx, a.key, g, nack, nack.consumer?.name ?? a.consumer)
          propagateLast = false
          g.pel.delete(id.ms, id.seq)
          nack.consumer?.pel.delete(id.ms, id.seq)
        }
        continue
      }
      if (force && nack === undefined) {
        nack = new Nack(id.ms, id.seq, null, now, 1)
        g.pel.insert(nack)
      }
      if (nack === undefined) continue
      if (nack.consumer !== null && minIdle > 0 && now - nack.deliveryTime < minIdle) continue
      if (nack.consumer !== consumer && nack.consumer !== null) nack.consumer.pel.delete(id.ms, id.seq)
      nack.deliveryTime = deliveryTime
      if (retryCount >= 0) nack.deliveryCount = retryCount
      else if (!justId) nack.deliveryCount = inc64(nack.deliveryCount)
      if (nack.consumer !== consumer) {
        consumer.pel.insert(nack)
        nack.consumer = consumer
      }
      out.push(justId ? idReply(id.ms, id.seq) : entryOrNull(s!, id.ms, id.seq))
      consumer.activeTime = now
      if (fx) claimEffect(ctx, a.key, g, nack, consumer.name)
      propagateLast = false
    }
    if (propagateLast && fx) groupIdEffect(ctx, a.key, g)
    return out
  },
})

// ---------------------------------------------------------------- XAUTOCLAIM

export interface XAutoClaimArgs {
  key: string
  group: string
  consumer: string
  minIdle: number
  start: StreamId
  count: number
  justId: boolean
}

const ATTEMPTS_FACTOR = 10
/** The largest XAUTOCLAIM COUNT: LONG_MAX / max(sizeof(streamID), attempts factor), as Redis bounds it. */
export const MAX_AUTOCLAIM_COUNT = Math.floor(9223372036854775807 / 16)

export const XAUTOCLAIM = defineCommand('xautoclaim', {
  parse(a): XAutoClaimArgs {
    let minIdle = Number(int64(a[3]!, 'Invalid min-idle-time argument for XAUTOCLAIM'))
    if (minIdle < 0) minIdle = 0
    const start = intervalStart(a[4]!)
    let count = 100
    let justId = false
    for (let j = 5; j < a.length; j++) {
      const more = a.length - 1 - j
      const o = kw(a[j]!)
      if (o === 'COUNT' && more > 0) {
        const n = string2ll(str(a[j + 1]!))
        if (n === undefined || n < 1 || n > MAX_AUTOCLAIM_COUNT) fail('COUNT must be > 0')
        count = Number(n)
        j++
      } else if (o === 'JUSTID') justId = true
      else syntaxError()
    }
    return { key: key(a[0]!), group: key(a[1]!), consumer: key(a[2]!), minIdle, start, count, justId }
  },
  run(ctx, a: XAutoClaimArgs): Reply {
    const s = streamForRead(ctx, a.key)
    const g = groupOf(s, a.group)
    if (g === undefined) noGroup(a.key, a.group)
    const fx = ctx.ks.fx
    const now = ctx.ks.now()
    let consumer = g.consumers.get(a.consumer)
    if (consumer === undefined) consumer = createConsumer(ctx, a.key, g, a.consumer)!
    consumer.seenTime = now
    let attempts = a.count * ATTEMPTS_FACTOR
    let count = a.count
    const claimed: Reply[] = []
    const deleted: Reply[] = []
    let cursor: Nack | undefined = g.pel.ceiling(a.start.ms, a.start.seq)
    while (attempts-- > 0 && count > 0 && cursor !== undefined) {
      const nack: Nack = cursor
      const after = nextId(nack.ms, nack.seq)
      cursor = after === undefined ? undefined : g.pel.ceiling(after.ms, after.seq)
      if (!s!.has(nack.ms, nack.seq)) {
        if (fx) claimEffect(ctx, a.key, g, nack, nack.consumer?.name ?? a.consumer)
        g.pel.delete(nack.ms, nack.seq)
        nack.consumer?.pel.delete(nack.ms, nack.seq)
        deleted.push(idReply(nack.ms, nack.seq))
        count--
        continue
      }
      if (a.minIdle > 0 && now - nack.deliveryTime < a.minIdle) continue
      if (nack.consumer !== consumer) {
        nack.consumer?.pel.delete(nack.ms, nack.seq)
        consumer.pel.insert(nack)
        nack.consumer = consumer
      }
      nack.deliveryTime = now
      if (!a.justId) nack.deliveryCount = inc64(nack.deliveryCount)
      claimed.push(a.justId ? idReply(nack.ms, nack.seq) : entryOrNull(s!, nack.ms, nack.seq))
      consumer.activeTime = now
      count--
      if (fx) claimEffect(ctx, a.key, g, nack, consumer.name)
    }
    const next = cursor === undefined ? '0-0' : idReply(cursor.ms, cursor.seq)
    return [next, claimed, deleted]
  },
})

// ---------------------------------------------------------------- XINFO

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
]

defineCommand('xinfo|help', {
  parse: () => undefined,
  run: (): Reply => helpReply('XINFO', XINFO_HELP),
})

function infoStream(ctx: Session, k: string): Stream {
  const e = ctx.db.read(k)
  if (e === undefined) fail(E.NO_SUCH_KEY)
  if (e.type !== T.STREAM) wrongType()
  return e.value as Stream
}

/** A group's entries-read (nil when unknown) and lag (nil when it cannot be known). */
function groupLag(s: Stream, g: ConsumerGroup): Reply {
  if (s.entriesAdded === 0) return 0
  if (g.entriesRead !== ENTRIES_READ_UNKNOWN && !s.hasTombstonesFrom(g.lastMs, g.lastSeq)) return sub(s.entriesAdded, g.entriesRead)
  const read = s.estimateDistance(g.lastMs, g.lastSeq)
  if (read === ENTRIES_READ_UNKNOWN) return null
  return sub(s.entriesAdded, read)
}

function sub(a: U64, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  // Redis subtracts in a long long: wrap to 64 bits.
  const r = BigInt.asIntN(64, BigInt(a) - BigInt(b))
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r
}

const entriesReadReply = (g: ConsumerGroup): Reply => (g.entriesRead === ENTRIES_READ_UNKNOWN ? null : g.entriesRead)

export interface XInfoStreamArgs {
  key: string
  /** The options as given (`FULL [COUNT n]`), checked after the key lookup as Redis does. */
  opts: Arg[]
}

export const XINFO_STREAM = defineCommand('xinfo|stream', {
  parse: (a): XInfoStreamArgs => ({ key: key(a[0]!), opts: a.slice(1) }),
  run(ctx, a: XInfoStreamArgs): Reply {
    const s = infoStream(ctx, a.key)
    const o = a.opts
    if (o.length === 0) return streamInfo(s)
    if ((o.length !== 1 && o.length !== 3) || kw(o[0]!) !== 'FULL') subcommandSyntax(ctx, 'XINFO', 'stream')
    let count = 10
    if (o.length === 3) {
      if (kw(o[1]!) !== 'COUNT') subcommandSyntax(ctx, 'XINFO', 'stream')
      const n = int64(o[2]!)
      // A negative COUNT falls back to the default.
      count = n < 0 ? 10 : Number(n)
    }
    return streamInfoFull(s, count)
  },
})

function streamInfo(s: Stream): Reply {
  const first = s.edge(false)
  const last = s.edge(true)
  const entry = (p: ReturnType<Stream['edge']>): Reply => {
    if (p === undefined) return null
    const nd = s.nodes[p.n]!
    return entryReply(nd.ms[p.i]!, nd.seq[p.i]!, nd.fv[p.i]!)
  }
  return new MapReply([
    'length', s.length,
    'radix-tree-keys', s.nodeCount,
    'radix-tree-nodes', s.raxNodeCount(),
    'last-generated-id', idReply(s.lastMs, s.lastSeq),
    'max-deleted-entry-id', idReply(s.maxDelMs, s.maxDelSeq),
    'entries-added', signed64(s.entriesAdded),
    'recorded-first-entry-id', idReply(s.firstMs, s.firstSeq),
    'groups', s.groups?.size ?? 0,
    'first-entry', entry(first),
    'last-entry', entry(last),
  ])
}

function streamInfoFull(s: Stream, count: number): Reply {
  const groups: Reply[] = []
  if (s.groups !== undefined) {
    for (const name of sortedNames(s.groups)) {
      const g = s.groups.get(name)!
      const pending: Reply[] = g.pel.range(0, 0, U64_MAX, U64_MAX, count).map((n): Reply => [
        idReply(n.ms, n.seq),
        nameReply(n.consumer!.name),
        n.deliveryTime,
        n.deliveryCount,
      ])
      const consumers: Reply[] = []
      for (const cname of sortedNames(g.consumers)) {
        const c = g.consumers.get(cname)!
        consumers.push(
          new MapReply([
            'name', nameReply(cname),
            'seen-time', c.seenTime,
            'active-time', c.activeTime,
            'pel-count', c.pel.size,
            'pending', c.pel.range(0, 0, U64_MAX, U64_MAX, count).map((n) => [idReply(n.ms, n.seq), n.deliveryTime, n.deliveryCount]),
          ]),
        )
      }
      groups.push(
        new MapReply([
          'name', nameReply(name),
          'last-delivered-id', idReply(g.lastMs, g.lastSeq),
          'entries-read', entriesReadReply(g),
          'lag', groupLag(s, g),
          'pel-count', g.pel.size,
          'pending', pending,
          'consumers', consumers,
        ]),
      )
    }
  }
  return new MapReply([
    'length', s.length,
    'radix-tree-keys', s.nodeCount,
    'radix-tree-nodes', s.raxNodeCount(),
    'last-generated-id', idReply(s.lastMs, s.lastSeq),
    'max-deleted-entry-id', idReply(s.maxDelMs, s.maxDelSeq),
    'entries-added', signed64(s.entriesAdded),
    'recorded-first-entry-id', idReply(s.firstMs, s.firstSeq),
    'entries', rangeReply(s, 0, 0, U64_MAX, U64_MAX, count, false),
    'groups', groups,
  ])
}

export const XINFO_GROUPS = defineCommand('xinfo|groups', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const s = infoStream(ctx, k)
    const out: Reply[] = []
    if (s.groups === undefined) return out
    for (const name of sortedNames(s.groups)) {
      const g = s.groups.get(name)!
      out.push(
        new MapReply([
          'name', nameReply(name),
          'consumers', g.consumers.size,
          'pending', g.pel.size,
          'last-delivered-id', idReply(g.lastMs, g.lastSeq),
          'entries-read', entriesReadReply(g),
          'lag', groupLag(s, g),
        ]),
      )
    }
    return out
  },
})

export const XINFO_CONSUMERS = defineCommand('xinfo|consumers', {
  parse: (a): [string, string] => [key(a[0]!), key(a[1]!)],
  run(ctx, [k, gname]: [string, string]): Reply {
    const s = infoStream(ctx, k)
    const g = groupOf(s, gname)
    if (g === undefined) noGroupForKey(k, gname)
    const now = ctx.ks.now()
    const out: Reply[] = []
    for (const name of sortedNames(g.consumers)) {
      const c = g.consumers.get(name)!
      out.push(
        new MapReply([
          'name', nameReply(name),
          'pending', c.pel.size,
          'idle', Math.max(0, now - c.seenTime),
          'inactive', c.activeTime === -1 ? -1 : Math.max(0, now - c.activeTime),
        ]),
      )
    }
    return out
  },
})

// ---------------------------------------------------------------- XSETID

export interface XSetIdArgs {
  key: string
  id: StreamId
  entriesAdded: number | bigint
  maxDeleted?: StreamId
}

export const XSETID = defineCommand('xsetid', {
  parse(a): XSetIdArgs {
    const id = strictId(a[1]!)
    const r: XSetIdArgs = { key: key(a[0]!), id, entriesAdded: -1 }
    for (let i = 2; i < a.length; i++) {
      const more = a.length - 1 - i
      const o = kw(a[i]!)
      if (o === 'ENTRIESADDED' && more > 0) {
        const n = int64(a[++i]!)
        if (n < 0) fail('entries_added must be positive')
        r.entriesAdded = n
      } else if (o === 'MAXDELETEDID' && more > 0) {
        const m = strictId(a[++i]!)
        if (cmpId(id.ms, id.seq, m.ms, m.seq) < 0) fail('The ID specified in XSETID is smaller than the provided max_deleted_entry_id')
        r.maxDeleted = m
      } else syntaxError()
    }
    return r
  },
  run(ctx, a: XSetIdArgs): Reply {
    const e = ctx.db.lookup(a.key)
    if (e === undefined) fail(E.NO_SUCH_KEY)
    if (e.type !== T.STREAM) wrongType()
    const s = e.value as Stream
    const { id } = a
    if (cmpId(id.ms, id.seq, s.maxDelMs, s.maxDelSeq) < 0) fail('The ID specified in XSETID is smaller than current max_deleted_entry_id')
    if (s.length > 0) {
      const max = s.lastValidId()
      if (cmpId(id.ms, id.seq, max.ms, max.seq) < 0) fail('The ID specified in XSETID is smaller than the target stream top item')
      if (a.entriesAdded !== -1 && s.length > a.entriesAdded) fail('The entries_added specified in XSETID is smaller than the target stream length')
    }
    s.lastMs = id.ms
    s.lastSeq = id.seq
    if (a.entriesAdded !== -1) s.entriesAdded = typeof a.entriesAdded === 'bigint' ? u64(a.entriesAdded) : a.entriesAdded
    if (a.maxDeleted !== undefined && !(a.maxDeleted.ms === 0 && a.maxDeleted.seq === 0)) {
      s.maxDelMs = a.maxDeleted.ms
      s.maxDelSeq = a.maxDeleted.seq
    }
    notifyOnly(ctx, 'xsetid', a.key)
    if (ctx.ks.fx) {
      ctx.effect(
        'XSETID', a.key, idString(s.lastMs, s.lastSeq),
        'ENTRIESADDED', String(s.entriesAdded), 'MAXDELETEDID', idString(s.maxDelMs, s.maxDelSeq),
      )
    }
    return OK
  },
})

