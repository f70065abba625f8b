/**
 * List commands (LPUSH, LPOP, LRANGE, LMOVE, LMPOP, ...) over {@link ListValue},
 * a deque that also keeps what Redis 7.2 needs to name its encoding: the
 * listpack byte size while the list is one listpack, and the quicklist node
 * layout (entry count and bytes per node) once it has outgrown it. Encoding
 * decisions follow t_list.c/quicklist.c: listTypeTryConversionAppend before
 * adding, listTypeTryConvertQuicklist (half the limit) after shrinking.
 *
 * The blocking variants (BLPOP, BLMOVE, ...) live in `blocking.ts` and reuse
 * the non-blocking cores exported here.
 */
import { Buffer, isUtf8 } from 'node:buffer'
import { isBinaryKey, keyBytes, type StrValue } from '../core/bytes.js'
import { E, fail, syntaxError } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import { NULL_ARRAY, OK, type Reply } from '../core/reply.js'
import { hotParam, registerConfig } from '../keyspace/config.js'
import { T, type Entry } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import { Deque, trimSpan } from '../types/list.js'
import type { Session } from '../session.js'
import { int, key, kw, numArg, str, val } from './args.js'
import { TYPE_HOOKS } from './keys.js'
import { defineCommand, type Arg } from './table.js'
import { readTyped, writeTyped } from './util.js'

// ---------------------------------------------------------------- configuration

registerConfig({
  name: 'list-max-listpack-size',
  kind: { type: 'int', min: -2147483648, max: 2147483647 },
  default: -2,
  aliases: ['list-max-ziplist-size'],
})
registerConfig({ name: 'list-compress-depth', kind: { type: 'int', min: 0, max: 2147483647 }, default: 0 })

const fillParam = hotParam<number>('list-max-listpack-size')

/** The `list-max-listpack-size` in effect (read on every push and pop). */
export function listFill(ctx: Session): number {
  return fillParam(ctx.ks.config)
}

// ---------------------------------------------------------------- listpack sizes

/** Header (total bytes, entry count) plus the end marker of a listpack. */
const LP_EMPTY = 7
/** quicklist.c's SIZE_SAFETY_LIMIT: the byte cap that also applies to count-limited nodes. */
const SIZE_SAFETY_LIMIT = 8192
/** quicklist.c's SIZE_ESTIMATE_OVERHEAD, added when guessing whether an entry fits a node. */
const SIZE_ESTIMATE_OVERHEAD = 8
/** Node byte limits for fill -1..-5. */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536]

/** Byte length of a value as Redis stores it (UTF-8 for strings). */
export function valueBytes(v: StrValue): number {
  if (typeof v !== 'string') return v.length
  const n = v.length
  if (n > 64) return Buffer.byteLength(v, 'utf8')
  // Short strings: a JS loop beats the native call.
  let bytes = n
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) bytes += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (v.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2 // a surrogate pair: 4 bytes for 2 code units
      i++
    } else bytes += 2
  }
  return bytes
}

/** The integer a listpack would store `v` as (lpStringToInt64), or undefined. */
function asListpackInt(v: StrValue, len: number): number | bigint | undefined {
  if (len === 0 || len > 20) return undefined
  const c = typeof v === 'string' ? v.charCodeAt(0) : v[0]!
  if (c !== 45 && (c < 48 || c > 57)) return undefined
  return string2ll(typeof v === 'string' ? v : v.toString('latin1'))
}

/** Bytes one listpack entry takes: encoding + data + back-length. */
function entrySize(v: StrValue, len: number): number {
  const n = asListpackInt(v, len)
  if (n !== undefined) {
    if (typeof n === 'bigint') return 10
    if (n >= 0 && n <= 127) return 2
    if (n >= -4096 && n <= 4095) return 3
    if (n >= -32768 && n <= 32767) return 4
    if (n >= -8388608 && n <= 8388607) return 5
    if (n >= -2147483648 && n <= 2147483647) return 6
    return 10
  }
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len
  return enc + (enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : enc < 268435455 ? 4 : 5)
}

/** Listpack bytes of one element. */
export const lpEntryBytes = (v: StrValue): number => entrySize(v, valueBytes(v))

/** Bytes of a listpack holding `values` (as a ziplist node converted on load becomes). */
export function listpackBytes(values: readonly StrValue[]): number {
  let n = LP_EMPTY
  for (const v of values) n += lpEntryBytes(v)
  return n
}

/** quicklistNodeExceedsLimit. */
function exceedsLimit(fill: number, sz: number, count: number): boolean {
  if (fill < 0) return sz > OPTIMIZATION_LEVEL[Math.min(-fill - 1, 4)]!
  if (sz > SIZE_SAFETY_LIMIT) return true
  return count > (fill === 0 ? 1 : fill)
}

/**
 * isLargeElement: a value Redis 7.2 keeps in a plain node of its own (raw bytes, never
 * shared with other elements) because it alone passes the node size limit.
 */
function isLarge(fill: number, len: number): boolean {
  return len > (fill < 0 ? OPTIMIZATION_LEVEL[Math.min(-fill - 1, 4)]! : SIZE_SAFETY_LIMIT)
}

