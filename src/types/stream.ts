/**
 * The stream data type, shaped like Redis's so that every observable detail
 * matches: entries live in nodes the way Redis packs them into listpacks
 * (a new node after `stream-node-max-entries` entries or when the node's
 * listpack would reach `stream-node-max-bytes`), deleted entries stay in their
 * node as tombstones until the node empties, and approximate trimming (`~`)
 * removes whole nodes only — so XTRIM/XADD with `~`, XINFO's radix-tree
 * counters and XLEN agree with Redis.
 *
 * Stream IDs are two unsigned 64-bit integers. Each half is a JS number while
 * it is at most 2^53 - 1 and a bigint beyond (the `U64` type); numbers and
 * bigints compare correctly with `<`, `>` and `==`, and the normal form makes
 * `===` exact too. Real timestamps and sequence numbers stay numbers.
 *
 * Seeks by ID are O(log n) (binary search over nodes, then inside a node);
 * appends are O(1). Consumer-group PELs are ordered maps by ID (`IdMap`).
 */

import { Buffer } from 'node:buffer'
import type { StrValue } from '../core/bytes.js'
import { string2ll } from '../core/numbers.js'

/** An unsigned 64-bit integer: a number up to 2^53 - 1, a bigint beyond. */
export type U64 = number | bigint

export const MAX_SAFE = Number.MAX_SAFE_INTEGER
export const U64_MAX = 0xffffffffffffffffn

/** The normal form of a bigint in 0..2^64-1. */
export const u64 = (b: bigint): U64 => (b <= 9007199254740991n ? Number(b) : b)

/** x + 1 (callers make sure x < 2^64 - 1). */
export const inc64 = (x: U64): U64 => (typeof x === 'number' ? (x === MAX_SAFE ? 9007199254740992n : x + 1) : x + 1n)

/** x - 1 (callers make sure x > 0). */
export const dec64 = (x: U64): U64 => (typeof x === 'number' ? x - 1 : u64(x - 1n))

/** Compares two IDs: negative, zero or positive. */
export function cmpId(am: U64, as: U64, bm: U64, bs: U64): number {
  if (am < bm) return -1
  if (am > bm) return 1
  if (as < bs) return -1
  if (as > bs) return 1
  return 0
}

/** A stream ID. */
export interface StreamId {
  ms: U64
  seq: U64
}

export const idString = (ms: U64, seq: U64): string => `${ms}-${seq}`

export const isMaxId = (ms: U64, seq: U64): boolean => ms === U64_MAX && seq === U64_MAX

/** The ID after (ms, seq), or undefined for the last possible ID (Redis's streamIncrID). */
export function nextId(ms: U64, seq: U64): StreamId | undefined {
  if (seq === U64_MAX) {
    if (ms === U64_MAX) return undefined
    return { ms: inc64(ms), seq: 0 }
  }
  return { ms, seq: inc64(seq) }
}

/** The ID before (ms, seq), or undefined for 0-0 (Redis's streamDecrID). */
export function prevId(ms: U64, seq: U64): StreamId | undefined {
  if (seq === 0) {
    if (ms === 0) return undefined
    return { ms: dec64(ms), seq: U64_MAX }
  }
  return { ms, seq: dec64(seq) }
}

// ---------------------------------------------------------------- listpack sizes

/**
 * Bytes a listpack entry takes for an integer: encoding + backlen (Redis
 * stores a canonical int64 string or integer in the smallest int form).
 */
export function lpIntSize(v: number | bigint): number {
  if (typeof v === 'bigint') {
    if (v >= -2147483648n && v <= 2147483647n) return lpIntSize(Number(v))
    return 10 // 0xF4 + 8 bytes, backlen 1
  }
  if (v >= 0 && v <= 127) return 2
  if (v >= -4096 && v <= 4095) return 3
  if (v >= -32768 && v <= 32767) return 4
  if (v >= -8388608 && v <= 8388607) return 5
  if (v >= -2147483648 && v <= 2147483647) return 6
  return 10
}

