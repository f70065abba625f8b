/**
 * Keyspace notifications of each write command, as Redis 7.2 sends them: a
 * RESP3 client subscribed to every keyspace and keyevent channel (events
 * `KEA`) runs each probe on its own key and collects what arrives.
 *
 *   npx tsx test/conformance/notifications.ts     records notifications.json from a private valkey-server
 *
 * `notifications.test.ts` replays the recording against embedis's RESP server
 * and, when valkey-server is on PATH, checks it against a live server.
 */
import { writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { ReplyParser, encodeCommand, type Tagged } from '../../src/protocol/resp.js'
import { startValkey } from '../helpers/valkey.js'
import { ROOT } from './harness.js'

/** Each probe (`{k}` stands for its key) with the commands that set its key up. */
export const PROBES: Array<[probe: string, setup: string[]]> = [
  ['SET {k} v', []], ['SET {k} w', ['SET {k} v']], ['SET {k} v EX 100', []], ['SET {k} v KEEPTTL', ['SET {k} v EX 100']], ['SET {k} v NX', ['SET {k} v']],
  ['SET {k} v GET', ['SET {k} a']], ['SETNX {k} v', []], ['SETEX {k} 100 v', []], ['PSETEX {k} 100000 v', []], ['GETSET {k} w', ['SET {k} v']],
  ['GETDEL {k}', ['SET {k} v']], ['GETEX {k} EX 100', ['SET {k} v']], ['GETEX {k} PERSIST', ['SET {k} v EX 100']], ['MSET {k} a {k}:2 b', []],
  ['MSETNX {k} a {k}:2 b', []], ['APPEND {k} x', ['SET {k} v']], ['SETRANGE {k} 2 x', ['SET {k} v']], ['INCR {k}', []], ['INCRBY {k} 5', []],
  ['DECR {k}', []], ['INCRBYFLOAT {k} 1.5', []], ['DEL {k} {k}:none', ['SET {k} v']], ['UNLINK {k}', ['SET {k} v']], ['EXPIRE {k} 100', ['SET {k} v']],
  ['EXPIRE {k} 0', ['SET {k} v']], ['PEXPIREAT {k} 1', ['SET {k} v']], ['PERSIST {k}', ['SET {k} v EX 100']], ['RENAME {k} {k}:r', ['SET {k} v']],
  ['RENAME {k} {k}:r', ['SET {k} v', 'SET {k}:r x']], ['RENAMENX {k} {k}:r', ['SET {k} v']], ['COPY {k} {k}:c', ['SET {k} v']], ['COPY {k} {k}:c REPLACE', ['SET {k} v', 'SET {k}:c x']],
  ['MOVE {k} 1', ['SET {k} v']], ['LPUSH {k} a b', []], ['RPUSH {k} a', ['RPUSH {k} x']], ['LPUSHX {k} a', []], ['LPOP {k}', ['RPUSH {k} a b']],
  ['LPOP {k}', ['RPUSH {k} a']], ['RPOP {k} 2', ['RPUSH {k} a b c']], ['LSET {k} 0 z', ['RPUSH {k} a']], ['LINSERT {k} BEFORE a z', ['RPUSH {k} a']],
  ['LREM {k} 0 a', ['RPUSH {k} a b a']], ['LREM {k} 0 a', ['RPUSH {k} a a']], ['LTRIM {k} 0 0', ['RPUSH {k} a b']], ['LTRIM {k} 5 6', ['RPUSH {k} a b']],
  ['LMOVE {k} {k}:d LEFT RIGHT', ['RPUSH {k} a']], ['RPOPLPUSH {k} {k}', ['RPUSH {k} a b']], ['LMPOP 1 {k} LEFT COUNT 2', ['RPUSH {k} a b c']],
  ['BLPOP {k} 1', ['RPUSH {k} a']], ['SADD {k} a b', []], ['SADD {k} a', ['SADD {k} a']], ['SREM {k} a', ['SADD {k} a b']], ['SREM {k} a', ['SADD {k} a']],
  ['SPOP {k}', ['SADD {k} a']], ['SPOP {k} 2', ['SADD {k} a b c']], ['SMOVE {k} {k}:d a', ['SADD {k} a']], ['SINTERSTORE {k}:d {k}', ['SADD {k} a']],
  ['SUNIONSTORE {k}:d {k}:none', ['SET {k}:d x']], ['SDIFFSTORE {k}:d {k}', ['SADD {k} a']], ['HSET {k} f v g w', []], ['HSET {k} f w', ['HSET {k} f v']],
  ['HSETNX {k} f v', []], ['HDEL {k} f', ['HSET {k} f v g w']], ['HDEL {k} f', ['HSET {k} f v']], ['HINCRBY {k} f 2', []], ['HINCRBYFLOAT {k} f 2.5', []],
  ['HMSET {k} a b', []], ['ZADD {k} 1 a 2 b', []], ['ZADD {k} 5 a', ['ZADD {k} 1 a']], ['ZADD {k} XX 1 z', ['ZADD {k} 1 a']], ['ZINCRBY {k} 2 a', ['ZADD {k} 1 a']],
  ['ZREM {k} a', ['ZADD {k} 1 a 2 b']], ['ZREM {k} a', ['ZADD {k} 1 a']], ['ZREMRANGEBYSCORE {k} 0 1', ['ZADD {k} 1 a 2 b']], ['ZREMRANGEBYRANK {k} 0 0', ['ZADD {k} 1 a 2 b']],
  ['ZREMRANGEBYLEX {k} - +', ['ZADD {k} 0 a']], ['ZPOPMIN {k}', ['ZADD {k} 1 a 2 b']], ['ZPOPMAX {k} 5', ['ZADD {k} 1 a 2 b']], ['ZMPOP 1 {k} MIN', ['ZADD {k} 1 a']],
  ['ZUNIONSTORE {k}:d 1 {k}', ['ZADD {k} 1 a']], ['ZINTERSTORE {k}:d 1 {k}:none', ['SET {k}:d x']], ['ZRANGESTORE {k}:d {k} 0 -1', ['ZADD {k} 1 a']],
  ['ZDIFFSTORE {k}:d 1 {k}', ['ZADD {k} 1 a']], ['XADD {k} 1-1 f v', []], ['XADD {k} MAXLEN 1 2-1 f v', ['XADD {k} 1-1 f v']], ['XDEL {k} 1-1', ['XADD {k} 1-1 f v']],
  ['XTRIM {k} MAXLEN 0', ['XADD {k} 1-1 f v']], ['XGROUP CREATE {k} g 0', ['XADD {k} 1-1 f v']], ['XGROUP CREATE {k} g $ MKSTREAM', []],
  ['XGROUP CREATECONSUMER {k} g c', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0']], ['XGROUP DELCONSUMER {k} g c', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0', 'XGROUP CREATECONSUMER {k} g c']],
  ['XGROUP DESTROY {k} g', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0']], ['XGROUP SETID {k} g 0', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g $']],
  ['XREADGROUP GROUP g c STREAMS {k} >', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0']], ['XACK {k} g 1-1', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0', 'XREADGROUP GROUP g c STREAMS {k} >']],
  ['XCLAIM {k} g c2 0 1-1', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0', 'XREADGROUP GROUP g c STREAMS {k} >']], ['XAUTOCLAIM {k} g c2 0 0', ['XADD {k} 1-1 f v', 'XGROUP CREATE {k} g 0', 'XREADGROUP GROUP g c STREAMS {k} >']],
  ['XSETID {k} 5-5', ['XADD {k} 1-1 f v']], ['PFADD {k} a', []], ['PFADD {k} a', ['PFADD {k} a']], ['PFMERGE {k}:d {k}', ['PFADD {k} a']], ['PFCOUNT {k} {k}:2', ['PFADD {k} a', 'PFADD {k}:2 b']],
  ['SETBIT {k} 7 1', []], ['BITOP AND {k}:d {k}', ['SET {k} v']], ['BITOP AND {k}:d {k}:none', ['SET {k}:d x']], ['BITFIELD {k} SET u8 0 1', []],
  ['GEOADD {k} 1 1 a', []], ['GEOSEARCHSTORE {k}:d {k} FROMLONLAT 1 1 BYRADIUS 10 km', ['GEOADD {k} 1 1 a']], ['SORT {k} STORE {k}:d', ['RPUSH {k} 2 1']],
  ['SORT {k}:none STORE {k}:d', ['SET {k}:d x']], ['RESTORE {k}:r 0 "\\x00\\x01v\\x0b\\x00\\x9f\\x8a\\x15\\x9c\\x7f\\xf1\\x0b\\xe6"', []], ['FLUSHDB', ['SET {k} v']],
  ['SWAPDB 0 1', ['SET {k} v']], ['LPOS {k} a', ['RPUSH {k} a']], ['SINTERCARD 1 {k}', ['SADD {k} a']],
]

