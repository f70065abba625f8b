import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManualClock, ReplyError, Store, type Effect } from '../src/index.js'
import { IdMap, Nack, Stream, parseId } from '../src/types/stream.js'

const fresh = (clock?: ManualClock) => new Store({ activeExpiry: false, ...(clock ? { clock } : {}) })
const fieldsObj = (m: Map<string, string> | null) => (m === null ? null : Object.fromEntries(m))

describe('XADD IDs', () => {
  it('takes IDs from the clock, increasing even when the clock goes back', () => {
    const clock = new ManualClock(1_700_000_000_000)
    const s = fresh(clock)
    expect(s.xadd('s', '*', { a: '1' })).toBe('1700000000000-0')
    expect(s.xadd('s', '*', { a: '2' })).toBe('1700000000000-1')
    clock.advance(-5000)
    expect(s.xadd('s', '*', { a: '3' })).toBe('1700000000000-2')
    clock.advance(10_000)
    expect(s.xadd('s', '*', { a: '4' })).toBe('1700000005000-0')
    expect(s.xadd('s', '1700000005000-*', { a: '5' })).toBe('1700000005000-1')
    expect(s.xadd('s', '1800000000000-*', { a: '6' })).toBe('1800000000000-0')
    expect(() => s.xadd('s', '1-1', { a: '7' })).toThrow('ERR The ID specified in XADD is equal or smaller than the target stream top item')
    expect(s.xlen('s')).toBe(6)
  })

  it('keeps 64-bit IDs exact beyond 2^53', () => {
    const s = fresh()
    expect(s.xadd('s', '9007199254740993-18446744073709551614', { f: 'v' })).toBe('9007199254740993-18446744073709551614')
    expect(s.xadd('s', '9007199254740993-*', { f: 'v' })).toBe('9007199254740993-18446744073709551615')
    // Sequence exhausted within the ms: the next automatic ID moves to the next ms.
    expect(s.xadd('s', '*', { f: 'v' })).toBe('9007199254740994-0')
    expect(s.xrange('s', '9007199254740993-18446744073709551615', '+').map((e) => e.id)).toEqual([
      '9007199254740993-18446744073709551615',
      '9007199254740994-0',
    ])
    s.xsetid('s', '18446744073709551615-18446744073709551615')
    expect(() => s.xadd('s', '*', { f: 'v' })).toThrow('ERR The stream has exhausted the last possible ID, unable to add more items')
  })

  it('parses IDs the way Redis does (strtoull fallbacks included)', () => {
    expect(parseId('007', 0, true)).toEqual({ ms: 7, seq: 0, seqGiven: true })
    expect(parseId(' 5-1', 0, true)).toEqual({ ms: 5, seq: 1, seqGiven: true })
    expect(parseId('1--0', 0, true)).toEqual({ ms: 1, seq: 0, seqGiven: true })
    expect(parseId('-', 0, true)).toBeUndefined()
    expect(parseId('-', 0, false)).toEqual({ ms: 0, seq: 0, seqGiven: true })
    expect(parseId('1-*', 0, true)).toBeUndefined()
    expect(parseId('1-*', 0, true, true)).toEqual({ ms: 1, seq: 0, seqGiven: false })
    expect(parseId('18446744073709551616', 0, true)).toBeUndefined()
  })

  it('accepts fields as an object, a Map or pairs, and keeps bytes', () => {
    const s = fresh()
    s.xadd('s', '1-1', { a: 1, b: 'x' })
    s.xadd('s', '1-2', new Map([['m', 'n']]))
    s.xadd('s', '1-3', [
      ['k', 'v1'],
      ['k', 'v2'],
    ])
    expect(s.call('XRANGE', 's', '-', '+')).toEqual([
      ['1-1', ['a', '1', 'b', 'x']],
      ['1-2', ['m', 'n']],
      ['1-3', ['k', 'v1', 'k', 'v2']],
    ])
    expect(fieldsObj(s.xrange('s')[0]!.fields)).toEqual({ a: '1', b: 'x' })
    expect(s.xadd('none', '*', { a: 1 }, { noMkStream: true })).toBeNull()
    expect(s.exists('none')).toBe(0)
  })
})

