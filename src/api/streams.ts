import { Buffer } from 'node:buffer'
import { keyOf, ownValue, type Bytes, type StrValue } from '../core/bytes.js'
import { fail, ReplyError } from '../core/errors.js'
import { MapReply, NULL_ARRAY, type Reply } from '../core/reply.js'
import {
  MAX_AUTOCLAIM_COUNT,
  XACK,
  XAUTOCLAIM,
  XCLAIM,
  XDEL,
  XGROUP_CREATE,
  XGROUP_CREATECONSUMER,
  XGROUP_DELCONSUMER,
  XGROUP_DESTROY,
  XGROUP_SETID,
  XINFO_CONSUMERS,
  XINFO_GROUPS,
  XINFO_STREAM,
  XLEN,
  XPENDING,
  XRANGE,
  XREAD,
  XREADGROUP,
  XREVRANGE,
  XSETID,
  XTRIM,
  xaddRun,
  type XAddArgs,
  type XReadArgs,
} from '../commands/streams.js'
import { serveReady } from '../keyspace/blocking.js'
import { parseId, U64_MAX, nextId, prevId, type StreamId, type TrimSpec } from '../types/stream.js'
import type { StoreCore } from '../store-core.js'
import { int64Of, isInt64, valueOf, type Key, type Value } from './strings.js'

/** A stream entry: its ID and its fields (a field given twice keeps its last value). */
export interface StreamEntry {
  id: string
  fields: Map<string, string>
}

/**
 * An entry read from a consumer's pending list or claimed: `fields` is null
 * when the message was deleted from the stream after it was delivered.
 */
export interface PendingEntry {
  id: string
  fields: Map<string, string> | null
}

/** Fields for XADD: an object, a Map, or [field, value] pairs (pairs keep order and duplicates). */
export type StreamFields = Record<string, Value> | Map<Bytes, Value> | ReadonlyArray<readonly [Bytes, Value]>

/** Trimming options of XADD and XTRIM: keep at most `maxlen` entries, or drop those with IDs below `minid`. */
export interface StreamTrimOptions {
  maxlen?: number
  minid?: string
  /** `~`: trim only whole nodes (cheaper; may keep a few more entries). */
  approx?: boolean
  /** With `approx`: remove at most this many entries (0 = no limit). */
  limit?: number
}

/** Options of `xadd()`. */
export interface XAddOptions extends StreamTrimOptions {
  /** Do not create the stream when it does not exist (the call then returns null). */
  noMkStream?: boolean
}

/** Options of `xread()`. */
export interface XReadOptions {
  /** At most this many entries per stream. */
  count?: number
  /** Wait up to this many ms for new entries (0 = forever): the call returns a Promise. */
  block?: number
  /** Ends a blocking wait early: the Promise rejects with the signal's reason. */
  signal?: AbortSignal
}

/** Options of `xreadgroup()`. */
export interface XReadGroupOptions extends XReadOptions {
  /** Do not add the delivered entries to the pending list. */
  noAck?: boolean
}

/** Streams to read, with the ID to read after (`$` = only new entries, `+` = the last entry, `>` = new for the group). */
export type StreamOffsets = Record<string, string> | ReadonlyArray<readonly [Key, string]>

/** What `xread()` returns for one stream. */
export interface StreamRead {
  key: string
  entries: StreamEntry[]
}

/** What `xreadgroup()` returns for one stream (history reads may include deleted messages). */
export interface StreamGroupRead {
  key: string
  entries: PendingEntry[]
}

/** XPENDING's summary. */
export interface PendingSummary {
  count: number
  /** Smallest and greatest pending IDs (null when nothing is pending). */
  min: string | null
  max: string | null
  consumers: Array<{ name: string; pending: number }>
}

/** One pending entry, as XPENDING's extended form gives it. */
export interface PendingInfo {
  id: string
  consumer: string
  /** ms since the last delivery. */
  idle: number
  /** Times delivered (a number: past 2^53, as set by RETRYCOUNT, it is rounded; `call()` gives it exactly). */
  deliveries: number
}

