/// <reference path="./buffer-ext.d.ts" />
/**
 * RDB reading: every version from 1 to 11 and every type Redis ever wrote
 * (strings, lists as linked lists / ziplists / quicklists 1 and 2, sets as
 * hashtables / intsets / listpacks, sorted sets with text or binary doubles
 * and as ziplists / listpacks, hashes as hashtables / zipmaps / ziplists /
 * listpacks, streams of the three layouts), AUX fields, function libraries,
 * module AUX data (skipped), expire times, IDLE/FREQ, RESIZEDB, and the CRC.
 *
 * The whole input is checked before anything is handed over: values are
 * built into fresh databases ({@link LoadedDb}) that the caller installs only
 * once the parse (checksum included) succeeded. Errors are {@link RdbError}s
 * naming the file and the byte offset.
 */
import { Buffer, isUtf8 } from 'node:buffer'
import { bufferKey, type StrValue } from '../../core/bytes.js'
import { string2d } from '../../core/numbers.js'
import { Entry, T } from '../../keyspace/database.js'
import type { Config } from '../../keyspace/config.js'
import type { Session } from '../../session.js'
import { convertsToListpack, listpackBytes, ListValue, valueBytes } from '../../commands/lists.js'
import { intsetMax, RedisSet, setAdd, SET_HASHTABLE, SET_INTSET, SET_LISTPACK } from '../../commands/sets.js'
import { hashSet, RedisHash } from '../../commands/hashes.js'
import { settleLoadedZset, ZSet } from '../../commands/sorted-sets.js'
import { Deque } from '../../types/list.js'
import { Consumer, ConsumerGroup, ENTRIES_READ_UNKNOWN, Nack, Stream, StreamNode, cmpId, u64, type U64 } from '../../types/stream.js'
import { MODULE_OP, QUICKLIST_NODE, RDB_OP, RDB_TYPE, RDB_VERSION } from './constants.js'
import { Crc64 } from './crc64.js'
import { ElementReader, EncodingError, readIntset, readZipmap } from './listpack.js'
import { lzfDecompress } from './lzf.js'

/** A refused RDB input: what is wrong, in which file, at which byte. */
export class RdbError extends Error {
  constructor(
    readonly reason: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(`${file}: ${reason} at offset ${offset}`)
    this.name = 'RdbError'
  }
}

/** What value construction needs from the store: thresholds, a session for sorted-set helpers, the clock. */
export interface LoadContext {
  cfg: Config
  session: Session
}

/** One database as loaded: the structures `Database` keeps. */
export interface LoadedDb {
  map: Map<string, Entry>
  keys: string[]
  volatile: Set<string>
  /** LFU counters of keys that had a FREQ record. */
  freqs?: Map<string, number>
}

/** A loaded value: its type code and value. */
export interface LoadedValue {
  type: number
  value: unknown
}

// ---------------------------------------------------------------- input

const enum S {
  RAW,
  INT,
  LZF,
}

