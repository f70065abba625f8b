import { describe, expect, it, vi, afterEach } from 'vitest'
import { ManualClock, ReplyError, Store, type Effect } from '../src/index.js'
import { MapReply, NULL_ARRAY, SetReply } from '../src/core/reply.js'

const fresh = (opts: ConstructorParameters<typeof Store>[0] = {}) => new Store({ activeExpiry: false, ...opts })

describe('Store basics', () => {
  it('sets and gets strings, binary safe and byte-counted', () => {
    const s = fresh()
    expect(s.set('k', 'v')).toBe('OK')
    expect(s.get('k')).toBe('v')
    s.set('é', 'é')
    expect(s.strlen('é')).toBe(2)
    expect(s.call('STRLEN', 'é')).toBe(2)
    const bin = Buffer.from([0xff, 0x00, 0xfe])
    s.set(bin, bin)
    expect(s.getBuffer(bin)).toEqual(bin)
    expect(s.strlen(bin)).toBe(3)
    // Two different non-UTF-8 keys never collide, and differ from any text key.
    s.set(Buffer.from([0xff]), 'a')
    s.set(Buffer.from([0xfe]), 'b')
    expect(s.get(Buffer.from([0xff]))).toBe('a')
    expect(s.get(Buffer.from([0xfe]))).toBe('b')
    expect(s.get('\u00ff')).toBeNull()
    // A Buffer holding valid UTF-8 is the same key as the string.
    expect(s.get(Buffer.from('é'))).toBe('é')
  })

  it('mget reads every kind of key as get does, nil for missing keys and other types', () => {
    const s = fresh()
    const bin = Buffer.from([0xff, 0x00])
    s.set('a', '1')
    s.set(bin, Buffer.from([0xc3, 0xa9]))
    s.set('a\uFFFD', 'replacement')
    s.call('RPUSH', 'list', 'x')
    expect(s.mget('a', 'missing', bin, 'list', 'a\uD800', Buffer.from('a'))).toEqual(['1', null, 'é', null, 'replacement', '1'])
    expect(s.mget()).toEqual([])
    expect(s.mget('a', 'missing')).toEqual(s.call('MGET', 'a', 'missing'))
    // Each key counts as a hit or a miss, as MGET's do.
    const stats = s.info('stats')
    expect(stats).toMatch(/keyspace_hits:7\r\n/)
    expect(stats).toMatch(/keyspace_misses:3\r\n/)
  })

  it('reads a key given with lone surrogates as the bytes Redis would receive (EF BF BD each)', () => {
    const s = fresh()
    s.set('a\uFFFD', 'replacement')
    expect(s.get('a\uD800')).toBe('replacement')
    expect(s.getBuffer('a\uDFFF')).toEqual(Buffer.from('replacement'))
    s.set('b\uD800', 'x')
    expect(s.get('b\uFFFD')).toBe('x')
    // A string that looks like the marked form of non-UTF-8 bytes is still only text.
    s.set(Buffer.from([0xff]), 'binary')
    expect(s.get('\uDC00\u00ff')).toBeNull()
    s.set('\uDC00\u00ff', 'text')
    expect(s.get(Buffer.from([0xef, 0xbf, 0xbd, 0xc3, 0xbf]))).toBe('text')
    expect(s.get(Buffer.from([0xff]))).toBe('binary')
    // The misses of ill-formed strings count once.
    const before = s.call('INFO', 'stats') as string
    const misses = (t: string) => Number(/keyspace_misses:(\d+)/.exec(t)![1])
    expect(s.get('zz\uD800')).toBeNull()
    expect(misses(s.call('INFO', 'stats') as string)).toBe(misses(before) + 1)
    // The same through call(): GET and MGET read keys as the typed methods do.
    expect(s.call('GET', 'a\uD800')).toBe('replacement')
    expect(s.call('MGET', 'b\uDFFF', 'a\uD800', 'zz\uD800', '\uDC00\u00ff')).toEqual(['x', 'replacement', null, 'text'])
    expect(s.call('GET', '\uDC00\u00ff')).toBe('text')
    expect(s.call('GET', 'zz\uD800')).toBeNull()
    expect(misses(s.call('INFO', 'stats') as string)).toBe(misses(before) + 3)
  })

  it('copies Buffer values so later changes by the caller do not leak in', () => {
    const s = fresh()
    const b = Buffer.from('abc')
    s.set('k', b)
    b[0] = 0x7a
    expect(s.get('k')).toBe('abc')
  })

  it('hands out copies of stored bytes: in-place writes do not change them, nor theirs the store', () => {
    const s = fresh()
    s.call('SETBIT', 'k', 15, 1)
    const got = s.callBuffer('GET', 'k') as Buffer
    const typed = s.getBuffer('k')!
    s.call('SETBIT', 'k', 0, 1)
    expect(typed.toString('hex')).toBe('0001')
    s.call('APPEND', 'k', 'x')
    expect(got.toString('hex')).toBe('0001')
    got[0] = 0xff
    expect((s.callBuffer('GET', 'k') as Buffer).toString('hex')).toBe('800178')
    // EXEC answers each command as it ran, though its replies go out at the end.
    s.call('SETBIT', 'b', 23, 1)
    const c = s.session()
    for (const argv of [['MULTI'], ['GET', 'b'], ['SETBIT', 'b', '0', '1'], ['MGET', 'b'], ['SETBIT', 'b', '8', '1']]) c.execute(argv)
    const r = c.execute(['EXEC']) as unknown[]
    const hex = (x: unknown): unknown => (Buffer.isBuffer(x) ? x.toString('hex') : Array.isArray(x) ? x.map(hex) : x)
    expect(r.map(hex)).toEqual(['000001', 0, ['800001'], 0])
    expect((s.callBuffer('GET', 'b') as Buffer).toString('hex')).toBe('808001')
  })

  it('keeps keys such as __proto__ as ordinary data', () => {
    const s = fresh()
    s.set('__proto__', 'x')
    s.set('constructor', 'y')
    expect(s.get('__proto__')).toBe('x')
    expect(s.keys('*').sort()).toEqual(['__proto__', 'constructor'])
  })

  it('counts past 2^53 exactly', () => {
    const s = fresh()
    s.set('n', '9007199254740991')
    expect(s.incr('n')).toBe(9007199254740992n)
    expect(s.incr('n')).toBe(9007199254740993n)
    expect(s.get('n')).toBe('9007199254740993')
    s.set('max', '9223372036854775807')
    expect(() => s.incr('max')).toThrow('ERR increment or decrement would overflow')
    expect(s.get('max')).toBe('9223372036854775807')
    expect(s.call('INCRBY', 'n', '-9007199254740993')).toBe(0)
  })

  it('formats INCRBYFLOAT like Redis', () => {
    const s = fresh()
    expect(s.call('INCRBYFLOAT', 'f', '0.1')).toBe('0.1')
    expect(s.call('INCRBYFLOAT', 'f', '0.2')).toBe('0.3')
    expect(s.incrbyfloat('g', 10.5)).toBe(10.5)
    expect(() => s.call('INCRBYFLOAT', 'f', 'abc')).toThrow('ERR value is not a valid float')
  })

  it('throws ReplyError with Redis text and changes nothing', () => {
    const s = fresh()
    s.set('t', 'text')
    let err: unknown
    try {
      s.call('INCR', 't')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ReplyError)
    expect((err as ReplyError).message).toBe('ERR value is not an integer or out of range')
    expect((err as ReplyError).code).toBe('ERR')
    expect(s.get('t')).toBe('text')
    expect(() => s.call('SET', 't', 'v', 'EX', '0')).toThrow("ERR invalid expire time in 'set' command")
    expect(() => s.call('SET', 't', 'v', 'NX', 'XX')).toThrow('ERR syntax error')
    expect(s.get('t')).toBe('text')
    expect(() => s.call('NOPE', 'a')).toThrow("ERR unknown command 'NOPE', with args beginning with: 'a' ")
    expect(() => s.call('GET', 'a', 'b')).toThrow("ERR wrong number of arguments for 'get' command")
    expect(() => s.call('CONFIG', 'NOPE')).toThrow("ERR unknown subcommand 'NOPE'. Try CONFIG HELP.")
  })

  it('call() shapes replies as documented', () => {
    const s = fresh()
    expect(s.call('SET', 'a', 1)).toBe('OK')
    expect(s.call('GET', 'a')).toBe('1')
    expect(s.call('GET', 'missing')).toBeNull()
    expect(s.call('INCR', 'a')).toBe(2)
    expect(s.call('MGET', 'a', 'missing')).toEqual(['2', null])
    expect(s.callBuffer('GET', 'a')).toEqual(Buffer.from('2'))
    expect(s.call('PING')).toBe('PONG')
    expect(s.call('TYPE', 'a')).toBe('string')
  })

  it('set options follow Redis', () => {
    const s = fresh()
    expect(s.set('k', 'v1', { nx: true })).toBe('OK')
    expect(s.set('k', 'v2', { nx: true })).toBeNull()
    expect(s.set('k', 'v3', { xx: true })).toBe('OK')
    expect(s.set('other', 'x', { xx: true })).toBeNull()
    expect(s.set('k', 'v4', { get: true })).toBe('v3')
    expect(s.set('new', 'v', { get: true })).toBeNull()
    expect(() => s.set('k', 'v', { ex: 1, px: 1 })).toThrow('ERR syntax error')
    expect(() => s.set('k', 'v', { ex: 0 })).toThrow("ERR invalid expire time in 'set' command")
    expect(s.get('k')).toBe('v4')
  })
})