/** Options of `xclaim()`. */
export interface XClaimOptions {
  /** Set the idle time (ms) of the claimed entries. */
  idle?: number
  /** Set the last delivery time (Unix ms). */
  time?: number
  /** Set the delivery counter. */
  retryCount?: number
  /** Create pending entries for IDs that exist in the stream but are not pending. */
  force?: boolean
  /** Move the group's last delivered ID forward to this one. */
  lastId?: string
}

/** XAUTOCLAIM's result. */
export interface AutoClaimResult<T> {
  /** Cursor for the next call ('0-0' when the scan is complete). */
  next: string
  claimed: T[]
  /** IDs that were pending but are gone from the stream (removed from the PEL). */
  deleted: string[]
}

/** The fields XINFO STREAM and XINFO STREAM FULL share. */
export interface StreamInfoBase {
  length: number
  radixTreeKeys: number
  radixTreeNodes: number
  lastGeneratedId: string
  maxDeletedEntryId: string
  entriesAdded: number | bigint
  recordedFirstEntryId: string
}

/** XINFO STREAM. */
export interface StreamInfo extends StreamInfoBase {
  groups: number
  firstEntry: StreamEntry | null
  lastEntry: StreamEntry | null
}

/** XINFO GROUPS, per group. */
export interface GroupInfo {
  name: string
  consumers: number
  pending: number
  lastDeliveredId: string
  /** Logical count of entries read (null when unknown). */
  entriesRead: number | bigint | null
  /** Entries not yet delivered (null when it cannot be known). */
  lag: number | bigint | null
}

/** XINFO CONSUMERS, per consumer. */
export interface ConsumerInfo {
  name: string
  pending: number
  /** ms since the consumer last read or claimed (even with no result). */
  idle: number
  /** ms since it last got something, or -1 if never. */
  inactive: number
}

/** XINFO STREAM FULL. */
export interface StreamInfoFull extends StreamInfoBase {
  entries: StreamEntry[]
  groups: Array<{
    name: string
    lastDeliveredId: string
    entriesRead: number | bigint | null
    lag: number | bigint | null
    pelCount: number
    pending: Array<{ id: string; consumer: string; deliveryTime: number; deliveries: number }>
    consumers: Array<{
      name: string
      seenTime: number
      activeTime: number
      pelCount: number
      pending: Array<{ id: string; deliveryTime: number; deliveries: number }>
    }>
  }>
}

// ---------------------------------------------------------------- conversions

const text = (r: Reply): string => (typeof r === 'string' ? r : Buffer.isBuffer(r) ? r.toString('utf8') : String(r))

function fieldsOf(fv: Reply): Map<string, string> {
  const arr = fv as StrValue[]
  const m = new Map<string, string>()
  for (let i = 0; i < arr.length; i += 2) m.set(text(arr[i]!), text(arr[i + 1]!))
  return m
}

function entryOf(r: Reply): StreamEntry {
  const [id, fv] = r as [string, Reply]
  return { id, fields: fieldsOf(fv) }
}

function pendingEntryOf(r: Reply): PendingEntry {
  if (r === null) return { id: '', fields: null }
  const [id, fv] = r as [string, Reply]
  return { id, fields: fv === NULL_ARRAY || fv === null ? null : fieldsOf(fv) }
}

/** A MapReply (or its flat RESP2 form) as a JS Map from field name to reply. */
/** The fields XINFO STREAM and XINFO STREAM FULL share, from either reply. */
function streamInfoBase(m: Map<string, Reply>): StreamInfoBase {
  return {
    length: num(m.get('length')),
    radixTreeKeys: num(m.get('radix-tree-keys')),
    radixTreeNodes: num(m.get('radix-tree-nodes')),
    lastGeneratedId: text(m.get('last-generated-id')!),
    maxDeletedEntryId: text(m.get('max-deleted-entry-id')!),
    entriesAdded: big(m.get('entries-added')),
    recordedFirstEntryId: text(m.get('recorded-first-entry-id')!),
  }
}

