/**
 * The typed API called from untyped code: every method, with arguments of any JS type. A call may
 * fail, but only with a ReplyError (Redis's error) or a TypeError/RangeError, never by hanging or
 * with another exception, and a call that fails leaves the data as it was.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ManualClock, ReplyError, Store } from '../src/index.js'
import { Rng } from './conformance/fuzz/gen.js'

// Methods that end the store, keep handles open, switch the session's database, write files, or
// take a callback the store would call later.
const SKIP = new Set([
  'constructor',
  'close',
  'quit',
  'shutdown',
  'monitor',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'select',
  'save',
  'bgsave',
  'bgrewriteaof',
  'onEffect',
])
// SORT converts a small sorted set to a skiplist before it reads the scores, as Redis does, so a
// failed SORT of one changes its encoding (and DUMP) exactly as on a server.
const CONVERTS_BEFORE_FAILING = new Set(['sort', 'sortRo', 'sortStore'])

const JUNK: Array<() => unknown> = [
  () => 'k',
  () => 'h',
  () => 'l',
  () => 'z',
  () => 's',
  () => 'str',
  () => 'x',
  () => '',
  () => 'é',
  () => 0,
  () => 1,
  () => -1,
  () => 2.5,
  () => NaN,
  () => Infinity,
  () => 1e20,
  () => 2 ** 53,
  () => null,
  () => undefined,
  () => ({}),
  () => [],
  () => ['a', 'b'],
  () => ({ a: 1 }),
  () => Buffer.from('k'),
  () => new Uint8Array([0xff]),
  () => 10n,
  () => true,
  () => new Map([['a', '1']]),
  () => [['f', 'v']],
  () => ({ ex: 10 }),
  () => ({ ex: -1 }),
  () => ({ count: 2 }),
  () => 'LEFT',
  () => '+inf',
  () => '(1',
  () => '[a',
  () => Symbol('s'),
  () => () => 1,
]

/** Every key of every database with its DUMP payload and TTL. */
function digest(s: Store): string {
  const h = createHash('sha1')
  for (let db = 0; db < 16; db++) {
    for (const k of (s.call('KEYS', '*') as string[]).sort()) {
      const d = s.callBuffer('DUMP', k) as Buffer | null
      h.update(`${db}:${k}:${d ? d.toString('hex') : 'nil'}:${String(s.call('PTTL', k))};`)
    }
    s.call('SELECT', (db + 1) % 16)
  }
  return h.digest('hex')
}

const show = (a: unknown): string => (typeof a === 'bigint' ? `${a}n` : typeof a === 'symbol' || typeof a === 'function' ? String(a) : JSON.stringify(a))

describe('the typed API with arguments of any type', () => {
  it('fails only with ReplyError or TypeError/RangeError, and a failed call changes nothing', () => {
    const probe = new Store({ activeExpiry: false })
    const proto = Object.getPrototypeOf(probe) as Record<string, unknown>
    const names = Object.getOwnPropertyNames(proto).filter((n) => typeof proto[n] === 'function' && !SKIP.has(n))
    probe.close()
    expect(names.length).toBeGreaterThan(200)
    const problems: string[] = []
    for (let seed = 1; seed <= 1000; seed++) {
      const r = new Rng(seed)
      const s = new Store({ activeExpiry: false, clock: new ManualClock(1_700_000_000_000) })
      s.set('str', 'v')
      s.incr('k')
      s.hset('h', { f: 'v', n: '1' })
      s.rpush('l', 'a', 'b', 'c')
      s.zadd('z', { a: 1, b: 2 })
      s.sadd('s', 'a', 'b')
      s.xadd('x', '*', { f: 'v' })
      for (let step = 0; step < 20; step++) {
        const name = r.pick(names)
        const args = Array.from({ length: r.int(0, 4) }, () => r.pick(JUNK)())
        const call = `${name}(${args.map(show).join(', ')})`
        const before = digest(s)
        try {
          const res = (s as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args)
          // Blocking commands wait; close() below rejects them.
          if (res instanceof Promise) res.catch(() => undefined)
        } catch (e) {
          if (!(e instanceof ReplyError || e instanceof TypeError || e instanceof RangeError)) problems.push(`${seed}: ${call} threw ${String(e)}`)
          if (!CONVERTS_BEFORE_FAILING.has(name) && digest(s) !== before) problems.push(`${seed}: ${call} changed data, then threw ${String(e)}`)
        }
      }
      s.close()
    }
    expect(problems).toEqual([])
  })

  it('names the type it got for a key, member or value that is not bytes', () => {
    const s = new Store({ activeExpiry: false })
    expect(() => s.get({} as never)).toThrow(new TypeError('expected a string, Buffer or Uint8Array, got an instance of Object'))
    expect(() => s.set('k', ['a'] as never)).toThrow(new TypeError('expected a string, Buffer or Uint8Array, got an array'))
    expect(() => s.sadd('s', null as never)).toThrow(new TypeError('expected a string, Buffer or Uint8Array, got null'))
    expect(s.exists('k')).toBe(0)
    // A float or integer argument of another type is Redis's error for a bad number.
    expect(() => s.incrbyfloat('n', [] as never)).toThrow('ERR value is not a valid float')
    expect(() => s.hincrby('h', 'f', 'x' as never)).toThrow('ERR value is not an integer or out of range')
    expect(s.exists('n', 'h')).toBe(0)
    s.close()
  })
})
