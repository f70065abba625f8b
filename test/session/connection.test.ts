import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock, ReplyError, Store } from '../../src/index.js'
import { MapReply, NULL_ARRAY, Status, Verbatim } from '../../src/core/reply.js'
import { REPLY_ON } from '../../src/session.js'
import { lua } from '../../src/scripting/index.js'

let store: Store
afterEach(() => store?.close())

const err = (r: unknown): string => (r as ReplyError).message

describe('CLIENT', () => {
  it('LIST and INFO show Redis 7.2 fields for each session', () => {
    store = new Store()
    const a = store.connect()
    a.addr = '10.0.0.1:5000'
    a.execute(['CLIENT', 'SETNAME', 'alpha'])
    a.execute(['CLIENT', 'SETINFO', 'LIB-NAME', 'mylib'])
    a.execute(['SELECT', '2'])
    const b = store.session()
    b.execute(['SUBSCRIBE', 'x'])
    const info = (a.execute(['CLIENT', 'INFO']) as Verbatim).value
    expect(info).toMatch(
      new RegExp(
        `^id=${a.id} addr=10\\.0\\.0\\.1:5000 laddr= fd=-1 name=alpha age=\\d+ idle=\\d+ flags=N db=2 sub=0 psub=0 ssub=0 multi=-1 ` +
          'qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client\\|info ' +
          'user=default redir=-1 resp=2 lib-name=mylib lib-ver=\\n$',
      ),
    )
    const list = (a.execute(['CLIENT', 'LIST']) as Verbatim).value.trim().split('\n')
    expect(list).toHaveLength(2)
    expect(list[1]).toContain('flags=P')
    expect(list[1]).toContain('sub=1')
    const pubsubOnly = (a.execute(['CLIENT', 'LIST', 'TYPE', 'pubsub']) as Verbatim).value
    expect(pubsubOnly).toContain(`id=${b.id} `)
    expect(pubsubOnly).not.toContain(`id=${a.id} `)
    const byId = (a.execute(['CLIENT', 'LIST', 'ID', String(b.id), '999999']) as Verbatim).value
    expect(byId.trim().split('\n')).toHaveLength(1)
    a.execute(['MULTI'])
    a.execute(['PING'])
    expect((a.execute(['CLIENT', 'INFO']) as Status).value).toBe('QUEUED')
    // Inside EXEC, the session is still in its transaction.
    const inMulti = (a.execute(['EXEC']) as Verbatim[])[1]!.value
    expect(inMulti).toContain('flags=x')
    expect(inMulti).toContain('multi=2')
  })

  it('KILL closes other sessions through their door, itself after the reply', () => {
    store = new Store()
    const a = store.connect()
    const b = store.connect()
    let killed = 0
    b.kill = () => {
      killed++
      b.close()
    }
    expect(a.execute(['CLIENT', 'KILL', 'ID', String(b.id)])).toBe(1)
    expect(killed).toBe(1)
    expect(b.closed).toBe(true)
    expect(store.sessions.has(b)).toBe(false)
    expect(a.execute(['CLIENT', 'KILL', 'ID', String(a.id)])).toBe(0) // SKIPME yes by default
    expect(a.execute(['CLIENT', 'KILL', 'ID', String(a.id), 'SKIPME', 'no'])).toBe(1)
    expect(a.closeAfterReply).toBe(true)
    const c = store.connect()
    c.addr = '1.2.3.4:5'
    expect(store.session().execute(['CLIENT', 'KILL', '1.2.3.4:5'])).toEqual(new Status('OK'))
    expect(c.closed).toBe(true)
  })

  it('REPLY OFF/SKIP/ON drive what a door sends', () => {
    store = new Store()
    const s = store.connect()
    const sent = (argv: string[]): boolean => {
      s.execute(argv)
      return s.takeReply()
    }
    expect(sent(['CLIENT', 'REPLY', 'OFF'])).toBe(false)
    expect(sent(['PING'])).toBe(false)
    expect(sent(['CLIENT', 'REPLY', 'ON'])).toBe(true)
    expect(sent(['CLIENT', 'REPLY', 'SKIP'])).toBe(false)
    expect(sent(['PING'])).toBe(false)
    expect(sent(['PING'])).toBe(true)
    expect(s.replyMode).toBe(REPLY_ON)
  })

  it('PAUSE holds connected sessions (writes only in WRITE mode) until UNPAUSE', async () => {
    store = new Store()
    const admin = store.session()
    const c = store.connect()
    admin.execute(['CLIENT', 'PAUSE', '10000', 'WRITE'])
    expect(c.execute(['GET', 'k'])).toBeNull()
    const pending = c.execute(['SET', 'k', 'v'])
    expect(pending).toBeInstanceOf(Promise)
    expect(store.get('k')).toBeNull()
    // Commands Redis flags may-replicate are held too (PFCOUNT may rewrite its cache, PUBLISH propagates).
    const c2 = store.connect()
    const count = c2.execute(['PFCOUNT', 'h'])
    expect(count).toBeInstanceOf(Promise)
    const c3 = store.connect()
    expect(c3.execute(['PUBLISH', 'ch', 'm'])).toBeInstanceOf(Promise)
    // The typed API (the store's own session) is never paused.
    store.set('other', '1')
    admin.execute(['CLIENT', 'UNPAUSE'])
    expect(await pending).toEqual(new Status('OK'))
    expect(await count).toBe(0)
    expect(store.get('k')).toBe('v')
    admin.execute(['CLIENT', 'PAUSE', '10000'])
    const read = c.execute(['GET', 'k'])
    expect(read).toBeInstanceOf(Promise)
    admin.execute(['CLIENT', 'UNPAUSE'])
    expect(await read).toBe('v')
  })

  it('PAUSE WRITE holds EVAL, EVALSHA and FCALL unless the script or function declares no-writes', async () => {
    store = new Store({ scripting: lua() })
    const admin = store.session()
    const ro = store.call('SCRIPT', 'LOAD', '#!lua flags=no-writes\nreturn 5') as string
    const rw = store.call('SCRIPT', 'LOAD', 'return 6') as string
    store.call(
      'FUNCTION',
      'LOAD',
      "#!lua name=lib\nredis.register_function{function_name='ro', callback=function() return 7 end, flags={'no-writes'}}\n" +
        "redis.register_function('rw', function() return 8 end)",
    )
    admin.execute(['CLIENT', 'PAUSE', '10000', 'WRITE'])
    const c = store.connect()
    expect(c.execute(['EVAL', '#!lua flags=no-writes\nreturn 1', '0'])).toBe(1)
    expect(c.execute(['EVAL_RO', 'return 2', '0'])).toBe(2)
    expect(c.execute(['EVALSHA', ro, '0'])).toBe(5)
    expect(c.execute(['FCALL', 'ro', '0'])).toBe(7)
    const held = [
      store.connect().execute(['EVAL', '#!lua\nreturn 3', '0']),
      store.connect().execute(['EVAL', 'return 4', '0']),
      store.connect().execute(['EVALSHA', rw, '0']),
      store.connect().execute(['FCALL', 'rw', '0']),
    ]
    for (const h of held) expect(h).toBeInstanceOf(Promise)
    admin.execute(['CLIENT', 'UNPAUSE'])
    expect(await Promise.all(held)).toEqual([3, 4, 6, 8])
  })

  it('PAUSE ends by itself after its timeout', async () => {
    store = new Store()
    const c = store.connect()
    store.session().execute(['CLIENT', 'PAUSE', '30'])
    const t0 = Date.now()
    expect(await c.execute(['PING'])).toEqual(new Status('PONG'))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20)
  })

  it('UNBLOCK ends a blocked command with a timeout reply or an error', async () => {
    store = new Store()
    const a = store.connect()
    const b = store.session()
    const p1 = a.execute(['BLPOP', 'q', '0'])
    expect(b.execute(['CLIENT', 'UNBLOCK', String(a.id)])).toBe(1)
    expect(await p1).toBe(NULL_ARRAY)
    const p2 = a.execute(['BLPOP', 'q', '0'])
    expect(b.execute(['CLIENT', 'UNBLOCK', String(a.id), 'ERROR'])).toBe(1)
    expect(err(await p2)).toBe('UNBLOCKED client unblocked via CLIENT UNBLOCK')
    expect(b.execute(['CLIENT', 'UNBLOCK', String(a.id)])).toBe(0)
  })

  it('closing a session gives up its blocked command', async () => {
    store = new Store()
    const a = store.connect()
    const p = a.execute(['BLPOP', 'q', '0']) as Promise<unknown>
    a.close()
    await expect(p).rejects.toThrow(/closed/)
    expect(store.call('INFO', 'clients')).toContain('blocked_clients:0')
  })
})