function mapOf(r: Reply): Map<string, Reply> {
  const items = r instanceof MapReply ? r.entries : (r as Reply[])
  const m = new Map<string, Reply>()
  for (let i = 0; i < items.length; i += 2) m.set(text(items[i]!), items[i + 1]!)
  return m
}

const num = (r: Reply | undefined): number => Number(r)
const big = (r: Reply | undefined): number | bigint => (typeof r === 'bigint' ? r : Number(r))
const nullableBig = (r: Reply | undefined): number | bigint | null => (r === null || r === undefined ? null : big(r))

/** XADD's field/value list from the typed forms. */
function fieldList(f: StreamFields): StrValue[] {
  const out: StrValue[] = []
  if (f instanceof Map) for (const [k, v] of f) out.push(ownValue(k), valueOf(v))
  else if (Array.isArray(f)) for (const [k, v] of f as ReadonlyArray<readonly [Bytes, Value]>) out.push(ownValue(k), valueOf(v))
  else for (const k of Object.keys(f)) out.push(k, valueOf((f as Record<string, Value>)[k]!))
  if (out.length === 0) fail("wrong number of arguments for 'xadd' command")
  return out
}

function idArg(id: string): StreamId {
  const p = parseId(id, 0, true)
  if (p === undefined) fail('Invalid stream ID specified as stream command argument')
  return p
}

/**
 * Trim options, checked in the order XADD and XTRIM parse them: the strategy's value and LIMIT's
 * here, then (after XADD's ID) the checks of `trimSpec`.
 */
function trimValues(o: StreamTrimOptions): { id?: StreamId; maxlen?: number; limit?: number } {
  if (o.maxlen !== undefined && o.minid !== undefined) fail('syntax error, MAXLEN and MINID options at the same time are not compatible')
  const v: { id?: StreamId; maxlen?: number; limit?: number } = {}
  if (o.maxlen !== undefined) {
    v.maxlen = int64Of(o.maxlen)
    if (v.maxlen < 0) fail('The MAXLEN argument must be >= 0.')
  } else if (o.minid !== undefined) v.id = idArg(o.minid)
  if (o.limit !== undefined) {
    v.limit = int64Of(o.limit)
    if (v.limit < 0) fail('The LIMIT argument must be >= 0.')
  }
  return v
}

function trimSpec(store: StoreCore, o: StreamTrimOptions, xadd: boolean, v = trimValues(o)): TrimSpec | undefined {
  if (o.maxlen === undefined && o.minid === undefined) {
    if (v.limit !== undefined && v.limit !== 0) fail('syntax error, LIMIT cannot be used without specifying a trimming strategy')
    if (!xadd) fail('syntax error, XTRIM must be called with a trimming strategy')
    return undefined
  }
  const approx = o.approx === true
  let limit = 0
  if (v.limit !== undefined) {
    if (!approx) fail('syntax error, LIMIT cannot be used without the special ~ option')
    limit = v.limit
  } else if (approx) {
    limit = 100 * store.ks.config.get<number>('stream-node-max-entries')
    if (limit <= 0 || limit > 10000) limit = 10000
  }
  if (v.maxlen !== undefined) return { strategy: 'MAXLEN', approx, maxlen: v.maxlen, minMs: 0, minSeq: 0, limit }
  return { strategy: 'MINID', approx, maxlen: 0, minMs: v.id!.ms, minSeq: v.id!.seq, limit }
}

function offsets(streams: StreamOffsets): { keys: string[]; ids: string[] } {
  const keys: string[] = []
  const ids: string[] = []
  if (Array.isArray(streams)) {
    for (const [k, id] of streams as ReadonlyArray<readonly [Key, string]>) {
      keys.push(keyOf(k))
      ids.push(id)
    }
  } else {
    for (const k of Object.keys(streams)) {
      keys.push(k)
      ids.push((streams as Record<string, string>)[k]!)
    }
  }
  if (keys.length === 0) fail('syntax error')
  return { keys, ids }
}

