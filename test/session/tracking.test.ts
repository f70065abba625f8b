import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createClient, BasicClientSideCache } from 'redis'
import { ManualClock, ReplyError, Store } from '../../src/index.js'
import { MapReply, SetReply, Verbatim } from '../../src/core/reply.js'
import { lua } from '../../src/scripting/index.js'
import { createServer } from '../../src/server/index.js'
import type { Session } from '../../src/session.js'
import { plain, pushesOf, useServerAndStore } from '../helpers/store.js'

const live = useServerAndStore()

const err = (r: unknown): string => (r instanceof ReplyError ? r.message : `not an error: ${JSON.stringify(r)}`)
/** BCAST invalidations go out once the running code yields (Redis's beforeSleep). */
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

/** A RESP3 session with tracking turned on with `opts`. */
function tracker(st: Store, ...opts: string[]): [Session, unknown[][]] {
  const s = st.session()
  const got = pushesOf(s)
  s.execute(['HELLO', '3'])
  expect(s.execute(['CLIENT', 'TRACKING', 'ON', ...opts])).toEqual(expect.objectContaining({ value: 'OK' }))
  return [s, got]
}

function info(s: Session, section: string): Record<string, string> {
  const text = (s.execute(['INFO', section]) as Verbatim).value
  const out: Record<string, string> = {}
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1)
  }
  return out
}

function trackingInfo(s: Session): { flags: unknown; redirect: unknown; prefixes: unknown } {
  const m = (s.execute(['CLIENT', 'TRACKINGINFO']) as MapReply).entries
  return { flags: (m[1] as SetReply).items, redirect: m[3], prefixes: plain(m[5]) }
}

