/**
 * Access semantics of each command, as Redis 7.2 has them: how many keyspace
 * hits and misses it counts (INFO stats), and whether it refreshes the idle
 * time of the key it names (OBJECT IDLETIME). Each probe runs on its own key
 * after that key has been idle for 3 s.
 *
 *   npx tsx test/conformance/access.ts     records access.json from a private valkey-server
 *
 * `access.test.ts` replays the fixture against a Store and, when valkey-server
 * is on PATH, checks the fixture against a live server.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock, Store } from '../../src/index.js'
import { startValkey } from '../helpers/valkey.js'
import { ROOT } from './harness.js'

/** Each probe (`{k}` stands for its key) with the commands that set its key up. */
export const PROBES: Array<[probe: string, setup: string[]]> = [
  ['EXISTS {k}', ['SET {k} v']], ['TYPE {k}', ['SET {k} v']], ['TTL {k}', ['SET {k} v EX 100']], ['PTTL {k}', ['SET {k} v']],
  ['EXPIRETIME {k}', ['SET {k} v']], ['PEXPIRETIME {k}', ['SET {k} v']], ['OBJECT ENCODING {k}', ['SET {k} v']], ['OBJECT REFCOUNT {k}', ['SET {k} v']],
  ['OBJECT IDLETIME {k}', ['SET {k} v']], ['MEMORY USAGE {k}', ['SET {k} v']],
  ['GET {k}', ['SET {k} v']], ['MGET {k} nokey', ['SET {k} v']], ['STRLEN {k}', ['SET {k} v']], ['GETRANGE {k} 0 1', ['SET {k} v']],
  ['SUBSTR {k} 0 1', ['SET {k} v']], ['LCS {k} {k}', ['SET {k} v']], ['GETEX {k}', ['SET {k} v']], ['APPEND {k} x', ['SET {k} v']],
  ['SETRANGE {k} 0 x', ['SET {k} v']], ['INCR {k}', ['SET {k} 1']], ['SET {k} w', ['SET {k} v']], ['SET {k} w GET', ['SET {k} v']],
  ['SETNX {k} w', ['SET {k} v']], ['GETSET {k} w', ['SET {k} v']], ['DUMP {k}', ['SET {k} v']], ['TOUCH {k}', ['SET {k} v']],
  ['EXPIRE {k} 100', ['SET {k} v']], ['PERSIST {k}', ['SET {k} v EX 100']], ['COPY {k} {k}:copy', ['SET {k} v']],
  ['RENAME {k} {k}', ['SET {k} v']], ['LRANGE {k} 0 -1', ['RPUSH {k} a b']], ['LLEN {k}', ['RPUSH {k} a b']], ['LINDEX {k} 0', ['RPUSH {k} a b']],
  ['LPOS {k} a', ['RPUSH {k} a b']], ['LPUSH {k} c', ['RPUSH {k} a b']], ['LPUSHX {k} c', ['RPUSH {k} a b']], ['LSET {k} 0 z', ['RPUSH {k} a b']],
  ['SORT {k} ALPHA', ['RPUSH {k} a b']], ['HGET {k} f', ['HSET {k} f v']], ['HGETALL {k}', ['HSET {k} f v']], ['HLEN {k}', ['HSET {k} f v']],
  ['HEXISTS {k} f', ['HSET {k} f v']], ['HSCAN {k} 0', ['HSET {k} f v']], ['HRANDFIELD {k}', ['HSET {k} f v']], ['HSET {k} g w', ['HSET {k} f v']],
  ['SMEMBERS {k}', ['SADD {k} a']], ['SCARD {k}', ['SADD {k} a']], ['SISMEMBER {k} a', ['SADD {k} a']], ['SRANDMEMBER {k}', ['SADD {k} a']],
  ['SUNION {k} nokey', ['SADD {k} a']], ['SINTERCARD 1 {k}', ['SADD {k} a']], ['SMOVE {k} {k}:d a', ['SADD {k} a b']], ['SSCAN {k} 0', ['SADD {k} a']],
  ['ZRANGE {k} 0 -1', ['ZADD {k} 1 a']], ['ZSCORE {k} a', ['ZADD {k} 1 a']], ['ZCARD {k}', ['ZADD {k} 1 a']], ['ZRANK {k} a', ['ZADD {k} 1 a']],
  ['ZUNION 1 {k}', ['ZADD {k} 1 a']], ['ZSCAN {k} 0', ['ZADD {k} 1 a']], ['ZADD {k} 2 b', ['ZADD {k} 1 a']], ['ZINCRBY {k} 1 a', ['ZADD {k} 1 a']],
  ['XLEN {k}', ['XADD {k} 1-1 f v']], ['XRANGE {k} - +', ['XADD {k} 1-1 f v']], ['XREAD STREAMS {k} 0', ['XADD {k} 1-1 f v']], ['XINFO STREAM {k}', ['XADD {k} 1-1 f v']],
  ['PFCOUNT {k}', ['PFADD {k} a']], ['PFADD {k} b', ['PFADD {k} a']], ['GETBIT {k} 0', ['SET {k} v']], ['BITCOUNT {k}', ['SET {k} v']], ['BITPOS {k} 1', ['SET {k} v']],
  ['SETBIT {k} 0 1', ['SET {k} v']], ['BITFIELD_RO {k} GET u8 0', ['SET {k} v']], ['GEOPOS {k} a', ['GEOADD {k} 1 1 a']], ['GEODIST {k} a a', ['GEOADD {k} 1 1 a']],
  ['OBJECT FREQ {k}', ['SET {k} v']], ['DEL {k}:none', ['SET {k} v']], ['UNLINK {k}:none', ['SET {k} v']], ['RANDOMKEY', ['SET {k} v']], ['KEYS {k}', ['SET {k} v']],
  ['SCAN 0 MATCH {k}', ['SET {k} v']], ['EXISTS nokey', ['SET {k} v']], ['GET nokey', ['SET {k} v']], ['TYPE nokey', ['SET {k} v']], ['TTL nokey', ['SET {k} v']],
  ['LRANGE nokey 0 1', ['SET {k} v']], ['HGET nokey f', ['SET {k} v']], ['SMEMBERS nokey', ['SET {k} v']], ['ZSCORE nokey a', ['SET {k} v']], ['XLEN nokey', ['SET {k} v']],
  ['GET {k}', ['RPUSH {k} a']], ['LPOP {k}', ['RPUSH {k} a b']], ['LMOVE {k} {k}:d LEFT LEFT', ['RPUSH {k} a b']], ['SPOP {k}', ['SADD {k} a b']],
  ['HDEL {k} f', ['HSET {k} f v g w']], ['ZPOPMIN {k}', ['ZADD {k} 1 a 2 b']], ['HINCRBY {k} n 1', ['HSET {k} n 1']], ['RPOPLPUSH {k} {k}', ['RPUSH {k} a b']],
  ['SDIFFSTORE {k}:d {k}', ['SADD {k} a']], ['ZRANGESTORE {k}:d {k} 0 -1', ['ZADD {k} 1 a']], ['GETDEL {k}:none', ['SET {k} v']],
  ['BLPOP {k} 1', ['RPUSH {k} a b']], ['BZPOPMIN {k} 1', ['ZADD {k} 1 a 2 b']], ['LMPOP 2 nokey {k} LEFT', ['RPUSH {k} a b']], ['ZMPOP 1 {k} MIN', ['ZADD {k} 1 a 2 b']],
  ['SORT {k} BY nosort GET {k}:* ALPHA', ['RPUSH {k} a b', 'SET {k}:a x']], ['HMGET {k} f g', ['HSET {k} f v']], ['HSTRLEN {k} f', ['HSET {k} f v']],
  ['SMISMEMBER {k} a b', ['SADD {k} a']], ['SINTER {k} nokey', ['SADD {k} a']], ['SDIFF {k} nokey', ['SADD {k} a']], ['ZINTER 2 {k} nokey', ['ZADD {k} 1 a']],
  ['ZRANGEBYSCORE {k} 0 5', ['ZADD {k} 1 a']], ['ZRANDMEMBER {k}', ['ZADD {k} 1 a']], ['ZMSCORE {k} a b', ['ZADD {k} 1 a']], ['ZCOUNT {k} 0 5', ['ZADD {k} 1 a']],
  ['GEOSEARCH {k} FROMLONLAT 1 1 BYRADIUS 10 km', ['GEOADD {k} 1 1 a']], ['PFMERGE {k}:d {k}', ['PFADD {k} a']], ['BITOP AND {k}:d {k} nokey', ['SET {k} v']],
  ['OBJECT ENCODING nokey', ['SET {k} v']], ['MEMORY USAGE nokey', ['SET {k} v']], ['DUMP nokey', ['SET {k} v']], ['TOUCH nokey', ['SET {k} v']],
  ['SUNIONSTORE {k}:d nokey {k}', ['SADD {k} a']], ['XREADGROUP GROUP g c STREAMS {k} >', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0']],
  ['XPENDING {k} g', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0']], ['XINFO GROUPS {k}', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0']],
  ['XREVRANGE {k} + -', ['XADD {k} 1-1 f v']], ['LRANGE {k} 0 -1', ['SET {k} v']], ['HGET {k} f', ['RPUSH {k} a']], ['INCR {k}', ['RPUSH {k} a']],
  ['EXISTS {k} {k} nokey', ['SET {k} v']], ['MSETNX {k} a nokey2 b', ['SET {k} v']], ['SETNX nokey3 v', ['SET {k} v']], ['GETEX {k} PERSIST', ['SET {k} v EX 100']],
  ['RENAMENX {k} {k}:n', ['SET {k} v']], ['MOVE {k} 1', ['SET {k} v']], ['EXPIRETIME nokey', ['SET {k} v']], ['LINSERT {k} BEFORE a x', ['RPUSH {k} a']],
  ['SRANDMEMBER {k} -5', ['SADD {k} a']], ['HVALS {k}', ['HSET {k} f v']], ['ZLEXCOUNT {k} - +', ['ZADD {k} 0 a']], ['GEOHASH {k} a', ['GEOADD {k} 1 1 a']],
]