/** _quicklistNodeAllowInsert: whether a value of `len` bytes may join `node`. */
function allowInsert(node: QNode | undefined, fill: number, len: number): boolean {
  if (node === undefined || node.plain === true || isLarge(fill, len)) return false
  return !exceedsLimit(fill, node.sz + len + SIZE_ESTIMATE_OVERHEAD, node.count + 1)
}

/** A plain node holding one large value (its size is the value's raw bytes, as in Redis). */
const plainNode = (len: number): QNode => ({ count: 1, sz: len, plain: true })

/**
 * listTypeTryConvertQuicklist: whether a quicklist whose one packed node holds `count` entries in
 * `sz` bytes becomes a listpack, after a removal (`shrinking`: half the limits) or a load. The
 * limits are quicklistNodeLimit's: a byte limit for a negative fill, a count limit for a positive
 * one, without the byte safety cap that a positive fill adds when nodes grow.
 */
export function convertsToListpack(fill: number, sz: number, count: number, shrinking: boolean): boolean {
  if (fill < 0) return sz <= OPTIMIZATION_LEVEL[Math.min(-fill - 1, 4)]! / (shrinking ? 2 : 1)
  const limit = fill === 0 ? 1 : fill
  return count <= (shrinking ? Math.floor(limit / 2) : limit)
}

/** One quicklist node as far as encoding decisions go: its entries and listpack bytes. */
interface QNode {
  count: number
  sz: number
  /** A plain node: one large value stored raw (see {@link isLarge}). */
  plain?: boolean
}

// ---------------------------------------------------------------- the list value

/**
 * A list value: a {@link Deque} of strings/Buffers plus its Redis encoding
 * state. Use the methods below (not the raw Deque mutators) so the encoding
 * stays what Redis would report.
 */
export class ListValue extends Deque<StrValue> {
  /** Listpack bytes while the list is listpack-encoded. */
  lpBytes = LP_EMPTY
  /** The quicklist nodes, head first; null while the list is a listpack. */
  nodes: Deque<QNode> | null = null
  /**
   * The fill the quicklist was made with: Redis's quicklist keeps the list-max-listpack-size of its
   * creation for placing entries in nodes; conversions between encodings read the current one.
   */
  qlFill = -2

  /** A list of `values` in order, encoded as a push of them would leave it under `fill` (default -2). */
  static of(values: Iterable<StrValue>, fill = -2): ListValue {
    const l = new ListValue()
    for (const v of values) l.push(v, false, fill, true)
    return l
  }

  /** 'listpack' or 'quicklist', as OBJECT ENCODING reports. */
  get encoding(): 'listpack' | 'quicklist' {
    return this.nodes === null ? 'listpack' : 'quicklist'
  }

  /** Number of quicklist nodes (1 for a listpack), as DEBUG OBJECT's ql_nodes. */
  get nodeCount(): number {
    return this.nodes === null ? 1 : this.nodes.length
  }

  /** Total listpack bytes over all nodes (DEBUG OBJECT's ql_uncompressed_size). */
  get packedBytes(): number {
    if (this.nodes === null) return this.lpBytes
    let s = 0
    for (const n of this.nodes) s += n.sz
    return s
  }

  /**
   * listTypeTryConversionAppend: before adding `count` elements totalling
   * `bytes` raw bytes, turn a listpack that would grow past the limit into a
   * quicklist (one node holding the old listpack).
   */
  growCheck(fill: number, bytes: number, count: number): void {
    if (this.nodes !== null) return
    if (!exceedsLimit(fill, this.lpBytes + bytes, this.length + count)) return
    const nodes = new Deque<QNode>()
    if (this.length > 0) nodes.pushBack({ count: this.length, sz: this.lpBytes })
    this.nodes = nodes
    this.qlFill = fill
  }

  /** listTypeTryConvertQuicklist after a shrink: back to a listpack when one node at half the limit is left. */
  shrinkCheck(fill: number): void {
    const nodes = this.nodes
    if (nodes === null || nodes.length !== 1) return
    const node = nodes.front()!
    if (node.plain === true) return
    if (!convertsToListpack(fill, node.sz, node.count, true)) return
    this.lpBytes = node.sz
    this.nodes = null
  }

  /**
   * Pushes one value at the head or tail (listTypePush). `check` runs the
   * listpack-to-quicklist check for this value first (callers pushing many
   * values check once for all of them).
   */
  push(v: StrValue, head: boolean, fill: number, check = false, fromList = false): number {
    const len = valueBytes(v)
    if (check) this.growCheck(fill, fromList && asListpackInt(v, len) !== undefined ? 0 : len, 1)
    const size = entrySize(v, len)
    const nodes = this.nodes
    if (nodes === null) this.lpBytes += size
    else {
      fill = this.qlFill
      const node = head ? nodes.front() : nodes.back()
      if (allowInsert(node, fill, len)) {
        node!.count++
        node!.sz += size
      } else {
        const fresh = isLarge(fill, len) ? plainNode(len) : { count: 1, sz: LP_EMPTY + size }
        if (head) nodes.pushFront(fresh)
        else nodes.pushBack(fresh)
      }
    }
    return head ? this.pushFront(v) : this.pushBack(v)
  }

