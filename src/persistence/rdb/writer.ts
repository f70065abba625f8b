/**
 * RDB writing: every value in the encoding Redis 7.2 writes for its OBJECT
 * ENCODING (listpack hashes/sets/zsets/lists, intsets, quicklists, skiplists
 * with binary doubles, hashtables, stream listpacks with groups, consumers and
 * pending entries), key framing (expire, idle), the file header with AUX
 * fields, databases with RESIZEDB, and DUMP payloads.
 */
import { Buffer } from 'node:buffer'
import { T, type Entry } from '../../keyspace/database.js'
import { keyBytes, strOf, type StoredStr } from '../../core/bytes.js'
import { formatDouble } from '../../core/numbers.js'
import type { ListValue } from '../../commands/lists.js'
import type { RedisSet } from '../../commands/sets.js'
import type { RedisHash } from '../../commands/hashes.js'
import type { ZSet } from '../../commands/sorted-sets.js'
import type { SortedSet } from '../../types/sorted-set.js'
import type { Stream, StreamNode, U64 } from '../../types/stream.js'
import { QUICKLIST_NODE, RDB_OP, RDB_TYPE, RDB_VERSION } from './constants.js'
import { ListpackBuilder } from './listpack.js'
import { RdbOutput } from './output.js'

/** Encoding numbers of sets (sets.ts SET_INTSET / SET_LISTPACK / SET_HASHTABLE). */
const SET_INTSET = 0
const SET_LISTPACK = 1

/** What the header says about the writer. */
export interface HeaderInfo {
  /** `redis-ver` AUX field. */
  version: string
  /** Unix time in seconds (`ctime`). */
  ctime: number
  /** `used-mem` in bytes. */
  usedMem: number
  /** Written as part of an AOF (the `aof-base` AUX field). */
  aofBase: boolean
  /** Function library sources (FUNCTION2 records). */
  functions?: ReadonlyArray<Buffer>
  /** Extra AUX fields. */
  aux?: ReadonlyArray<readonly [string, string]>
}

/** The RDB type byte for a value. */
export function rdbTypeOf(e: Entry): number {
  switch (e.type) {
    case T.STRING:
      return RDB_TYPE.STRING
    case T.LIST:
      return RDB_TYPE.LIST_QUICKLIST_2
    case T.SET: {
      const enc = (e.value as RedisSet).enc
      return enc === SET_INTSET ? RDB_TYPE.SET_INTSET : enc === SET_LISTPACK ? RDB_TYPE.SET_LISTPACK : RDB_TYPE.SET
    }
    case T.ZSET:
      return isSkiplist(e.value as SortedSet) ? RDB_TYPE.ZSET_2 : RDB_TYPE.ZSET_LISTPACK
    case T.HASH:
      return (e.value as RedisHash).lp === false ? RDB_TYPE.HASH : RDB_TYPE.HASH_LISTPACK
    case T.STREAM:
      return RDB_TYPE.STREAM_LISTPACKS_3
  }
  throw new Error(`cannot save a value of type ${e.type}`)
}

/** ZSet values know their encoding; a plain SortedSet counts as a skiplist past 128 members. */
function isSkiplist(z: SortedSet): boolean {
  const s = (z as ZSet).skiplist
  return s === undefined ? z.size > 128 : s
}

/**
 * Writes an RDB value body of the given type (the type byte and key are
 * written by the caller). `lp` is a scratch builder.
 */
export function writeValue(out: RdbOutput, type: number, e: Entry, lp: ListpackBuilder): void {
  const v = e.value
  switch (type) {
    case RDB_TYPE.STRING:
      return out.str(strOf(v as StoredStr))
    case RDB_TYPE.LIST_QUICKLIST_2:
      return writeList(out, v as ListValue, lp)
    case RDB_TYPE.SET_INTSET:
      return writeIntset(out, v as RedisSet)
    case RDB_TYPE.SET_LISTPACK: {
      lp.reset()
      ;(v as RedisSet).forEach((m) => lp.str(m))
      const b = lp.finish()
      return out.bytes(b, 0, b.length)
    }
    case RDB_TYPE.SET: {
      const s = v as RedisSet
      out.len(s.size)
      s.forEach((m) => out.str(m))
      return
    }
    case RDB_TYPE.ZSET_LISTPACK: {
      const z = v as SortedSet
      lp.reset()
      for (let x = z.first(); x !== undefined; x = z.next(x)) {
        lp.str(x.member)
        lp.str(formatDouble(x.score))
      }
      const b = lp.finish()
      return out.bytes(b, 0, b.length)
    }
    case RDB_TYPE.ZSET_2: {
      // Highest score first, as Redis saves it (its loader then inserts at the head).
      const z = v as SortedSet
      out.len(z.size)
      for (let x = z.last(); x !== undefined; x = z.prev(x)) {
        out.str(x.member)
        out.f64le(x.score)
      }
      return
    }
    case RDB_TYPE.HASH_LISTPACK: {
      lp.reset()
      ;(v as RedisHash).forEach((val, f) => {
        lp.str(f)
        lp.str(val)
      })
      const b = lp.finish()
      return out.bytes(b, 0, b.length)
    }
    case RDB_TYPE.HASH: {
      const h = v as RedisHash
      out.len(h.size)
      h.forEach((val, f) => {
        out.str(f)
        out.str(val)
      })
      return
    }
    case RDB_TYPE.STREAM_LISTPACKS_3:
      return writeStream(out, v as Stream, lp)
  }
  throw new Error(`cannot save RDB type ${type}`)
}