describe('ranges, deletion and trimming', () => {
  it('reads ranges with exclusive bounds and counts', () => {
    const s = fresh()
    for (let i = 1; i <= 5; i++) s.xadd('s', `${i}-0`, { n: i })
    expect(s.xrange('s', '(2', '4').map((e) => e.id)).toEqual(['3-0', '4-0'])
    expect(s.xrange('s', '-', '+', { count: 2 }).map((e) => e.id)).toEqual(['1-0', '2-0'])
    expect(s.xrevrange('s', '+', '(3-0').map((e) => e.id)).toEqual(['5-0', '4-0'])
    expect(() => s.xrange('s', '(18446744073709551615-18446744073709551615', '+')).toThrow('ERR invalid start ID for the interval')
    expect(s.xdel('s', '2-0', '9-0')).toBe(1)
    expect(s.xtrim('s', { maxlen: 2 })).toBe(2)
    expect(s.xrange('s').map((e) => e.id)).toEqual(['4-0', '5-0'])
    expect(s.xtrim('s', { minid: '5' })).toBe(1)
    expect(s.xinfoStream('s')).toMatchObject({ length: 1, recordedFirstEntryId: '5-0', maxDeletedEntryId: '2-0', entriesAdded: 5 })
  })

  it('trims approximately by whole nodes only', () => {
    const s = fresh()
    s.call('CONFIG', 'SET', 'stream-node-max-entries', '10')
    for (let i = 1; i <= 25; i++) s.xadd('s', `${i}-0`, { n: i })
    expect(s.xinfoStream('s').radixTreeKeys).toBe(3)
    // Keeping 12 of 25 only allows dropping the first node of 10.
    expect(s.xtrim('s', { maxlen: 12, approx: true })).toBe(10)
    expect(s.xlen('s')).toBe(15)
    expect(s.xtrim('s', { maxlen: 12 })).toBe(3)
    expect(s.xadd('s', '30-0', { n: 30 }, { maxlen: 0, approx: true, limit: 5 })).toBe('30-0')
    expect(s.xlen('s')).toBe(13)
  })

  it('behaves like a sorted list of entries under random operations', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('add' as const), gap: fc.integer({ min: 0, max: 3 }) }),
            fc.record({ op: fc.constant('del' as const), at: fc.nat(60) }),
            fc.record({ op: fc.constant('trim' as const), n: fc.nat(30) }),
            fc.record({ op: fc.constant('range' as const), a: fc.nat(60), b: fc.nat(60), count: fc.nat(5), rev: fc.boolean() }),
          ),
          { maxLength: 200, size: 'max' },
        ),
        fc.constantFrom(1, 2, 3, 100),
        (ops, nodeSize) => {
          const s = fresh()
          s.call('CONFIG', 'SET', 'stream-node-max-entries', String(nodeSize))
          const model: number[] = []
          let last = 0
          for (const o of ops) {
            if (o.op === 'add') {
              last += o.gap + 1
              s.xadd('k', `${last}-0`, { f: 'v' })
              model.push(last)
            } else if (o.op === 'del') {
              const i = model.indexOf(o.at)
              expect(s.xdel('k', `${o.at}-0`)).toBe(i >= 0 ? 1 : 0)
              if (i >= 0) model.splice(i, 1)
            } else if (o.op === 'trim') {
              const removed = Math.max(0, model.length - o.n)
              expect(s.xtrim('k', { maxlen: o.n })).toBe(removed)
              model.splice(0, removed)
            } else {
              const lo = Math.min(o.a, o.b)
              const hi = Math.max(o.a, o.b)
              let want = model.filter((x) => x >= lo && x <= hi)
              if (o.rev) want = want.reverse()
              if (o.count > 0) want = want.slice(0, o.count)
              const got = o.rev ? s.xrevrange('k', `${hi}`, `${lo}`, { count: o.count || undefined }) : s.xrange('k', `${lo}`, `${hi}`, { count: o.count || undefined })
              expect(got.map((e) => Number(e.id.split('-')[0]))).toEqual(want)
            }
            expect(s.exists('k') === 0 ? 0 : s.xlen('k')).toBe(model.length)
          }
        },
      ),
      { numRuns: 150 },
    )
  })
})