/** A cursor over RDB bytes with the format's primitives. Failures throw RdbError. */
export class RdbInput {
  pos: number
  /** The last string read: raw (buf[ss..se)), an integer (sint), or LZF output (sbuf[ss..se)). */
  sk = S.RAW
  sbuf: Buffer
  ss = 0
  se = 0
  sint = ''

  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
    readonly name: string,
  ) {
    this.pos = start
    this.sbuf = buf
  }

  fail(reason: string, at = this.pos): never {
    throw new RdbError(reason, this.name, at)
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail('unexpected end of data')
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data')
    return this.buf[this.pos++]!
  }

  /** A length; special encodings are refused here. */
  len(): number {
    const at = this.pos
    const b = this.u8()
    const t = b >>> 6
    if (t === 0) return b & 0x3f
    if (t === 1) return ((b & 0x3f) << 8) | this.u8()
    if (b === 0x80) {
      this.need(4)
      const v = this.buf.readUInt32BE(this.pos)
      this.pos += 4
      return v
    }
    if (b === 0x81) {
      this.need(8)
      const v = this.buf.readBigUInt64BE(this.pos)
      this.pos += 8
      if (v > 9007199254740991n) this.fail('length too large', at)
      return Number(v)
    }
    return this.fail(`invalid length encoding 0x${b.toString(16)}`, at)
  }

  /**
   * A number of items that follow: each takes at least one byte, so a count
   * beyond the bytes left is corrupt (and never allocates).
   */
  count(): number {
    const at = this.pos
    const n = this.len()
    if (n > this.end - this.pos) this.fail(`count ${n} is larger than the data left`, at)
    return n
  }

  /** A length read as an unsigned 64-bit value (stream IDs, counters). */
  len64(): U64 {
    const b = this.buf[this.pos]
    if (b === 0x81) {
      this.pos++
      this.need(8)
      const v = this.buf.readBigUInt64BE(this.pos)
      this.pos += 8
      return u64(v)
    }
    return this.len()
  }

  /** A length that may be a signed 64-bit value written as two's complement (entries_read). */
  lenSigned(): number | bigint {
    const v = this.len64()
    if (typeof v === 'bigint' && v >= 1n << 63n) {
      const s = v - (1n << 64n)
      return s >= -9007199254740991n ? Number(s) : s
    }
    return v
  }

  /** Reads a string into sk/sbuf/ss/se/sint. */
  str(): void {
    const at = this.pos
    const b = this.u8()
    if (b >>> 6 !== 3) {
      this.pos--
      const n = this.len()
      this.need(n)
      this.sk = S.RAW
      this.sbuf = this.buf
      this.ss = this.pos
      this.se = this.pos + n
      this.pos += n
      return
    }
    const enc = b & 0x3f
    if (enc === 0) {
      this.need(1)
      this.sint = String(this.buf.readInt8(this.pos))
      this.pos += 1
    } else if (enc === 1) {
      this.need(2)
      this.sint = String(this.buf.readInt16LE(this.pos))
      this.pos += 2
    } else if (enc === 2) {
      this.need(4)
      this.sint = String(this.buf.readInt32LE(this.pos))
      this.pos += 4
    } else if (enc === 3) {
      const clen = this.len()
      const ulen = this.len()
      this.need(clen)
      // LZF expands at most 88 times (a 3-byte reference to 264 bytes).
      if (ulen > clen * 88 + 64) this.fail('invalid LZF compressed string', at)
      const out = lzfDecompress(this.buf, this.pos, this.pos + clen, ulen)
      if (out === undefined) this.fail('invalid LZF compressed string', at)
      this.pos += clen
      this.sk = S.LZF
      this.sbuf = out
      this.ss = 0
      this.se = ulen
      return
    } else this.fail(`unknown string encoding ${enc}`, at)
    this.sk = S.INT
  }

  /** A string as a stored value (JS string for UTF-8 text, else a Buffer copy). */
  value(): StrValue {
    this.str()
    if (this.sk === S.INT) return this.sint
    return toValue(this.sbuf, this.ss, this.se)
  }

  /** A string as a canonical key / member / field. */
  key(): string {
    this.str()
    if (this.sk === S.INT) return this.sint
    return toKey(this.sbuf, this.ss, this.se)
  }

  /** A string as bytes (for embedded blobs): sets sbuf/ss/se (integers become their text). */
  blob(): void {
    this.str()
    if (this.sk === S.INT) {
      this.sbuf = Buffer.from(this.sint, 'latin1')
      this.ss = 0
      this.se = this.sbuf.length
    }
  }

  i64le(): number {
    this.need(8)
    const v = this.buf.readBigInt64LE(this.pos)
    this.pos += 8
    return Number(v)
  }

  f64le(): number {
    this.need(8)
    const v = this.buf.readDoubleLE(this.pos)
    this.pos += 8
    return v
  }

  /** 16 raw bytes of a stream ID. */
  rawId(): [U64, U64] {
    this.need(16)
    const ms = u64(this.buf.readBigUInt64BE(this.pos))
    const seq = u64(this.buf.readBigUInt64BE(this.pos + 8))
    this.pos += 16
    return [ms, seq]
  }
}

/** Text taken from the data, for an error message: control and non-ASCII characters as \xHH, cut at 64. */
export function printable(s: string): string {
  let out = ''
  for (let i = 0; i < s.length && i < 64; i++) {
    const c = s.charCodeAt(i)
    out += c >= 0x20 && c < 0x7f ? s[i] : c < 0x100 ? '\\x' + c.toString(16).padStart(2, '0') : s[i]!.isWellFormed() ? s[i] : '?'
  }
  return s.length > 64 ? out + '...' : out
}

/** Bytes as a stored value: a JS string when they are UTF-8 (ASCII checked inline), else a copy. */
export function toValue(b: Buffer, s: number, e: number): StrValue {
  if (e - s <= 32) {
    let i = s
    while (i < e && b[i]! < 0x80) i++
    if (i === e) return b.latin1Slice(s, e)
  }
  const sub = b.subarray(s, e)
  if (isUtf8(sub)) return b.utf8Slice(s, e)
  return Buffer.from(sub)
}

/** Bytes as a canonical key string. */
export function toKey(b: Buffer, s: number, e: number): string {
  if (e - s <= 32) {
    let i = s
    while (i < e && b[i]! < 0x80) i++
    if (i === e) return b.latin1Slice(s, e)
  }
  return bufferKey(b.subarray(s, e))
}

// ---------------------------------------------------------------- values

