import { afterEach, describe, expect, it, vi } from 'vitest'
import { ManualClock } from '../src/index.js'
import { ReplyError } from '../src/core/errors.js'
import { NULL_ARRAY, type Reply } from '../src/core/reply.js'
import { parseTimeout } from '../src/commands/blocking.js'
import { blockingOf, STORE_CLOSED } from '../src/keyspace/blocking.js'
import type { Effect } from '../src/keyspace/keyspace.js'
import { encodeReply } from '../src/protocol/resp.js'
import { useStores } from './helpers/store.js'
import { sleep } from './helpers/wait.js'

const newStore = useStores()
afterEach(() => {
  vi.useRealTimers()
})


/** Whether a promise has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  // Let queued reactions run.
  for (let i = 0; i < 5; i++) await Promise.resolve()
  return done
}

function asPromise(r: Reply | Promise<Reply>): Promise<Reply> {
  expect(r).toBeInstanceOf(Promise)
  return r as Promise<Reply>
}

describe('blocking list pops', () => {
  it('serves waiters first come, first served', async () => {
    const store = newStore()
    const [a, b, c] = [store.session(), store.session(), store.session()]
    const pa = asPromise(a.execute(['BLPOP', 'q', '0']))
    const pb = asPromise(b.execute(['BRPOP', 'q', '0']))
    const pc = asPromise(c.execute(['BLPOP', 'other', 'q', '0']))
    expect(store.blockedClients()).toBe(3)
    expect(store.call('RPUSH', 'q', '1', '2')).toBe(2)
    // Served right after the push: the list is already empty again.
    expect(store.call('EXISTS', 'q')).toBe(0)
    expect(await pa).toEqual(['q', '1'])
    expect(await pb).toEqual(['q', '2'])
    expect(await settled(pc)).toBe(false)
    store.call('LPUSH', 'q', '3')
    expect(await pc).toEqual(['q', '3'])
    expect(store.blockedClients()).toBe(0)
  })

  it('serves a waiter before the next command runs', async () => {
    const store = newStore()
    const w = store.session()
    const p = asPromise(w.execute(['BLPOP', 'q', '0']))
    const s = store.session()
    expect(s.execute(['RPUSH', 'q', 'x'])).toBe(1)
    expect(s.execute(['LPOP', 'q'])).toBeNull()
    expect(await p).toEqual(['q', 'x'])
  })

  it('answers at once when data is there, popping from the first non-empty key', async () => {
    const store = newStore()
    store.rpush('b', 'x', 'y')
    expect(await store.blpop(['a', 'b'], 0)).toEqual(['b', 'x'])
    expect(await store.brpop(['a', 'b'], 0)).toEqual(['b', 'y'])
    expect(store.blockedClients()).toBe(0)
  })

  it('re-runs the whole command when woken, as Redis 7 does', async () => {
    const store = newStore()
    const w = store.session()
    const p = asPromise(w.execute(['BLPOP', 'a', 'b', '0']))
    // Both keys filled in one transaction: b is signalled first, but the command re-run pops from a.
    const s = store.session()
    s.execute(['MULTI'])
    s.execute(['RPUSH', 'b', '1'])
    s.execute(['RPUSH', 'a', '2'])
    expect(s.execute(['EXEC'])).toEqual([1, 1])
    expect(await p).toEqual(['a', '2'])
    expect(store.lrange('b', 0, -1)).toEqual(['1'])
  })

  it('does not wake for a key created with another type, and stays queued', async () => {
    const store = newStore()
    const p = store.blpop('k', 0)
    store.set('k', 'v')
    expect(await settled(p)).toBe(false)
    store.del('k')
    store.rpush('k', 'x')
    expect(await p).toEqual(['k', 'x'])
  })

  it('replies WRONGTYPE when an earlier key became another type', async () => {
    const store = newStore()
    const w = store.session()
    const p = asPromise(w.execute(['BLPOP', 'a', 'b', '0']))
    store.call('SET', 'a', 'v')
    store.call('RPUSH', 'b', '1')
    const r = await p
    expect(r).toBeInstanceOf(ReplyError)
    expect((r as ReplyError).message).toMatch(/^WRONGTYPE/)
    expect(store.lrange('b', 0, -1)).toEqual(['1'])
    // Found at once, the error is thrown right away.
    expect(() => store.call('BLPOP', 'a', 'c', '0')).toThrow(/^WRONGTYPE/)
    await expect(store.blpop(['a', 'c'], 0)).rejects.toThrow(/^WRONGTYPE/)
  })

  it('serves several waiters from one multi-element push, and BZPOPMIN waiters from ZADD', async () => {
    const store = newStore()
    const p1 = store.blpop('q', 0)
    const p2 = store.blpop('q', 0)
    const z = store.bzpopmin(['z1', 'z2'], 0)
    const zm = store.bzmpop('z2', 'MAX', 0, { count: 5 })
    store.rpush('q', 'a', 'b', 'c')
    expect(await p1).toEqual(['q', 'a'])
    expect(await p2).toEqual(['q', 'b'])
    expect(store.lrange('q', 0, -1)).toEqual(['c'])
    store.call('ZADD', 'z2', '1', 'm', '2', 'n', '3', 'o')
    expect(await z).toEqual(['z2', 'm', 1])
    expect(await zm).toEqual(['z2', [{ member: 'o', score: 3 }, { member: 'n', score: 2 }]])
    expect(store.call('EXISTS', 'z2')).toBe(0)
  })

  it('BZPOPMAX replies with a double score', async () => {
    const store = newStore()
    const s = store.session()
    const p = asPromise(s.execute(['BZPOPMAX', 'z', '0']))
    store.call('ZADD', 'z', '1.5', 'a', '2.5', 'b')
    const r = await p
    expect(encodeReply(r, 2).toString()).toBe('*3\r\n$1\r\nz\r\n$1\r\nb\r\n$3\r\n2.5\r\n')
    expect(encodeReply(r, 3).toString()).toBe('*3\r\n$1\r\nz\r\n$1\r\nb\r\n,2.5\r\n')
  })

  it('keeps the database the client blocked in', async () => {
    const store = newStore()
    const w = store.session()
    w.execute(['SELECT', '1'])
    const p = asPromise(w.execute(['BLPOP', 'k', '0']))
    w.execute(['SELECT', '2'])
    store.rpush('k', 'db0')
    expect(await settled(p)).toBe(false)
    const s = store.session()
    s.execute(['SELECT', '1'])
    s.execute(['RPUSH', 'k', 'db1'])
    expect(await p).toEqual(['k', 'db1'])
    expect(store.lrange('k', 0, -1)).toEqual(['db0'])
  })

  it('reports a served pop as LPOP key 1 after the write that woke it', async () => {
    const store = newStore()
    const effects: Array<Array<string | Buffer>> = []
    store.onEffect((e: Effect) => effects.push(e.argv))
    const p = store.blpop('q', 0)
    store.rpush('q', 'a')
    await p
    expect(effects).toEqual([
      ['RPUSH', 'q', 'a'],
      ['LPOP', 'q', '1'],
    ])
  })
})

describe('BLMOVE', () => {
  it('chains: a moved element serves a waiter on the destination in the same round', async () => {
    const store = newStore()
    const [a, b] = [store.session(), store.session()]
    const pm = asPromise(a.execute(['BLMOVE', 'src', 'mid', 'LEFT', 'RIGHT', '0']))
    const pp = asPromise(b.execute(['BLPOP', 'mid', '0']))
    store.call('RPUSH', 'src', 'x')
    // Both served before RPUSH returned.
    expect(store.call('EXISTS', 'src', 'mid')).toBe(0)
    expect(await pm).toBe('x')
    expect(await pp).toEqual(['mid', 'x'])
  })

  it('waits on the source only; a wrong-type destination is an error once data arrives', async () => {
    const store = newStore()
    store.set('dst', 'v')
    const p = store.blmove('src', 'dst', 'LEFT', 'LEFT', 0)
    expect(await settled(p)).toBe(false)
    store.rpush('src', 'x')
    await expect(p).rejects.toThrow(/^WRONGTYPE/)
    expect(store.lrange('src', 0, -1)).toEqual(['x'])
  })

  it('BRPOPLPUSH and BLMPOP block and serve too', async () => {
    const store = newStore()
    const p1 = store.brpoplpush('a', 'b', 0)
    const p2 = store.blmpop(['x', 'y'], 'RIGHT', 0, { count: 2 })
    store.rpush('a', '1', '2')
    expect(await p1).toBe('2')
    expect(store.lrange('b', 0, -1)).toEqual(['2'])
    store.rpush('y', 'p', 'q', 'r')
    expect(await p2).toEqual(['y', ['r', 'q']])
  })

  it('a timed-out BLMOVE replies a nil array, as Redis does', async () => {
    const store = newStore()
    const s = store.session()
    const r = await asPromise(s.execute(['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', '0.01']))
    expect(r).toBe(NULL_ARRAY)
  })
})

describe('timeouts', () => {
  it('time out with fake timers', async () => {
    vi.useFakeTimers()
    const store = newStore()
    const p = store.blpop('q', 1.5)
    vi.advanceTimersByTime(1499)
    expect(await settled(p)).toBe(false)
    vi.advanceTimersByTime(1)
    expect(await p).toBeNull()
    expect(store.blockedClients()).toBe(0)
  })

  it('time out in real time', async () => {
    const store = newStore()
    const t0 = Date.now()
    expect(await store.bzpopmin('z', 0.05)).toBeNull()
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45)
  })

  it('0 waits forever, until another session pushes', async () => {
    const store = newStore()
    const p = store.brpop('q', 0)
    await sleep(30)
    expect(await settled(p)).toBe(false)
    store.session().execute(['LPUSH', 'q', 'late'])
    expect(await p).toEqual(['q', 'late'])
  })

  it('follow a ManualClock', async () => {
    const clock = new ManualClock(1_000_000)
    const store = newStore({ clock })
    const p = store.blpop('q', 2)
    clock.advance(1999)
    expect(await settled(p)).toBe(false)
    clock.advance(1)
    expect(await p).toBeNull()
  })

  it('parse as Redis reads them: ceil to whole ms, -0.x means forever', () => {
    expect(parseTimeout('0.0001', 0)).toBe(1)
    expect(parseTimeout('1.5', 0)).toBe(1500)
    expect(parseTimeout('0.1', 0)).toBe(100)
    expect(parseTimeout('-0.0001', 0)).toBe(0)
    expect(parseTimeout('0x10', 0)).toBe(16000)
    expect(parseTimeout('1e-400', 0)).toBe(1)
    expect(() => parseTimeout('-1', 0)).toThrow('ERR timeout is negative')
    expect(() => parseTimeout('-inf', 0)).toThrow('ERR timeout is negative')
    expect(() => parseTimeout('inf', 0)).toThrow('ERR timeout is out of range')
    expect(() => parseTimeout('9223372036854774', 1_700_000_000_000)).toThrow('ERR timeout is out of range')
    expect(() => parseTimeout('nan', 0)).toThrow('ERR timeout is not a float or out of range')
  })

  it('typed timeouts are checked', async () => {
    const store = newStore()
    await expect(store.blpop('q', -1)).rejects.toThrow('ERR timeout is negative')
    await expect(store.blpop('q', Number.NaN)).rejects.toThrow('ERR timeout is not a float or out of range')
    await expect(store.blpop('q', Infinity)).rejects.toThrow('ERR timeout is out of range')
  })
})

describe('ending a wait early', () => {
  it('AbortSignal rejects the wait and removes the waiter', async () => {
    const store = newStore()
    const ac = new AbortController()
    const p = store.blpop('q', 0, { signal: ac.signal })
    expect(store.blockedClients()).toBe(1)
    ac.abort()
    await expect(p).rejects.toMatchObject({ name: 'AbortError' })
    expect(store.blockedClients()).toBe(0)
    store.rpush('q', 'kept')
    await sleep(0)
    expect(store.lrange('q', 0, -1)).toEqual(['kept'])
  })

  it('AbortSignal with a reason rejects with it; an aborted signal does not pop', async () => {
    const store = newStore()
    const ac = new AbortController()
    const p = store.bzpopmax('z', 0, { signal: ac.signal })
    const reason = new Error('stop')
    ac.abort(reason)
    await expect(p).rejects.toBe(reason)
    store.rpush('q', 'x')
    await expect(store.blpop('q', 0, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' })
    expect(store.llen('q')).toBe(1)
  })

  it('close() rejects pending waits', async () => {
    const store = newStore()
    const p = store.blmove('a', 'b', 'LEFT', 'RIGHT', 0)
    const s = store.session()
    const q = asPromise(s.execute(['BLPOP', 'c', '0']))
    store.close()
    await expect(p).rejects.toThrow(STORE_CLOSED)
    await expect(q).rejects.toThrow(STORE_CLOSED)
  })

  it('CLIENT UNBLOCK-style unblocking replies the timeout reply or an error', async () => {
    const store = newStore()
    const [a, b] = [store.session(), store.session()]
    const pa = asPromise(a.execute(['BLPOP', 'q', '0']))
    const pb = asPromise(b.execute(['BLPOP', 'q', '0']))
    const bl = blockingOf(store)!
    expect(bl.unblockSession(a, 'timeout')).toBe(true)
    expect(bl.unblockSession(b, 'error')).toBe(true)
    expect(bl.unblockSession(b, 'error')).toBe(false)
    expect(await pa).toBe(NULL_ARRAY)
    expect(((await pb) as ReplyError).message).toBe('UNBLOCKED client unblocked via CLIENT UNBLOCK')
  })
})

describe('no blocking inside MULTI and scripts', () => {
  it('a session with noBlock answers nil at once', () => {
    const store = newStore()
    const s = store.session()
    s.noBlock = true
    expect(s.execute(['BLPOP', 'q', '0'])).toBe(NULL_ARRAY)
    expect(s.execute(['BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0'])).toBeNull()
    expect(s.execute(['BRPOPLPUSH', 'q', 'd', '0'])).toBeNull()
    expect(s.execute(['BLMPOP', '0', '1', 'q', 'LEFT'])).toBe(NULL_ARRAY)
    expect(s.execute(['BZPOPMIN', 'z', '0'])).toBe(NULL_ARRAY)
    expect(s.execute(['BZMPOP', '0', '1', 'z', 'MIN'])).toBe(NULL_ARRAY)
    expect(store.blockedClients()).toBe(0)
  })

  it('writes inside MULTI serve waiters only after EXEC', async () => {
    const store = newStore()
    const p = store.blpop('q', 0)
    const s = store.session()
    s.execute(['MULTI'])
    s.execute(['RPUSH', 'q', 'a'])
    s.execute(['LPOP', 'q'])
    s.execute(['RPUSH', 'q', 'b'])
    expect(s.execute(['EXEC'])).toEqual([1, 'a', 1])
    expect(await p).toEqual(['q', 'b'])
  })
})

describe('SWAPDB and INFO', () => {
  it('SWAPDB wakes clients whose key now has data', async () => {
    const store = newStore()
    const p = store.blpop('k', 0)
    const s = store.session()
    s.execute(['SELECT', '1'])
    s.execute(['RPUSH', 'k', 'from1'])
    expect(await settled(p)).toBe(false)
    expect(store.call('SWAPDB', '0', '1')).toBe('OK')
    expect(await p).toEqual(['k', 'from1'])
  })

  it('INFO counts blocked clients', async () => {
    const store = newStore()
    const p = store.blpop('q', 0)
    expect(String(store.call('INFO', 'clients'))).toContain('blocked_clients:1')
    store.rpush('q', 'x')
    await p
    expect(String(store.call('INFO', 'clients'))).toContain('blocked_clients:0')
  })
})

describe('typed writes serve blocked clients before returning', () => {
  it('zadd hands the member to a BZPOPMIN waiter at once', async () => {
    const store = newStore()
    const waiting = store.bzpopmin(['z'], 0)
    store.zadd('z', [[1, 'a']])
    expect(store.zcard('z')).toBe(0)
    expect(await waiting).toEqual(['z', 'a', 1])
  })

  it('rename of a list onto a waited key serves the waiter', async () => {
    const store = newStore()
    store.rpush('src', 'x')
    const waiting = store.blpop(['dst'], 0)
    store.rename('src', 'dst')
    expect(store.exists('dst')).toBe(0)
    expect(await waiting).toEqual(['dst', 'x'])
  })

  it('sortStore without options stores the sorted list', async () => {
    const store = newStore()
    store.rpush('l', '3', '1', '2')
    expect(store.sortStore('l', 'out')).toBe(3)
    expect(store.lrange('out', 0, -1)).toEqual(['1', '2', '3'])
  })
})