  /** Pops one value from the head or tail, keeping the node layout (no shrink check). */
  pop(head: boolean): StrValue | undefined {
    const v = head ? this.popFront() : this.popBack()
    if (v === undefined) return v
    const size = lpEntryBytes(v)
    const nodes = this.nodes
    if (nodes === null) this.lpBytes -= size
    else {
      const node = (head ? nodes.front() : nodes.back())!
      node.sz -= size
      if (--node.count === 0) {
        if (head) nodes.popFront()
        else nodes.popBack()
      }
    }
    return v
  }

  /** Removes `k` elements from the head (or tail), as quicklistDelRange does. */
  drop(k: number, head: boolean): void {
    if (k <= 0) return
    const n = this.length
    if (k > n) k = n
    const nodes = this.nodes
    if (nodes === null) {
      let s = 0
      if (head) for (let i = 0; i < k; i++) s += lpEntryBytes(this.at(i)!)
      else for (let i = n - k; i < n; i++) s += lpEntryBytes(this.at(i)!)
      this.lpBytes -= s
    } else {
      let left = k
      let idx = head ? 0 : n - 1 // element index at the edge of the current node
      while (left > 0) {
        const node = (head ? nodes.front() : nodes.back())!
        if (node.count <= left) {
          left -= node.count
          idx += head ? node.count : -node.count
          if (head) nodes.popFront()
          else nodes.popBack()
          continue
        }
        let s = 0
        if (head) for (let i = idx; i < idx + left; i++) s += lpEntryBytes(this.at(i)!)
        else for (let i = idx; i > idx - left; i--) s += lpEntryBytes(this.at(i)!)
        node.sz -= s
        node.count -= left
        left = 0
      }
    }
    // Deque.trim keeps an inclusive range (LTRIM's rules: an empty range empties it).
    if (k === n) this.trim(1, 0)
    else if (head) this.trim(k, n - 1)
    else this.trim(0, n - 1 - k)
  }

  /**
   * Replaces the element at `index` (0-based, in range), as quicklistReplaceEntry
   * does: in place (even when its node grows past the fill limit) unless a plain
   * node is involved: a large value gets a plain node of its own (its node split
   * around it, then merged with neighbours), and a small value replacing a plain
   * node's goes next to it (into the next node when that has room).
   */
  replace(index: number, v: StrValue): void {
    const fill = this.qlFill
    const old = this.at(index)!
    this.set(index, v)
    const nodes = this.nodes
    const len = valueBytes(v)
    if (nodes === null) {
      this.lpBytes += entrySize(v, len) - lpEntryBytes(old)
      return
    }
    const [ni, off] = this.locate(index)
    const node = nodes.at(ni)!
    const large = isLarge(fill, len)
    if (node.plain !== true && !large) {
      node.sz += entrySize(v, len) - lpEntryBytes(old)
    } else if (node.plain === true) {
      if (large) node.sz = len
      else {
        const next = nodes.at(ni + 1)
        if (allowInsert(next, fill, len)) {
          next!.count++
          next!.sz += entrySize(v, len)
        } else nodes.insertAt(ni + 1, { count: 1, sz: LP_EMPTY + entrySize(v, len) })
        nodes.removeAt(ni)
      }
    } else {
      // A large value in a packed node: [..., old] [plain] [rest], then the old entry goes.
      const rest = node.count - off - 1
      if (rest > 0) {
        const restSz = this.splitSizes(index + 1, rest)
        node.count = off + 1
        node.sz -= restSz - LP_EMPTY
        nodes.insertAt(ni + 1, { count: rest, sz: restSz })
      }
      nodes.insertAt(ni + 1, plainNode(len))
      if (node.count === 1) nodes.removeAt(ni)
      else {
        node.count--
        node.sz -= lpEntryBytes(old)
        this.mergeAround(ni + 1, fill)
      }
    }
  }

  /** Inserts `v` before or after the element at `index` (LINSERT), as _quicklistInsert does. */
  insert(index: number, v: StrValue, after: boolean): void {
    const len = valueBytes(v)
    const size = entrySize(v, len)
    const nodes = this.nodes
    if (nodes !== null) this.placeInsert(nodes, index, len, size, after, this.qlFill)
    else this.lpBytes += size
    this.insertAt(after ? index + 1 : index, v)
  }