/** Elements of an embedded listpack/ziplist blob, as values or keys. */
function elements(inp: RdbInput, zip: boolean, asKey: boolean, what: string): Array<StrValue> {
  const at = inp.pos
  inp.blob()
  const buf = inp.sbuf
  const out: StrValue[] = []
  try {
    const r = new ElementReader(buf, inp.ss, inp.se, zip)
    while (r.next()) {
      if (r.isInt) out.push(String(r.int))
      else out.push(asKey ? toKey(buf, r.s, r.e) : toValue(buf, r.s, r.e))
    }
  } catch (e) {
    if (e instanceof EncodingError) inp.fail(`${what}: ${e.message}`, at)
    throw e
  }
  return out
}

function parseScore(inp: RdbInput, s: StrValue, at: number): number {
  const d = string2d(typeof s === 'string' ? s : s.toString('latin1'))
  if (d === undefined) inp.fail('invalid sorted set score', at)
  return d
}

/** The keyspace type code of each RDB value type. */
export const TYPE_OF_RDB: Readonly<Record<number, number>> = {
  [RDB_TYPE.STRING]: T.STRING,
  [RDB_TYPE.LIST]: T.LIST,
  [RDB_TYPE.LIST_ZIPLIST]: T.LIST,
  [RDB_TYPE.LIST_QUICKLIST]: T.LIST,
  [RDB_TYPE.LIST_QUICKLIST_2]: T.LIST,
  [RDB_TYPE.SET]: T.SET,
  [RDB_TYPE.SET_INTSET]: T.SET,
  [RDB_TYPE.SET_LISTPACK]: T.SET,
  [RDB_TYPE.ZSET]: T.ZSET,
  [RDB_TYPE.ZSET_2]: T.ZSET,
  [RDB_TYPE.ZSET_ZIPLIST]: T.ZSET,
  [RDB_TYPE.ZSET_LISTPACK]: T.ZSET,
  [RDB_TYPE.HASH]: T.HASH,
  [RDB_TYPE.HASH_ZIPMAP]: T.HASH,
  [RDB_TYPE.HASH_ZIPLIST]: T.HASH,
  [RDB_TYPE.HASH_LISTPACK]: T.HASH,
  [RDB_TYPE.STREAM_LISTPACKS]: T.STREAM,
  [RDB_TYPE.STREAM_LISTPACKS_2]: T.STREAM,
  [RDB_TYPE.STREAM_LISTPACKS_3]: T.STREAM,
}

/**
 * Reads a value of RDB type `type` (the key already read); its keyspace type
 * is `TYPE_OF_RDB[type]`. Returns undefined for an empty aggregate, which
 * Redis skips.
 */