describe('expiry', () => {
  it('expires lazily on access with a ManualClock', () => {
    const clock = new ManualClock(1_000_000)
    const s = fresh({ clock })
    s.set('k', 'v', { px: 100 })
    expect(s.pttl('k')).toBe(100)
    clock.advance(99)
    expect(s.get('k')).toBe('v')
    clock.advance(1)
    expect(s.get('k')).toBeNull()
    expect(s.exists('k')).toBe(0)
    expect(s.ttl('k')).toBe(-2)
    expect(s.info('stats')).toMatch(/expired_keys:1/)
  })

  it('keeps TTL with KEEPTTL and drops it on plain SET', () => {
    const clock = new ManualClock(0)
    const s = fresh({ clock })
    s.set('k', 'v', { ex: 10 })
    s.set('k', 'w', { keepttl: true })
    expect(s.ttl('k')).toBe(10)
    s.set('k', 'x')
    expect(s.ttl('k')).toBe(-1)
  })

  it('SET with a TTL over a live key replaces value and TTL, and the key stays known to active expiry', () => {
    const clock = new ManualClock(1_000)
    const s = fresh({ clock })
    for (const [i, set] of [(k: string) => s.set(k, 'a'), (k: string) => s.set(k, 'a', { ex: 100 })].entries()) {
      const k = `k${i}`
      set(k)
      // Typed and through call(), from no TTL or another TTL to a new one.
      expect(s.set(k, 'b', { px: 500 })).toBe('OK')
      expect(s.pttl(k)).toBe(500)
      expect(s.call('SET', k, 'c', 'EX', 2)).toBe('OK')
      expect([s.get(k), s.pttl(k)]).toEqual(['c', 2000])
      expect(s.set(k, 'd', { pxat: 1_500 })).toBe('OK')
      expect(s.info('keyspace')).toMatch(new RegExp(`keys=${i + 1},expires=${i + 1},`))
    }
    // Past its time, a key is expired first (counted, and reported when observed), then written anew with its TTL.
    clock.set(1_500)
    expect(s.set('k0', 'e', { px: 10 })).toBe('OK')
    expect(s.info('stats')).toMatch(/expired_keys:1\r\n/)
    expect(s.pttl('k0')).toBe(10)
    const effects: Effect[] = []
    s.onEffect((e) => effects.push(e))
    expect(s.set('k1', 'e', { px: 10 })).toBe('OK')
    expect(s.info('stats')).toMatch(/expired_keys:2\r\n/)
    expect(effects.map((e) => e.argv[0])).toEqual(['DEL', 'SET'])
    // The cycle finds every key with a TTL.
    clock.set(10_000)
    s.ks.activeExpireCycle()
    expect(s.dbsize()).toBe(0)
  })

  it('EXPIRE with NX/XX/GT/LT and past times', () => {
    const clock = new ManualClock(1_000_000)
    const s = fresh({ clock })
    s.set('k', 'v')
    expect(s.expire('k', 100, 'XX')).toBe(false)
    expect(s.expire('k', 100, 'NX')).toBe(true)
    expect(s.expire('k', 50, 'GT')).toBe(false)
    expect(s.expire('k', 200, 'GT')).toBe(true)
    expect(s.expire('k', 300, 'LT')).toBe(false)
    expect(s.ttl('k')).toBe(200)
    expect(s.expiretime('k')).toBe(1000 + 200)
    expect(s.persist('k')).toBe(true)
    expect(s.persist('k')).toBe(false)
    expect(s.expire('k', -1)).toBe(true)
    expect(s.exists('k')).toBe(0)
    expect(() => s.call('EXPIRE', 'k', '1', 'NX', 'XX')).toThrow('ERR NX and XX, GT or LT options at the same time are not compatible')
  })

  it('SET, SETEX, GETEX and the typed set and pexpire see one time per command, as Redis does', () => {
    // A clock that moves a second on every read: a command that read it twice would find the
    // expiry it had just computed already past.
    let t = 1_000_000
    const s = fresh({ clock: { now: () => (t += 1000) } })
    for (const [name, run] of [
      ['SET PX', () => s.call('SET', 'k', 'v', 'PX', '500')],
      ['SETEX', () => s.call('PSETEX', 'k', '500', 'v')],
      ['typed set', () => s.set('k', 'v', { px: 500 })],
      ['SET on a key with a TTL', () => s.call('SET', 'k', 'v', 'PX', '500')],
      ['typed pexpire', () => (s.set('k', 'v', { px: 100_000 }), s.pexpire('k', 500))],
    ] as const) {
      s.del('k')
      if (name === 'SET on a key with a TTL') s.set('k', 'old', { px: 100_000 })
      run()
      expect([name, s.ks.dbs[0]!.map.has('k')]).toEqual([name, true])
    }
    s.set('g', 'v')
    expect(s.call('GETEX', 'g', 'PX', '500')).toBe('v')
    expect(s.ks.dbs[0]!.map.has('g')).toBe(true)
  })

  it('every command through call() sees one time, as Redis does', () => {
    let t = 1_000_000
    const s = fresh({ clock: { now: () => (t += 1000) } })
    // Both keys expire at X; the command's first read is X - 500: a command reading the clock once
    // per key would see the second key expired.
    const X = 2_000_000
    s.set('a', '1', { pxat: X })
    s.set('b', '2', { pxat: X })
    t = X - 1500
    expect(s.call('MGET', 'a', 'b')).toEqual(['1', '2'])
    s.set('k', 'v', { px: 100_000 })
    expect(s.call('PEXPIRE', 'k', '500')).toBe(1)
    expect(s.ks.dbs[0]!.map.has('k')).toBe(true)
    // Between commands time moves on.
    expect(s.call('MGET', 'a', 'b')).toEqual([null, null])
  })

  it('typed methods that read several keys read the clock once, as a command does', () => {
    let reads = 0
    const s = fresh({ clock: { now: () => (reads++, 1_700_000_000_000) } })
    const setup = () => {
      s.flushall()
      s.mset({ a: '1', b: '2' })
      s.sadd('s1', 'x', 'y')
      s.sadd('s2', 'y', 'z')
      s.zadd('z1', { a: 1 })
      s.zadd('z2', { b: 2 })
      s.rpush('l1', 'a', 'b')
      s.rpush('l2', 'c')
      s.hset('h', { f: '1' })
      s.pfadd('p1', 'a')
      s.pfadd('p2', 'b')
      for (const k of ['a', 'b', 's1', 's2', 'z1', 'z2', 'l1', 'l2', 'h', 'p1', 'p2']) s.expire(k, 1000)
    }
    const calls: Record<string, () => unknown> = {
      mget: () => s.mget('a', 'b', 'a'),
      mgetBuffer: () => s.mgetBuffer('a', 'b'),
      exists: () => s.exists('a', 'b', 'a'),
      del: () => s.del('a', 'b'),
      touch: () => s.touch('a', 'b'),
      msetnx: () => s.msetnx({ a: '1', b: '2' }),
      rename: () => s.rename('a', 'b'),
      copy: () => s.copy('a', 'b', { replace: true }),
      lcs: () => s.lcs('a', 'b'),
      bitop: () => s.bitop('AND', 'd', 'a', 'b'),
      pfcount: () => s.pfcount('p1', 'p2'),
      pfmerge: () => s.pfmerge('p1', 'p2'),
      lmove: () => s.lmove('l1', 'l2', 'LEFT', 'RIGHT'),
      lmpop: () => s.lmpop(['l1', 'l2'], 'LEFT'),
      smove: () => s.smove('s1', 's2', 'x'),
      sunion: () => s.sunion('s1', 's2'),
      sinterstore: () => s.sinterstore('s1', 's1', 's2'),
      zinter: () => s.zinter(['z1', 'z2']),
      zunionstore: () => s.zunionstore('z1', ['z1', 'z2']),
      sort: () => s.sort('l1', { by: 'h->f', get: ['a', '#'] }),
    }
    for (const [name, call] of Object.entries(calls)) {
      setup()
      reads = 0
      call()
      expect([name, reads]).toEqual([name, 1])
    }
    s.close()
  })

  it('follows fake timers when using the default clock', () => {
    vi.useFakeTimers({ now: 5_000_000 })
    try {
      const s = new Store()
      s.set('k', 'v', { ex: 1 })
      vi.advanceTimersByTime(999)
      expect(s.get('k')).toBe('v')
      vi.advanceTimersByTime(1)
      expect(s.get('k')).toBeNull()
      s.close()
    } finally {
      vi.useRealTimers()
    }
  })

  it('active expiry removes keys nobody reads', () => {
    vi.useFakeTimers({ now: 1_000 })
    try {
      const s = new Store()
      for (let i = 0; i < 500; i++) s.set(`k${i}`, 'v', { px: 50 })
      s.set('keep', 'v')
      expect(s.dbsize()).toBe(501)
      vi.advanceTimersByTime(2000)
      expect(s.dbsize()).toBe(1)
      s.close()
    } finally {
      vi.useRealTimers()
    }
  })

  afterEach(() => vi.useRealTimers())
})

