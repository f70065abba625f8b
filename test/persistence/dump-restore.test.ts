/** DUMP and RESTORE: Redis's payloads both ways, every type and encoding, options, errors, effects. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReplyError } from '../../src/core/errors.js'
import type { Effect } from '../../src/keyspace/keyspace.js'
import { ListpackBuilder } from '../../src/persistence/rdb/listpack.js'
import { RDB_TYPE } from '../../src/persistence/rdb/constants.js'
import { isValkeyAvailable, startValkey, type RespClient, type ValkeyServer } from '../helpers/valkey.js'
import { CONFIG_ARGS, contentsOf, datasetCommands, plain, sessionSender, type Contents } from './dataset.js'
import { firstDifference, fixture, newStore, payload, storeContents, ziplist } from './helpers.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

/** `n` pseudo-random bytes in which no 3-byte sequence occurs twice (nothing for LZF to reference). */
function noRepeatedTriples(n: number): Buffer {
  const out = Buffer.alloc(n)
  const seen = new Set<number>()
  let x = 12345
  for (let i = 0; i < n; i++) {
    for (;;) {
      x = (x * 1103515245 + 12345) >>> 0
      const b = (x >>> 16) & 0xff
      if (i >= 2) {
        const t = (out[i - 2]! << 16) | (out[i - 1]! << 8) | b
        if (seen.has(t)) continue
        seen.add(t)
      }
      out[i] = b
      break
    }
  }
  return out
}

interface DumpFixture {
  dumps: Array<{ db: number; key: string; pexpiretime: number; payload: string }>
  contents: Contents
}