export function readValue(inp: RdbInput, type: number, ctx: LoadContext): unknown {
  const cfg = ctx.cfg
  const at = inp.pos
  switch (type) {
    case RDB_TYPE.STRING:
      return inp.value()

    case RDB_TYPE.LIST: {
      const n = inp.count()
      const vals: StrValue[] = new Array(n)
      for (let i = 0; i < n; i++) vals[i] = inp.value()
      return n === 0 ? undefined : ListValue.of(vals, listFill(cfg))
    }
    case RDB_TYPE.LIST_ZIPLIST: {
      const vals = elements(inp, true, false, 'list ziplist')
      return vals.length === 0 ? undefined : ListValue.of(vals, listFill(cfg))
    }
    case RDB_TYPE.LIST_QUICKLIST:
    case RDB_TYPE.LIST_QUICKLIST_2:
      return readQuicklist(inp, type, cfg)

    case RDB_TYPE.SET: {
      const n = inp.count()
      if (n === 0) return undefined
      // As Redis loads it: a hashtable outright when the count exceeds set-max-intset-entries,
      // whatever the members; otherwise an intset that converts as members arrive.
      const s = new RedisSet()
      s.enc = n > intsetMax(cfg) ? SET_HASHTABLE : SET_INTSET
      for (let i = 0; i < n; i++) {
        const mat = inp.pos
        if (!setAdd(s, inp.key(), cfg)) inp.fail('duplicate set member', mat)
      }
      return s
    }
    case RDB_TYPE.SET_INTSET: {
      inp.blob()
      let ints: Array<number | bigint>
      try {
        ints = readIntset(inp.sbuf, inp.ss, inp.se)
      } catch (e) {
        if (e instanceof EncodingError) inp.fail(`intset: ${e.message}`, at)
        throw e
      }
      if (ints.length === 0) return undefined
      const s = new RedisSet()
      s.enc = SET_INTSET
      for (const v of ints) s.add(String(v))
      // Redis keeps the blob as it is: its width too.
      s.intWidth = Math.max(s.intWidth, inp.sbuf.readUInt32LE(inp.ss))
      if (s.size > intsetMax(cfg)) s.enc = SET_HASHTABLE
      return s
    }
    case RDB_TYPE.SET_LISTPACK: {
      const ms = elements(inp, false, true, 'set listpack') as string[]
      if (ms.length === 0) return undefined
      const s = new RedisSet()
      s.enc = SET_LISTPACK
      for (const m of ms) if (!s.add(m)) inp.fail('duplicate set member', at)
      if (s.size > cfg.get<number>('set-max-listpack-entries')) s.enc = SET_HASHTABLE
      return s
    }

    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2: {
      const n = inp.count()
      if (n === 0) return undefined
      // Filled as a skiplist and settled afterwards, as Redis loads it (a -0 score survives in a big set).
      const z = new ZSet()
      z.skiplist = true
      for (let i = 0; i < n; i++) {
        const mat = inp.pos
        const m = inp.key()
        let score: number
        if (type === RDB_TYPE.ZSET_2) score = inp.f64le()
        else {
          const l = inp.u8()
          if (l === 253) score = NaN
          else if (l === 254) score = Infinity
          else if (l === 255) score = -Infinity
          else {
            inp.need(l)
            score = parseScore(inp, inp.buf.toString('latin1', inp.pos, inp.pos + l), mat)
            inp.pos += l
          }
        }
        if (score !== score) inp.fail('sorted set with a NaN score', mat)
        if (z.add(m, score) !== 'added') inp.fail('duplicate sorted set member', mat)
      }
      settleLoadedZset(ctx.session, z)
      return z
    }
    case RDB_TYPE.ZSET_ZIPLIST:
    case RDB_TYPE.ZSET_LISTPACK: {
      const zip = type === RDB_TYPE.ZSET_ZIPLIST
      const items = elements(inp, zip, true, zip ? 'sorted set ziplist' : 'sorted set listpack')
      if (items.length % 2 !== 0) inp.fail('sorted set listpack with an odd number of elements', at)
      if (items.length === 0) return undefined
      const z = new ZSet()
      for (let i = 0; i < items.length; i += 2) {
        const score = parseScore(inp, items[i + 1]!, at)
        if (z.add(items[i] as string, score) !== 'added') inp.fail('duplicate sorted set member', at)
      }
      if (z.size > cfg.get<number>('zset-max-listpack-entries')) z.skiplist = true
      return z
    }

    case RDB_TYPE.HASH: {
      const n = inp.count()
      if (n === 0) return undefined
      const h = new RedisHash()
      if (n > cfg.get<number>('hash-max-listpack-entries')) h.lp = false
      for (let i = 0; i < n; i++) {
        const fat = inp.pos
        const f = inp.key()
        const v = inp.value()
        if (!hashSet(h, f, v, cfg)) inp.fail('duplicate hash field', fat)
      }
      return h
    }
    case RDB_TYPE.HASH_ZIPMAP: {
      inp.blob()
      const buf = inp.sbuf
      let ranges: number[]
      try {
        ranges = readZipmap(buf, inp.ss, inp.se)
      } catch (e) {
        if (e instanceof EncodingError) inp.fail(`zipmap: ${e.message}`, at)
        throw e
      }
      if (ranges.length === 0) return undefined
      const h = new RedisHash()
      for (let i = 0; i < ranges.length; i += 4) {
        const f = toKey(buf, ranges[i]!, ranges[i + 1]!)
        if (!hashSet(h, f, toValue(buf, ranges[i + 2]!, ranges[i + 3]!), cfg)) inp.fail('duplicate hash field', at)
      }
      return h
    }
    case RDB_TYPE.HASH_ZIPLIST:
    case RDB_TYPE.HASH_LISTPACK: {
      const zip = type === RDB_TYPE.HASH_ZIPLIST
      inp.blob()
      const buf = inp.sbuf
      const h = new RedisHash()
      try {
        const r = new ElementReader(buf, inp.ss, inp.se, zip)
        let field: string | undefined
        while (r.next()) {
          let x: StrValue
          if (r.isInt) x = String(r.int)
          else x = field === undefined ? toKey(buf, r.s, r.e) : toValue(buf, r.s, r.e)
          if (field === undefined) field = x as string
          else {
            if (!h.set(field, x)) inp.fail('duplicate hash field', at)
            field = undefined
          }
        }
        if (field !== undefined) inp.fail('hash listpack with an odd number of elements', at)
      } catch (e) {
        if (e instanceof EncodingError) inp.fail(`hash ${zip ? 'ziplist' : 'listpack'}: ${e.message}`, at)
        throw e
      }
      if (h.size === 0) return undefined
      // Only the count decides, as in Redis's loader: long values stay in a loaded listpack.
      if (h.size > cfg.get<number>('hash-max-listpack-entries')) h.lp = false
      return h
    }

    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return readStream(inp, type)

    case RDB_TYPE.MODULE_PRE_GA:
      return inp.fail('pre-release module value format is not supported', at - 1)
    case RDB_TYPE.MODULE_2: {
      const id = inp.len64()
      return inp.fail(`module value (module id ${id}) cannot be loaded: modules are not supported`, at - 1)
    }
  }
  return inp.fail(`unknown value type ${type}`, at - 1)
}