describe('effects', () => {
  it('reports each write once as a deterministic command', () => {
    const clock = new ManualClock(1_000_000)
    const s = fresh({ clock })
    const seen: Effect[] = []
    const off = s.onEffect((e) => seen.push(e))
    s.set('a', '1', { ex: 10 })
    s.call('EXPIRE', 'a', '20')
    s.incr('a')
    s.call('GET', 'a')
    s.set('b', 'x', { nx: true })
    s.set('b', 'y', { nx: true }) // no write: no effect
    s.del('b', 'missing')
    off()
    s.set('c', 'ignored')
    expect(seen.map((e) => e.argv.map(String))).toEqual([
      ['SET', 'a', '1', 'PXAT', '1010000'],
      ['PEXPIREAT', 'a', '1020000'],
      ['SET', 'a', '2', 'KEEPTTL'],
      ['SET', 'b', 'x'],
      ['DEL', 'b'],
    ])
  })

  it('reports lazy expiry as DEL', () => {
    const clock = new ManualClock(0)
    const s = fresh({ clock })
    s.set('a', '1', { px: 5 })
    const seen: string[][] = []
    s.onEffect((e) => seen.push(e.argv.map(String)))
    clock.advance(10)
    expect(s.get('a')).toBeNull()
    expect(seen).toEqual([['DEL', 'a']])
  })
})