export const FIXTURE = join(ROOT, 'notifications.json')

const argv = (s: string, k: string): string[] => s.replaceAll('{k}', k).split(' ')

/** A RESP3 connection that keeps pushes apart from replies. */
class Conn {
  parser = new ReplyParser(); frames: Tagged[] = []; waiters: Array<() => void> = []
  constructor(readonly sock: Socket) { sock.on('data', (b) => { this.parser.feed(b); for (let t; (t = this.parser.next()) !== undefined; ) this.frames.push(t); for (const w of this.waiters.splice(0)) w() }) }
  static open(port: number): Promise<Conn> { return new Promise((res) => { const s = connect(port, '127.0.0.1', () => res(new Conn(s))) }) }
  async cmd(a: string[]): Promise<Tagged> { this.sock.write(encodeCommand(a)); for (;;) { const i = this.frames.findIndex((f) => f.t !== 'push'); if (i >= 0) return this.frames.splice(i, 1)[0]!; await new Promise<void>((r) => this.waiters.push(r)) } }
  pushes(): string[] { const out: string[] = []; this.frames = this.frames.filter((f) => { if (f.t === 'push') { const v = (f.v as Tagged[]).map((x) => String((x as { v?: unknown }).v)); if (v[0] === 'pmessage') out.push(v[2] + ' ' + v[3]); return false } return true }); return out }
}