function readArgs(streams: StreamOffsets, o: XReadGroupOptions | undefined, group?: [string, string]): XReadArgs {
  const { keys, ids } = offsets(streams)
  const count = o?.count === undefined ? 0 : Math.max(0, int64Of(o.count))
  let block = -1
  if (o?.block !== undefined) {
    block = int64Of(o.block, 'timeout is not an integer or out of range')
    if (block < 0) fail('timeout is negative')
  }
  const a: XReadArgs = { count, block, noAck: o?.noAck === true, keys, ids, signal: o?.signal }
  if (group !== undefined) {
    a.group = group[0]
    a.consumer = group[1]
  }
  return a
}

function readResult<T>(r: Reply, entry: (x: Reply) => T): Array<{ key: string; entries: T[] }> | null {
  // A blocked read re-run after a wake-up may answer an error (NOGROUP when the group was destroyed).
  if (r instanceof ReplyError) throw r
  if (r === NULL_ARRAY || r === null) return null
  const pairs: Reply[] = r instanceof MapReply ? chunk(r.entries) : (r as Reply[])
  return pairs.map((p) => {
    const [k, items] = p as [Reply, Reply[]]
    return { key: text(k), entries: items.map(entry) }
  })
}

function chunk(flat: Reply[]): Reply[] {
  const out: Reply[] = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!])
  return out
}

function rangeBounds(start: string, end: string): { start: StreamId; end: StreamId } {
  const bound = (s: string, isStart: boolean): StreamId => {
    if (s.length > 1 && s.charCodeAt(0) === 40) {
      const id = parseId(s.slice(1), isStart ? 0 : U64_MAX, true)
      if (id === undefined) fail('Invalid stream ID specified as stream command argument')
      const b = isStart ? nextId(id.ms, id.seq) : prevId(id.ms, id.seq)
      if (b === undefined) fail(isStart ? 'invalid start ID for the interval' : 'invalid end ID for the interval')
      return b
    }
    const id = parseId(s, isStart ? 0 : U64_MAX, false)
    if (id === undefined) fail('Invalid stream ID specified as stream command argument')
    return id
  }
  return { start: bound(start, true), end: bound(end, false) }
}

// ---------------------------------------------------------------- the API

/**
 * Stream commands on the typed Store: an append-only log with IDs from the
 * clock, range reads, blocking reads, and consumer groups with pending lists
 * and claiming.
 */
export class StreamsApi {
  /**
   * XADD: appends an entry and returns its ID. `id` is `*` for an ID from the
   * clock (always increasing, even if the clock goes back), `ms-*` for the
   * next sequence within `ms`, or an explicit `ms-seq` greater than the last.
   * With `noMkStream`, a missing stream is not created and null is returned.
   *
   * ```ts
   * store.xadd('events', '*', { type: 'click', page: '/home' })  // '1700000000000-0'
   * store.xadd('events', '*', { type: 'view' }, { maxlen: 1000, approx: true })
   * ```
   */
  xadd(this: StoreCore, key: Key, id: string, fields: StreamFields, options?: XAddOptions): string | null {
    const a: XAddArgs = { key: keyOf(key), fields: fieldList(fields), noMkStream: options?.noMkStream === true }
    // After the arity error (no fields), as Redis refuses a denyoom command.
    this.beforeWrite()
    // XADD's order: the trim values, the ID, the trim checks, then the 0-0 check.
    const values = options === undefined ? undefined : trimValues(options)
    if (id !== '*') {
      const p = parseId(id, 0, true, true)
      if (p === undefined) fail('Invalid stream ID specified as stream command argument')
      a.id = p
    }
    if (options !== undefined) {
      const t = trimSpec(this, options, true, values)
      if (t !== undefined) a.trim = t
    }
    if (a.id !== undefined && a.id.seqGiven && a.id.ms === 0 && a.id.seq === 0) fail('The ID specified in XADD must be greater than 0-0')
    const r = xaddRun(this.s, a) as string | null
    serveReady(this, this.s)
    return r
  }

  /** XLEN: number of entries (0 for a missing key). */
  xlen(this: StoreCore, key: Key): number {
    return XLEN.run(this.s, keyOf(key)) as number
  }