function listFill(cfg: Config): number {
  return cfg.has('list-max-listpack-size') ? cfg.get<number>('list-max-listpack-size') : -2
}

/** Quicklist (ziplist nodes) and quicklist 2 (listpack or plain nodes), keeping the node layout. */
function readQuicklist(inp: RdbInput, type: number, cfg: Config): ListValue | undefined {
  const n = inp.count()
  const vals: StrValue[] = []
  const nodes: Array<{ count: number; sz: number; plain?: boolean }> = []
  for (let i = 0; i < n; i++) {
    let container: number = QUICKLIST_NODE.PACKED
    if (type === RDB_TYPE.LIST_QUICKLIST_2) {
      const cat = inp.pos
      container = inp.len()
      if (container !== QUICKLIST_NODE.PACKED && container !== QUICKLIST_NODE.PLAIN) inp.fail(`invalid quicklist container ${container}`, cat)
    }
    if (container === QUICKLIST_NODE.PLAIN) {
      const v = inp.value()
      vals.push(v)
      nodes.push({ count: 1, sz: valueBytes(v), plain: true })
      continue
    }
    const before = vals.length
    const zip = type === RDB_TYPE.LIST_QUICKLIST
    const items = elements(inp, zip, false, zip ? 'quicklist ziplist node' : 'quicklist listpack node')
    // Empty nodes are skipped, as Redis does.
    if (items.length === 0) continue
    for (const v of items) vals.push(v)
    // A ziplist node becomes a listpack node of the same elements, as Redis converts it.
    nodes.push({ count: vals.length - before, sz: zip ? listpackBytes(items) : inp.se - inp.ss })
  }
  if (vals.length === 0) return undefined
  const fill = listFill(cfg)
  const l = new ListValue(vals)
  // Only one packed node under the limits converts (listTypeTryConvertQuicklist); a plain one stays.
  if (nodes.length === 1 && nodes[0]!.plain !== true && convertsToListpack(fill, nodes[0]!.sz, nodes[0]!.count, false)) {
    l.lpBytes = nodes[0]!.sz
    l.nodes = null
  } else {
    l.nodes = new Deque(nodes)
    l.qlFill = fill
  }
  return l
}

/** id + diff as an unsigned 64-bit ID half. */
function addDiff(base: U64, diff: number | bigint): U64 {
  if (typeof base === 'number' && typeof diff === 'number') {
    const r = base + diff
    if (r >= 0 && r <= Number.MAX_SAFE_INTEGER) return r
  }
  return u64(BigInt.asUintN(64, BigInt(base) + BigInt(diff)))
}

