/**
 * A dataset with every type and every encoding Redis 7.2 writes, built by
 * commands (so it can be built the same way in a Store and in a real
 * server), and a description of a server's whole keyspace to compare two
 * servers (or a Store and a server) value by value, TTL by TTL.
 */
import { encodeReply, ReplyParser, type Tagged } from '../../src/protocol/resp.js'
import type { Session } from '../../src/session.js'

type Argv = Array<string | Buffer>

/** A far-future absolute expire time (2100-01-01), so TTLs compare exactly. */
export const FUTURE = 4102444800000

const bin = Buffer.from([0x00, 0xff, 0x80, 0xc3, 0x28, 0x0a, 0x0d, 0x41])
const binKey = Buffer.from([0xff, 0xfe, 0x01, 0x6b])

function range(n: number, f: (i: number) => string): string[] {
  return Array.from({ length: n }, (_, i) => f(i))
}

function range2(n: number, f: (i: number) => [string, string]): string[] {
  return Array.from({ length: n }, (_, i) => f(i)).flat()
}

/**
 * Configuration both sides use. Redis 7.2's default for hash-max-listpack-entries
 * is 512; it is given explicitly so the comparison does not depend on defaults.
 */
export const CONFIG: Record<string, string> = { 'hash-max-listpack-entries': '512' }

/** The same configuration as valkey-server arguments. */
export const CONFIG_ARGS: string[] = Object.entries(CONFIG).flatMap(([k, v]) => [`--${k}`, v])