  /** The node bookkeeping of {@link insert}, on the layout before the element is added. */
  private placeInsert(nodes: Deque<QNode>, index: number, len: number, size: number, after: boolean, fill: number): void {
    const [ni, off] = this.locate(index)
    const node = nodes.at(ni)!
    const full = !allowInsert(node, fill, len)
    const atTail = after && off === node.count - 1
    const atHead = !after && off === 0
    const availNext = atTail && allowInsert(nodes.at(ni + 1), fill, len)
    const availPrev = atHead && ni > 0 && allowInsert(nodes.at(ni - 1), fill, len)
    if (isLarge(fill, len)) {
      // A plain node next to the pivot's node, or between the two halves of it (no merging).
      if (node.plain === true || atTail || atHead) nodes.insertAt(after ? ni + 1 : ni, plainNode(len))
      else if (after) {
        const restCount = node.count - off - 1
        const rest = this.splitSizes(index + 1, restCount)
        node.count = off + 1
        node.sz -= rest - LP_EMPTY
        nodes.insertAt(ni + 1, { count: restCount, sz: rest })
        nodes.insertAt(ni + 1, plainNode(len))
      } else {
        const headSz = this.splitSizes(index - off, off)
        node.count -= off
        node.sz -= headSz - LP_EMPTY
        nodes.insertAt(ni, plainNode(len))
        nodes.insertAt(ni, { count: off, sz: headSz })
      }
      return
    }
    if (!full) {
      node.count++
      node.sz += size
    } else if (atTail && availNext) {
      const next = nodes.at(ni + 1)!
      next.count++
      next.sz += size
    } else if (atHead && availPrev) {
      const prev = nodes.at(ni - 1)!
      prev.count++
      prev.sz += size
    } else if (atTail || atHead) {
      nodes.insertAt(after ? ni + 1 : ni, { count: 1, sz: LP_EMPTY + size })
    } else if (after) {
      // Split after the pivot; the new element heads the split-off part.
      const restCount = node.count - off - 1
      const rest = this.splitSizes(index + 1, restCount)
      node.count = off + 1
      node.sz -= rest - LP_EMPTY
      nodes.insertAt(ni + 1, { count: restCount + 1, sz: rest + size })
      this.mergeAround(ni, fill)
    } else {
      // Split before the pivot; the new element ends the split-off part.
      const headSz = this.splitSizes(index - off, off)
      node.count -= off
      node.sz -= headSz - LP_EMPTY
      nodes.insertAt(ni, { count: off + 1, sz: headSz + size })
      this.mergeAround(ni + 1, fill)
    }
  }

  /**
   * Removes elements equal to `match` as LREM does (count > 0 from the head,
   * < 0 from the tail, 0 all). Returns how many were removed.
   */
  removeMatching(match: (v: StrValue) => boolean, count: number): number {
    const nodes = this.nodes
    const n = this.length
    if (nodes === null) {
      let freed = 0
      const removed = this.removeWhere((v) => {
        if (!match(v)) return false
        freed += lpEntryBytes(v)
        return true
      }, count)
      this.lpBytes -= freed
      return removed
    }
    // Quicklist: note the original index of each removed element, then charge its node.
    const hits: number[] = []
    const sizes: number[] = []
    let i = count >= 0 ? 0 : n - 1
    const step = count >= 0 ? 1 : -1
    const removed = this.removeWhere((v) => {
      const at = i
      i += step
      if (!match(v)) return false
      hits.push(at)
      sizes.push(lpEntryBytes(v))
      return true
    }, count)
    if (removed === 0) return 0
    if (step < 0) {
      hits.reverse()
      sizes.reverse()
    }
    let h = 0
    let start = 0
    for (let ni = 0; ni < nodes.length && h < hits.length; ) {
      const node = nodes.at(ni)!
      const end = start + node.count
      while (h < hits.length && hits[h]! < end) {
        node.count--
        node.sz -= sizes[h]!
        h++
      }
      start = end
      if (node.count === 0) nodes.removeAt(ni)
      else ni++
    }
    return removed
  }

  /** A deep copy (COPY): the same elements and the same encoding state. */
  override clone(): ListValue {
    const l = new ListValue(this.toArray())
    l.lpBytes = this.lpBytes
    l.qlFill = this.qlFill
    if (this.nodes !== null) {
      const nodes = new Deque<QNode>()
      for (const nd of this.nodes) nodes.pushBack(nd.plain === true ? plainNode(nd.sz) : { count: nd.count, sz: nd.sz })
      l.nodes = nodes
    }
    return l
  }

  // ---- quicklist layout helpers

  /** The node holding element `index` and the element's offset in it. */
  private locate(index: number): [number, number] {
    const nodes = this.nodes!
    let idx = index
    for (let ni = 0; ni < nodes.length; ni++) {
      const c = nodes.at(ni)!.count
      if (idx < c) return [ni, idx]
      idx -= c
    }
    throw new Error('list index beyond the quicklist layout')
  }

  /** Listpack bytes of `k` elements from `from`, packed alone. */
  private splitSizes(from: number, k: number): number {
    let s = LP_EMPTY
    for (let i = from; i < from + k; i++) s += lpEntryBytes(this.at(i)!)
    return s
  }

  /** _quicklistMergeNodes around the node at `center`. */
  private mergeAround(center: number, fill: number): void {
    const nodes = this.nodes!
    const fits = (a: QNode | undefined, b: QNode | undefined): boolean =>
      a !== undefined && b !== undefined && a.plain !== true && b.plain !== true && !exceedsLimit(fill, a.sz + b.sz - LP_EMPTY, a.count + b.count)
    const merge = (i: number): void => {
      // Merges node i+1 into node i.
      const a = nodes.at(i)!
      const b = nodes.at(i + 1)!
      a.count += b.count
      a.sz += b.sz - LP_EMPTY
      nodes.removeAt(i + 1)
    }
    if (center >= 2 && fits(nodes.at(center - 1), nodes.at(center - 2))) {
      merge(center - 2)
      center--
    }
    if (fits(nodes.at(center + 1), nodes.at(center + 2))) merge(center + 1)
    let target = center
    if (center >= 1 && fits(nodes.at(center), nodes.at(center - 1))) {
      merge(center - 1)
      target = center - 1
    }
    if (fits(nodes.at(target), nodes.at(target + 1))) merge(target)
  }
}

