import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ReplyError, Store, type Effect } from '../src/index.js'
import { hllSession, watchedKey, type HllSessionSpec } from './fixtures/hll/gen.js'

const fresh = () => new Store({ activeExpiry: false })
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hll')
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

// 100 PFADD / PFCOUNT / PFMERGE sessions recorded from the reference server
// (test/fixtures/hll/record-store.ts): every reply and the stored bytes after every step must match.
const sessions = readFileSync(join(fixtures, 'store-sessions.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as HllSessionSpec & { steps: Array<[unknown, string | null]> })

describe('recorded sessions through the Store', () => {
  it('has 100 sessions, 20 of them with up to 100k elements', () => {
    expect(sessions.length).toBe(100)
    expect(sessions.filter((s) => s.maxElements === 100_000).length).toBe(20)
  })

  it.each(sessions.map((s) => [s.seed, s] as const))('session %i', (_seed, s) => {
    const store = fresh()
    const sess = store.session()
    sess.execute(['CONFIG', 'SET', 'hll-sparse-max-bytes', String(s.sparseMax)])
    let i = 0
    for (const op of hllSession(s)) {
      const argv: Array<string | Buffer> =
        op.op === 'pfadd' ? ['PFADD', op.key, ...op.elements] : op.op === 'pfcount' ? ['PFCOUNT', ...op.keys] : ['PFMERGE', op.dest, ...op.srcs]
      const reply = sess.execute(argv)
      const [expReply, expSha] = s.steps[i]!
      if (op.op === 'pfmerge') expect(reply, `step ${i}`).toEqual(expect.objectContaining({ value: expReply }))
      else expect(reply, `step ${i} ${op.op}`).toBe(expReply)
      const w = watchedKey(op)
      const v = w === null ? null : store.getBuffer(w)
      expect(v === null ? null : sha1(v), `step ${i} ${op.op} bytes`).toBe(expSha)
      i++
    }
    expect(i).toBe(s.steps.length)
    store.close()
  }, 60_000)
})

describe('typed API', () => {
  it('adds, counts and merges', () => {
    const s = fresh()
    expect(s.pfadd('a', 'x', 'y', 'z')).toBe(true)
    expect(s.pfadd('a', 'x')).toBe(false)
    expect(s.pfadd('b', 'z', 'w', 1, 2)).toBe(true)
    expect(s.pfcount('a')).toBe(3)
    expect(s.pfcount('a', 'b')).toBe(6)
    expect(s.pfcount('a', 'missing')).toBe(3)
    expect(s.pfmerge('u', 'a', 'b')).toBe('OK')
    expect(s.pfcount('u')).toBe(6)
    expect(s.pfadd('empty')).toBe(true)
    expect(s.pfcount('empty')).toBe(0)
    expect(s.type('u')).toBe('string')
  })

  it('stores Redis\'s exact bytes and caches the count in the header', () => {
    const s = fresh()
    s.pfadd('v1', ...'abcdefg'.split(''))
    const hex = (b: Buffer | null) => b!.toString('hex')
    expect(hex(s.getBuffer('v1'))).toBe('48594c4c010000000000000000000080466d80560c80443c84388050b184498c80426d80425a')
    expect(s.pfcount('v1')).toBe(7)
    expect(hex(s.getBuffer('v1')).slice(16, 32)).toBe('0700000000000000')
    // A value written by hand (here: copied from another key) works as well.
    s.set('copy', s.getBuffer('v1')!)
    expect(s.pfcount('copy')).toBe(7)
  })

  it('estimates the reference cardinalities', () => {
    const s = fresh()
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i))
    s.pfadd('k', ...range(1, 1000))
    expect(s.pfcount('k')).toBe(1001)
    expect(s.call('PFDEBUG', 'ENCODING', 'k')).toBe('sparse')
    s.pfadd('d', ...range(1, 100000))
    expect(s.pfcount('d')).toBe(99562)
    expect(s.call('PFDEBUG', 'ENCODING', 'd')).toBe('dense')
  })

  it('refuses strings that are not HyperLogLogs', () => {
    const s = fresh()
    s.set('str', 'hello')
    expect(() => s.pfadd('str', 'a')).toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.')
    expect(() => s.pfcount('str')).toThrow(ReplyError)
    s.call('LPUSH', 'l', 'a')
    expect(() => s.pfcount('l')).toThrow('WRONGTYPE Operation against a key holding the wrong kind of value')
    s.set('bad', Buffer.concat([Buffer.from('HYLL'), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f, 0xfe])]))
    expect(() => s.pfcount('bad')).toThrow('INVALIDOBJ Corrupted HLL object detected')
  })
})

describe('PFDEBUG', () => {
  it('reads registers, converting a sparse value to dense', () => {
    const s = fresh()
    s.pfadd('h', 'hello')
    const regs = s.call('PFDEBUG', 'GETREG', 'h') as number[]
    expect(regs.length).toBe(16384)
    // "hello" hashes to register 9216 with a run of 1.
    expect(regs[9216]).toBe(1)
    expect(regs.reduce((n, r) => n + r, 0)).toBe(1)
    expect(s.call('PFDEBUG', 'ENCODING', 'h')).toBe('dense')
    expect(s.strlen('h')).toBe(12304)
    expect(s.pfcount('h')).toBe(1)
    expect(() => s.call('PFDEBUG', 'GETREG', 'nokey')).toThrow('ERR The specified key does not exist')
  })
})

describe('effects', () => {
  it('replay to the same bytes', () => {
    const s = fresh()
    const fx: Effect[] = []
    s.onEffect((e) => fx.push(e))
    s.pfadd('a', 'x', 'y')
    s.pfadd('b', ...Array.from({ length: 3000 }, (_, i) => `e${i}`))
    s.pfmerge('c', 'a', 'b')
    s.pfcount('c')
    s.call('PFDEBUG', 'TODENSE', 'a')
    const r = fresh()
    for (const e of fx) r.call(String(e.argv[0]), ...e.argv.slice(1))
    for (const k of ['a', 'b', 'c']) expect(r.getBuffer(k)).toEqual(s.getBuffer(k))
  })
})