const backlenSize = (n: number): number => (n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5)

/** Bytes a listpack entry takes for a string element (integers when the bytes are a canonical int64). */
export function lpElementSize(v: StrValue): number {
  let len: number
  if (typeof v === 'string') {
    if (v.length <= 20) {
      const n = string2ll(v)
      if (n !== undefined) return lpIntSize(n)
    }
    len = v.length < 64 && isAscii(v) ? v.length : Buffer.byteLength(v, 'utf8')
  } else {
    len = v.length
    if (len <= 20 && len > 0) {
      const n = string2ll(v.toString('latin1'))
      if (n !== undefined) return lpIntSize(n)
    }
  }
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len
  return enc + backlenSize(enc)
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false
  return true
}

/** Raw byte length of a value (Redis's totelelen counts these). */
export const rawLength = (v: StrValue): number => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length)

function valuesEqual(a: StrValue, b: StrValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b
  const ab = typeof a === 'string' ? Buffer.from(a, 'utf8') : a
  const bb = typeof b === 'string' ? Buffer.from(b, 'utf8') : b
  return ab.equals(bb)
}

/** The difference of two u64 as Redis stores it in a listpack: (int64)(a - b). */
function diff64(a: U64, b: U64): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return BigInt.asIntN(64, BigInt(a) - BigInt(b))
}

// ---------------------------------------------------------------- nodes

/** Entry flag bits (as in Redis's listpack entries). */
const FLAG_DELETED = 1
const FLAG_SAMEFIELDS = 2

/** One node: the entries Redis would keep in one listpack, tombstones included. */
export class StreamNode {
  /** Entry IDs, in order (the first is the node's master ID). */
  ms: U64[] = []
  seq: U64[] = []
  /** Field/value pairs per entry, flattened: [f1, v1, f2, v2, ...]. */
  fv: StrValue[][] = []
  flags: number[] = []
  /** Live and tombstoned entries. */
  live = 0
  deleted = 0
  /** The master entry's fields (those of the node's first entry). */
  readonly masterFields: StrValue[]
  /** Listpack bytes of everything but the live/deleted counters. */
  private fixedBytes: number

  constructor(fields: StrValue[]) {
    this.masterFields = fields
    // header (6) + end byte (1) + num-fields + fields + the master terminator `0`
    let b = 7 + lpIntSize(fields.length) + 2
    for (const f of fields) b += lpElementSize(f)
    this.fixedBytes = b
  }

  /** The listpack's byte size, as Redis's lpBytes would report it. */
  get bytes(): number {
    return this.fixedBytes + lpIntSize(this.live) + lpIntSize(this.deleted)
  }

  get size(): number {
    return this.ms.length
  }

  /** Appends an entry (the caller has checked order and room). */
  push(ms: U64, seq: U64, fv: StrValue[]): void {
    const n = this.ms.length
    const mf = this.masterFields
    let same = fv.length === mf.length * 2
    if (same) {
      for (let i = 0; i < mf.length; i++) {
        if (!valuesEqual(fv[i * 2]!, mf[i]!)) {
          same = false
          break
        }
      }
    }
    const mms = n === 0 ? ms : this.ms[0]!
    const mseq = n === 0 ? seq : this.seq[0]!
    // flags + ms-diff + seq-diff + fields/values + lp-count, as Redis appends them
    let b = 2 + lpIntSize(diff64(ms, mms)) + lpIntSize(diff64(seq, mseq))
    const nf = fv.length / 2
    if (same) {
      for (let i = 1; i < fv.length; i += 2) b += lpElementSize(fv[i]!)
      b += lpIntSize(nf + 3)
    } else {
      b += lpIntSize(nf)
      for (let i = 0; i < fv.length; i++) b += lpElementSize(fv[i]!)
      b += lpIntSize(nf * 2 + 4)
    }
    this.fixedBytes += b
    this.ms.push(ms)
    this.seq.push(seq)
    this.fv.push(fv)
    this.flags.push(same ? FLAG_SAMEFIELDS : 0)
    this.live++
  }