/** OBJECT ENCODING for list values created elsewhere as a plain Deque. */
function plainEncoding(d: Deque<StrValue>, fill: number): string {
  let bytes = LP_EMPTY
  for (const v of d) {
    bytes += valueBytes(v)
    if (exceedsLimit(fill, bytes, d.length)) return 'quicklist'
  }
  return exceedsLimit(fill, bytes, d.length) ? 'quicklist' : 'listpack'
}

TYPE_HOOKS[T.LIST] = {
  encoding: (v: Deque<StrValue>, ctx: Session) => (v instanceof ListValue ? v.encoding : plainEncoding(v, listFill(ctx))),
  clone: (v: Deque<StrValue>) => (v instanceof ListValue ? v.clone() : ListValue.of(v)),
}

// ---------------------------------------------------------------- lookups and helpers

/** The list at an entry, upgraded to a ListValue if another module stored a plain Deque. */
function listIn(e: Entry, ctx: Session): ListValue {
  const v = e.value
  if (v instanceof ListValue) return v
  const l = ListValue.of(v as Iterable<StrValue>, listFill(ctx))
  e.value = l
  return l
}

/** The list at `key` for a write command (WRONGTYPE otherwise), or undefined. */
export function listForWrite(ctx: Session, k: string): ListValue | undefined {
  const e = writeTyped(ctx, k, T.LIST)
  return e === undefined ? undefined : listIn(e, ctx)
}

/** The list at `key` for a read command (counts hits/misses; WRONGTYPE otherwise), or undefined. */
export function listForRead(ctx: Session, k: string): ListValue | undefined {
  const e = readTyped(ctx, k, T.LIST)
  return e === undefined ? undefined : listIn(e, ctx)
}

/** A key as it goes into a reply: its exact bytes when they are not UTF-8. */
export const keyReply = (k: string): string | Buffer => (isBinaryKey(k) ? keyBytes(k) : k)

/** A predicate for "same bytes as `target`", comparing strings and Buffers without copying per element. */
export function sameBytes(target: StrValue): (v: StrValue) => boolean {
  if (typeof target === 'string') {
    let tb: Buffer | undefined
    return (v) => (typeof v === 'string' ? v === target : v.equals((tb ??= Buffer.from(target, 'utf8'))))
  }
  const ts = isUtf8(target) ? target.toString('utf8') : undefined
  return (v) => (typeof v === 'string' ? ts !== undefined && v === ts : v.equals(target))
}

/** Deletes an emptied list key the way Redis does (dbDelete + `del`). */
function deleteEmptied(ctx: Session, k: string): void {
  ctx.db.delete(k)
  ctx.signal(k, N.GENERIC, 'del')
}

/** LEFT / RIGHT → true for the head (getListPositionFromObjectOrReply). */
export function listSide(a: Arg): boolean {
  const w = kw(a)
  if (w === 'LEFT') return true
  if (w === 'RIGHT') return false
  return syntaxError()
}

// ---------------------------------------------------------------- push

/** Arguments of LPUSH/RPUSH/LPUSHX/RPUSHX. */
export interface PushArgs {
  key: string
  values: StrValue[]
}

/** LPUSH/RPUSH core: `head` picks the side, `xx` only pushes onto an existing list. */
export function pushGeneric(ctx: Session, a: PushArgs, head: boolean, xx: boolean): number {
  const k = a.key
  let l = listForWrite(ctx, k)
  if (l === undefined) {
    if (xx) return 0
    l = new ListValue()
    ctx.db.add(k, T.LIST, l)
  }
  const values = a.values
  const fill = listFill(ctx)
  if (l.nodes === null) {
    let bytes = 0
    for (let i = 0; i < values.length; i++) bytes += valueBytes(values[i]!)
    l.growCheck(fill, bytes, values.length)
  }
  for (let i = 0; i < values.length; i++) l.push(values[i]!, head, fill)
  ctx.signal(k, N.LIST, head ? 'lpush' : 'rpush')
  if (ctx.ks.fx) ctx.effect(xx ? (head ? 'LPUSHX' : 'RPUSHX') : head ? 'LPUSH' : 'RPUSH', k, ...values)
  return l.length
}

const parsePush = (a: Arg[]): PushArgs => {
  const values: StrValue[] = new Array(a.length - 1)
  for (let i = 1; i < a.length; i++) values[i - 1] = val(a[i]!)
  return { key: key(a[0]!), values }
}

export const LPUSH = defineCommand('lpush', { parse: parsePush, run: (ctx, a: PushArgs): Reply => pushGeneric(ctx, a, true, false) })
export const RPUSH = defineCommand('rpush', { parse: parsePush, run: (ctx, a: PushArgs): Reply => pushGeneric(ctx, a, false, false) })
export const LPUSHX = defineCommand('lpushx', { parse: parsePush, run: (ctx, a: PushArgs): Reply => pushGeneric(ctx, a, true, true) })
export const RPUSHX = defineCommand('rpushx', { parse: parsePush, run: (ctx, a: PushArgs): Reply => pushGeneric(ctx, a, false, true) })

// ---------------------------------------------------------------- pop