/**
 * A list as quicklist 2: one node per quicklist node (one packed node for a listpack-encoded list).
 * A plain node (one element past the node size limit) is its raw bytes, as Redis writes it.
 */
function writeList(out: RdbOutput, l: ListValue, lp: ListpackBuilder): void {
  const nodes = l.nodes
  const n = l.length
  if (nodes === null || nodes === undefined) {
    out.len(1)
    out.len(QUICKLIST_NODE.PACKED)
    lp.reset()
    for (let i = 0; i < n; i++) lp.str(l.at(i)!)
    const b = lp.finish()
    return out.bytes(b, 0, b.length)
  }
  out.len(nodes.length)
  let i = 0
  for (const node of nodes) {
    if (node.plain === true) {
      out.len(QUICKLIST_NODE.PLAIN)
      out.str(l.at(i++)!)
      continue
    }
    out.len(QUICKLIST_NODE.PACKED)
    lp.reset()
    const end = i + node.count
    for (; i < end; i++) lp.str(l.at(i)!)
    const b = lp.finish()
    out.bytes(b, 0, b.length)
  }
}

/** An intset blob: the set's width (never less than its widest member needs), members ascending. */
function writeIntset(out: RdbOutput, s: RedisSet): void {
  const members = s.ordered()
  const n = members.length
  let width = s.intWidth
  const vals: Array<number | bigint> = new Array(n)
  for (let i = 0; i < n; i++) {
    const m = members[i]!
    const v = m.length > 15 ? BigInt(m) : Number(m)
    vals[i] = v
    if (width < 8 && (v < -2147483648 || v > 2147483647)) width = 8
    else if (width < 4 && (v < -32768 || v > 32767)) width = 4
  }
  const blob = Buffer.allocUnsafe(8 + n * width)
  blob.writeUInt32LE(width, 0)
  blob.writeUInt32LE(n, 4)
  let p = 8
  for (let i = 0; i < n; i++, p += width) {
    const v = vals[i]!
    if (width === 2) blob.writeInt16LE(Number(v), p)
    else if (width === 4) blob.writeInt32LE(Number(v), p)
    else blob.writeBigInt64LE(BigInt(v), p)
  }
  out.bytes(blob, 0, blob.length)
}

/** (int64)(a - b) of two u64, as a listpack integer. */
function diff64(a: U64, b: U64): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const d = BigInt.asIntN(64, BigInt(a) - BigInt(b))
  return d >= -9007199254740991n && d <= 9007199254740991n ? Number(d) : d
}

/** 16 raw bytes of a stream ID (ms, seq big-endian). */
function writeRawId(out: RdbOutput, ms: U64, seq: U64): void {
  out.u64be(ms)
  out.u64be(seq)
}

const idBlob = Buffer.alloc(16)

/** One stream node's listpack, as Redis lays it out (master entry, then entries with flags and diffs). */
function nodeListpack(nd: StreamNode, lp: ListpackBuilder): Buffer {
  lp.reset()
  lp.int(nd.live)
  lp.int(nd.deleted)
  const mf = nd.masterFields
  lp.int(mf.length)
  for (let i = 0; i < mf.length; i++) lp.str(mf[i]!)
  lp.int(0)
  const mms = nd.ms[0]!
  const mseq = nd.seq[0]!
  for (let i = 0; i < nd.size; i++) {
    const flags = nd.flags[i]!
    const fv = nd.fv[i]!
    lp.int(flags)
    lp.int(diff64(nd.ms[i]!, mms))
    lp.int(diff64(nd.seq[i]!, mseq))
    const nf = fv.length / 2
    if (flags & 2) {
      for (let j = 1; j < fv.length; j += 2) lp.str(fv[j]!)
      lp.int(nf + 3)
    } else {
      lp.int(nf)
      for (let j = 0; j < fv.length; j++) lp.str(fv[j]!)
      lp.int(nf * 2 + 4)
    }
  }
  return lp.finish()
}