describe('CLIENT TRACKING errors (texts and order checked against valkey 8.0)', () => {
  it('answers each misuse with Redis 7.2 text', () => {
    live.store = new Store()
    const s = live.store.session()
    const c = (...a: string[]): string => err(s.execute(['CLIENT', ...a]))
    expect(c('TRACKING', 'ON', 'REDIRECT', '999999')).toBe('ERR The client ID you want redirect to does not exist')
    expect(c('TRACKING', 'ON', 'REDIRECT', '0')).toBe('ERR The client ID you want redirect to does not exist')
    expect(c('TRACKING', 'ON', 'REDIRECT', 'x')).toBe('ERR value is not an integer or out of range')
    expect(c('TRACKING', 'ON', 'PREFIX', 'a')).toBe('ERR PREFIX option requires BCAST mode to be enabled')
    expect(c('TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab')).toBe(
      "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.",
    )
    expect(c('TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a')).toBe(
      "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.",
    )
    expect(c('TRACKING', 'ON', 'OPTIN', 'OPTOUT')).toBe("ERR You can't specify both OPTIN mode and OPTOUT mode")
    // BCAST's incompatibility is checked before OPTIN+OPTOUT.
    expect(c('TRACKING', 'ON', 'BCAST', 'OPTIN', 'OPTOUT')).toBe('ERR OPTIN and OPTOUT are not compatible with BCAST')
    expect(c('TRACKING', 'ON', 'PREFIX', 'a', 'BCAST', 'OPTIN')).toBe('ERR OPTIN and OPTOUT are not compatible with BCAST')
    expect(c('CACHING', 'YES')).toBe('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled')
    expect(c('CACHING', 'maybe')).toBe('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled')
    // Options are read before ON/OFF: a bad REDIRECT wins over a bad mode word.
    expect(c('TRACKING', 'maybe', 'REDIRECT', '999999')).toBe('ERR The client ID you want redirect to does not exist')
    expect(c('TRACKING', 'maybe')).toBe('ERR syntax error')
    expect(c('TRACKING', 'ON', 'REDIRECT')).toBe('ERR syntax error')
    expect(c('TRACKING', 'ON', 'bogus', 'REDIRECT', '999999')).toBe('ERR syntax error')
    expect(c('TRACKING', 'ON', 'REDIRECT', '999999', 'bogus')).toBe('ERR The client ID you want redirect to does not exist')
    expect(c('TRACKING')).toBe("ERR wrong number of arguments for 'client|tracking' command")
    expect(c('GETREDIR', 'x')).toBe("ERR wrong number of arguments for 'client|getredir' command")
    const other = live.store.session()
    expect(c('TRACKING', 'ON', 'REDIRECT', String(other.id), 'REDIRECT', 'x')).toBe('ERR A client can only redirect to a single other client')
    // Nothing was enabled by any of these.
    expect(s.tracking).toBe(0)
  })

  it('refuses to switch modes while on, and prefixes that overlap registered ones', () => {
    live.store = new Store()
    const s = live.store.session()
    const c = (...a: string[]): unknown => s.execute(['CLIENT', ...a])
    expect(c('TRACKING', 'ON', 'OPTIN')).toEqual(expect.objectContaining({ value: 'OK' }))
    expect(err(c('TRACKING', 'ON', 'OPTOUT'))).toBe(
      "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    )
    expect(err(c('TRACKING', 'ON', 'BCAST'))).toBe(
      "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    )
    expect(err(c('CACHING', 'NO'))).toBe('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.')
    expect(err(c('CACHING', 'maybe'))).toBe('ERR syntax error')
    c('TRACKING', 'OFF')
    c('TRACKING', 'ON', 'OPTOUT')
    expect(err(c('CACHING', 'YES'))).toBe('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.')
    c('TRACKING', 'OFF')
    c('TRACKING', 'ON', 'BCAST', 'PREFIX', 'b', 'PREFIX', 'c')
    expect(err(c('TRACKING', 'ON', 'BCAST', 'PREFIX', 'bb'))).toBe(
      "ERR Prefix 'bb' overlaps with an existing prefix 'b'. Prefixes for a single client must not overlap.",
    )
    expect(err(c('TRACKING', 'ON', 'BCAST', 'PREFIX', 'c'))).toBe(
      "ERR Prefix 'c' overlaps with an existing prefix 'c'. Prefixes for a single client must not overlap.",
    )
    // A further prefix that overlaps none adds to the registered ones.
    c('TRACKING', 'ON', 'BCAST', 'PREFIX', 'a')
    expect(trackingInfo(s).prefixes).toEqual(['a', 'b', 'c'])
  })
})

describe('state: TRACKINGINFO, GETREDIR, CLIENT LIST, INFO', () => {
  it('reports flags, redirect and prefixes as Redis does', () => {
    live.store = new Store()
    const s = live.store.session()
    const target = live.store.session()
    expect(trackingInfo(s)).toEqual({ flags: ['off'], redirect: -1, prefixes: [] })
    expect(s.execute(['CLIENT', 'GETREDIR'])).toBe(-1)
    s.execute(['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'NOLOOP'])
    expect(trackingInfo(s)).toEqual({ flags: ['on', 'optin', 'noloop'], redirect: 0, prefixes: [] })
    expect(s.execute(['CLIENT', 'GETREDIR'])).toBe(0)
    s.execute(['CLIENT', 'CACHING', 'YES'])
    expect(trackingInfo(s).flags).toEqual(['on', 'optin', 'caching-yes'].concat('noloop'))
    // Enabling again replaces the options (NOLOOP goes) and the redirect.
    s.execute(['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'REDIRECT', String(target.id)])
    expect(s.execute(['CLIENT', 'GETREDIR'])).toBe(target.id)
    const line = (s.execute(['CLIENT', 'INFO']) as Verbatim).value
    expect(line).toContain(' flags=t ')
    expect(line).toContain(` redir=${target.id} `)
    s.execute(['CLIENT', 'TRACKING', 'OFF'])
    s.execute(['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj:'])
    expect(trackingInfo(s)).toEqual({ flags: ['on', 'bcast'], redirect: 0, prefixes: ['obj:', 'user:'] })
    expect((s.execute(['CLIENT', 'INFO']) as Verbatim).value).toContain(' flags=tB ')
    expect(info(s, 'clients').tracking_clients).toBe('1')
    expect(info(s, 'stats').tracking_total_prefixes).toBe('2')
    s.execute(['RESET'])
    expect(trackingInfo(s)).toEqual({ flags: ['off'], redirect: -1, prefixes: [] })
    expect(info(s, 'clients').tracking_clients).toBe('0')
    expect(info(s, 'stats').tracking_total_prefixes).toBe('0')
  })

  it('counts tracked keys and items; a closed session stops tracking', () => {
    live.store = new Store()
    const [a] = tracker(live.store)
    const [b] = tracker(live.store)
    a.execute(['MGET', 'k1', 'k2'])
    b.execute(['GET', 'k1'])
    const st = info(a, 'stats')
    expect([st.tracking_total_keys, st.tracking_total_items]).toEqual(['2', '3'])
    live.store.set('k1', 'x')
    expect(info(a, 'stats').tracking_total_keys).toBe('1')
    expect(info(a, 'stats').tracking_total_items).toBe('1')
    b.close()
    expect(info(a, 'clients').tracking_clients).toBe('1')
  })
})

describe('default mode', () => {
  it('sends one invalidation per key read, then forgets the key until read again', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store)
    const w = live.store.session()
    w.execute(['SET', 'b', '0'])
    s.execute(['GET', 'a'])
    s.execute(['MGET', 'b', 'c'])
    s.execute(['HGET', 'h', 'f'])
    w.execute(['SET', 'a', '1'])
    w.execute(['SET', 'a', '2'])
    w.execute(['DEL', 'b', 'zz'])
    // Deleting a missing key changes nothing: no message for 'c'.
    w.execute(['DEL', 'c'])
    w.execute(['HSET', 'h', 'f', 'v'])
    expect(got).toEqual([
      ['invalidate', ['a']],
      ['invalidate', ['b']],
      ['invalidate', ['h']],
    ])
    got.length = 0
    s.execute(['GET', 'a'])
    w.execute(['APPEND', 'a', 'x'])
    expect(got).toEqual([['invalidate', ['a']]])
  })

  it('remembers keys of a failed read (WRONGTYPE) and across databases', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store)
    const w = live.store.session()
    w.execute(['LPUSH', 'l', 'x'])
    expect(err(s.execute(['GET', 'l']))).toMatch(/^WRONGTYPE/)
    w.execute(['LPUSH', 'l', 'y'])
    s.execute(['GET', 'k'])
    // The table holds key names: a change in another database invalidates too.
    w.execute(['SELECT', '3'])
    w.execute(['SET', 'k', 'v'])
    expect(got).toEqual([
      ['invalidate', ['l']],
      ['invalidate', ['k']],
    ])
  })

  it('includes its own writes unless NOLOOP', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store)
    s.execute(['GET', 'a'])
    s.execute(['SET', 'a', '1'])
    expect(got).toEqual([['invalidate', ['a']]])
    const [n, gotN] = tracker(live.store, 'NOLOOP')
    n.execute(['GET', 'b'])
    n.execute(['SET', 'b', '1'])
    expect(gotN).toEqual([])
    n.execute(['GET', 'b'])
    live.store.session().execute(['SET', 'b', '2'])
    expect(gotN).toEqual([['invalidate', ['b']]])
  })

  it('tracks reads of movable-key commands (ZUNION, XREAD)', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store)
    s.execute(['ZUNION', '2', 'z1', 'z2'])
    s.execute(['XREAD', 'STREAMS', 'x1', '0'])
    const w = live.store.session()
    w.execute(['ZADD', 'z2', '1', 'm'])
    w.execute(['XADD', 'x1', '*', 'f', 'v'])
    w.execute(['ZADD', 'z1', '1', 'm'])
    expect(got).toEqual([
      ['invalidate', ['z2']],
      ['invalidate', ['x1']],
      ['invalidate', ['z1']],
    ])
  })

  it('invalidates on expiry and on typed Store writes', () => {
    const clock = new ManualClock(1_000_000)
    live.store = new Store({ clock, activeExpiry: false })
    const [s, got] = tracker(live.store)
    live.store.set('t', 'v', { px: 100 })
    s.execute(['GET', 't'])
    clock.advance(200)
    // Another session's access finds it expired and deletes it.
    live.store.session().execute(['EXISTS', 't'])
    expect(got).toEqual([['invalidate', ['t']]])
    s.execute(['GET', 'u'])
    live.store.set('u', 'typed')
    expect(got[1]).toEqual(['invalidate', ['u']])
  })

  it('MULTI/EXEC: reads inside are remembered, each changed key gets its own message', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store)
    s.execute(['MULTI'])
    s.execute(['GET', 'a'])
    s.execute(['GET', 'b'])
    s.execute(['EXEC'])
    const w = live.store.session()
    w.execute(['MULTI'])
    w.execute(['SET', 'a', '1'])
    w.execute(['SET', 'b', '1'])
    w.execute(['EXEC'])
    expect(got).toEqual([
      ['invalidate', ['a']],
      ['invalidate', ['b']],
    ])
  })

  it('scripts: the commands a script runs are tracked for its caller, EVAL_RO keys are not', () => {
    live.store = new Store({ scripting: lua() })
    const [s, got] = tracker(live.store)
    s.execute(['EVAL', "redis.call('get','s1'); return redis.call('get','s2')", '0'])
    s.execute(['EVAL_RO', "return redis.call('get','s3')", '1', 's4'])
    live.store.session().execute(['MSET', 's1', '1', 's2', '1', 's3', '1', 's4', '1'])
    expect(got).toEqual([
      ['invalidate', ['s1']],
      ['invalidate', ['s2']],
      ['invalidate', ['s3']],
    ])
  })

  it('NOLOOP: a script counts as its caller in default mode, as another client under BCAST', async () => {
    live.store = new Store({ scripting: lua() })
    const [d, gotD] = tracker(live.store, 'NOLOOP')
    d.execute(['GET', 's1'])
    d.execute(['EVAL', "return redis.call('set','s1','x')", '0'])
    expect(gotD).toEqual([])
    const [b, gotB] = tracker(live.store, 'BCAST', 'NOLOOP')
    b.execute(['EVAL', "return redis.call('set','s2','x')", '0'])
    b.execute(['SET', 's3', 'x'])
    await tick()
    expect(gotB).toEqual([['invalidate', ['s2']]])
  })

  it('OPTIN tracks after CLIENT CACHING YES only; the flag survives CLIENT commands and MULTI', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store, 'OPTIN')
    s.execute(['GET', 'a'])
    s.execute(['CLIENT', 'CACHING', 'YES'])
    s.execute(['GET', 'b'])
    s.execute(['GET', 'c'])
    s.execute(['CLIENT', 'CACHING', 'YES'])
    s.execute(['CLIENT', 'ID'])
    s.execute(['GET', 'd'])
    s.execute(['CLIENT', 'CACHING', 'YES'])
    s.execute(['MULTI'])
    s.execute(['GET', 'e'])
    s.execute(['GET', 'f'])
    s.execute(['EXEC'])
    s.execute(['GET', 'g'])
    live.store.session().execute(['MSET', 'a', '1', 'b', '1', 'c', '1', 'd', '1', 'e', '1', 'f', '1', 'g', '1'])
    expect(got.map((p) => (p[1] as string[])[0])).toEqual(['b', 'd', 'e', 'f'])
  })

  it('OPTOUT tracks all but the command after CLIENT CACHING NO', () => {
    live.store = new Store()
    const [s, got] = tracker(live.store, 'OPTOUT')
    s.execute(['CLIENT', 'CACHING', 'NO'])
    s.execute(['GET', 'a'])
    s.execute(['GET', 'b'])
    live.store.session().execute(['MSET', 'a', '2', 'b', '2'])
    expect(got).toEqual([['invalidate', ['b']]])
  })

  it('FLUSHDB and FLUSHALL send one null invalidation to every tracking session', async () => {
    live.store = new Store()
    const [s, got] = tracker(live.store)
    const [, gotB] = tracker(live.store, 'BCAST')
    s.execute(['GET', 'a'])
    const w = live.store.session()
    w.execute(['FLUSHALL'])
    expect(got).toEqual([['invalidate', null]])
    expect(gotB).toEqual([['invalidate', null]])
    // Even an empty database; and the table was emptied (no message for 'a' now).
    w.execute(['FLUSHDB'])
    w.execute(['SET', 'a', '1'])
    expect(got).toEqual([
      ['invalidate', null],
      ['invalidate', null],
    ])
    expect(info(s, 'stats').tracking_total_keys).toBe('0')
    // The typed method flushes through the same path.
    await tick()
    live.store.flushall()
    expect(got).toHaveLength(3)
    expect(got[2]).toEqual(['invalidate', null])
  })

  it('tracking-table-max-keys forgets the oldest keys, invalidating them, before a command runs', () => {
    live.store = new Store({ config: { 'tracking-table-max-keys': 2 } })
    const [s, got] = tracker(live.store)
    expect(live.store.call('CONFIG', 'GET', 'tracking-table-max-keys')).toEqual(['tracking-table-max-keys', '2'])
    expect(() => live.store!.call('CONFIG', 'SET', 'tracking-table-max-keys', '-1')).toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'tracking-table-max-keys') - argument must be between 0 and 9223372036854775807 inclusive",
    )
    s.execute(['GET', 'k1'])
    s.execute(['GET', 'k2'])
    s.execute(['GET', 'k3'])
    expect(got).toEqual([])
    s.execute(['PING'])
    expect(got).toEqual([['invalidate', ['k1']]])
    expect(info(s, 'stats').tracking_total_keys).toBe('2')
    live.store.call('CONFIG', 'SET', 'tracking-table-max-keys', '0')
    for (let i = 0; i < 10; i++) s.execute(['GET', `x${i}`])
    expect(info(s, 'stats').tracking_total_keys).toBe('12')
  })
})