describe('consumer groups', () => {
  it('delivers new entries once per group and tracks them as pending', () => {
    const clock = new ManualClock(1_000_000)
    const s = fresh(clock)
    for (let i = 1; i <= 3; i++) s.xadd('s', `${i}-0`, { n: i })
    s.xgroupCreate('s', 'g', '0')
    const a = s.xreadgroup('g', 'alice', { s: '>' }, { count: 2 })!
    expect(a[0]!.entries.map((e) => e.id)).toEqual(['1-0', '2-0'])
    const b = s.xreadgroup('g', 'bob', { s: '>' })!
    expect(b[0]!.entries.map((e) => e.id)).toEqual(['3-0'])
    expect(s.xreadgroup('g', 'bob', { s: '>' })).toBeNull()
    expect(s.xpending('s', 'g')).toEqual({
      count: 3,
      min: '1-0',
      max: '3-0',
      consumers: [
        { name: 'alice', pending: 2 },
        { name: 'bob', pending: 1 },
      ],
    })
    clock.advance(500)
    // History: the consumer's own pending entries, each read counting as a delivery.
    expect(s.xreadgroup('g', 'alice', { s: '0' })![0]!.entries.map((e) => e.id)).toEqual(['1-0', '2-0'])
    clock.advance(100)
    expect(s.xpendingRange('s', 'g', '-', '+', 10)).toEqual([
      { id: '1-0', consumer: 'alice', idle: 100, deliveries: 2 },
      { id: '2-0', consumer: 'alice', idle: 100, deliveries: 2 },
      { id: '3-0', consumer: 'bob', idle: 600, deliveries: 1 },
    ])
    expect(s.xpendingRange('s', 'g', '-', '+', 10, { idle: 200 }).map((p) => p.id)).toEqual(['3-0'])
    expect(s.xack('s', 'g', '1-0', '3-0', '9-0')).toBe(2)
    expect(s.xpending('s', 'g').count).toBe(1)
    expect(s.xinfoGroups('s')).toEqual([{ name: 'g', consumers: 2, pending: 1, lastDeliveredId: '3-0', entriesRead: 3, lag: 0 }])
    expect(s.xinfoConsumers('s', 'g')).toEqual([
      { name: 'alice', pending: 1, idle: 100, inactive: 600 },
      { name: 'bob', pending: 0, idle: 600, inactive: 600 },
    ])
  })

  it('claims idle entries and reports deleted ones', () => {
    const clock = new ManualClock(5_000_000)
    const s = fresh(clock)
    for (let i = 1; i <= 4; i++) s.xadd('s', `${i}-0`, { n: i })
    s.xgroupCreate('s', 'g', '0')
    s.xreadgroup('g', 'alice', { s: '>' })
    clock.advance(1000)
    expect(s.xclaim('s', 'g', 'bob', 5000, ['1-0'])).toEqual([])
    expect(s.xclaim('s', 'g', 'bob', 500, ['1-0']).map((e) => [e.id, fieldsObj(e.fields)])).toEqual([['1-0', { n: '1' }]])
    expect(s.xclaimJustId('s', 'g', 'bob', 0, ['2-0'], { retryCount: 9 })).toEqual(['2-0'])
    expect(s.xpendingRange('s', 'g', '2-0', '2-0', 1)[0]).toMatchObject({ consumer: 'bob', deliveries: 9, idle: 0 })
    s.xdel('s', '3-0')
    clock.advance(1000)
    const r = s.xautoclaim('s', 'g', 'carol', 500, '0', { count: 2 })
    // Both pending entries are idle long enough; the cursor stops at the next one.
    expect(r.claimed.map((e) => e.id)).toEqual(['1-0', '2-0'])
    expect(r.deleted).toEqual([])
    expect(r.next).toBe('3-0')
    const r2 = s.xautoclaimJustId('s', 'g', 'carol', 0, r.next)
    expect(r2).toEqual({ next: '0-0', claimed: ['4-0'], deleted: ['3-0'] })
    expect(s.xpending('s', 'g')).toMatchObject({ count: 3, consumers: [{ name: 'carol', pending: 3 }] })
    expect(s.xgroupDelconsumer('s', 'g', 'carol')).toBe(3)
    expect(s.xpending('s', 'g').count).toBe(0)
  })

  it('refuses unknown groups with NOGROUP', () => {
    const s = fresh()
    s.xadd('s', '1-0', { a: 1 })
    expect(() => s.xreadgroup('nope', 'c', { s: '>' })).toThrow("NOGROUP No such key 's' or consumer group 'nope' in XREADGROUP with GROUP option")
    expect(() => s.xpending('s', 'nope')).toThrow(ReplyError)
    expect(() => s.xgroupCreate('missing', 'g', '$')).toThrow(/requires the key to exist/)
    s.xgroupCreate('missing', 'g', '$', { mkStream: true })
    expect(s.type('missing')).toBe('stream')
    expect(() => s.xgroupCreate('missing', 'g', '$')).toThrow('BUSYGROUP Consumer Group name already exists')
  })

  it('copies streams deeply with COPY', () => {
    const s = fresh()
    s.xadd('s', '1-0', { a: 1 })
    s.xgroupCreate('s', 'g', '0')
    s.xreadgroup('g', 'c', { s: '>' })
    s.call('COPY', 's', 't')
    s.xack('s', 'g', '1-0')
    s.xadd('s', '2-0', { a: 2 })
    expect(s.xlen('t')).toBe(1)
    expect(s.xpending('t', 'g').count).toBe(1)
    expect(s.call('OBJECT', 'ENCODING', 't')).toBe('stream')
  })
})