/** What a probe did: keyspace hits and misses, and its key's state afterwards. */
export interface AccessResult {
  probe: string
  hits: number
  misses: number
  key: 'touched' | 'idle' | 'gone'
}

export const FIXTURE = join(ROOT, 'access.json')
const IDLE_MS = 3000

const argv = (s: string, k: string): string[] => s.replaceAll('{k}', k).split(' ')
const stats = (text: string): [number, number] => {
  const m = /keyspace_hits:(\d+)\r\nkeyspace_misses:(\d+)/.exec(text)
  if (m === null) throw new Error('no keyspace stats in INFO')
  return [Number(m[1]), Number(m[2])]
}
const keyState = (idle: unknown): AccessResult['key'] => (idle === null ? 'gone' : Number(idle) >= IDLE_MS / 1000 - 1 ? 'idle' : 'touched')

/** Runs every probe through `run` (a command runner); `wait` lets the keys go idle. */
async function measure(run: (argv: string[]) => Promise<unknown>, wait: () => Promise<void>): Promise<AccessResult[]> {
  for (let i = 0; i < PROBES.length; i++) for (const s of PROBES[i]![1]) await run(argv(s, 'p' + i))
  await wait()
  const out: AccessResult[] = []
  for (let i = 0; i < PROBES.length; i++) {
    const k = 'p' + i
    await run(['CONFIG', 'RESETSTAT'])
    await run(argv(PROBES[i]![0], k))
    const [hits, misses] = stats(String(await run(['INFO', 'stats'])))
    out.push({ probe: PROBES[i]![0], hits, misses, key: keyState(await run(['OBJECT', 'IDLETIME', k])) })
  }
  return out
}