describe('databases', () => {
  it('selects, moves, copies and swaps', () => {
    const s = fresh()
    s.set('k', 'v')
    expect(s.move('k', 1)).toBe(true)
    expect(s.exists('k')).toBe(0)
    s.select(1)
    expect(s.get('k')).toBe('v')
    expect(s.copy('k', 'k2', { db: 0 })).toBe(true)
    s.select(0)
    expect(s.get('k2')).toBe('v')
    s.swapdb(0, 1)
    expect(s.get('k')).toBe('v')
    expect(s.get('k2')).toBeNull()
    expect(() => s.select(16)).toThrow('ERR DB index is out of range')
    expect(() => new Store({ databases: 0 })).toThrow(RangeError)
    const small = fresh({ databases: 2 })
    expect(() => small.call('SELECT', '2')).toThrow('ERR DB index is out of range')
  })

  it('scans every key present throughout an iteration under churn', () => {
    const s = fresh()
    const stable = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      s.set(`s${i}`, 'v')
      stable.add(`s${i}`)
    }
    for (let i = 0; i < 500; i++) s.set(`t${i}`, 'v')
    const seen = new Set<string>()
    let cursor = '0'
    let step = 0
    do {
      const [next, keys] = s.scan(cursor, { count: 37 })
      keys.forEach((k) => seen.add(k))
      cursor = next
      // Churn between calls: delete and add transient keys.
      s.del(`t${step}`)
      s.set(`u${step}`, 'v')
      step++
    } while (cursor !== '0')
    for (const k of stable) expect(seen.has(k)).toBe(true)
  })

  it('RANDOMKEY returns live keys only', () => {
    const clock = new ManualClock(0)
    const s = fresh({ clock })
    expect(s.randomkey()).toBeNull()
    s.set('a', '1', { px: 1 })
    s.set('b', '1')
    clock.advance(5)
    for (let i = 0; i < 20; i++) expect(s.randomkey()).toBe('b')
  })
})