/**
 * Pops up to `count` elements from the list at `k` (known to exist), with
 * notifications, deletion of an emptied key and the shrink check. Effects are
 * the caller's. Returns the popped elements in pop order.
 */
export function popRange(ctx: Session, k: string, l: ListValue, head: boolean, count: number): StrValue[] {
  const n = l.length
  const m = count > n ? n : count
  const out = head ? l.range(0, m - 1) : l.range(n - m, n - 1).reverse()
  l.drop(m, head)
  afterPop(ctx, k, l, head)
  return out
}

/** Pops one element from the list at `k` (known to exist), as popRange does for one. */
export function popOne(ctx: Session, k: string, l: ListValue, head: boolean): StrValue {
  const v = l.pop(head)!
  afterPop(ctx, k, l, head)
  return v
}

/** listElementsRemoved: the pop event, then deletion of an emptied list or the shrink check. */
function afterPop(ctx: Session, k: string, l: ListValue, head: boolean): void {
  ctx.signal(k, N.LIST, head ? 'lpop' : 'rpop')
  if (l.length === 0) deleteEmptied(ctx, k)
  else if (l.nodes !== null) l.shrinkCheck(listFill(ctx))
}

/** Arguments of LPOP/RPOP: `count` undefined for the single-element form. */
export interface PopArgs {
  key: string
  count: number | undefined
}

const parsePop = (name: string) => (a: Arg[]): PopArgs => {
  if (a.length > 2) fail(`wrong number of arguments for '${name}' command`)
  if (a.length === 1) return { key: key(a[0]!), count: undefined }
  const c = int(a[1]!, E.MUST_BE_POSITIVE)
  if (c < 0) fail(E.MUST_BE_POSITIVE)
  return { key: key(a[0]!), count: c }
}

/** LPOP/RPOP core. */
export function popGeneric(ctx: Session, a: PopArgs, head: boolean): Reply {
  const k = a.key
  const l = listForWrite(ctx, k)
  if (l === undefined) return a.count === undefined ? null : NULL_ARRAY
  if (a.count === undefined) {
    const v = popOne(ctx, k, l, head)
    if (ctx.ks.fx) ctx.effect(head ? 'LPOP' : 'RPOP', k)
    return v
  }
  if (a.count === 0) return []
  const out = popRange(ctx, k, l, head, a.count)
  if (ctx.ks.fx) ctx.effect(head ? 'LPOP' : 'RPOP', k, numArg(out.length))
  return out
}

export const LPOP = defineCommand('lpop', { parse: parsePop('lpop'), run: (ctx, a: PopArgs): Reply => popGeneric(ctx, a, true) })
export const RPOP = defineCommand('rpop', { parse: parsePop('rpop'), run: (ctx, a: PopArgs): Reply => popGeneric(ctx, a, false) })

// ---------------------------------------------------------------- LMPOP

/** Arguments of LMPOP (and BLMPOP without its timeout). */
export interface MpopArgs {
  keys: string[]
  head: boolean
  count: number
}

/**
 * Parses `numkeys key... LEFT|RIGHT [COUNT n]` (also ZMPOP's shape, with
 * `sides` naming the two directions), as Redis's lmpopGenericCommand.
 */
export function parseMpop(a: Arg[], start: number, sides: [string, string]): MpopArgs {
  const nk = int(a[start]!, 'numkeys should be greater than 0')
  if (nk <= 0) fail('numkeys should be greater than 0')
  const whereIdx = start + nk + 1
  if (whereIdx >= a.length) syntaxError()
  const keys: string[] = new Array(nk)
  for (let i = 0; i < nk; i++) keys[i] = key(a[start + 1 + i]!)
  const w = kw(a[whereIdx]!)
  let head: boolean
  if (w === sides[0]) head = true
  else if (w === sides[1]) head = false
  else return syntaxError()
  let count = -1
  for (let j = whereIdx + 1; j < a.length; j++) {
    if (count === -1 && kw(a[j]!) === 'COUNT' && j + 1 < a.length) {
      j++
      const c = int(a[j]!, 'count should be greater than 0')
      if (c <= 0) fail('count should be greater than 0')
      count = c
    } else syntaxError()
  }
  return { keys, head, count: count === -1 ? 1 : count }
}

/** Key positions of `CMD [timeout] numkeys key...` for COMMAND GETKEYS. */
export function mpopKeys(argv: Arg[], numkeysAt: number): number[] {
  const n = Number(str(argv[numkeysAt]!))
  const out: number[] = []
  for (let i = 0; i < n && numkeysAt + 1 + i < argv.length; i++) out.push(numkeysAt + 1 + i)
  return out
}

/** LMPOP core: pops from the first non-empty list, or returns undefined when all are empty. */
export function lmpopNow(ctx: Session, a: MpopArgs): Reply | undefined {
  for (const k of a.keys) {
    const l = listForWrite(ctx, k)
    if (l === undefined) continue
    const out = popRange(ctx, k, l, a.head, a.count)
    if (ctx.ks.fx) ctx.effect(a.head ? 'LPOP' : 'RPOP', k, numArg(out.length))
    return [keyReply(k), out]
  }
  return undefined
}