/** Commands that build the dataset (databases 0, 3 and 15). */
export function datasetCommands(): Argv[] {
  const c: Argv[] = [['SELECT', '0']]
  // strings: int, embstr, raw, LZF-compressible, incompressible, binary, empty, UTF-8, TTL
  c.push(['SET', 's:int', '12345'], ['SET', 's:neg', '-1'], ['SET', 's:int32', '2147483647'], ['SET', 's:big', '9223372036854775807'])
  c.push(['SET', 's:lead0', '007'], ['SET', 's:embstr', 'hello'], ['SET', 's:empty', ''], ['SET', 's:utf8', 'héllo wörld ✓ 𝄞'])
  c.push(['SET', 's:lzf', 'abc'.repeat(40)], ['SET', 's:long', 'x'.repeat(20000)])
  c.push(['SET', 's:noise', range(40, (i) => ((i * 7919 + 13) % 1000003).toString(36)).join('')])
  c.push(['SET', 's:bin', bin], ['SET', binKey, 'binary key'])
  c.push(['SET', 's:ttl', 'v', 'PXAT', String(FUTURE)], ['SET', 's:ttl2', 'w', 'PXAT', String(FUTURE + 1234)])
  c.push(['SET', 's:raw', 'ab'], ['APPEND', 's:raw', 'cd'])
  c.push(['PFADD', 'hll', 'a', 'b', 'c', 'd'])
  // lists: listpack, quicklist, big elements, binary
  c.push(['RPUSH', 'l:small', 'a', 'b', '1', '2', '-3', '100000', '3.5', '', '-4097', '8388608', '-2147483649', '9223372036854775807'])
  c.push(['RPUSH', 'l:big', ...range(1000, (i) => `item:${i}`)])
  c.push(['RPUSH', 'l:huge', 'y'.repeat(9000), 'z'.repeat(9000), 'w'.repeat(9000)])
  c.push(['LPUSH', 'l:bin', bin, 'x'])
  c.push(['RPUSH', 'l:ttl', 'a'], ['PEXPIREAT', 'l:ttl', String(FUTURE + 99)])
  // sets: intset (16/32/64-bit), listpack, hashtable
  c.push(['SADD', 'set:int', '1', '2', '3', '-5', '300'])
  c.push(['SADD', 'set:int32', '1', '70000', '-70000'])
  c.push(['SADD', 'set:int64', '1', '9223372036854775807', '-9223372036854775808', '70000'])
  c.push(['SADD', 'set:lp', 'a', 'b', 'c', '1'])
  c.push(['SADD', 'set:ht', ...range(200, (i) => `m:${i}`)])
  c.push(['SADD', 'set:manyints', ...range(600, (i) => String(i * 3))])
  c.push(['SADD', 'set:bin', bin, 'plain'])
  c.push(['SADD', 'set:long', 'q'.repeat(80)])
  // sorted sets: listpack (integer, fractional, infinite scores), skiplist
  c.push(['ZADD', 'z:lp', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'd', '-inf', 'e', '0', 'f', '1e20', 'g', '0.1', 'h', '123456789012', 'i'])
  c.push(['ZADD', 'z:sl', ...range2(200, (i) => [String(i / 7), `member:${i}`])])
  c.push(['ZADD', 'z:long', '1', 'l'.repeat(70), '2', 'short'])
  c.push(['ZADD', 'z:bin', '5', bin])
  // hashes: listpack, hashtable
  c.push(['HSET', 'h:lp', 'f', 'v', 'n', '1', 'neg', '-12', 'big', '12345678901234', 'e', ''])
  c.push(['HSET', 'h:ht', ...range2(200, (i) => [`field:${i}`, `value:${i}`])])
  c.push(['HSET', 'h:longval', 'f', 'v'.repeat(100)])
  c.push(['HSET', 'h:bin', bin, bin, 'x', 'y'])
  c.push(['HSET', 'h:ttl', 'a', 'b'], ['PEXPIREAT', 'h:ttl', String(FUTURE + 7)])
  // streams: one node, many nodes, deletions, groups with pending entries and consumers, empty with a group, XSETID
  c.push(['XADD', 'x:simple', '1-1', 'f', 'v'], ['XADD', 'x:simple', '1-2', 'f', 'v2'], ['XADD', 'x:simple', '2-0', 'a', '1', 'b', '2'])
  for (let i = 1; i <= 250; i++) c.push(['XADD', 'x:big', `100-${i}`, 'field', `value-${i}`, 'n', String(i)])
  for (let i = 1; i <= 6; i++) c.push(['XADD', 'x:del', `${i}-0`, 'k', `v${i}`])
  c.push(['XDEL', 'x:del', '1-0', '4-0'])
  for (let i = 1; i <= 10; i++) c.push(['XADD', 'x:groups', `${1000 + i}-0`, 'job', `j${i}`])
  c.push(['XGROUP', 'CREATE', 'x:groups', 'g1', '0'])
  c.push(['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '3', 'STREAMS', 'x:groups', '>'])
  c.push(['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '2', 'STREAMS', 'x:groups', '>'])
  c.push(['XACK', 'x:groups', 'g1', '1002-0'])
  c.push(['XCLAIM', 'x:groups', 'g1', 'bob', '0', '1001-0', 'TIME', String(FUTURE - 5000), 'RETRYCOUNT', '7'])
  c.push(['XGROUP', 'CREATE', 'x:groups', 'g2', '$'], ['XGROUP', 'CREATECONSUMER', 'x:groups', 'g2', 'carol'])
  c.push(['XGROUP', 'CREATE', 'x:empty', 'g', '0', 'MKSTREAM'])
  c.push(['XADD', 'x:setid', '1-1', 'a', 'b'], ['XDEL', 'x:setid', '1-1'], ['XSETID', 'x:setid', '5-5', 'ENTRIESADDED', '10', 'MAXDELETEDID', '3-3'])
  c.push(['XADD', 'x:bin', '7-7', bin, bin])
  // other databases
  c.push(['SELECT', '3'], ['SET', 'db3', 'three'], ['HSET', 'db3h', 'a', 'b'], ['SET', 'db3ttl', 'x', 'PXAT', String(FUTURE + 3)])
  c.push(['SELECT', '15'], ['SET', 'last', '1'])
  c.push(['SELECT', '0'])
  return c
}

/** Sends one command and returns its reply. */
export type Send = (argv: Argv) => Promise<Tagged> | Tagged

/** A sender for a Store session (replies go through the RESP2 encoder, as a client would see them). */
export function sessionSender(s: Session): (argv: Argv) => Tagged {
  return (argv) => {
    const r = s.execute(argv)
    if (r instanceof Promise) throw new Error('blocking reply')
    const p = new ReplyParser()
    p.feed(encodeReply(r, 2))
    return p.next()!
  }
}

/** A plain JSON-able value of a reply: bulk strings as text when printable UTF-8, else `hex:...`. */
export function plain(t: Tagged): unknown {
  switch (t.t) {
    case 'bulk':
    case 'verbatim':
      return t.b64 !== undefined ? 'b64:' + t.b64 : t.v
    case 'array':
    case 'set':
    case 'map':
    case 'push':
      return t.v.map(plain)
    case 'nil':
    case 'nilarray':
    case 'null':
      return null
    case 'error':
      return { error: t.v }
    default:
      return (t as { v: unknown }).v
  }
}

const sortStrings = (a: unknown[]): unknown[] => a.map((x) => JSON.stringify(x)).sort().map((x) => JSON.parse(x) as unknown)

function pairs(a: unknown[]): unknown[][] {
  const out: unknown[][] = []
  for (let i = 0; i < a.length; i += 2) out.push([a[i], a[i + 1]])
  return out
}

/** Options for `contentsOf`. */
export interface ContentsOptions {
  /** Include OBJECT ENCODING (compare two loaders of the same file). */
  encodings?: boolean
  /**
   * Leave out consumers' seen/active times: replaying an AOF sets them to the
   * replay time (Redis logs XREADGROUP as XCLAIM), so they differ after any replay.
   */
  noConsumerTimes?: boolean
  dbs?: number[]
}

/** Replaces the values of `seen-time` / `active-time` fields anywhere in a reply with '*'. */
function dropConsumerTimes(x: unknown): unknown {
  if (!Array.isArray(x)) return x
  const out = x.map(dropConsumerTimes)
  for (let i = 0; i + 1 < out.length; i++) if (out[i] === 'seen-time' || out[i] === 'active-time') out[i + 1] = '*'
  return out
}

/** The whole keyspace as data. */
export type Contents = Record<string, Record<string, unknown>>

/** Everything in the given databases: per key its type, TTL (absolute ms), encoding and full contents. */
export async function contentsOf(send: Send, opts: ContentsOptions = {}): Promise<Contents> {
  const out: Contents = {}
  const q = async (argv: Argv): Promise<unknown> => plain(await send(argv))
  for (const db of opts.dbs ?? [0, 3, 15]) {
    await send(['SELECT', String(db)])
    const keys = (await send(['KEYS', '*'])) as Tagged & { t: 'array' }
    const rows: Record<string, unknown> = {}
    const names = keys.v.map((k) => k as Tagged & { t: 'bulk' }).sort((a, b) => ((a.b64 ?? a.v) < (b.b64 ?? b.v) ? -1 : 1))
    for (const k of names) {
      const kb = k.b64 !== undefined ? Buffer.from(k.b64, 'base64') : Buffer.from(k.v, 'utf8')
      const type = (await q(['TYPE', kb])) as string
      const row: Record<string, unknown> = { type, pexpiretime: await q(['PEXPIRETIME', kb]) }
      if (opts.encodings) row.encoding = await q(['OBJECT', 'ENCODING', kb])
      switch (type) {
        case 'string':
          row.value = await q(['GET', kb])
          break
        case 'list':
          row.value = await q(['LRANGE', kb, '0', '-1'])
          break
        case 'set':
          row.value = sortStrings((await q(['SMEMBERS', kb])) as unknown[])
          break
        case 'zset':
          row.value = await q(['ZRANGE', kb, '0', '-1', 'WITHSCORES'])
          break
        case 'hash':
          row.value = sortStrings(pairs((await q(['HGETALL', kb])) as unknown[]))
          break
        case 'stream':
          row.value = await q(['XRANGE', kb, '-', '+'])
          row.info = await q(['XINFO', 'STREAM', kb, 'FULL'])
          if (opts.noConsumerTimes) row.info = dropConsumerTimes(row.info)
          break
      }
      rows[k.b64 !== undefined ? 'b64:' + k.b64 : k.v] = row
    }
    out[`db${db}`] = rows
  }
  await send(['SELECT', '0'])
  return out
}