/** The probes on a Store (time moved by a ManualClock). */
export async function measureStore(): Promise<AccessResult[]> {
  const clock = new ManualClock(1_700_000_000_000)
  const s = new Store({ clock, activeExpiry: false, maxmemoryPolicy: 'allkeys-lru' })
  try {
    return await measure(
      async (a) => {
        try {
          return s.call(...(a as [string]))
        } catch (e) {
          return e
        }
      },
      async () => {
        clock.advance(IDLE_MS)
        s.ks.refreshClock()
      },
    )
  } finally {
    s.close()
  }
}

/** The probes on a private valkey-server (waits 3 s for real). */
export async function measureValkey(): Promise<AccessResult[]> {
  const server = await startValkey(['--maxmemory-policy', 'allkeys-lru'])
  const c = await server.connect()
  try {
    return await measure(
      async (a) => {
        const r = await c.send(a)
        return 'v' in r ? r.v : null
      },
      () => new Promise((r) => setTimeout(r, IDLE_MS + 100)),
    )
  } finally {
    c.close()
    await server.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await measureValkey()
  writeFileSync(FIXTURE, `[\n${results.map((r) => '  ' + JSON.stringify(r)).join(',\n')}\n]\n`)
  console.log(`wrote ${FIXTURE}: ${results.length} probes`)
}