describe('blocking reads', () => {
  it('wakes XREAD on XADD from another caller', async () => {
    const s = fresh()
    s.xadd('s', '1-0', { a: 1 })
    const waiting = s.xread({ s: '$' }, { block: 0 })
    const other = s.session()
    other.execute(['XADD', 's', '2-0', 'b', '2'])
    const got = await waiting
    expect(got![0]!.entries.map((e) => [e.id, fieldsObj(e.fields)])).toEqual([['2-0', { b: '2' }]])
    s.close()
  })

  it('times out with null by the store clock', async () => {
    const clock = new ManualClock(1_000)
    const s = fresh(clock)
    const waiting = s.xread({ s: '0' }, { block: 50 })
    clock.advance(49)
    let done = false
    void waiting.then(() => (done = true))
    await Promise.resolve()
    expect(done).toBe(false)
    clock.advance(1)
    expect(await waiting).toBeNull()
    s.close()
  })

  it('serves blocked group readers first come, first served', async () => {
    const s = fresh()
    s.xgroupCreate('s', 'g', '$', { mkStream: true })
    const first = s.xreadgroup('g', 'c1', { s: '>' }, { block: 0, count: 1 })
    const second = s.xreadgroup('g', 'c2', { s: '>' }, { block: 0, count: 1 })
    s.xadd('s', '1-0', { n: 1 })
    s.xadd('s', '2-0', { n: 2 })
    expect((await first)![0]!.entries[0]!.id).toBe('1-0')
    expect((await second)![0]!.entries[0]!.id).toBe('2-0')
    expect(s.xpending('s', 'g').consumers).toEqual([
      { name: 'c1', pending: 1 },
      { name: 'c2', pending: 1 },
    ])
    s.close()
  })

  it('answers NOGROUP when the group is destroyed, and honours AbortSignal', async () => {
    const s = fresh()
    s.xgroupCreate('s', 'g', '$', { mkStream: true })
    const waiting = s.xreadgroup('g', 'c', { s: '>' }, { block: 0 })
    s.xgroupDestroy('s', 'g')
    await expect(waiting).rejects.toThrow(/^NOGROUP/)
    const ac = new AbortController()
    const w2 = s.xread({ s: '$' }, { block: 0, signal: ac.signal })
    ac.abort(new Error('stop'))
    await expect(w2).rejects.toThrow('stop')
    s.close()
  })

  it('answers at once inside MULTI', () => {
    const s = fresh()
    const t = s.session()
    t.execute(['MULTI'])
    t.execute(['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'])
    const r = t.execute(['EXEC'])
    expect(r).toEqual([expect.anything()])
    s.close()
  })
})

describe('effects', () => {
  it('replay to the same stream and group state', () => {
    const clock = new ManualClock(10_000)
    const s = fresh(clock)
    const fx: Effect[] = []
    s.onEffect((e) => fx.push(e))
    for (let i = 0; i < 8; i++) s.xadd('s', '*', { i }, { maxlen: 6 })
    s.xgroupCreate('s', 'g', '0')
    s.xreadgroup('g', 'a', { s: '>' }, { count: 3 })
    s.xreadgroup('g', 'b', { s: '>' }, { count: 1, noAck: true })
    s.xack('s', 'g', s.xpendingRange('s', 'g', '-', '+', 1)[0]!.id)
    s.xclaim('s', 'g', 'c', 0, [s.xpendingRange('s', 'g', '-', '+', 1)[0]!.id])
    s.xdel('s', s.xrange('s', '-', '+', { count: 1 })[0]!.id)
    expect(fx.some((e) => String(e.argv[1]) === '*')).toBe(false)
    const r = fresh(clock)
    for (const e of fx) r.call(String(e.argv[0]), ...e.argv.slice(1))
    expect(r.xrange('s')).toEqual(s.xrange('s'))
    expect(r.xinfoGroups('s')).toEqual(s.xinfoGroups('s'))
    expect(r.xpending('s', 'g')).toEqual(s.xpending('s', 'g'))
    expect(r.xinfoStream('s')).toMatchObject({ lastGeneratedId: s.xinfoStream('s').lastGeneratedId, length: s.xlen('s') })
  })
})