  /**
   * XRANGE: entries with IDs from `start` to `end` inclusive (`-` and `+` for
   * the ends, `(id` for an exclusive bound), oldest first.
   */
  xrange(this: StoreCore, key: Key, start = '-', end = '+', options?: { count?: number }): StreamEntry[] {
    const b = rangeBounds(start, end)
    const count = options?.count === undefined ? -1 : Math.max(0, int64Of(options.count))
    const r = XRANGE.run(this.s, { key: keyOf(key), start: b.start, end: b.end, count })
    return r === NULL_ARRAY ? [] : (r as Reply[]).map(entryOf)
  }

  /** XREVRANGE: as `xrange`, newest first; note the bounds are given end first. */
  xrevrange(this: StoreCore, key: Key, end = '+', start = '-', options?: { count?: number }): StreamEntry[] {
    const b = rangeBounds(start, end)
    const count = options?.count === undefined ? -1 : Math.max(0, int64Of(options.count))
    const r = XREVRANGE.run(this.s, { key: keyOf(key), start: b.start, end: b.end, count })
    return r === NULL_ARRAY ? [] : (r as Reply[]).map(entryOf)
  }

  /** XDEL: deletes entries by ID; returns how many existed. */
  xdel(this: StoreCore, key: Key, ...ids: string[]): number {
    if (ids.length === 0) fail("wrong number of arguments for 'xdel' command")
    return XDEL.run(this.s, { key: keyOf(key), ids }) as number
  }

  /** XTRIM: trims by length or minimum ID; returns the number of entries removed. */
  xtrim(this: StoreCore, key: Key, options: StreamTrimOptions): number {
    return XTRIM.run(this.s, { key: keyOf(key), trim: trimSpec(this, options, false)! }) as number
  }

  /**
   * XREAD: entries after the given IDs, per stream (null when there are
   * none). With `block`, waits for new entries and returns a Promise (null on
   * timeout); an XADD from any caller wakes it, first come first served.
   *
   * ```ts
   * const got = await store.xread({ events: '$' }, { block: 5000 })
   * ```
   */
  xread(this: StoreCore, streams: StreamOffsets, options: XReadOptions & { block: number }): Promise<StreamRead[] | null>
  xread(this: StoreCore, streams: StreamOffsets, options?: XReadOptions): StreamRead[] | null
  xread(this: StoreCore, streams: StreamOffsets, options?: XReadOptions): StreamRead[] | null | Promise<StreamRead[] | null> {
    const r = XREAD.run(this.s, readArgs(streams, options))
    if (r instanceof Promise) return r.then((x) => readResult(x, entryOf))
    return readResult(r, entryOf)
  }

  /**
   * XREADGROUP: reads as consumer `consumer` of `group`. `>` gives entries
   * never delivered to the group (and records them as pending for this
   * consumer unless `noAck`); an ID gives this consumer's own pending entries
   * after it. With `block`, returns a Promise as `xread` does.
   */
  xreadgroup(
    this: StoreCore,
    group: Key,
    consumer: Key,
    streams: StreamOffsets,
    options: XReadGroupOptions & { block: number },
  ): Promise<StreamGroupRead[] | null>
  xreadgroup(this: StoreCore, group: Key, consumer: Key, streams: StreamOffsets, options?: XReadGroupOptions): StreamGroupRead[] | null
  xreadgroup(
    this: StoreCore,
    group: Key,
    consumer: Key,
    streams: StreamOffsets,
    options?: XReadGroupOptions,
  ): StreamGroupRead[] | null | Promise<StreamGroupRead[] | null> {
    const r = XREADGROUP.run(this.s, readArgs(streams, options, [keyOf(group), keyOf(consumer)]))
    if (r instanceof Promise) return r.then((x) => readResult(x, pendingEntryOf))
    return readResult(r, pendingEntryOf)
  }

  /**
   * XGROUP CREATE: a consumer group reading after `id` (`$` = only new
   * entries, `0` = everything). `mkStream` creates an empty stream if needed.
   */
  xgroupCreate(this: StoreCore, key: Key, group: Key, id: string, options?: { mkStream?: boolean; entriesRead?: number }): 'OK' {
    this.beforeWrite()
    XGROUP_CREATE.run(this.s, {
      key: keyOf(key),
      group: keyOf(group),
      id,
      mkStream: options?.mkStream === true,
      entriesRead: entriesReadArg(options?.entriesRead),
    })
    return 'OK'
  }