function readStream(inp: RdbInput, type: number): Stream {
  const s = new Stream()
  const nNodes = inp.count()
  let prevMs: U64 = 0
  let prevSeq: U64 = 0
  let any = false
  for (let i = 0; i < nNodes; i++) {
    const at = inp.pos
    inp.blob()
    if (inp.se - inp.ss !== 16) inp.fail('stream node key is not a 16-byte ID', at)
    const mms = u64(inp.sbuf.readBigUInt64BE(inp.ss))
    const mseq = u64(inp.sbuf.readBigUInt64BE(inp.ss + 8))
    const lpAt = inp.pos
    inp.blob()
    const buf = inp.sbuf
    let node: StreamNode
    try {
      const r = new ElementReader(buf, inp.ss, inp.se, false)
      const int = (): number | bigint => {
        if (!r.next()) inp.fail('stream listpack ends early', lpAt)
        if (!r.isInt) inp.fail('stream listpack: integer expected', lpAt)
        return r.int
      }
      const item = (): StrValue => {
        if (!r.next()) inp.fail('stream listpack ends early', lpAt)
        return r.isInt ? String(r.int) : toValue(buf, r.s, r.e)
      }
      const count = Number(int())
      const deleted = Number(int())
      const nf = Number(int())
      if (nf < 0 || nf > inp.se - inp.ss) inp.fail('stream listpack: invalid field count', lpAt)
      const fields: StrValue[] = []
      for (let f = 0; f < nf; f++) fields.push(item())
      if (int() !== 0) inp.fail('stream listpack: master entry not terminated', lpAt)
      node = new StreamNode(fields)
      const dead: number[] = []
      while (r.next()) {
        if (!r.isInt) inp.fail('stream listpack: integer expected', lpAt)
        const flags = Number(r.int)
        const ms = addDiff(mms, int())
        const seq = addDiff(mseq, int())
        let fv: StrValue[]
        if (flags & 2) {
          fv = new Array(nf * 2)
          for (let f = 0; f < nf; f++) {
            fv[f * 2] = fields[f]!
            fv[f * 2 + 1] = item()
          }
          if (int() !== nf + 3) inp.fail('stream listpack: entry count mismatch', lpAt)
        } else {
          const n = Number(int())
          if (n < 0 || n > inp.se - inp.ss) inp.fail('stream listpack: invalid field count', lpAt)
          fv = new Array(n * 2)
          for (let f = 0; f < n * 2; f++) fv[f] = item()
          if (int() !== n * 2 + 4) inp.fail('stream listpack: entry count mismatch', lpAt)
        }
        if (any && cmpId(ms, seq, prevMs, prevSeq) <= 0) inp.fail('stream entries out of order', lpAt)
        if (node.size === 0 && (ms !== mms || seq !== mseq)) inp.fail('stream listpack: first entry is not the master ID', lpAt)
        any = true
        prevMs = ms
        prevSeq = seq
        if (flags & 1) dead.push(node.size)
        node.push(ms, seq, fv)
      }
      for (const d of dead) node.markDeleted(d)
      if (node.size === 0) inp.fail('empty listpack inside stream', lpAt)
      if (node.live !== count || node.deleted !== deleted) inp.fail('stream listpack: master counts do not match the entries', lpAt)
    } catch (e) {
      if (e instanceof EncodingError) inp.fail(`stream listpack: ${e.message}`, lpAt)
      throw e
    }
    s.nodes.push(node)
  }
  let live = 0
  for (const nd of s.nodes) live += nd.live
  const lenAt = inp.pos
  s.length = inp.len()
  if (s.length !== live) inp.fail('stream length does not match its entries', lenAt)
  s.lastMs = inp.len64()
  s.lastSeq = inp.len64()
  if (any && cmpId(prevMs, prevSeq, s.lastMs, s.lastSeq) > 0) inp.fail('stream last ID is below its entries', lenAt)
  if (type >= RDB_TYPE.STREAM_LISTPACKS_2) {
    s.firstMs = inp.len64()
    s.firstSeq = inp.len64()
    s.maxDelMs = inp.len64()
    s.maxDelSeq = inp.len64()
    s.entriesAdded = inp.len64()
  } else {
    // Older layouts: the first live entry, no deletion record, every entry counted as added.
    const first = s.edge(false)
    if (first !== undefined) {
      const id = s.idAt(first)
      s.firstMs = id.ms
      s.firstSeq = id.seq
    }
    s.entriesAdded = s.length
  }
  const nGroups = inp.count()
  if (nGroups > 0) s.groups = new Map()
  for (let g = 0; g < nGroups; g++) {
    const gat = inp.pos
    const name = inp.key()
    const lastMs = inp.len64()
    const lastSeq = inp.len64()
    const entriesRead = type >= RDB_TYPE.STREAM_LISTPACKS_2 ? inp.lenSigned() : s.estimateDistance(lastMs, lastSeq)
    const group = new ConsumerGroup(name, lastMs, lastSeq, entriesRead === -1 ? ENTRIES_READ_UNKNOWN : entriesRead)
    if (s.groups!.has(name)) inp.fail('duplicate consumer group', gat)
    const nPel = inp.count()
    for (let i = 0; i < nPel; i++) {
      const pat = inp.pos
      const [ms, seq] = inp.rawId()
      const time = inp.i64le()
      const count = inp.len64()
      if (!group.pel.insert(new Nack(ms, seq, null, time, count))) inp.fail('duplicate pending entry', pat)
    }
    const nCons = inp.count()
    for (let c = 0; c < nCons; c++) {
      const cat = inp.pos
      const cname = inp.key()
      const seen = inp.i64le()
      const active = type >= RDB_TYPE.STREAM_LISTPACKS_3 ? inp.i64le() : seen
      if (group.consumers.has(cname)) inp.fail('duplicate consumer', cat)
      const consumer = new Consumer(cname, seen)
      consumer.activeTime = active
      group.consumers.set(cname, consumer)
      const n = inp.count()
      for (let i = 0; i < n; i++) {
        const pat = inp.pos
        const [ms, seq] = inp.rawId()
        const nack = group.pel.get(ms, seq)
        if (nack === undefined) inp.fail("consumer's pending entry is not in the group's pending list", pat)
        if (nack.consumer !== null) inp.fail('pending entry owned by two consumers', pat)
        nack.consumer = consumer
        consumer.pel.insert(nack)
      }
    }
    for (const nack of group.pel) if (nack.consumer === null) inp.fail('pending entry without a consumer', gat)
    s.groups!.set(name, group)
  }
  return s
}

/** Skips a module's opcode stream (MODULE_AUX data). */
function skipModuleData(inp: RdbInput): void {
  for (;;) {
    const at = inp.pos
    const op = inp.len()
    switch (op) {
      case MODULE_OP.EOF:
        return
      case MODULE_OP.SINT:
      case MODULE_OP.UINT:
        inp.len64()
        break
      case MODULE_OP.FLOAT:
        inp.need(4)
        inp.pos += 4
        break
      case MODULE_OP.DOUBLE:
        inp.need(8)
        inp.pos += 8
        break
      case MODULE_OP.STRING:
        inp.str()
        break
      default:
        inp.fail(`unknown module data opcode ${op}`, at)
    }
  }
}