  isDeleted(i: number): boolean {
    return (this.flags[i]! & FLAG_DELETED) !== 0
  }

  /** Marks entry i deleted (a tombstone); returns false when it already was. */
  markDeleted(i: number): boolean {
    if (this.flags[i]! & FLAG_DELETED) return false
    this.flags[i]! |= FLAG_DELETED
    this.live--
    this.deleted++
    return true
  }

  /** Index of the first entry with ID ≥ (ms, seq), or `size`. */
  lowerBound(ms: U64, seq: U64): number {
    let lo = 0
    let hi = this.ms.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cmpId(this.ms[mid]!, this.seq[mid]!, ms, seq) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** A position in a stream: node index and entry index. */
export interface StreamPos {
  n: number
  i: number
}

// ---------------------------------------------------------------- consumer groups

/** A pending entry: delivered to a consumer of a group, not yet acknowledged. */
export class Nack {
  constructor(
    readonly ms: U64,
    readonly seq: U64,
    public consumer: Consumer | null,
    public deliveryTime: number,
    /** Redis's 64-bit delivery counter (RETRYCOUNT can set any value up to 2^63 - 1). */
    public deliveryCount: U64,
  ) {}
}

/** Items an IdMap holds: anything with an ID. */
interface HasId {
  readonly ms: U64
  readonly seq: U64
}

const CHUNK = 128

/**
 * An ordered map of items keyed by stream ID (a consumer group's or a
 * consumer's PEL): sorted chunks of at most 128 items, so lookups, inserts and
 * deletes are O(log n) searches plus small array moves, and range scans walk
 * the chunks in order.
 */
export class IdMap<T extends HasId> {
  private chunks: T[][] = []
  size = 0

  /** Chunk holding the first item with ID ≥ (ms, seq), and that item's index; c = chunks.length when none. */
  private locate(ms: U64, seq: U64): { c: number; i: number } {
    const chunks = this.chunks
    let lo = 0
    let hi = chunks.length
    // First chunk whose last item is ≥ the ID.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const ch = chunks[mid]!
      const last = ch[ch.length - 1]!
      if (cmpId(last.ms, last.seq, ms, seq) < 0) lo = mid + 1
      else hi = mid
    }
    if (lo === chunks.length) return { c: lo, i: 0 }
    const ch = chunks[lo]!
    let a = 0
    let b = ch.length
    while (a < b) {
      const mid = (a + b) >>> 1
      if (cmpId(ch[mid]!.ms, ch[mid]!.seq, ms, seq) < 0) a = mid + 1
      else b = mid
    }
    return { c: lo, i: a }
  }

  get(ms: U64, seq: U64): T | undefined {
    const { c, i } = this.locate(ms, seq)
    const it = this.chunks[c]?.[i]
    return it !== undefined && it.ms == ms && it.seq == seq ? it : undefined
  }

  /** Inserts an item; returns false (and changes nothing) when its ID is present. */
  insert(item: T): boolean {
    const chunks = this.chunks
    const n = chunks.length
    // Fast path: appending in ID order, the common case for new deliveries.
    if (n > 0) {
      const lastCh = chunks[n - 1]!
      const last = lastCh[lastCh.length - 1]!
      const cmp = cmpId(last.ms, last.seq, item.ms, item.seq)
      if (cmp < 0) {
        if (lastCh.length < CHUNK) lastCh.push(item)
        else chunks.push([item])
        this.size++
        return true
      }
    } else {
      chunks.push([item])
      this.size++
      return true
    }
    let { c, i } = this.locate(item.ms, item.seq)
    if (c === n) {
      c = n - 1
      i = chunks[c]!.length
    }
    const ch = chunks[c]!
    const at = ch[i]
    if (at !== undefined && at.ms == item.ms && at.seq == item.seq) return false
    ch.splice(i, 0, item)
    if (ch.length > CHUNK * 2) chunks.splice(c + 1, 0, ch.splice(CHUNK))
    this.size++
    return true
  }

  /** Removes the item with this ID; returns it, or undefined. */
  delete(ms: U64, seq: U64): T | undefined {
    const { c, i } = this.locate(ms, seq)
    const ch = this.chunks[c]
    const it = ch?.[i]
    if (it === undefined || !(it.ms == ms && it.seq == seq)) return undefined
    ch!.splice(i, 1)
    if (ch!.length === 0) this.chunks.splice(c, 1)
    this.size--
    return it
  }

  /** First item with ID ≥ (ms, seq). */
  ceiling(ms: U64, seq: U64): T | undefined {
    const { c, i } = this.locate(ms, seq)
    return this.chunks[c]?.[i]
  }

  first(): T | undefined {
    return this.chunks[0]?.[0]
  }

  last(): T | undefined {
    const ch = this.chunks[this.chunks.length - 1]
    return ch?.[ch.length - 1]
  }

  /** Items with start ≤ ID ≤ end, in order, at most `limit` of them (0 = no limit) that pass `keep`. */
  range(sm: U64, ss: U64, em: U64, es: U64, limit: number, keep?: (t: T) => boolean): T[] {
    const out: T[] = []
    let { c, i } = this.locate(sm, ss)
    const chunks = this.chunks
    for (; c < chunks.length; c++, i = 0) {
      const ch = chunks[c]!
      for (; i < ch.length; i++) {
        const t = ch[i]!
        if (cmpId(t.ms, t.seq, em, es) > 0) return out
        if (keep !== undefined && !keep(t)) continue
        out.push(t)
        if (limit > 0 && out.length >= limit) return out
      }
    }
    return out
  }

  /** Every item in order. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const ch of this.chunks) yield* ch
  }
}

/** A consumer of a group. */
export class Consumer {
  readonly pel = new IdMap<Nack>()
  /** Last time the consumer tried to read or claim (ms). */
  seenTime: number
  /** Last time it actually read or claimed something (ms), -1 if never. */
  activeTime = -1
  constructor(
    readonly name: string,
    now: number,
  ) {
    this.seenTime = now
  }
}

/** Redis's SCG_INVALID_ENTRIES_READ: the group's read counter is unknown. */
export const ENTRIES_READ_UNKNOWN = -1

/** A consumer group. */
export class ConsumerGroup {
  readonly pel = new IdMap<Nack>()
  readonly consumers = new Map<string, Consumer>()
  constructor(
    readonly name: string,
    public lastMs: U64,
    public lastSeq: U64,
    /** Logical count of entries read, or ENTRIES_READ_UNKNOWN. */
    public entriesRead: number | bigint,
  ) {}
}

// ---------------------------------------------------------------- the stream

/** Node limits (`stream-node-max-bytes`, `stream-node-max-entries`); 0 means no limit on that dimension. */
export interface NodeLimits {
  maxBytes: number
  maxEntries: number
}

/** A trimming request, as XADD and XTRIM parse it. */
export interface TrimSpec {
  strategy: 'MAXLEN' | 'MINID'
  approx: boolean
  maxlen: number
  minMs: U64
  minSeq: U64
  /** Maximum entries to remove (0 = no limit). */
  limit: number
}

const LISTPACK_MAX = 0xffffffff

/** A stream value. */
export class Stream {
  nodes: StreamNode[] = []
  /** Live entries. */
  length = 0
  lastMs: U64 = 0
  lastSeq: U64 = 0
  /** First live entry's ID as Redis records it (0-0 when empty). */
  firstMs: U64 = 0
  firstSeq: U64 = 0
  maxDelMs: U64 = 0
  maxDelSeq: U64 = 0
  /** Entries ever added. */
  entriesAdded: U64 = 0
  /** Consumer groups by name (created lazily). */
  groups: Map<string, ConsumerGroup> | undefined

  /**
   * Appends an entry with an ID known to be greater than the last one, in a
   * new node when the tail node is full (Redis's streamAppendItem).
   */
  append(ms: U64, seq: U64, fv: StrValue[], limits: NodeLimits): void {
    const nodes = this.nodes
    let tail = nodes[nodes.length - 1]
    if (tail !== undefined) {
      let maxBytes = limits.maxBytes
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX) maxBytes = LISTPACK_MAX
      let total = 0
      for (let i = 0; i < fv.length; i++) total += rawLength(fv[i]!)
      if (tail.bytes + total >= maxBytes) tail = undefined
      else if (limits.maxEntries !== 0 && tail.live + tail.deleted >= limits.maxEntries) tail = undefined
    }
    if (tail === undefined) {
      const fields: StrValue[] = new Array(fv.length / 2)
      for (let i = 0; i < fields.length; i++) fields[i] = fv[i * 2]!
      tail = new StreamNode(fields)
      nodes.push(tail)
    }
    tail.push(ms, seq, fv)
    if (this.length === 0) {
      this.firstMs = ms
      this.firstSeq = seq
    }
    this.length++
    this.lastMs = ms
    this.lastSeq = seq
    this.entriesAdded = inc64(this.entriesAdded)
  }

  /** Index of the node that would hold (ms, seq): the last node whose first ID ≤ it (0 when before all). */
  private nodeFor(ms: U64, seq: U64): number {
    const nodes = this.nodes
    let lo = 0
    let hi = nodes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const nd = nodes[mid]!
      if (cmpId(nd.ms[0]!, nd.seq[0]!, ms, seq) <= 0) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? 0 : lo - 1
  }

  /** Position of the first live entry with ID ≥ (ms, seq), or undefined. */
  seekGE(ms: U64, seq: U64): StreamPos | undefined {
    const nodes = this.nodes
    if (nodes.length === 0) return undefined
    let n = this.nodeFor(ms, seq)
    let i = nodes[n]!.lowerBound(ms, seq)
    for (; n < nodes.length; n++, i = 0) {
      const nd = nodes[n]!
      for (; i < nd.size; i++) if (!nd.isDeleted(i)) return { n, i }
    }
    return undefined
  }

  /** Position of the last live entry with ID ≤ (ms, seq), or undefined. */
  seekLE(ms: U64, seq: U64): StreamPos | undefined {
    const nodes = this.nodes
    if (nodes.length === 0) return undefined
    let n = this.nodeFor(ms, seq)
    const nd0 = nodes[n]!
    let i = nd0.lowerBound(ms, seq)
    // lowerBound gives the first ≥; step back unless it is an exact match.
    if (i >= nd0.size || cmpId(nd0.ms[i]!, nd0.seq[i]!, ms, seq) > 0) i--
    for (; n >= 0; n--) {
      const nd = nodes[n]!
      if (i === Infinity) i = nd.size - 1
      for (; i >= 0; i--) if (!nd.isDeleted(i)) return { n, i }
      i = Infinity
    }
    return undefined
  }

  /** The live entry after `p`, or undefined (p is updated in place and returned). */
  next(p: StreamPos): StreamPos | undefined {
    const nodes = this.nodes
    let { n, i } = p
    i++
    for (; n < nodes.length; n++, i = 0) {
      const nd = nodes[n]!
      for (; i < nd.size; i++) {
        if (!nd.isDeleted(i)) {
          p.n = n
          p.i = i
          return p
        }
      }
    }
    return undefined
  }

  /** The live entry before `p`, or undefined. */
  prev(p: StreamPos): StreamPos | undefined {
    const nodes = this.nodes
    let { n, i } = p
    i--
    for (; n >= 0; n--) {
      const nd = nodes[n]!
      if (i === Infinity) i = nd.size - 1
      for (; i >= 0; i--) {
        if (!nd.isDeleted(i)) {
          p.n = n
          p.i = i
          return p
        }
      }
      i = Infinity
    }
    return undefined
  }

  /** Live entries with start ≤ ID ≤ end (reverse order when `rev`), at most `count` (0 = all). */
  range(sm: U64, ss: U64, em: U64, es: U64, count: number, rev: boolean, visit: (ms: U64, seq: U64, fv: StrValue[]) => void): number {
    if (cmpId(sm, ss, em, es) > 0) return 0
    let emitted = 0
    if (!rev) {
      let p = this.seekGE(sm, ss)
      while (p !== undefined) {
        const nd = this.nodes[p.n]!
        const m = nd.ms[p.i]!
        const s = nd.seq[p.i]!
        if (cmpId(m, s, em, es) > 0) break
        visit(m, s, nd.fv[p.i]!)
        if (++emitted === count) break
        p = this.next(p)
      }
    } else {
      let p = this.seekLE(em, es)
      while (p !== undefined) {
        const nd = this.nodes[p.n]!
        const m = nd.ms[p.i]!
        const s = nd.seq[p.i]!
        if (cmpId(m, s, sm, ss) < 0) break
        visit(m, s, nd.fv[p.i]!)
        if (++emitted === count) break
        p = this.prev(p)
      }
    }
    return emitted
  }

  /** The fields/values of the live entry with this ID, or undefined. */
  get(ms: U64, seq: U64): StrValue[] | undefined {
    if (this.nodes.length === 0) return undefined
    const n = this.nodeFor(ms, seq)
    const nd = this.nodes[n]!
    const i = nd.lowerBound(ms, seq)
    if (i < nd.size && nd.ms[i] == ms && nd.seq[i] == seq && !nd.isDeleted(i)) return nd.fv[i]
    return undefined
  }

  /** True when a live entry has this ID. */
  has(ms: U64, seq: U64): boolean {
    return this.get(ms, seq) !== undefined
  }

  /** The first or last live entry's position. */
  edge(last: boolean): StreamPos | undefined {
    return last ? this.seekLE(U64_MAX, U64_MAX) : this.seekGE(0, 0)
  }

  /** ID at a position. */
  idAt(p: StreamPos): StreamId {
    const nd = this.nodes[p.n]!
    return { ms: nd.ms[p.i]!, seq: nd.seq[p.i]! }
  }

  /** Last live entry's ID, 0-0 when empty (streamLastValidID). */
  lastValidId(): StreamId {
    const p = this.edge(true)
    return p === undefined ? { ms: 0, seq: 0 } : this.idAt(p)
  }

  /**
   * Deletes the live entry with this ID (XDEL); its node goes away when it
   * holds no live entry any more. Returns whether it was there.
   */
  deleteEntry(ms: U64, seq: U64): boolean {
    if (this.nodes.length === 0) return false
    const n = this.nodeFor(ms, seq)
    const nd = this.nodes[n]!
    const i = nd.lowerBound(ms, seq)
    if (i >= nd.size || !(nd.ms[i] == ms && nd.seq[i] == seq) || nd.isDeleted(i)) return false
    if (nd.live === 1) this.nodes.splice(n, 1)
    else nd.markDeleted(i)
    this.length--
    return true
  }

  /** Recomputes the recorded first ID after deletions. */
  refreshFirst(): void {
    const p = this.edge(false)
    if (p === undefined) {
      this.firstMs = 0
      this.firstSeq = 0
    } else {
      const nd = this.nodes[p.n]!
      this.firstMs = nd.ms[p.i]!
      this.firstSeq = nd.seq[p.i]!
    }
  }

  /** Redis's streamTrim: returns how many entries it removed. */
  trim(t: TrimSpec): number {
    let deleted = 0
    const nodes = this.nodes
    let removeNodes = 0
    for (let k = 0; k < nodes.length; k++) {
      if (t.strategy === 'MAXLEN' && this.length <= t.maxlen) break
      const nd = nodes[k]!
      const entries = nd.live
      if (t.limit !== 0 && deleted + entries > t.limit) break
      let whole: boolean
      if (t.strategy === 'MAXLEN') whole = this.length - entries >= t.maxlen
      else {
        const last = nd.size - 1
        whole = cmpId(nd.ms[last]!, nd.seq[last]!, t.minMs, t.minSeq) < 0
      }
      if (whole) {
        removeNodes++
        this.length -= entries
        deleted += entries
        continue
      }
      if (t.approx) break
      // Inside the node: tombstone entries from the front until the target is met.
      for (let i = 0; i < nd.size; i++) {
        const stop = t.strategy === 'MAXLEN' ? this.length <= t.maxlen : cmpId(nd.ms[i]!, nd.seq[i]!, t.minMs, t.minSeq) >= 0
        if (stop) break
        if (nd.markDeleted(i)) {
          this.length--
          deleted++
        }
      }
      break
    }
    if (removeNodes > 0) nodes.splice(0, removeNodes)
    if (deleted > 0) this.refreshFirst()
    return deleted
  }

  /** The 16-byte big-endian keys Redis's radix tree would hold (one per node), as latin1 strings. */
  private raxKeys(): string[] {
    const out: string[] = new Array(this.nodes.length)
    const b = Buffer.alloc(16)
    for (let i = 0; i < this.nodes.length; i++) {
      const nd = this.nodes[i]!
      b.writeBigUInt64BE(BigInt(nd.ms[0]!), 0)
      b.writeBigUInt64BE(BigInt(nd.seq[0]!), 8)
      out[i] = b.toString('latin1')
    }
    return out
  }

  /**
   * Nodes of the radix tree Redis would build over the node keys (XINFO's
   * radix-tree-nodes): the root, one node per key, one per branching prefix
   * and one per child edge of a branching prefix — a compressed trie.
   */
  raxNodeCount(): number {
    const keys = this.raxKeys()
    const set = new Set<string>([''])
    for (let i = 0; i < keys.length; i++) {
      set.add(keys[i]!)
      if (i === 0) continue
      const a = keys[i - 1]!
      const b = keys[i]!
      let l = 0
      while (l < 16 && a.charCodeAt(l) === b.charCodeAt(l)) l++
      set.add(a.slice(0, l))
      set.add(a.slice(0, l + 1))
      set.add(b.slice(0, l + 1))
    }
    return set.size
  }

  /** Number of nodes (XINFO's radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length
  }

  /** True when a tombstone may lie at or after `start` (Redis's streamRangeHasTombstones with no end). */
  hasTombstonesFrom(ms: U64, seq: U64): boolean {
    if (this.length === 0 || (this.maxDelMs === 0 && this.maxDelSeq === 0)) return false
    if (cmpId(this.firstMs, this.firstSeq, this.maxDelMs, this.maxDelSeq) > 0) return false
    return cmpId(ms, seq, this.maxDelMs, this.maxDelSeq) <= 0
  }

  /**
   * Redis's streamEstimateDistanceFromFirstEverEntry: the logical position of
   * an ID among all entries ever added, or ENTRIES_READ_UNKNOWN.
   */
  estimateDistance(ms: U64, seq: U64): number | bigint {
    // Redis computes this in a long long: a counter past 2^63 comes out negative.
    const added = signed64(this.entriesAdded)
    if (added === 0) return 0
    const cmpLast = cmpId(ms, seq, this.lastMs, this.lastSeq)
    if (this.length === 0 && cmpLast < 1) return added
    if (cmpLast === 0) return added
    if (cmpLast > 0) return ENTRIES_READ_UNKNOWN
    const noTomb = (this.maxDelMs === 0 && this.maxDelSeq === 0) || cmpId(this.maxDelMs, this.maxDelSeq, this.firstMs, this.firstSeq) < 0
    if (noTomb) {
      const cmpFirst = cmpId(ms, seq, this.firstMs, this.firstSeq)
      if (cmpFirst < 0) return sub64(added, this.length)
      if (cmpFirst === 0) return sub64(added, this.length - 1)
    }
    return ENTRIES_READ_UNKNOWN
  }

  /** A deep copy (COPY). */
  clone(): Stream {
    const s = new Stream()
    for (const nd of this.nodes) {
      const c = new StreamNode(nd.masterFields.slice())
      for (let i = 0; i < nd.size; i++) c.push(nd.ms[i]!, nd.seq[i]!, nd.fv[i]!.map((v) => (typeof v === 'string' ? v : Buffer.from(v))))
      for (let i = 0; i < nd.size; i++) if (nd.isDeleted(i)) c.markDeleted(i)
      s.nodes.push(c)
    }
    s.length = this.length
    s.lastMs = this.lastMs
    s.lastSeq = this.lastSeq
    s.firstMs = this.firstMs
    s.firstSeq = this.firstSeq
    s.maxDelMs = this.maxDelMs
    s.maxDelSeq = this.maxDelSeq
    s.entriesAdded = this.entriesAdded
    if (this.groups !== undefined) {
      s.groups = new Map()
      for (const [name, g] of this.groups) {
        const ng = new ConsumerGroup(name, g.lastMs, g.lastSeq, g.entriesRead)
        const consumers = new Map<Consumer, Consumer>()
        for (const [cname, c] of g.consumers) {
          const nc = new Consumer(cname, c.seenTime)
          nc.activeTime = c.activeTime
          ng.consumers.set(cname, nc)
          consumers.set(c, nc)
        }
        for (const nack of g.pel) {
          const owner = nack.consumer === null ? null : consumers.get(nack.consumer)!
          const nn = new Nack(nack.ms, nack.seq, owner, nack.deliveryTime, nack.deliveryCount)
          ng.pel.insert(nn)
          if (owner !== null) owner.pel.insert(nn)
        }
        s.groups.set(name, ng)
      }
    }
    return s
  }
}

/** a - b for a U64 and a small non-negative number. */
function sub64(a: number | bigint, b: number): number | bigint {
  return typeof a === 'number' ? a - b : signed64(a - BigInt(b))
}

/** A u64 read as a long long (as Redis's counters are replied and subtracted). */
export function signed64(x: number | bigint): number | bigint {
  if (typeof x === 'number') return x
  const v = BigInt.asIntN(64, x)
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v
}

// ---------------------------------------------------------------- ID parsing

/** A parsed stream ID argument. `seqGiven` is false for the `ms-*` form. */
export interface ParsedId {
  ms: U64
  seq: U64
  seqGiven: boolean
}

/**
 * Redis's string2ull: a canonical int64 ≥ 0, or what C's strtoull accepts
 * (leading spaces, a sign, leading zeros; a minus sign wraps around 2^64).
 */
export function parseU64(s: string): U64 | undefined {
  const n = s.length <= 20 ? string2ll(s) : undefined
  if (n !== undefined) {
    if (n < 0) return undefined
    return n
  }
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s)
  if (m === null) return undefined
  let v = BigInt(m[2]!)
  if (v > U64_MAX) return undefined
  if (m[1] === '-') v = BigInt.asUintN(64, -v)
  return u64(v)
}

/**
 * Redis's streamGenericParseIDOrReply over a string: `-` and `+` (unless
 * strict), `ms`, `ms-seq` and, when `allowSeqStar`, `ms-*`. Undefined when
 * invalid.
 */
export function parseId(s: string, missingSeq: U64, strict: boolean, allowSeqStar = false): ParsedId | undefined {
  if (s.length > 127) return undefined
  if (s === '-') return strict ? undefined : { ms: 0, seq: 0, seqGiven: true }
  if (s === '+') return strict ? undefined : { ms: U64_MAX, seq: U64_MAX, seqGiven: true }
  const dash = s.indexOf('-')
  const ms = parseU64(dash < 0 ? s : s.slice(0, dash))
  if (ms === undefined) return undefined
  if (dash < 0) return { ms, seq: missingSeq, seqGiven: true }
  const rest = s.slice(dash + 1)
  if (allowSeqStar && rest === '*') return { ms, seq: 0, seqGiven: false }
  const seq = parseU64(rest)
  if (seq === undefined) return undefined
  return { ms, seq, seqGiven: true }
}
