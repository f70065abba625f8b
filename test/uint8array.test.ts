/**
 * Bytes may come as any Uint8Array, not only as Buffers (TextEncoder, Web APIs and many encoders
 * give plain Uint8Arrays): every typed method and `call()` must treat one exactly as the Buffer
 * with the same bytes. Each scenario runs twice, on two Stores, once with Buffers and once with
 * plain Uint8Arrays; replies, published messages and the final keyspace must be the same.
 */
import { describe, expect, it } from 'vitest'
import { Store } from '../src/index.js'
import { lua } from '../src/scripting/index.js'

type Bytes = (s: string | number[]) => Uint8Array
const asBuffer: Bytes = (s) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s))
// A view into a larger buffer, at an offset, so code that ignores byteOffset would read the wrong bytes.
const asPlain: Bytes = (s) => {
  const src = typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s)
  const backing = new Uint8Array(src.length + 6).fill(0x2a)
  backing.set(src, 3)
  const view = backing.subarray(3, 3 + src.length)
  expect(Buffer.isBuffer(view)).toBe(false)
  return view
}

/** Runs `scenario` with one kind of bytes; returns its replies, the messages it saw and the keyspace it left. */
async function run(b: Bytes, scenario: (s: Store, b: Bytes) => Promise<unknown[]> | unknown[]): Promise<unknown> {
  const s = new Store({ scripting: lua() })
  const messages: unknown[] = []
  s.subscribeBuffer(b('ch\xff'), (message, channel) => messages.push([channel, message]))
  const replies = await scenario(s, b)
  const keys = (s.callBuffer('KEYS', '*') as Buffer[]).sort(Buffer.compare)
  const dump = keys.map((k) => [k, s.callBuffer('TYPE', k), s.callBuffer('DUMP', k)])
  s.close()
  return { replies, messages, dump }
}

async function parity(scenario: (s: Store, b: Bytes) => Promise<unknown[]> | unknown[]): Promise<void> {
  const withBuffers = await run(asBuffer, scenario)
  const withPlain = await run(asPlain, scenario)
  expect(withPlain).toEqual(withBuffers)
}

describe('plain Uint8Arrays are bytes, as Buffers are', () => {
  it('call(), callBuffer() and multi().call()', async () => {
    await parity((s, b) => [
      s.call('SET', b('k\xff'), b('v\x00\xfe')),
      s.callBuffer('GET', b('k\xff')),
      s.call('APPEND', b('k\xff'), b('\x01')),
      s.call('RPUSH', b('l'), b('a'), b([0xc3, 0x28]), b('c')),
      s.callBuffer('LRANGE', b('l'), 0, -1),
      s.call('HSET', b('h'), b('f\xff'), b('1')),
      s.call('HINCRBY', b('h'), b('f\xff'), b('41')),
      s.multi().call('SET', b('t'), b('x\xff')).call('GET', b('t')).exec(),
      s.call('PUBLISH', b('ch\xff'), b('m\x00')),
    ])
  })

  it('typed strings, hashes, lists, sets and sorted sets', async () => {
    await parity((s, b) => [
      s.set(b('k'), b('\xff\xfe')),
      s.getBuffer(b('k')),
      s.hset(b('h'), b('f\xff'), b('v')),
      s.hset(b('h'), new Map([[b('g'), b('w')]])),
      s.hgetall(b('h')),
      s.rpush(b('l'), b('x'), b('y\xff')),
      s.lmpop(b('l'), 'LEFT'),
      s.lmpop([b('nope'), b('l')], 'RIGHT'),
      s.sadd(b('s'), b('m1'), b('m\xff')),
      s.sismember(b('s'), b('m\xff')),
      s.zadd(b('z'), [[0, b('a')], [0, b('b')], [0, b('c\xff')], [0, b('d')]]),
      s.zrangebylex(b('z'), b('[b'), b('(d')),
      s.zlexcount(b('z'), b('[a'), b('+')),
      s.zcount(b('z'), 0, 0),
      s.zrange(b('z'), b('[b'), b('+'), { by: 'lex' }),
      s.zremrangebylex(b('z'), b('-'), b('[a')),
      s.pfadd(b('hll'), b('e1'), b('e\xff')),
      s.pfcount(b('hll')),
    ])
  })

  it('blocking pops with one key given as bytes', async () => {
    await parity(async (s, b) => {
      const p = s.blpop(b('q\xff'), 1)
      s.rpush(b('q\xff'), b('job'))
      return [await p]
    })
  })

  it('streams, pub/sub, scripts, SORT and DUMP/RESTORE', async () => {
    await parity((s, b) => {
      const payload = (() => {
        s.set(b('src'), b('\x00\x01payload'))
        return s.dump(b('src'))!
      })()
      return [
        s.xadd(b('st'), '1-1', new Map([[b('f\xff'), b('v')]])),
        s.xadd(b('st'), '1-2', [[b('g'), b('w\x00')]]),
        s.xlen(b('st')),
        s.publish(b('ch\xff'), b('hello\xff')),
        s.eval(b("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}"), [b('k2')], [b('a\xff')]),
        s.scriptLoad(b('return 1')),
        s.rpush(b('nums'), b('3'), b('1'), b('2')),
        s.set(b('w_1'), b('30')),
        s.set(b('w_2'), b('10')),
        s.set(b('w_3'), b('20')),
        s.sort(b('nums'), { by: b('w_*'), get: [b('#'), b('w_*')] }),
        s.restore(b('dst\xff'), new Uint8Array(payload)),
        s.getBuffer(b('dst\xff')),
      ]
    })
  })

  it('a plain Uint8Array key is one key, not a list of byte values', () => {
    const s = new Store()
    s.rpush(Buffer.from('k'), 'v')
    expect(s.lmpop(new TextEncoder().encode('k'), 'LEFT')).toEqual(['k', ['v']])
    expect(s.hset('h', new TextEncoder().encode('field'), 'x')).toBe(1)
    expect(s.hgetall('h')).toEqual({ field: 'x' })
    s.call('SET', new TextEncoder().encode('é'), new TextEncoder().encode('ü'))
    expect(s.get('é')).toBe('ü')
    s.close()
  })
})