describe('payloads written by Redis', () => {
  it('restores the examples of the format reference', () => {
    const s = newStore()
    s.restore('hello', hex('00 05 68656c6c6f 0b00 0aad620598abc983'))
    s.restore('int', hex('00 c13930 0b00 f44b57546e63e130'))
    s.restore('neg', hex('00 c0ff 0b00 654cc3577897744c'))
    s.restore('lzf', hex('00 c3 09 1e 016161e01100016161 0b00 2cacc1c8d6fb9232'))
    s.restore('z', hex('05 02 0161 000000000000f83f 0162 00000000000000c0 0b00 5ae7a5a3c7063a5a'))
    s.restore('h', hex('04 01 0166 0176 0b00 c42dfe254c19e775'))
    s.restore('set', hex('02 02 0178 c001 0b00 7f25113ca9a30860'))
    expect(s.get('hello')).toBe('hello')
    expect(s.get('int')).toBe('12345')
    expect(s.get('neg')).toBe('-1')
    expect(s.get('lzf')).toBe('a'.repeat(30))
    expect(s.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')).toEqual(['b', '-2', 'a', '1.5'])
    expect(s.call('HGETALL', 'h')).toEqual(['f', 'v'])
    expect((s.call('SMEMBERS', 'set') as string[]).sort()).toEqual(['1', 'x'])
    // Small collections saved as hashtable/skiplist come back in the small encodings, as in Redis.
    expect(s.call('OBJECT', 'ENCODING', 'z')).toBe('listpack')
    expect(s.call('OBJECT', 'ENCODING', 'set')).toBe('listpack')
  })

  it("writes Redis's exact bytes where the encoding leaves no choice", () => {
    const s = newStore()
    s.set('hello', 'hello')
    s.set('int', '12345')
    s.call('RPUSH', 'l1', 'a', 'b', '1000')
    s.call('SADD', 'set1', '1', '2', '300')
    s.call('SADD', 'set2', 'a', 'b')
    s.call('ZADD', 'z1', '1', 'a', '2.5', 'b')
    s.call('HSET', 'h1', 'f', 'v', 'n', '1')
    s.call('XADD', 'x1', '1-1', 'f', 'v')
    const body = (k: string): string => s.dump(k)!.subarray(0, -10).toString('hex')
    expect(s.dump('hello')!.toString('hex')).toBe('000568656c6c6f0b000aad620598abc983')
    expect(s.dump('int')!.toString('hex')).toBe('00c139300b00f44b57546e63e130')
    expect(body('l1')).toBe('12010210' + '100000000300816102816202c3e802ff')
    expect(body('set1')).toBe('0b0e' + '0200000003000000010002002c01')
    expect(body('set2')).toBe('140d' + '0d000000020081610281620' + '2ff')
    expect(body('z1')).toBe('1114' + '140000000400816102010181620283322e3504ff')
    expect(body('h1')).toBe('1012' + '120000000400816602817602816e020101ff')
    expect(body('x1')).toBe('150110000000000000000100000000000000011d1d0000000a0001010001010181660200010201000100018176020401ff010101010100000100')
  })

  it('writes an element past the quicklist node limit as a plain node, byte for byte as Redis 7.2', () => {
    // Bytes in which no 3-byte sequence repeats: LZF (Redis's or ours) cannot shorten them, so the
    // payload holds them raw and every byte, the CRC included, is determined.
    const big = noRepeatedTriples(10000)
    const s = newStore()
    s.call('RPUSH', 'l1', 'a', big, 'c')
    s.call('RPUSH', 'l2', big)
    // Recorded from valkey-server (RPUSH as above, then DUMP): [packed a] [plain big] [packed c].
    const l1 = Buffer.concat([hex('1203 020a0a0000000100816102ff 01 6710'), big, hex('020a0a0000000100816302ff 0b00 96df58b40d4e8d91')])
    const l2 = Buffer.concat([hex('1201 01 6710'), big, hex('0b00 9a84ec7bc17a17b2')])
    expect(s.dump('l1')!.equals(l1)).toBe(true)
    expect(s.dump('l2')!.equals(l2)).toBe(true)
    // Redis's payloads load with the node still plain: they dump back unchanged, and pushes around
    // the plain node open packed nodes of their own.
    s.restore('r1', l1)
    s.restore('r2', l2)
    expect(s.call('OBJECT', 'ENCODING', 'r2')).toBe('quicklist')
    expect(s.dump('r1')!.equals(l1)).toBe(true)
    expect(s.dump('r2')!.equals(l2)).toBe(true)
    s.call('LPUSH', 'r2', 'a')
    s.call('RPUSH', 'r2', 'c')
    expect(s.dump('r2')!.equals(l1)).toBe(true)
  })

  it('reads a compressed plain node written by Redis and writes it plain again', () => {
    // valkey-server: RPUSH l4 <10000 × "x">; DUMP l4 (one plain node, LZF-compressed).
    const redis = hex(
      '120101c340786710017878' + 'e0ff00'.repeat(37) + 'e0db000178780b0038b3e80b33f0afb7',
    )
    const s = newStore()
    s.restore('l4', redis)
    expect(s.call('LRANGE', 'l4', 0, -1)).toEqual(['x'.repeat(10000)])
    expect(s.call('OBJECT', 'ENCODING', 'l4')).toBe('quicklist')
    // Type 18, one node, container 1 (plain), then the value as an LZF string (0xc3).
    expect(s.dump('l4')!.subarray(0, 4).toString('hex')).toBe('120101c3')
  })

  it('restores the recorded payload of every key of the dataset and holds what the server held', async () => {
    const fx = fixture<DumpFixture>('valkey-dumps.json')
    const s = newStore()
    const send = sessionSender(s.session())
    for (const d of fx.dumps) {
      send(['SELECT', String(d.db)])
      const r = send(d.pexpiretime > 0 ? ['RESTORE', hex(d.key), String(d.pexpiretime), hex(d.payload), 'ABSTTL'] : ['RESTORE', hex(d.key), '0', hex(d.payload)])
      expect(r).toEqual({ t: 'status', v: 'OK' })
    }
    const got = await storeContents(s, { encodings: true })
    expect(firstDifference(got, fx.contents)).toBeUndefined()
  })

  it('reads the encodings of older versions (RDB 9 payloads: ziplists, zipmap, quicklist 1, text scores, streams 1)', () => {
    const s = newStore()
    const blob = (b: Buffer) => (o: { len(n: number): void; raw(b: Uint8Array): void }) => {
      o.len(b.length)
      o.raw(b)
    }
    s.restore('list1', payload(RDB_TYPE.LIST, (o) => (o.len(3), o.str('a'), o.str('12'), o.str('c')), 9))
    s.restore('listzl', payload(RDB_TYPE.LIST_ZIPLIST, blob(ziplist(['x', 5, 'y'.repeat(70)])), 9))
    s.restore('ql', payload(RDB_TYPE.LIST_QUICKLIST, (o) => (o.len(2), blob(ziplist(['a', 'b']))(o), blob(ziplist([3]))(o)), 9))
    s.restore('zs', payload(RDB_TYPE.ZSET, (o) => (o.len(3), o.str('a'), o.u8(3), o.raw(Buffer.from('1.5')), o.str('b'), o.u8(254), o.str('c'), o.u8(255)), 9))
    s.restore('zzl', payload(RDB_TYPE.ZSET_ZIPLIST, blob(ziplist(['m', 2, 'n', '0.25'])), 9))
    s.restore('hzl', payload(RDB_TYPE.HASH_ZIPLIST, blob(ziplist(['f', 'v', 'g', 7])), 9))
    const zm = Buffer.from([2, 1, 0x66, 1, 0, 0x76, 1, 0x67, 2, 1, 0x77, 0x78, 0, 0xff])
    s.restore('hzm', payload(RDB_TYPE.HASH_ZIPMAP, blob(zm), 9))
    expect(s.call('LRANGE', 'list1', 0, -1)).toEqual(['a', '12', 'c'])
    expect(s.call('LRANGE', 'listzl', 0, -1)).toEqual(['x', '5', 'y'.repeat(70)])
    expect(s.call('LRANGE', 'ql', 0, -1)).toEqual(['a', 'b', '3'])
    expect(s.call('ZRANGE', 'zs', 0, -1, 'WITHSCORES')).toEqual(['c', '-inf', 'a', '1.5', 'b', 'inf'])
    expect(s.call('ZRANGE', 'zzl', 0, -1, 'WITHSCORES')).toEqual(['n', '0.25', 'm', '2'])
    expect(s.call('HGETALL', 'hzl')).toEqual(['f', 'v', 'g', '7'])
    expect(s.call('HGETALL', 'hzm')).toEqual(['f', 'v', 'g', 'wx'])
    // A type-15 stream (Redis 5–6.2): no first ID, deletion record or added counter, no consumer active time.
    const lp = new ListpackBuilder()
    for (const x of [2, 0, 1, 'f', 0, 2, 0, 0, 'v1', 4, 2, 0, 1, 'v2', 4]) typeof x === 'number' ? lp.int(x) : lp.str(x)
    const lpb = Buffer.from(lp.finish())
    const id = Buffer.alloc(16)
    id.writeBigUInt64BE(7n, 0)
    s.restore(
      'x15',
      payload(
        RDB_TYPE.STREAM_LISTPACKS,
        (o) => {
          o.len(1)
          blob(id)(o)
          blob(lpb)(o)
          o.len(2)
          o.len(7)
          o.len(1)
          o.len(1) // one group
          o.str('g')
          o.len(7)
          o.len(0)
          o.len(1) // PEL: 7-0
          o.raw(id)
          o.i64le(1000)
          o.len(3)
          o.len(1) // one consumer
          o.str('c1')
          o.i64le(900)
          o.len(1)
          o.raw(id)
        },
        9,
      ),
    )
    expect(s.call('XRANGE', 'x15', '-', '+')).toEqual([
      ['7-0', ['f', 'v1']],
      ['7-1', ['f', 'v2']],
    ])
    const info = s.call('XINFO', 'STREAM', 'x15', 'FULL') as unknown[]
    expect(info.slice(0, 14)).toEqual(['length', 2, 'radix-tree-keys', 1, 'radix-tree-nodes', 2, 'last-generated-id', '7-1', 'max-deleted-entry-id', '0-0', 'entries-added', 2, 'recorded-first-entry-id', '7-0'])
    expect(s.call('XPENDING', 'x15', 'g')).toEqual([1, '7-0', '7-0', [['c1', '1']]])
  })
})

describe('RESTORE', () => {
  it('checks options, the key, the TTL and the payload in Redis’s order, with its errors', () => {
    const s = newStore()
    s.set('k', 'v')
    const p = s.dump('k')!
    const err = (...a: Array<string | Buffer>): string => {
      try {
        s.call('RESTORE', ...a)
        return 'no error'
      } catch (e) {
        return (e as ReplyError).message
      }
    }
    expect(err('k', '0', 'x')).toBe('BUSYKEY Target key name already exists.')
    expect(err('k2', '0', 'x', 'badopt')).toBe('ERR syntax error')
    expect(err('k2', '0', 'x', 'idletime')).toBe('ERR syntax error')
    expect(err('k2', '0', 'x', 'idletime', '-1')).toBe('ERR Invalid IDLETIME value, must be >= 0')
    expect(err('k2', '0', 'x', 'idletime', 'abc')).toBe('ERR value is not an integer or out of range')
    expect(err('k2', '0', 'x', 'freq', '256')).toBe('ERR Invalid FREQ value, must be >= 0 and <= 255')
    expect(err('k2', '0', 'x', 'idletime', '1', 'freq', '2')).toBe('ERR syntax error')
    expect(err('k', '0', 'x', 'badopt')).toBe('ERR syntax error')
    expect(err('k2', 'abc', 'x')).toBe('ERR value is not an integer or out of range')
    expect(err('k2', '-1', 'x')).toBe('ERR Invalid TTL value, must be >= 0')
    expect(err('k2', '0', 'x')).toBe('ERR DUMP payload version or checksum are wrong')
    expect(err('k2', '0', Buffer.from([0, 1]))).toBe('ERR DUMP payload version or checksum are wrong')
    // A newer RDB version is refused even with a right checksum.
    expect(err('k2', '0', payload(0, (o) => o.str('v'), 12))).toBe('ERR DUMP payload version or checksum are wrong')
    // Right footer, undecodable body.
    expect(err('k2', '0', payload(0, (o) => o.u8(0xc7)))).toBe('ERR Bad data format')
    expect(err('k2', '0', payload(99, () => {}))).toBe('ERR Bad data format')
    expect(err('k2', '0', payload(RDB_TYPE.SET, (o) => o.len(0)))).toBe('ERR Bad data format')
    expect(err('k2', '0', payload(0, (o) => (o.str('v'), o.u8(0))))).toBe('ERR Bad data format')
    expect(s.exists('k2')).toBe(0)
    expect(err('k2', '0', p, 'REPLACE', 'ABSTTL', 'IDLETIME', '5')).toBe('no error')
  })

  it('applies TTL (relative or ABSTTL), REPLACE, IDLETIME and FREQ', () => {
    const s = newStore()
    s.set('src', 'value')
    const p = s.dump('src')!
    const now = Date.now()
    s.restore('a', p, { ttl: 100_000 })
    const pt = s.call('PEXPIRETIME', 'a') as number
    expect(pt).toBeGreaterThanOrEqual(now + 100_000)
    expect(pt).toBeLessThan(now + 110_000)
    s.restore('b', p, { expireAt: 4102444800000 })
    expect(s.call('PEXPIRETIME', 'b')).toBe(4102444800000)
    expect(() => s.restore('b', p)).toThrow('BUSYKEY')
    s.set('c', 'old')
    s.restore('c', p, { replace: true, idletime: 3600 })
    expect(s.call('OBJECT', 'IDLETIME', 'c')).toBeGreaterThanOrEqual(3600)
    expect(s.get('c')).toBe('value')
    // An already expired TTL creates nothing; with REPLACE the old key is gone.
    s.set('d', 'old')
    s.restore('d', p, { replace: true, expireAt: 1000 })
    expect(s.exists('d')).toBe(0)
    s.restore('e', p, { expireAt: 1000 })
    expect(s.exists('e')).toBe(0)
    const lfu = newStore({ maxmemoryPolicy: 'allkeys-lfu' })
    lfu.restore('f', p, { freq: 77 })
    expect(lfu.call('OBJECT', 'FREQ', 'f')).toBe(77)
  })

  it('logs the effect with an absolute TTL and signals keyspace events', () => {
    const s = newStore({ config: { 'notify-keyspace-events': 'KEA' } })
    s.set('src', 'v')
    const p = s.dump('src')!
    const effects: Effect[] = []
    s.onEffect((e) => effects.push(e))
    const events: string[] = []
    const sub = s.session()
    sub.out = (r) => events.push(JSON.stringify(r))
    sub.execute(['PSUBSCRIBE', '__keyevent@0__:*'])
    s.restore('a', p, { ttl: 5000 })
    s.restore('b', p, { expireAt: 4102444800000, replace: true })
    s.restore('c', p)
    s.set('d', 'x')
    s.restore('d', p, { replace: true, expireAt: 1 })
    const restoreEffects = effects.filter((e) => e.argv[0] === 'RESTORE' || e.argv[0] === 'DEL')
    expect(restoreEffects.map((e) => e.argv.map((x) => (Buffer.isBuffer(x) ? 'payload' : x)))).toEqual([
      ['RESTORE', 'a', expect.stringMatching(/^\d{13}$/), 'payload', 'ABSTTL'],
      ['RESTORE', 'b', '4102444800000', 'payload', 'REPLACE', 'ABSTTL'],
      ['RESTORE', 'c', '0', 'payload'],
      ['DEL', 'd'],
    ])
    expect(events.filter((e) => e.includes('restore')).length).toBe(3)
    expect(events.filter((e) => e.includes(':del"')).length).toBe(1)
  })

  it('writes an intset at the width Redis keeps: widened by a member, never narrowed again', () => {
    const s = newStore({ config: { rdbcompression: 'no' } })
    // Type 11 (intset), a 6-bit string length, then the blob: width, count, members.
    const width = (k: string): number => s.dump(k)!.readUInt32LE(2)
    s.call('SADD', 'i', 1, 2)
    expect(width('i')).toBe(2)
    s.call('SADD', 'i', 9999999999)
    s.call('SREM', 'i', 9999999999)
    // valkey's payload for the same commands, CRC included.
    expect(s.dump('i')!.toString('hex')).toBe('0b18' + '08000000' + '02000000' + '0100000000000000' + '0200000000000000' + '0b00b53e7e0acffa417c')
    s.call('COPY', 'i', 'copy')
    expect(width('copy')).toBe(8)
    s.restore('restored', s.dump('i')!)
    expect(width('restored')).toBe(8)
    // A result built afresh is as wide as its members need.
    s.call('SINTERSTORE', 'inter', 'i', 'copy')
    expect(width('inter')).toBe(2)
  })

  it('loads a skiplist sorted set as Redis does: -0 scores stay, unless the set converts to a listpack', () => {
    const s = newStore()
    const long = 'x'.repeat(70)
    // A long member keeps the set a skiplist after loading: every -0 survives, whatever the load order.
    s.call('ZADD', 'big', '-0', 'a', '-0', 'b', '1', long, '-0', 'c', '2', 'd')
    s.restore('big2', s.dump('big')!)
    expect(s.call('OBJECT', 'ENCODING', 'big2')).toBe('skiplist')
    expect(['a', 'b', 'c'].map((m) => s.call('ZSCORE', 'big2', m))).toEqual(['-0', '-0', '-0'])
    // A small skiplist (grown past 128, then shrunk) loads as a listpack, which holds -0 as the integer 0.
    const members: string[] = []
    for (let i = 0; i < 129; i++) members.push(String(i + 1), `m${i}`)
    s.call('ZADD', 'small', ...members)
    s.call('ZADD', 'small', '-0', 'z')
    s.call('ZREMRANGEBYRANK', 'small', '-100', '-1')
    expect(s.call('OBJECT', 'ENCODING', 'small')).toBe('skiplist')
    expect(s.call('ZSCORE', 'small', 'z')).toBe('-0')
    s.restore('small2', s.dump('small')!)
    expect(s.call('OBJECT', 'ENCODING', 'small2')).toBe('listpack')
    expect(s.call('ZSCORE', 'small2', 'z')).toBe('0')
  })
})

describe.runIf(isValkeyAvailable())('live against valkey-server', () => {
  let server: ValkeyServer
  let c: RespClient
  beforeAll(async () => {
    server = await startValkey(CONFIG_ARGS)
    c = await server.connect()
  })
  afterAll(async () => {
    c?.close()
    await server?.stop()
  })

  it('payloads from the store RESTORE in valkey and hold the same data', async () => {
    const s = newStore()
    const send = sessionSender(s.session())
    for (const argv of datasetCommands()) send(argv)
    await c.send(['FLUSHALL'])
    for (const db of [0, 3, 15]) {
      send(['SELECT', String(db)])
      await c.send(['SELECT', String(db)])
      const keys = plain(send(['KEYS', '*']) as never) as string[]
      for (const k of keys) {
        const kb = k.startsWith('b64:') ? Buffer.from(k.slice(4), 'base64') : Buffer.from(k)
        const d = send(['DUMP', kb])
        const p = d.t === 'bulk' ? (d.b64 !== undefined ? Buffer.from(d.b64, 'base64') : Buffer.from(d.v, 'utf8')) : Buffer.alloc(0)
        const at = Number(plain(send(['PEXPIRETIME', kb])))
        const r = await c.send(at > 0 ? ['RESTORE', kb, String(at), p, 'ABSTTL'] : ['RESTORE', kb, '0', p])
        expect(r).toEqual({ t: 'status', v: 'OK' })
      }
    }
    send(['SELECT', '0'])
    // Both sides' values after RESTORE (encodings as each side decided on restore).
    const theirs = await contentsOf((x) => c.send(x), { encodings: true })
    const restored = newStore()
    const rs = sessionSender(restored.session())
    for (const db of [0, 3, 15]) {
      rs(['SELECT', String(db)])
      await c.send(['SELECT', String(db)])
      const keys = (await c.send(['KEYS', '*'])) as { t: 'array'; v: Array<{ t: 'bulk'; v: string; b64?: string }> }
      for (const k of keys.v) {
        const kb = k.b64 !== undefined ? Buffer.from(k.b64, 'base64') : Buffer.from(k.v)
        const d = (await c.send(['DUMP', kb])) as { t: 'bulk'; v: string; b64?: string }
        const p = d.b64 !== undefined ? Buffer.from(d.b64, 'base64') : Buffer.from(d.v, 'utf8')
        const at = Number(plain(await c.send(['PEXPIRETIME', kb])))
        expect(rs(at > 0 ? ['RESTORE', kb, String(at), p, 'ABSTTL'] : ['RESTORE', kb, '0', p])).toEqual({ t: 'status', v: 'OK' })
      }
    }
    expect(firstDifference(await storeContents(restored, { encodings: true }), theirs)).toBeUndefined()
    expect(firstDifference(await storeContents(s), await contentsOf((x) => c.send(x)))).toBeUndefined()
  })
})