  /** XGROUP SETID: moves the group's last delivered ID (`$` = the stream's last ID). */
  xgroupSetid(this: StoreCore, key: Key, group: Key, id: string, options?: { entriesRead?: number }): 'OK' {
    XGROUP_SETID.run(this.s, { key: keyOf(key), group: keyOf(group), id, mkStream: false, entriesRead: entriesReadArg(options?.entriesRead) })
    return 'OK'
  }

  /** XGROUP DESTROY: removes a group; true when it existed. Clients blocked reading it get NOGROUP. */
  xgroupDestroy(this: StoreCore, key: Key, group: Key): boolean {
    const r = XGROUP_DESTROY.run(this.s, [keyOf(key), keyOf(group)]) === 1
    serveReady(this, this.s)
    return r
  }

  /** XGROUP CREATECONSUMER: true when the consumer was created. */
  xgroupCreateconsumer(this: StoreCore, key: Key, group: Key, consumer: Key): boolean {
    this.beforeWrite()
    return XGROUP_CREATECONSUMER.run(this.s, [keyOf(key), keyOf(group), keyOf(consumer)]) === 1
  }

  /** XGROUP DELCONSUMER: removes a consumer and its pending entries; returns how many it had pending. */
  xgroupDelconsumer(this: StoreCore, key: Key, group: Key, consumer: Key): number {
    return XGROUP_DELCONSUMER.run(this.s, [keyOf(key), keyOf(group), keyOf(consumer)]) as number
  }

  /** XACK: acknowledges entries (removes them from the pending lists); returns how many were pending. */
  xack(this: StoreCore, key: Key, group: Key, ...ids: string[]): number {
    if (ids.length === 0) fail("wrong number of arguments for 'xack' command")
    return XACK.run(this.s, { key: keyOf(key), group: keyOf(group), ids }) as number
  }

  /** XPENDING's summary: how many entries are pending, their ID range, and per consumer. */
  xpending(this: StoreCore, key: Key, group: Key): PendingSummary {
    const r = XPENDING.run(this.s, { key: keyOf(key), group: keyOf(group) }) as Reply[]
    const owners = r[3] === NULL_ARRAY ? [] : (r[3] as Reply[][])
    return {
      count: num(r[0]),
      min: r[1] === null ? null : text(r[1]!),
      max: r[2] === null ? null : text(r[2]!),
      consumers: owners.map(([n, c]) => ({ name: text(n!), pending: Number(text(c!)) })),
    }
  }

  /** XPENDING's extended form: pending entries from `start` to `end`, optionally idle at least `idle` ms or of one consumer. */
  xpendingRange(
    this: StoreCore,
    key: Key,
    group: Key,
    start: string,
    end: string,
    count: number,
    options?: { idle?: number; consumer?: Key },
  ): PendingInfo[] {
    const b = rangeBounds(start, end)
    const range: { start: StreamId; end: StreamId; count: number; idle: number; consumer?: string } = {
      start: b.start,
      end: b.end,
      count: Math.max(0, int64Of(count)),
      idle: options?.idle === undefined ? 0 : int64Of(options.idle),
    }
    if (options?.consumer !== undefined) range.consumer = keyOf(options.consumer)
    const r = XPENDING.run(this.s, { key: keyOf(key), group: keyOf(group), range }) as Reply[][]
    return r.map(([id, c, idle, n]) => ({ id: text(id!), consumer: text(c!), idle: num(idle), deliveries: num(n) }))
  }

  /**
   * XCLAIM: takes pending entries idle for at least `minIdle` ms over for
   * `consumer`, returning them (fields null for deleted messages, which
   * leave the pending list).
   */
  xclaim(this: StoreCore, key: Key, group: Key, consumer: Key, minIdle: number, ids: readonly string[], options?: XClaimOptions): PendingEntry[] {
    return (claim(this, key, group, consumer, minIdle, ids, options, false) as Reply[]).map(pendingEntryOf)
  }