describe('IdMap', () => {
  it('keeps items ordered through inserts and deletes in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(400)), { maxLength: 600, size: 'max' }), (ops) => {
        const m = new IdMap<Nack>()
        const model = new Set<number>()
        for (const [ins, x] of ops) {
          if (ins) expect(m.insert(new Nack(x, 0, null, 0, 1))).toBe(!model.has(x))
          else expect(m.delete(x, 0) !== undefined).toBe(model.has(x))
          if (ins) model.add(x)
          else model.delete(x)
        }
        const sorted = [...model].sort((a, b) => a - b)
        expect([...m].map((n) => n.ms)).toEqual(sorted)
        expect(m.size).toBe(sorted.length)
        expect(m.range(100, 0, 200, 0, 0).map((n) => n.ms)).toEqual(sorted.filter((x) => x >= 100 && x <= 200))
        expect(m.ceiling(150, 1)?.ms).toBe(sorted.find((x) => x > 150))
      }),
      { numRuns: 100 },
    )
  })

  it('clones a stream without sharing state', () => {
    const st = new Stream()
    st.append(1, 0, ['f', 'v'], { maxBytes: 4096, maxEntries: 100 })
    const c = st.clone()
    st.append(2, 0, ['f', 'v'], { maxBytes: 4096, maxEntries: 100 })
    expect(c.length).toBe(1)
    expect(st.length).toBe(2)
  })
})

describe('DUMP of a stream', () => {
  it('writes groups and consumers in name order, whatever the creation order', () => {
    // Redis keeps both in radix trees and saves them in byte order of their names.
    const store = fresh()
    const s = store.session()
    s.execute(['XADD', 's', '1-1', 'f', 'v'])
    for (const g of ['gb', 'ga']) s.execute(['XGROUP', 'CREATE', 's', g, '0'])
    for (const c of ['cz', 'cy', 'cx']) s.execute(['XGROUP', 'CREATECONSUMER', 's', 'gb', c])
    const dump = s.execute(['DUMP', 's']) as Buffer
    const at = (name: string) => dump.indexOf(Buffer.from(name))
    expect(at('ga')).toBeGreaterThan(0)
    expect(at('ga')).toBeLessThan(at('gb'))
    expect(at('cx')).toBeLessThan(at('cy'))
    expect(at('cy')).toBeLessThan(at('cz'))
    // And it reads back with the same groups.
    s.execute(['RESTORE', 't', '0', dump])
    expect(s.execute(['XINFO', 'GROUPS', 't'])).toEqual(s.execute(['XINFO', 'GROUPS', 's']))
  })

  it('keeps a delivery counter past 2^53 exact, through XCLAIM, XREADGROUP, DUMP, RESTORE and effects', () => {
    // Redis's delivery_count is 64 bits wide; RETRYCOUNT can set it to any value up to 2^63 - 1.
    const clock = new ManualClock(1_000_000)
    const store = fresh(clock)
    const s = store.session()
    s.execute(['XADD', 's', '1-1', 'f', 'v'])
    s.execute(['XGROUP', 'CREATE', 's', 'g', '0'])
    s.execute(['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>'])
    const effects: Effect[] = []
    store.onEffect((e) => effects.push(e))
    s.execute(['XCLAIM', 's', 'g', 'alice', '0', '1-1', 'RETRYCOUNT', '9007199254740993', 'JUSTID'])
    const count = () => (s.execute(['XPENDING', 's', 'g', '-', '+', '10']) as unknown[][])[0]![3]
    expect(count()).toBe(9007199254740993n)
    // Reading the consumer's history again delivers it once more.
    s.execute(['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'])
    expect(count()).toBe(9007199254740994n)
    s.execute(['XCLAIM', 's', 'g', 'alice', '0', '1-1', 'RETRYCOUNT', '9223372036854775807', 'JUSTID'])
    expect(count()).toBe(9223372036854775807n)
    expect(effects.some((e) => e.argv.map(String).join(' ').includes('RETRYCOUNT 9007199254740993'))).toBe(true)
    // DUMP writes it as a 64-bit length, and RESTORE reads it back exactly.
    s.execute(['RESTORE', 't', '0', s.execute(['DUMP', 's']) as Buffer])
    expect((s.execute(['XPENDING', 't', 'g', '-', '+', '10']) as unknown[][])[0]![3]).toBe(9223372036854775807n)
  })
})