describe('RESP2 with REDIRECT', () => {
  it('delivers to a subscribed target as a message on __redis__:invalidate', () => {
    live.store = new Store()
    const target = live.store.session()
    const got = pushesOf(target)
    const s = live.store.session()
    expect(s.execute(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(target.id)])).toEqual(expect.objectContaining({ value: 'OK' }))
    s.execute(['GET', 'a'])
    s.execute(['GET', 'b'])
    const w = live.store.session()
    // Not in Pub/Sub mode yet: the message is lost (and the key forgotten).
    w.execute(['SET', 'a', '1'])
    target.execute(['SUBSCRIBE', '__redis__:invalidate'])
    got.length = 0
    w.execute(['SET', 'b', '1'])
    w.execute(['FLUSHDB'])
    expect(got).toEqual([
      ['message', '__redis__:invalidate', ['b']],
      ['message', '__redis__:invalidate', null],
    ])
  })

  it('any subscription puts the target in Pub/Sub mode; a RESP3 target gets pushes', () => {
    live.store = new Store()
    const t2 = live.store.session()
    const got2 = pushesOf(t2)
    t2.execute(['SUBSCRIBE', 'other'])
    got2.length = 0
    const t3 = live.store.session()
    const got3 = pushesOf(t3)
    t3.execute(['HELLO', '3'])
    const a = live.store.session()
    a.execute(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(t2.id)])
    const b = live.store.session()
    b.execute(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(t3.id)])
    a.execute(['GET', 'k'])
    b.execute(['GET', 'k'])
    live.store.set('k', 'v')
    expect(got2).toEqual([['message', '__redis__:invalidate', ['k']]])
    expect(got3).toEqual([['invalidate', ['k']]])
  })

  it('without REDIRECT a RESP2 session may enable tracking but receives nothing', () => {
    live.store = new Store()
    const s = live.store.session()
    const got = pushesOf(s)
    s.execute(['CLIENT', 'TRACKING', 'ON'])
    s.execute(['GET', 'a'])
    live.store.set('a', '1')
    expect(got).toEqual([])
    expect(info(s, 'stats').tracking_total_keys).toBe('0')
  })

  it('a vanished redirect target earns tracking-redir-broken at each invalidation', () => {
    live.store = new Store()
    const target = live.store.session()
    const [s, got] = tracker(live.store)
    s.execute(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(target.id)])
    s.execute(['MGET', 'a', 'b'])
    target.close()
    expect(got).toEqual([])
    live.store.set('a', '1')
    live.store.set('b', '1')
    expect(got).toEqual([
      ['tracking-redir-broken', target.id],
      ['tracking-redir-broken', target.id],
    ])
    expect(trackingInfo(s)).toEqual({ flags: ['on', 'broken_redirect'], redirect: target.id, prefixes: [] })
    expect((s.execute(['CLIENT', 'INFO']) as Verbatim).value).toContain(' flags=tR ')
    // Enabling again clears the broken state.
    s.execute(['CLIENT', 'TRACKING', 'ON'])
    expect(trackingInfo(s).flags).toEqual(['on'])
  })
})