describe('CLIENT NO-TOUCH', () => {
  it('reads leave idle time alone (in MULTI and for other sessions too); TOUCH still touches', () => {
    const clock = new ManualClock(1_700_000_000_000)
    store = new Store({ clock, activeExpiry: false })
    store.set('foo', 'bar')
    store.set('k2', 'v')
    clock.advance(5000)
    const c = store.session()
    expect(c.execute(['CLIENT', 'NO-TOUCH', 'ON'])).toEqual(new Status('OK'))
    expect(c.execute(['GET', 'foo'])).toBe('bar')
    expect(c.execute(['OBJECT', 'IDLETIME', 'foo'])).toBe(5)
    c.execute(['MULTI'])
    c.execute(['GET', 'foo'])
    c.execute(['TOUCH', 'k2'])
    c.execute(['EXEC'])
    expect(c.execute(['OBJECT', 'IDLETIME', 'foo'])).toBe(5)
    expect(c.execute(['OBJECT', 'IDLETIME', 'k2'])).toBe(0)
    // Another session still touches, and a new key starts fresh.
    store.get('foo')
    expect(c.execute(['OBJECT', 'IDLETIME', 'foo'])).toBe(0)
    c.execute(['SET', 'new', 'v'])
    expect(store.call('OBJECT', 'IDLETIME', 'new')).toBe(0)
    clock.advance(3000)
    c.execute(['CLIENT', 'NO-TOUCH', 'OFF'])
    c.execute(['GET', 'new'])
    expect(store.call('OBJECT', 'IDLETIME', 'new')).toBe(0)
  })

  it('keeps LFU counters and LRU order under eviction', () => {
    const clock = new ManualClock(1_700_000_000_000)
    store = new Store({ clock, activeExpiry: false, maxmemoryPolicy: 'allkeys-lfu' })
    store.set('k', 'v')
    const c = store.session()
    c.execute(['CLIENT', 'NO-TOUCH', 'ON'])
    const before = store.call('OBJECT', 'FREQ', 'k')
    for (let i = 0; i < 50; i++) c.execute(['GET', 'k'])
    expect(store.call('OBJECT', 'FREQ', 'k')).toBe(before)
    for (let i = 0; i < 50; i++) c.execute(['TOUCH', 'k'])
    expect(store.call('OBJECT', 'FREQ', 'k')).toBeGreaterThan(before as number)
    // Switching the policy inside a NO-TOUCH command installs the new access hook for good.
    c.execute(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'])
    clock.advance(4000)
    store.get('k')
    expect(store.call('OBJECT', 'IDLETIME', 'k')).toBe(0)

    const lru = new Store({ clock, activeExpiry: false, maxkeys: 3, maxmemoryPolicy: 'allkeys-lru', config: { 'maxmemory-samples': 64 } })
    lru.set('a', '1')
    lru.set('b', '1')
    lru.set('c', '1')
    const n = lru.session()
    n.execute(['CLIENT', 'NO-TOUCH', 'ON'])
    n.execute(['GET', 'a'])
    lru.set('d', '1')
    expect(lru.exists('a')).toBe(0)
    lru.close()
  })
})

describe('HELLO, AUTH, RESET', () => {
  it('HELLO switches the protocol and answers a map', () => {
    store = new Store()
    const s = store.session()
    const r = s.execute(['HELLO', '3', 'SETNAME', 'me']) as MapReply
    expect(r).toBeInstanceOf(MapReply)
    expect(r.entries).toEqual(['server', 'redis', 'version', '7.2.4', 'proto', 3, 'id', s.id, 'mode', 'standalone', 'role', 'master', 'modules', []])
    expect(s.resp).toBe(3)
    expect(s.name).toBe('me')
    store.redisVersion = '6.2.14'
    expect((s.execute(['HELLO']) as MapReply).entries[3]).toBe('6.2.14')
  })

  it('requirepass gates connected sessions until AUTH', () => {
    store = new Store({ config: { requirepass: 'pw' } })
    const c = store.connect()
    expect(err(c.execute(['GET', 'k']))).toBe('NOAUTH Authentication required.')
    expect(err(c.execute(['NOSUCH']))).toMatch(/^ERR unknown command/)
    expect(err(c.execute(['AUTH', 'nope']))).toBe('WRONGPASS invalid username-password pair or user is disabled.')
    expect(c.execute(['AUTH', 'pw'])).toEqual(new Status('OK'))
    expect(c.execute(['GET', 'k'])).toBeNull()
    // RESET logs the connection out again.
    expect(c.execute(['RESET'])).toEqual(new Status('RESET'))
    expect(err(c.execute(['GET', 'k']))).toBe('NOAUTH Authentication required.')
    expect((c.execute(['HELLO', '2', 'AUTH', 'default', 'pw']) as MapReply).entries[5]).toBe(2)
    expect(c.execute(['GET', 'k'])).toBeNull()
    // The typed API is never gated.
    expect(store.get('k')).toBeNull()
    // Removing the password lets everyone in.
    store.call('CONFIG', 'SET', 'requirepass', '')
    const d = store.connect()
    expect(d.execute(['GET', 'k'])).toBeNull()
  })

  it('RESET clears db, name, protocol, transaction, watches and subscriptions', () => {
    store = new Store()
    const s = store.session()
    s.execute(['SELECT', '4'])
    s.execute(['HELLO', '3', 'SETNAME', 'n'])
    s.execute(['WATCH', 'k'])
    s.execute(['SUBSCRIBE', 'ch'])
    s.execute(['MULTI'])
    expect(s.execute(['RESET'])).toEqual(new Status('RESET'))
    expect(s.db.id).toBe(0)
    expect(s.resp).toBe(2)
    expect(s.name).toBeNull()
    expect(s.multi).toBeNull()
    expect(s.watching).toBeNull()
    expect(s.subscriptionCount).toBe(0)
    expect(store.ks.dbs[4]!.watched).toBeUndefined()
  })

  it('QUIT asks the door to close after the reply', () => {
    store = new Store()
    const s = store.connect()
    expect(s.execute(['QUIT'])).toEqual(new Status('OK'))
    expect(s.closeAfterReply).toBe(true)
  })

  it('connected_clients counts every session but the store’s own', () => {
    store = new Store()
    const a = store.connect()
    store.session()
    expect(store.call('INFO', 'clients')).toContain('connected_clients:2')
    a.close()
    expect(store.call('INFO', 'clients')).toContain('connected_clients:1')
  })
})