  /** XCLAIM JUSTID: as `xclaim`, returning only the IDs and leaving the delivery counters alone. */
  xclaimJustId(this: StoreCore, key: Key, group: Key, consumer: Key, minIdle: number, ids: readonly string[], options?: XClaimOptions): string[] {
    return (claim(this, key, group, consumer, minIdle, ids, options, true) as Reply[]).map(text)
  }

  /**
   * XAUTOCLAIM: scans the group's pending list from `start` and claims up to
   * `count` (default 100) entries idle for at least `minIdle` ms. Call again
   * with `next` until it is '0-0'.
   */
  xautoclaim(this: StoreCore, key: Key, group: Key, consumer: Key, minIdle: number, start: string, options?: { count?: number }): AutoClaimResult<PendingEntry> {
    const r = autoclaim(this, key, group, consumer, minIdle, start, options, false)
    return { next: text(r[0]!), claimed: (r[1] as Reply[]).map(pendingEntryOf), deleted: (r[2] as Reply[]).map(text) }
  }

  /** XAUTOCLAIM JUSTID: as `xautoclaim`, with IDs only. */
  xautoclaimJustId(this: StoreCore, key: Key, group: Key, consumer: Key, minIdle: number, start: string, options?: { count?: number }): AutoClaimResult<string> {
    const r = autoclaim(this, key, group, consumer, minIdle, start, options, true)
    return { next: text(r[0]!), claimed: (r[1] as Reply[]).map(text), deleted: (r[2] as Reply[]).map(text) }
  }

  /** XINFO STREAM. */
  xinfoStream(this: StoreCore, key: Key): StreamInfo {
    const m = mapOf(XINFO_STREAM.run(this.s, { key: keyOf(key), opts: [] }) as Reply)
    const entry = (r: Reply | undefined): StreamEntry | null => (r === null || r === undefined ? null : entryOf(r))
    return {
      ...streamInfoBase(m),
      groups: num(m.get('groups')),
      firstEntry: entry(m.get('first-entry')),
      lastEntry: entry(m.get('last-entry')),
    }
  }

  /** XINFO STREAM FULL: everything, with at most `count` (default 10, 0 = all) entries and pending entries per list. */
  xinfoStreamFull(this: StoreCore, key: Key, options?: { count?: number }): StreamInfoFull {
    const opts = options?.count === undefined ? ['FULL'] : ['FULL', 'COUNT', String(int64Of(options.count))]
    const m = mapOf(XINFO_STREAM.run(this.s, { key: keyOf(key), opts }) as Reply)
    return {
      ...streamInfoBase(m),
      entries: (m.get('entries') as Reply[]).map(entryOf),
      groups: (m.get('groups') as Reply[]).map((gr) => {
        const g = mapOf(gr)
        return {
          name: text(g.get('name')!),
          lastDeliveredId: text(g.get('last-delivered-id')!),
          entriesRead: nullableBig(g.get('entries-read')),
          lag: nullableBig(g.get('lag')),
          pelCount: num(g.get('pel-count')),
          pending: (g.get('pending') as Reply[][]).map(([id, c, t, n]) => ({ id: text(id!), consumer: text(c!), deliveryTime: num(t), deliveries: num(n) })),
          consumers: (g.get('consumers') as Reply[]).map((cr) => {
            const c = mapOf(cr)
            return {
              name: text(c.get('name')!),
              seenTime: num(c.get('seen-time')),
              activeTime: num(c.get('active-time')),
              pelCount: num(c.get('pel-count')),
              pending: (c.get('pending') as Reply[][]).map(([id, t, n]) => ({ id: text(id!), deliveryTime: num(t), deliveries: num(n) })),
            }
          }),
        }
      }),
    }
  }