/**
 * Any failure while decoding is a format error of the input: structures
 * built from corrupt data can trip over it in their own ways (a value out of
 * range, an impossible layout), and those are reported like the rest.
 */
function asRdbError(e: unknown, inp: RdbInput): RdbError {
  if (e instanceof RdbError) return e
  if (e instanceof EncodingError) return new RdbError(e.message, inp.name, inp.pos)
  if (e instanceof RangeError || e instanceof TypeError || e instanceof SyntaxError) return new RdbError(`malformed data (${e.message})`, inp.name, inp.pos)
  throw e
}

// ---------------------------------------------------------------- files

/** Options for reading a whole RDB file. */
export interface RdbReadOptions {
  /** Number of databases the store has (a SELECTDB beyond it is refused). */
  databases: number
  /** Current time (ms): keys whose expire time has passed are dropped (not in an AOF preamble). */
  now: number
  /** Seconds clock for IDLE (LRU) times. */
  lruClock: number
  /** This RDB is an AOF base/preamble: keep already-expired keys (they expire as they are read). */
  aofPreamble?: boolean
}

/** The result of a parse. */
export interface RdbContents {
  version: number
  dbs: Map<number, LoadedDb>
  aux: Map<string, string>
  /** Function library sources (FUNCTION2 records). */
  functions: Buffer[]
  /** Keys read (including expired ones dropped). */
  keysRead: number
  /** Offset just after the checksum (what follows may be AOF commands in a preamble). */
  end: number
}

/**
 * An incremental RDB parser: `step()` reads up to a number of keys, so a
 * large file can be loaded between other work. Nothing is installed anywhere;
 * the result is handed out by `result()` once `step()` has returned true.
 */
export class RdbParser {
  readonly inp: RdbInput
  readonly version: number
  private readonly dbs = new Map<number, LoadedDb>()
  private readonly aux = new Map<string, string>()
  private readonly functions: Buffer[] = []
  private cur: LoadedDb | undefined
  private expire = -1
  private idle = -1
  private freq = -1
  private done = false
  private keysRead = 0
  private readonly crc = new Crc64()
  private crcAt: number

  constructor(
    buf: Buffer,
    name: string,
    private readonly ctx: LoadContext,
    private readonly opts: RdbReadOptions,
    start = 0,
  ) {
    this.inp = new RdbInput(buf, start, buf.length, name)
    this.crcAt = start
    const inp = this.inp
    if (buf.length - start < 9 || buf.toString('latin1', start, start + 5) !== 'REDIS') inp.fail('not an RDB file (wrong signature)', start)
    const vtext = buf.toString('latin1', start + 5, start + 9)
    const version = /^\d{4}$/.test(vtext) ? Number(vtext) : NaN
    if (!(version >= 1 && version <= RDB_VERSION)) inp.fail(`can't handle RDB format version ${printable(vtext)}`, start + 5)
    this.version = version
    inp.pos = start + 9
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.inp.pos
  }

  /** Reads until `maxKeys` more keys are read or the file ends. Returns true when the whole file was read. */
  step(maxKeys = Infinity): boolean {
    try {
      return this.steps(maxKeys)
    } catch (e) {
      throw asRdbError(e, this.inp)
    }
  }

  private steps(maxKeys: number): boolean {
    const inp = this.inp
    let n = 0
    while (!this.done && n < maxKeys) {
      const at = inp.pos
      const op = inp.u8()
      switch (op) {
        case RDB_OP.EOF:
          this.finish(at)
          break
        case RDB_OP.SELECTDB: {
          const db = inp.len()
          if (db >= this.opts.databases) inp.fail(`database ${db} is out of range (the store has ${this.opts.databases} databases)`, at)
          this.select(db)
          break
        }
        case RDB_OP.RESIZEDB:
          inp.len()
          inp.len()
          break
        case RDB_OP.AUX: {
          const k = inp.key()
          const v = inp.key()
          this.aux.set(k, v)
          break
        }
        case RDB_OP.MODULE_AUX: {
          inp.len64()
          const whenOp = inp.len()
          if (whenOp !== MODULE_OP.UINT) inp.fail('invalid module AUX record', at)
          inp.len()
          skipModuleData(inp)
          break
        }
        case RDB_OP.FUNCTION2:
          inp.blob()
          this.functions.push(Buffer.from(inp.sbuf.subarray(inp.ss, inp.se)))
          break
        case RDB_OP.FUNCTION_PRE_GA:
          inp.fail('pre-release function format is not supported', at)
          break
        case RDB_OP.EXPIRETIME_MS:
          this.expire = inp.i64le()
          break
        case RDB_OP.EXPIRETIME:
          inp.need(4)
          this.expire = inp.buf.readInt32LE(inp.pos) * 1000
          inp.pos += 4
          break
        case RDB_OP.IDLE:
          this.idle = inp.len()
          break
        case RDB_OP.FREQ:
          this.freq = inp.u8()
          break
        default:
          this.readKey(op, at)
          n++
      }
    }
    if (!this.done) {
      this.crc.update(inp.buf, this.crcAt, inp.pos)
      this.crcAt = inp.pos
    }
    return this.done
  }