describe('BCAST', () => {
  it('sends the keys changed under each prefix, sorted, once the running code yields', async () => {
    live.store = new Store()
    const [a, gotA] = tracker(live.store, 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj:', 'NOLOOP')
    const [, gotB] = tracker(live.store, 'BCAST')
    const w = live.store.session()
    w.execute(['SET', 'user:1', 'a'])
    expect(gotA).toEqual([])
    await tick()
    expect(gotA).toEqual([['invalidate', ['user:1']]])
    expect(gotB).toEqual([['invalidate', ['user:1']]])
    gotA.length = gotB.length = 0
    // Its own write is left out for the NOLOOP session.
    a.execute(['SET', 'user:2', 'b'])
    w.execute(['MULTI'])
    w.execute(['SET', 'user:3', 'a'])
    w.execute(['SET', 'obj:1', 'b'])
    w.execute(['SET', 'user:3', 'c'])
    w.execute(['DEL', 'user:1'])
    w.execute(['EXEC'])
    await tick()
    expect(gotA).toEqual([
      ['invalidate', ['obj:1']],
      ['invalidate', ['user:1', 'user:3']],
    ])
    expect(gotB).toEqual([['invalidate', ['obj:1', 'user:1', 'user:2', 'user:3']]])
    // BCAST remembers no reads.
    a.execute(['GET', 'user:9'])
    expect(info(a, 'stats').tracking_total_keys).toBe('0')
  })

  it('matches prefixes by bytes, binary keys included', async () => {
    live.store = new Store()
    const [, got] = tracker(live.store, 'BCAST', 'PREFIX', 'é')
    const w = live.store.session()
    w.execute(['SET', Buffer.from([0xc3, 0xa9, 0xff]), 'x'])
    w.execute(['SET', 'éa', 'x'])
    w.execute(['SET', 'e', 'x'])
    await tick()
    expect(got).toEqual([['invalidate', ['éa', '<c3a9ff>']]])
  })
})

/** A raw socket that collects everything received as text. */
async function rawClient(port: number): Promise<{ send: (...argv: string[]) => void; waitFor: (tail: string) => Promise<string>; socket: Socket }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  let text = ''
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
  const send = (...argv: string[]): void => {
    socket.write(`*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''))
  }
  const waitFor = async (tail: string): Promise<string> => {
    const deadline = Date.now() + 3000
    while (!text.endsWith(tail) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2))
    const out = text
    text = ''
    return out
  }
  return { send, waitFor, socket }
}

describe('through the RESP server', () => {
  it('writes the bytes valkey writes: own invalidation after the reply, RESP2 redirect messages', async () => {
    live.store = new Store()
    live.server = createServer({ store: live.store, port: 0 })
    const { port } = await live.server.listen()
    const sub = await rawClient(port)
    const r2 = await rawClient(port)
    const r3 = await rawClient(port)
    try {
      sub.send('CLIENT', 'ID')
      const id = /^:(\d+)\r\n$/.exec(await sub.waitFor('\r\n'))![1]!
      sub.send('SUBSCRIBE', '__redis__:invalidate')
      await sub.waitFor(':1\r\n')
      r2.send('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id)
      r2.send('GET', 'b')
      expect(await r2.waitFor('$-1\r\n')).toBe('+OK\r\n$-1\r\n')
      r3.send('HELLO', '3')
      await r3.waitFor('*0\r\n')
      r3.send('CLIENT', 'TRACKING', 'ON')
      r3.send('GET', 'a')
      r3.send('SET', 'a', '4')
      expect(await r3.waitFor('a\r\n')).toBe('+OK\r\n_\r\n+OK\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n')
      r3.send('SET', 'b', '1')
      expect(await sub.waitFor('b\r\n')).toBe('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nb\r\n')
      r3.send('FLUSHDB')
      expect(await sub.waitFor('$-1\r\n')).toBe('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n')
      expect(await r3.waitFor('_\r\n')).toBe('+OK\r\n+OK\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n')
    } finally {
      for (const c of [sub, r2, r3]) c.socket.destroy()
    }
  })

  it("node-redis v5's client-side cache is invalidated by other clients' writes", async () => {
    live.store = new Store()
    live.server = createServer({ store: live.store, port: 0 })
    const { port } = await live.server.listen()
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 })
    const invalidated: Array<unknown> = []
    cache.on('invalidate', (k: unknown) => invalidated.push(k))
    const cached = createClient({ socket: { port, host: '127.0.0.1' }, RESP: 3, clientSideCache: cache })
    const writer = createClient({ socket: { port, host: '127.0.0.1' } })
    await cached.connect()
    await writer.connect()
    try {
      await writer.set('k', 'v1')
      expect(await cached.get('k')).toBe('v1')
      expect(await cached.get('k')).toBe('v1')
      expect(cache.stats().hitCount).toBe(1)
      expect(cache.size()).toBe(1)
      await writer.set('k', 'v2')
      const deadline = Date.now() + 3000
      while (invalidated.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      expect(invalidated.map(String)).toEqual(['k'])
      expect(cache.size()).toBe(0)
      expect(await cached.get('k')).toBe('v2')
      // FLUSHALL: a null invalidation clears the whole cache.
      await writer.flushAll()
      const deadline2 = Date.now() + 3000
      while (invalidated.length < 2 && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 5))
      expect(invalidated[1]).toBeNull()
      expect(cache.size()).toBe(0)
      const line = await writer.sendCommand(['CLIENT', 'LIST'])
      expect(String(line)).toMatch(/flags=t .*resp=3/)
    } finally {
      await cached.quit()
      await writer.quit()
    }
  })
})