function writeStream(out: RdbOutput, s: Stream, lp: ListpackBuilder): void {
  out.len(s.nodes.length)
  for (const nd of s.nodes) {
    idBlob.writeBigUInt64BE(BigInt(nd.ms[0]!), 0)
    idBlob.writeBigUInt64BE(BigInt(nd.seq[0]!), 8)
    out.bytes(idBlob, 0, 16)
    const b = nodeListpack(nd, lp)
    out.bytes(b, 0, b.length)
  }
  out.len(s.length)
  out.len64(s.lastMs)
  out.len64(s.lastSeq)
  out.len64(s.firstMs)
  out.len64(s.firstSeq)
  out.len64(s.maxDelMs)
  out.len64(s.maxDelSeq)
  out.len64(s.entriesAdded)
  const groups = s.groups
  if (groups === undefined) return out.len(0)
  out.len(groups.size)
  for (const g of inNameOrder(groups)) {
    out.str(g.name)
    out.len64(g.lastMs)
    out.len64(g.lastSeq)
    out.len64(g.entriesRead)
    out.len(g.pel.size)
    for (const nack of g.pel) {
      writeRawId(out, nack.ms, nack.seq)
      out.i64le(nack.deliveryTime)
      out.len64(nack.deliveryCount)
    }
    out.len(g.consumers.size)
    for (const c of inNameOrder(g.consumers)) {
      out.str(c.name)
      out.i64le(c.seenTime)
      out.i64le(c.activeTime)
      out.len(c.pel.size)
      for (const nack of c.pel) writeRawId(out, nack.ms, nack.seq)
    }
  }
}

/** Groups and consumers in Redis's radix-tree order (by name bytes), as Redis saves them. */
function inNameOrder<V>(m: Map<string, V>): V[] {
  return [...m.keys()].sort((a, b) => Buffer.compare(keyBytes(a), keyBytes(b))).map((k) => m.get(k)!)
}

// ---------------------------------------------------------------- framing

/** "REDIS0011" and the AUX fields (and function libraries) Redis writes before the keys. */
export function writeHeader(out: RdbOutput, info: HeaderInfo): void {
  out.raw(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'))
  const aux = (k: string, v: string): void => {
    out.u8(RDB_OP.AUX)
    out.str(k)
    out.str(v)
  }
  aux('redis-ver', info.version)
  aux('redis-bits', '64')
  aux('ctime', String(info.ctime))
  aux('used-mem', String(info.usedMem))
  aux('aof-base', info.aofBase ? '1' : '0')
  for (const [k, v] of info.aux ?? []) aux(k, v)
  for (const src of info.functions ?? []) {
    out.u8(RDB_OP.FUNCTION2)
    out.bytes(src, 0, src.length)
  }
}

/** SELECTDB and RESIZEDB for a database about to be written. */
export function writeDbHeader(out: RdbOutput, db: number, size: number, expires: number): void {
  out.u8(RDB_OP.SELECTDB)
  out.len(db)
  out.u8(RDB_OP.RESIZEDB)
  out.len(size)
  out.len(expires)
}

/** One key: [EXPIRETIME_MS t] [IDLE s | FREQ f] type key value. `idle` / `freq` < 0: not written. */
export function writeEntry(out: RdbOutput, key: string, e: Entry, lp: ListpackBuilder, idle = -1, freq = -1): void {
  if (e.expire !== 0) {
    out.u8(RDB_OP.EXPIRETIME_MS)
    out.i64le(e.expire)
  }
  if (idle >= 0) {
    out.u8(RDB_OP.IDLE)
    out.len(idle)
  } else if (freq >= 0) {
    out.u8(RDB_OP.FREQ)
    out.u8(freq)
  }
  const type = rdbTypeOf(e)
  out.u8(type)
  out.str(key)
  writeValue(out, type, e, lp)
}

/** EOF opcode and the checksum. */
export function writeFooter(out: RdbOutput, checksum = true): void {
  out.u8(RDB_OP.EOF)
  if (checksum) out.writeChecksum()
  else {
    out.raw(Buffer.alloc(8))
    out.flush()
  }
}

const dumpLp = new ListpackBuilder()

/** A DUMP payload: type byte, value, RDB version (2 bytes LE), CRC-64 of all that (8 bytes LE). */
export function dumpPayload(e: Entry, compression = true): Buffer {
  const out = new RdbOutput({ compression, chunkSize: 4096 })
  const type = rdbTypeOf(e)
  out.u8(type)
  writeValue(out, type, e, dumpLp)
  out.u8(RDB_VERSION & 0xff)
  out.u8(RDB_VERSION >> 8)
  out.writeChecksum()
  return out.finish()
}