/** Runs every probe on a RESP server, returning the notifications each produced. */
export async function notificationsAt(port: number): Promise<string[][]> {
  const c = await Conn.open(port)
  await c.cmd(['HELLO', '3']); await c.cmd(['FLUSHALL']); await c.cmd(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'])
  c.sock.write(encodeCommand(['PSUBSCRIBE', '__key*__:*'])); await c.cmd(['PING'])
  const out: string[][] = []
  for (let i = 0; i < PROBES.length; i++) {
    const k = 'n' + i
    for (const s of PROBES[i]![1]) await c.cmd(argv(s, k))
    await c.cmd(['PING']); c.pushes()
    await c.cmd(argv(PROBES[i]![0], k))
    await c.cmd(['PING']); await new Promise((r) => setTimeout(r, 5)); await c.cmd(['PING'])
    out.push(c.pushes())
  }
  c.sock.destroy()
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startValkey()
  try {
    const events = await notificationsAt(server.port)
    writeFileSync(FIXTURE, `[\n${PROBES.map((p, i) => '  ' + JSON.stringify({ probe: p[0], events: events[i] })).join(',\n')}\n]\n`)
    console.log(`wrote ${FIXTURE}: ${PROBES.length} probes`)
  } finally {
    await server.stop()
  }
}