export const LMPOP = defineCommand('lmpop', {
  parse: (a) => parseMpop(a, 0, ['LEFT', 'RIGHT']),
  run: (ctx, a: MpopArgs): Reply => lmpopNow(ctx, a) ?? NULL_ARRAY,
  getKeys: (argv) => mpopKeys(argv, 1),
})

// ---------------------------------------------------------------- LMOVE / RPOPLPUSH

/** Arguments of LMOVE/RPOPLPUSH (and their blocking forms). */
export interface MoveArgs {
  src: string
  dst: string
  fromHead: boolean
  toHead: boolean
}

/**
 * LMOVE core (lmoveGenericCommand): undefined when the source is missing.
 * `effect` names the command recorded: 'LMOVE' or 'RPOPLPUSH'.
 */
export function lmoveNow(ctx: Session, a: MoveArgs, effect: 'LMOVE' | 'RPOPLPUSH'): Reply | undefined {
  const src = listForWrite(ctx, a.src)
  if (src === undefined) return undefined
  let dst = listForWrite(ctx, a.dst)
  const fill = listFill(ctx)
  const v = src.pop(a.fromHead)!
  if (dst === undefined) {
    dst = new ListValue()
    ctx.db.add(a.dst, T.LIST, dst)
  }
  dst.push(v, a.toHead, fill, true, true)
  ctx.signal(a.dst, N.LIST, a.toHead ? 'lpush' : 'rpush')
  ctx.signal(a.src, N.LIST, a.fromHead ? 'lpop' : 'rpop')
  if (src.length === 0) deleteEmptied(ctx, a.src)
  else src.shrinkCheck(fill)
  if (ctx.ks.fx) {
    if (effect === 'RPOPLPUSH') ctx.effect('RPOPLPUSH', a.src, a.dst)
    else ctx.effect('LMOVE', a.src, a.dst, a.fromHead ? 'LEFT' : 'RIGHT', a.toHead ? 'LEFT' : 'RIGHT')
  }
  return v
}

export const LMOVE = defineCommand('lmove', {
  parse: (a): MoveArgs => ({ src: key(a[0]!), dst: key(a[1]!), fromHead: listSide(a[2]!), toHead: listSide(a[3]!) }),
  run: (ctx, a: MoveArgs): Reply => lmoveNow(ctx, a, 'LMOVE') ?? null,
})

export const RPOPLPUSH = defineCommand('rpoplpush', {
  parse: (a): MoveArgs => ({ src: key(a[0]!), dst: key(a[1]!), fromHead: false, toHead: true }),
  run: (ctx, a: MoveArgs): Reply => lmoveNow(ctx, a, 'RPOPLPUSH') ?? null,
})

// ---------------------------------------------------------------- reads

export const LLEN = defineCommand('llen', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => listForRead(ctx, k)?.length ?? 0,
})

/** Arguments of LINDEX: `index` null when the argument is not an integer (reported after the key checks, as Redis does). */
export interface IndexArgs {
  key: string
  index: number | null
}

/** A long in -LONG_MAX..LONG_MAX (getRangeLongFromObjectOrReply with -LONG_MAX: LREM's count, LPOS's RANK). */
function longAboveMin(a: Arg): number {
  const n = string2ll(str(a))
  if (n === undefined) fail(E.NOT_INTEGER)
  if (n === -9223372036854775808n) fail('value is out of range, value must between -9223372036854775807 and 9223372036854775807')
  return Number(n)
}

const optInt = (a: Arg): number | null => {
  const n = string2ll(str(a))
  return n === undefined ? null : Number(n)
}

export const LINDEX = defineCommand('lindex', {
  parse: (a): IndexArgs => ({ key: key(a[0]!), index: optInt(a[1]!) }),
  run(ctx, a: IndexArgs): Reply {
    const l = listForRead(ctx, a.key)
    if (l === undefined) return null
    if (a.index === null) fail(E.NOT_INTEGER)
    return l.at(a.index) ?? null
  },
})

/** Arguments of LRANGE and LTRIM. */
export interface RangeArgs {
  key: string
  start: number
  stop: number
}

const parseRange = (a: Arg[]): RangeArgs => ({ key: key(a[0]!), start: int(a[1]!), stop: int(a[2]!) })

export const LRANGE = defineCommand('lrange', {
  parse: parseRange,
  run(ctx, a: RangeArgs): Reply {
    const l = listForRead(ctx, a.key)
    return l === undefined ? [] : l.range(a.start, a.stop)
  },
})

/** Options of LPOS: `count` -1 when not given (a single index or nil is returned). */
export interface LposArgs {
  key: string
  element: StrValue
  rank: number
  count: number
  maxlen: number
}