describe('commands from the table', () => {
  it('answers COMMAND from Redis metadata', () => {
    const s = fresh()
    const info = s.call('COMMAND', 'INFO', 'get', 'set', 'nosuch') as unknown[]
    expect((info[0] as unknown[]).slice(0, 6)).toEqual(['get', 2, ['readonly', 'fast'], 1, 1, 1])
    expect((info[1] as unknown[])[1]).toBe(-3)
    expect(info[2]).toBeNull()
    expect(s.call('COMMAND', 'COUNT')).toBeGreaterThan(50)
    expect(s.call('COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2')).toEqual(['a', 'b'])
    const docs = s.call('COMMAND', 'DOCS', 'get') as unknown[]
    expect(docs[0]).toBe('get')
    expect((docs[1] as unknown[]).slice(0, 2)).toEqual(['summary', 'Returns the string value of a key.'])
  })

  it('gives COMMAND INFO key specs and COMMAND DOCS history as RESP3 sets, as Redis 7.2 does', () => {
    const sess = fresh().session()
    const [set] = sess.execute(['COMMAND', 'INFO', 'set']) as unknown[][]
    expect(set![8]).toBeInstanceOf(SetReply)
    expect(set![9]).toBeInstanceOf(SetReply) // no subcommands: an empty set
    const [config] = sess.execute(['COMMAND', 'INFO', 'config']) as unknown[][]
    expect(Array.isArray(config![9])).toBe(true) // subcommands: an array
    const docs = sess.execute(['COMMAND', 'DOCS', 'set']) as MapReply
    const fields = (docs.entries[1] as MapReply).entries
    expect(fields[fields.indexOf('history') + 1]).toBeInstanceOf(SetReply)
  })

  it('INFO counts error replies by prefix (errorstats, total_error_replies), as recorded from valkey 8', () => {
    const s = fresh()
    const x = s.session()
    const counts = () => [String(s.call('INFO', 'errorstats')), /total_error_replies:(\d+)/.exec(String(s.call('INFO', 'stats')))![1]]
    for (const c of [['GET'], ['RPUSH', 'l', 'a'], ['GET', 'l'], ['NOSUCH']]) x.execute(c)
    expect(counts()).toEqual(['# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n', '3'])
    s.call('CONFIG', 'RESETSTAT')
    for (const c of [['MULTI'], ['GET'], ['EXEC'], ['MULTI'], ['SET', 'k', 'v'], ['INCR', 'k'], ['EXEC']]) x.execute(c)
    expect(counts()).toEqual(['# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_EXECABORT:count=1\r\n', '3'])
  })

  it('INFO has the fields of Redis 7.2 (clients, stats, persistence, replication, cpu)', () => {
    const s = fresh()
    const x = s.session()
    x.execute(['WATCH', 'a', 'b'])
    const info = String(s.call('INFO', 'everything'))
    for (const field of ['watching_clients:1', 'total_watched_keys:2', 'pubsub_clients:0', 'sync_full:0', 'total_error_replies:0', 'rdb_last_load_keys_loaded:0',
      'aof_last_write_status:ok', 'module_fork_in_progress:0', 'repl_backlog_active:0', 'second_repl_offset:-1', 'used_cpu_sys_children:0.000000']) {
      expect(info).toContain(`\r\n${field}\r\n`)
    }
  })

  it('CONFIG GET/SET with Redis errors', () => {
    const s = fresh()
    expect(s.configGet('notify-keyspace-events')).toEqual({ 'notify-keyspace-events': '' })
    s.configSet('notify-keyspace-events', 'KEA')
    expect(s.configGet('notify-keyspace-events')['notify-keyspace-events']).toBe('AKE')
    expect(() => s.call('CONFIG', 'SET', 'nosuch', '1')).toThrow("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
    expect(() => s.call('CONFIG', 'SET', 'databases', '3')).toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
    )
  })
})