  private select(db: number): void {
    let d = this.dbs.get(db)
    if (d === undefined) this.dbs.set(db, (d = { map: new Map(), keys: [], volatile: new Set() }))
    this.cur = d
  }

  private readKey(type: number, at: number): void {
    const inp = this.inp
    if (this.cur === undefined) this.select(0)
    const key = inp.key()
    const v = type === RDB_TYPE.STRING ? inp.value() : readValue(inp, type, this.ctx)
    this.keysRead++
    const expire = this.expire
    const idle = this.idle
    const freq = this.freq
    this.expire = -1
    this.idle = -1
    this.freq = -1
    const db = this.cur!
    if (v === undefined || (expire !== -1 && expire <= this.opts.now && !this.opts.aofPreamble)) {
      if (db.map.has(key)) inp.fail(`duplicate key '${printable(key)}'`, at)
      return
    }
    const e = new Entry(TYPE_OF_RDB[type]!, v)
    const map = db.map
    const n = map.size
    map.set(key, e)
    // One hash lookup: a key already there leaves the size unchanged (the load fails anyway).
    if (map.size === n) inp.fail(`duplicate key '${printable(key)}'`, at)
    e.idx = db.keys.length
    e.lru = idle >= 0 ? this.opts.lruClock - idle : this.opts.lruClock
    if (expire !== -1) {
      e.expire = expire
      db.volatile.add(key)
    }
    if (freq >= 0) (db.freqs ??= new Map()).set(key, freq)
    db.keys.push(key)
  }

  private finish(eofAt: number): void {
    const inp = this.inp
    let end = inp.pos
    // Files before version 5 end at EOF; checksum bytes after it still get checked (a damaged
    // version number must not switch the check off).
    if (this.version >= 5 || inp.end - inp.pos === 8) {
      inp.need(8)
      // Fold everything up to and including the EOF byte, then compare.
      this.crc.update(inp.buf, this.crcAt, eofAt + 1)
      this.crcAt = eofAt + 1
      const stored = inp.buf.readBigUInt64LE(inp.pos)
      if (stored !== 0n && !this.crc.matches(inp.buf, inp.pos)) inp.fail('RDB checksum does not match (file corrupt)', inp.pos)
      end = inp.pos + 8
      inp.pos = end
    }
    this.done = true
    this.endOffset = end
  }

  private endOffset = 0

  /** The parsed contents (after `step()` returned true). */
  result(): RdbContents {
    if (!this.done) throw new Error('RDB parse not finished')
    return {
      version: this.version,
      dbs: this.dbs,
      aux: this.aux,
      functions: this.functions,
      keysRead: this.keysRead,
      end: this.endOffset,
    }
  }
}

/** Reads a whole RDB image at once. */
export function readRdb(buf: Buffer, name: string, ctx: LoadContext, opts: RdbReadOptions, start = 0): RdbContents {
  const p = new RdbParser(buf, name, ctx, opts, start)
  p.step()
  return p.result()
}

// ---------------------------------------------------------------- DUMP payloads

/** Why a payload was refused: Redis's two RESTORE errors. */
export const DUMP_BAD_FOOTER = 'DUMP payload version or checksum are wrong'
export const DUMP_BAD_DATA = 'Bad data format'

/** Checks a DUMP payload's version and CRC; returns an error text or undefined. */
export function verifyDumpPayload(p: Buffer): string | undefined {
  if (p.length < 10) return DUMP_BAD_FOOTER
  const ver = p[p.length - 10]! | (p[p.length - 9]! << 8)
  if (ver > RDB_VERSION) return DUMP_BAD_FOOTER
  const crc = new Crc64().update(p, 0, p.length - 8)
  if (!crc.matches(p, p.length - 8)) return DUMP_BAD_FOOTER
  return undefined
}

/**
 * Decodes a verified DUMP payload into a value; throws RdbError on a body
 * that cannot be decoded (RESTORE answers `Bad data format`).
 */
export function decodeDumpPayload(p: Buffer, ctx: LoadContext): LoadedValue {
  const inp = new RdbInput(p, 0, p.length - 10, 'DUMP payload')
  try {
    const type = inp.u8()
    const value = readValue(inp, type, ctx)
    if (value === undefined) return inp.fail('empty value')
    if (inp.pos !== inp.end) inp.fail('trailing bytes after the value')
    return { type: TYPE_OF_RDB[type]!, value }
  } catch (e) {
    throw asRdbError(e, inp)
  }
}