export const LPOS = defineCommand('lpos', {
  parse(a): LposArgs {
    const r: LposArgs = { key: key(a[0]!), element: val(a[1]!), rank: 1, count: -1, maxlen: 0 }
    for (let j = 2; j < a.length; j++) {
      const o = kw(a[j]!)
      const more = j + 1 < a.length
      if (o === 'RANK' && more) {
        const n = longAboveMin(a[++j]!)
        if (n === 0) {
          fail(
            "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
          )
        }
        r.rank = n
      } else if (o === 'COUNT' && more) {
        const n = int(a[++j]!, "COUNT can't be negative")
        if (n < 0) fail("COUNT can't be negative")
        r.count = n
      } else if (o === 'MAXLEN' && more) {
        const n = int(a[++j]!, "MAXLEN can't be negative")
        if (n < 0) fail("MAXLEN can't be negative")
        r.maxlen = n
      } else syntaxError()
    }
    return r
  },
  run(ctx, a: LposArgs): Reply {
    const l = listForRead(ctx, a.key)
    if (l === undefined) return a.count !== -1 ? [] : null
    const match = sameBytes(a.element)
    if (a.count === -1) return l.positions(match, a.rank, 1, a.maxlen)[0] ?? null
    return l.positions(match, a.rank, a.count, a.maxlen)
  },
})

// ---------------------------------------------------------------- in-place writes

/** Arguments of LINSERT. */
export interface InsertArgs {
  key: string
  after: boolean
  pivot: StrValue
  element: StrValue
}

export const LINSERT = defineCommand('linsert', {
  parse(a): InsertArgs {
    const w = kw(a[1]!)
    if (w !== 'AFTER' && w !== 'BEFORE') syntaxError()
    return { key: key(a[0]!), after: w === 'AFTER', pivot: val(a[2]!), element: val(a[3]!) }
  },
  run(ctx, a: InsertArgs): Reply {
    const k = a.key
    const l = listForWrite(ctx, k)
    if (l === undefined) return 0
    const fill = listFill(ctx)
    // Redis converts before searching (even when the pivot is missing).
    l.growCheck(fill, valueBytes(a.element), 1)
    const i = l.indexOf(sameBytes(a.pivot))
    if (i < 0) return -1
    l.insert(i, a.element, a.after)
    ctx.signal(k, N.LIST, 'linsert')
    if (ctx.ks.fx) ctx.effect('LINSERT', k, a.after ? 'AFTER' : 'BEFORE', a.pivot, a.element)
    return l.length
  },
})

/** Arguments of LSET: `index` null when not an integer (reported after the key checks). */
export interface LsetArgs {
  key: string
  index: number | null
  element: StrValue
}

export const LSET = defineCommand('lset', {
  parse(a): LsetArgs {
    // Redis passes the index on as a C int: 4294967296 is 0, LLONG_MIN is 0, 4294967295 is -1.
    const n = string2ll(str(a[1]!))
    return { key: key(a[0]!), index: n === undefined ? null : typeof n === 'number' ? n | 0 : Number(BigInt.asIntN(32, n)), element: val(a[2]!) }
  },
  run(ctx, a: LsetArgs): Reply {
    const k = a.key
    const l = listForWrite(ctx, k)
    if (l === undefined) fail(E.NO_SUCH_KEY)
    if (a.index === null) fail(E.NOT_INTEGER)
    const fill = listFill(ctx)
    l.growCheck(fill, valueBytes(a.element), 1)
    let i = a.index
    if (i < 0) i += l.length
    if (!(i >= 0 && i < l.length)) fail(E.OUT_OF_RANGE_INDEX)
    l.replace(i, a.element)
    ctx.signal(k, N.LIST, 'lset')
    l.shrinkCheck(fill)
    if (ctx.ks.fx) ctx.effect('LSET', k, numArg(i), a.element)
    return OK
  },
})

/** Arguments of LREM. */
export interface LremArgs {
  key: string
  count: number
  element: StrValue
}

export const LREM = defineCommand('lrem', {
  parse(a): LremArgs {
    // Redis reads the count with -LONG_MAX as the lower bound (it may negate it).
    const count = longAboveMin(a[1]!)
    return { key: key(a[0]!), count, element: val(a[2]!) }
  },
  run(ctx, a: LremArgs): Reply {
    const k = a.key
    const l = listForWrite(ctx, k)
    if (l === undefined) return 0
    const removed = l.removeMatching(sameBytes(a.element), a.count)
    if (removed > 0) ctx.signal(k, N.LIST, 'lrem')
    if (l.length === 0) deleteEmptied(ctx, k)
    else if (removed > 0) l.shrinkCheck(listFill(ctx))
    // The count removed, signed as given: the same elements go (a count near 2^63 does not survive as a double).
    if (removed > 0 && ctx.ks.fx) ctx.effect('LREM', k, numArg(a.count === 0 ? 0 : a.count < 0 ? -removed : removed), a.element)
    return removed
  },
})

export const LTRIM = defineCommand('ltrim', {
  parse: parseRange,
  run(ctx, a: RangeArgs): Reply {
    const k = a.key
    const l = listForWrite(ctx, k)
    if (l === undefined) return OK
    const len = l.length
    const [ltrim, rtrim] = trimSpan(len, a.start, a.stop)
    l.drop(ltrim, true)
    l.drop(rtrim, false)
    ctx.signal(k, N.LIST, 'ltrim')
    if (l.length === 0) deleteEmptied(ctx, k)
    else l.shrinkCheck(listFill(ctx))
    // Redis propagates a trim only when it removed something (dirty += ltrim + rtrim), and the span kept
    // is written as indexes within range (the given ones may be beyond what a double holds exactly).
    if (ctx.ks.fx && ltrim + rtrim > 0) ctx.effect('LTRIM', k, numArg(ltrim), numArg(len - rtrim - 1))
    return OK
  },
})