describe('keyspace notifications', () => {
  it('publishes the exact bytes of a non-UTF-8 key on the keyspace channel, and `new` events', async () => {
    const s = fresh({ config: { 'notify-keyspace-events': 'KEAn' } })
    const seen: Array<[Buffer, Buffer]> = []
    s.psubscribeBuffer('__key*', (message, channel) => seen.push([message, channel]))
    const key = Buffer.from([0x6b, 0xff])
    s.set(key, 'v')
    await new Promise((r) => setTimeout(r, 0))
    const channels = seen.map(([, c]) => c.toString('latin1'))
    expect(channels).toContain('__keyspace@0__:k\xff')
    expect(channels).toContain('__keyevent@0__:new')
    expect(seen.find(([, c]) => c.toString('latin1') === '__keyevent@0__:set')![0]).toEqual(key)
  })
})

describe('SET with a time already past (Redis 7.2)', () => {
  it('writes the key with that time: set and expire events, WATCH dirtied, expired at its next access', async () => {
    const clock = new ManualClock(1_000_000)
    const s = fresh({ clock, config: { 'notify-keyspace-events': 'KEA' } })
    const events: string[] = []
    s.psubscribe('__keyevent@0__:*', (message, channel) => events.push(`${channel.slice(15)} ${message}`))
    const effects: string[] = []
    s.onEffect((e) => effects.push(e.argv.map(String).join(' ')))
    const other = s.session()
    other.execute(['WATCH', 'k'])
    expect(s.set('k', 'v', { pxat: 1 })).toBe('OK')
    other.execute(['MULTI'])
    other.execute(['PING'])
    expect(other.execute(['EXEC'])).toBe(NULL_ARRAY)
    expect(s.dbsize()).toBe(1)
    expect(s.get('k')).toBeNull()
    expect(s.dbsize()).toBe(0)
    s.set('j', 'v')
    s.call('SET', 'j', 'w', 'EXAT', 1)
    expect(s.exists('j')).toBe(0)
    await new Promise((r) => setTimeout(r, 0))
    expect(events).toEqual(['set k', 'expire k', 'expired k', 'set j', 'set j', 'expire j', 'expired j'])
    expect(effects).toEqual(['SET k v PXAT 1', 'DEL k', 'SET j v', 'SET j w PXAT 1000', 'DEL j'])
  })
})

describe('effects of atomic units', () => {
  it('wraps a transaction with several writes in MULTI/EXEC, and passes a single write alone', () => {
    const s = fresh()
    const seen: string[][] = []
    s.onEffect((e) => seen.push(e.argv.map(String)))
    const c = s.session()
    for (const argv of [['MULTI'], ['SET', 'a', '1'], ['INCR', 'a'], ['GET', 'a'], ['EXEC']]) c.execute(argv)
    for (const argv of [['MULTI'], ['SET', 'b', '1'], ['EXEC']]) c.execute(argv)
    expect(seen).toEqual([['MULTI'], ['SET', 'a', '1'], ['SET', 'a', '2', 'KEEPTTL'], ['EXEC'], ['SET', 'b', '1']])
  })
})