  /** XINFO GROUPS. */
  xinfoGroups(this: StoreCore, key: Key): GroupInfo[] {
    return (XINFO_GROUPS.run(this.s, keyOf(key)) as Reply[]).map((r) => {
      const m = mapOf(r)
      return {
        name: text(m.get('name')!),
        consumers: num(m.get('consumers')),
        pending: num(m.get('pending')),
        lastDeliveredId: text(m.get('last-delivered-id')!),
        entriesRead: nullableBig(m.get('entries-read')),
        lag: nullableBig(m.get('lag')),
      }
    })
  }

  /** XINFO CONSUMERS. */
  xinfoConsumers(this: StoreCore, key: Key, group: Key): ConsumerInfo[] {
    return (XINFO_CONSUMERS.run(this.s, [keyOf(key), keyOf(group)]) as Reply[]).map((r) => {
      const m = mapOf(r)
      return { name: text(m.get('name')!), pending: num(m.get('pending')), idle: num(m.get('idle')), inactive: num(m.get('inactive')) }
    })
  }

  /** XSETID: sets the stream's last ID (and optionally entries-added and max-deleted-entry-id). */
  xsetid(this: StoreCore, key: Key, id: string, options?: { entriesAdded?: number; maxDeletedId?: string }): 'OK' {
    this.beforeWrite()
    const a: { key: string; id: StreamId; entriesAdded: number | bigint; maxDeleted?: StreamId } = { key: keyOf(key), id: idArg(id), entriesAdded: -1 }
    if (options?.entriesAdded !== undefined) {
      const n = int64Of(options.entriesAdded)
      if (n < 0) fail('entries_added must be positive')
      a.entriesAdded = n
    }
    if (options?.maxDeletedId !== undefined) {
      const m = idArg(options.maxDeletedId)
      if (m.ms > a.id.ms || (m.ms == a.id.ms && m.seq > a.id.seq)) fail('The ID specified in XSETID is smaller than the provided max_deleted_entry_id')
      a.maxDeleted = m
    }
    XSETID.run(this.s, a)
    return 'OK'
  }
}

function entriesReadArg(n: number | undefined): number {
  if (n === undefined) return -1
  int64Of(n)
  if (n < 0 && n !== -1) fail('value for ENTRIESREAD must be positive or -1')
  return n
}

function claim(
  store: StoreCore,
  key: Key,
  group: Key,
  consumer: Key,
  minIdle: number,
  ids: readonly string[],
  o: XClaimOptions | undefined,
  justId: boolean,
): Reply {
  if (ids.length === 0) fail("wrong number of arguments for 'xclaim' command")
  // The command reads these as it reads its arguments, after finding the group, so the errors come
  // in Redis's order (an ID that does not parse ends the IDs and is read as an option, as in Redis).
  const rest: string[] = [...ids]
  if (o?.idle !== undefined) rest.push('IDLE', String(o.idle))
  if (o?.time !== undefined) rest.push('TIME', String(o.time))
  if (o?.retryCount !== undefined) rest.push('RETRYCOUNT', String(o.retryCount))
  if (o?.force) rest.push('FORCE')
  if (justId) rest.push('JUSTID')
  if (o?.lastId !== undefined) rest.push('LASTID', o.lastId)
  return XCLAIM.run(store.s, { key: keyOf(key), group: keyOf(group), consumer: keyOf(consumer), minIdle: String(minIdle), rest }) as Reply
}

function autoclaim(
  store: StoreCore,
  key: Key,
  group: Key,
  consumer: Key,
  minIdle: number,
  start: string,
  o: { count?: number } | undefined,
  justId: boolean,
): Reply[] {
  // XAUTOCLAIM's order: min-idle, start, COUNT.
  const idle = Math.max(0, int64Of(minIdle, 'Invalid min-idle-time argument for XAUTOCLAIM'))
  const from = rangeBounds(start, '+').start
  const count = o?.count === undefined ? 100 : o.count
  if (!isInt64(count) || count < 1 || count > MAX_AUTOCLAIM_COUNT) fail('COUNT must be > 0')
  return XAUTOCLAIM.run(store.s, { key: keyOf(key), group: keyOf(group), consumer: keyOf(consumer), minIdle: idle, start: from, count, justId }) as Reply[]
}
