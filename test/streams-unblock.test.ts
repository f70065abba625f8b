/**
 * Blocked stream readers when their stream goes away, changes type or loses
 * its consumer group. Expected replies are what valkey-server 8.0 (Redis 7.2)
 * sends the blocked client: XREADGROUP is re-run and answers NOGROUP or
 * WRONGTYPE (or is served by a stream that took the old one's place); XREAD
 * and the list/sorted-set commands keep waiting for data.
 */
import { describe, expect, it } from 'vitest'
import { ManualClock, ReplyError, type Store } from '../src/index.js'
import { NULL_ARRAY, type Reply } from '../src/core/reply.js'
import type { Session } from '../src/session.js'
import { useStores } from './helpers/store.js'

const newStore = useStores()

const NOGROUP = (k: string): string => `NOGROUP No such key '${k}' or consumer group 'g' in XREADGROUP with GROUP option`
const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
const BLOCKED = 'blocked'

/** The settled outcome of a blocked command: its reply, the error text, or BLOCKED while it still waits. */
async function outcome(p: Promise<Reply>): Promise<unknown> {
  let out: unknown = BLOCKED
  p.then(
    (r) => (out = r instanceof ReplyError ? r.message : r),
    (e: unknown) => (out = `rejected: ${String(e)}`),
  )
  for (let i = 0; i < 10; i++) await Promise.resolve()
  return out
}

function blocked(s: Session, ...argv: string[]): Promise<Reply> {
  const r = s.execute(argv)
  expect(r).toBeInstanceOf(Promise)
  return r as Promise<Reply>
}

/** A stream `s` with entry 1-1 and group `g` at its end, and an XREADGROUP waiting on it. */
function groupReader(store: Store, block = '0'): Promise<Reply> {
  store.call('XADD', 's', '1-1', 'a', '1')
  store.call('XGROUP', 'CREATE', 's', 'g', '$')
  return blocked(store.session(), 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', block, 'STREAMS', 's', '>')
}

/** Runs commands in one MULTI/EXEC, so the waiter is served only after all of them. */
function inMulti(store: Store, ...cmds: string[][]): void {
  const t = store.session()
  t.execute(['MULTI'])
  for (const c of cmds) t.execute(c)
  expect(t.execute(['EXEC'])).toHaveLength(cmds.length)
}

const served = (...entries: Array<[string, string[]]>): unknown => [['s', entries]]

describe('XREADGROUP BLOCK when its stream changes', () => {
  // [name, commands run by another client, what the blocked client gets]
  const cases: Array<[string, (st: Store) => void, unknown]> = [
    ['DEL', (st) => st.call('DEL', 's'), NOGROUP('s')],
    ['UNLINK', (st) => st.call('UNLINK', 's'), NOGROUP('s')],
    ['RENAME away', (st) => st.call('RENAME', 's', 's2'), NOGROUP('s')],
    ['MOVE to another db', (st) => st.call('MOVE', 's', 1), NOGROUP('s')],
    ['FLUSHDB', (st) => st.call('FLUSHDB'), NOGROUP('s')],
    ['FLUSHDB ASYNC', (st) => st.call('FLUSHDB', 'ASYNC'), NOGROUP('s')],
    ['FLUSHALL', (st) => st.call('FLUSHALL'), NOGROUP('s')],
    ['SWAPDB with an empty db', (st) => st.call('SWAPDB', 0, 1), NOGROUP('s')],
    ['XGROUP DESTROY', (st) => st.call('XGROUP', 'DESTROY', 's', 'g'), NOGROUP('s')],
    ['SET', (st) => st.call('SET', 's', 'x'), WRONGTYPE],
    [
      'RENAME of a string onto it',
      (st) => {
        st.call('SET', 't', 'x')
        st.call('RENAME', 't', 's')
      },
      WRONGTYPE,
    ],
    [
      'COPY REPLACE of a string onto it',
      (st) => {
        st.call('SET', 't', 'x')
        st.call('COPY', 't', 's', 'REPLACE')
      },
      WRONGTYPE,
    ],
    [
      'RESTORE REPLACE of a string',
      (st) => {
        st.call('SET', 't', 'x')
        st.call('RESTORE', 's', 0, st.callBuffer('DUMP', 't') as Buffer, 'REPLACE')
      },
      WRONGTYPE,
    ],
    [
      'RESTORE REPLACE of a stream without the group',
      (st) => {
        st.call('XADD', 't', '1-1', 'a', '1')
        st.call('RESTORE', 's', 0, st.callBuffer('DUMP', 't') as Buffer, 'REPLACE')
      },
      NOGROUP('s'),
    ],
    [
      'SWAPDB with a string there',
      (st) => {
        st.call('SELECT', 1)
        st.call('SET', 's', 'x')
        st.call('SELECT', 0)
        st.call('SWAPDB', 0, 1)
      },
      WRONGTYPE,
    ],
    [
      'SWAPDB with a stream without the group',
      (st) => {
        st.call('SELECT', 1)
        st.call('XADD', 's', '1-1', 'a', '1')
        st.call('SELECT', 0)
        st.call('SWAPDB', 0, 1)
      },
      NOGROUP('s'),
    ],
    [
      'SWAPDB with a stream whose group has unread entries',
      (st) => {
        st.call('SELECT', 1)
        st.call('XADD', 's', '1-1', 'a', '1')
        st.call('XGROUP', 'CREATE', 's', 'g', '0')
        st.call('SELECT', 0)
        st.call('SWAPDB', 0, 1)
      },
      served(['1-1', ['a', '1']]),
    ],
    [
      'RENAME of a stream whose group has unread entries',
      (st) => {
        st.call('XADD', 's2', '1-1', 'a', '1')
        st.call('XADD', 's2', '2-1', 'b', '2')
        st.call('XGROUP', 'CREATE', 's2', 'g', '0')
        st.call('RENAME', 's2', 's')
      },
      served(['1-1', ['a', '1']], ['2-1', ['b', '2']]),
    ],
    [
      'COPY REPLACE of a stream whose group has unread entries',
      (st) => {
        st.call('XADD', 's2', '7-1', 'b', '2')
        st.call('XGROUP', 'CREATE', 's2', 'g', '0')
        st.call('COPY', 's2', 's', 'REPLACE')
      },
      served(['7-1', ['b', '2']]),
    ],
    // Deleted and re-created before the client is served: the re-run sees the new stream.
    ['MULTI: DEL, XADD, XGROUP CREATE at 0', (st) => inMulti(st, ['DEL', 's'], ['XADD', 's', '5-1', 'x', 'y'], ['XGROUP', 'CREATE', 's', 'g', '0']), served(['5-1', ['x', 'y']])],
    ['MULTI: DEL, XADD (no group)', (st) => inMulti(st, ['DEL', 's'], ['XADD', 's', '5-1', 'x', 'y']), NOGROUP('s')],
    ['MULTI: SET, DEL', (st) => inMulti(st, ['SET', 's', 'x'], ['DEL', 's']), NOGROUP('s')],
    ['MULTI: DEL, RPUSH', (st) => inMulti(st, ['DEL', 's'], ['RPUSH', 's', 'x']), WRONGTYPE],
    // Still waiting: the stream and its group are there, with nothing new for the group.
    ['MULTI: DEL, XGROUP CREATE $ MKSTREAM', (st) => inMulti(st, ['DEL', 's'], ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']), BLOCKED],
    [
      'RENAME of a stream whose group is at its end',
      (st) => {
        st.call('XADD', 's2', '1-1', 'a', '1')
        st.call('XGROUP', 'CREATE', 's2', 'g', '$')
        st.call('RENAME', 's2', 's')
      },
      BLOCKED,
    ],
    [
      'XGROUP DESTROY of another group',
      (st) => {
        st.call('XGROUP', 'CREATE', 's', 'g2', '0')
        st.call('XGROUP', 'DESTROY', 's', 'g2')
      },
      BLOCKED,
    ],
    ['XTRIM MAXLEN 0', (st) => st.call('XTRIM', 's', 'MAXLEN', 0), BLOCKED],
    ['XDEL of every entry', (st) => st.call('XDEL', 's', '1-1'), BLOCKED],
    ['XGROUP SETID back to 0 (no new entry)', (st) => st.call('XGROUP', 'SETID', 's', 'g', '0'), BLOCKED],
    ['COPY of it elsewhere', (st) => st.call('COPY', 's', 's3'), BLOCKED],
    ['DEL of another key', (st) => st.call('DEL', 'other'), BLOCKED],
  ]

  for (const [name, change, expected] of cases) {
    it(`${name} → ${typeof expected === 'string' ? expected.split(' ')[0] : 'served'}`, async () => {
      const store = newStore()
      const p = groupReader(store)
      change(store)
      expect(await outcome(p)).toEqual(expected)
      expect(store.blockedClients()).toBe(expected === BLOCKED ? 1 : 0)
    })
  }

  it('a reader with a timeout is released the same way, and the typed API rejects with the error', async () => {
    const store = newStore()
    const p = groupReader(store, '5000')
    store.del('s')
    expect(await outcome(p)).toBe(NOGROUP('s'))

    store.xadd('s', '1-1', { a: 1 })
    store.xgroupCreate('s', 'g', '$')
    const typed = store.xreadgroup('g', 'c', { s: '>' }, { block: 0 })
    store.set('s', 'x')
    await expect(typed).rejects.toThrow(ReplyError)
    await expect(typed).rejects.toThrow(WRONGTYPE)
  })

  it('names the first key whose group is gone, in key order', async () => {
    const store = newStore()
    for (const k of ['s0', 's']) {
      store.call('XADD', k, '1-1', 'a', '1')
      store.call('XGROUP', 'CREATE', k, 'g', '$')
    }
    const args = ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's0', 's', '>', '>']
    const p1 = blocked(store.session(), ...args)
    store.call('DEL', 's')
    expect(await outcome(p1)).toBe(NOGROUP('s'))
    store.call('XADD', 's', '1-1', 'a', '1')
    store.call('XGROUP', 'CREATE', 's', 'g', '$')
    const p2 = blocked(store.session(), ...args)
    store.call('DEL', 's0')
    expect(await outcome(p2)).toBe(NOGROUP('s0'))
  })

  it('releases every reader of the key in order, whatever their group', async () => {
    const store = newStore()
    const p1 = groupReader(store)
    store.call('XGROUP', 'CREATE', 's', 'g2', '$')
    const p2 = blocked(store.session(), 'XREADGROUP', 'GROUP', 'g2', 'c', 'BLOCK', '0', 'STREAMS', 's', '>')
    const px = blocked(store.session(), 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')
    store.call('DEL', 's')
    expect(await outcome(p1)).toBe(NOGROUP('s'))
    expect(await outcome(p2)).toBe("NOGROUP No such key 's' or consumer group 'g2' in XREADGROUP with GROUP option")
    expect(await outcome(px)).toBe(BLOCKED)
    expect(store.blockedClients()).toBe(1)
  })

  it('a reader still waiting after a harmless change is released by a later deletion and still times out', async () => {
    const clock = new ManualClock(1_000)
    const store = newStore({ clock })
    const p = groupReader(store, '100')
    store.call('XGROUP', 'SETID', 's', 'g', '0')
    store.call('XDEL', 's', '1-1')
    expect(await outcome(p)).toBe(BLOCKED)
    clock.advance(100)
    expect(await outcome(p)).toBe(NULL_ARRAY)

    const q = blocked(store.session(), 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>')
    store.call('XTRIM', 's', 'MAXLEN', 0)
    expect(await outcome(q)).toBe(BLOCKED)
    store.call('UNLINK', 's')
    expect(await outcome(q)).toBe(NOGROUP('s'))
  })

  it('is released when the key expires: lazily on access, or by the active expiry cycle', async () => {
    const clock = new ManualClock(1_000)
    const store = newStore({ clock })
    const p = groupReader(store)
    store.call('PEXPIRE', 's', 100)
    clock.advance(200)
    // Nothing has touched the expired key yet (no active expiry here).
    expect(await outcome(p)).toBe(BLOCKED)
    expect(store.call('EXISTS', 's')).toBe(0)
    expect(await outcome(p)).toBe(NOGROUP('s'))

    const live = newStore({ activeExpiry: true })
    const q = groupReader(live)
    live.call('PEXPIRE', 's', 1)
    for (let i = 0; i < 100 && (await outcome(q)) === BLOCKED; i++) await new Promise((r) => setTimeout(r, 20))
    expect(await outcome(q)).toBe(NOGROUP('s'))
  })

  it('is released when the key is evicted', async () => {
    const store = newStore({ maxkeys: 2, maxmemoryPolicy: 'volatile-random' })
    const p = groupReader(store)
    // The stream is the only key with a TTL, so the only one volatile-random may evict.
    store.call('EXPIRE', 's', 1000)
    store.call('SET', 'a', '1')
    expect(await outcome(p)).toBe(BLOCKED)
    store.call('SET', 'b', '2')
    expect(store.call('EXISTS', 's')).toBe(0)
    expect(await outcome(p)).toBe(NOGROUP('s'))
  })

  it('leaves WATCH on the same key working before and after', async () => {
    const store = newStore()
    store.xadd('s', '1-1', { a: 1 })
    store.xgroupCreate('s', 'g', '$')
    const w = store.session()
    w.execute(['WATCH', 's'])
    // A reader that goes away without any write: the session's WATCH must stay in place.
    const ac = new AbortController()
    const q = store.xreadgroup('g', 'c', { s: '>' }, { block: 0, signal: ac.signal })
    ac.abort(new Error('stop'))
    await expect(q).rejects.toThrow('stop')
    store.call('XGROUP', 'SETID', 's', 'g', '0')
    store.call('XTRIM', 's', 'MAXLEN', 0)
    w.execute(['MULTI'])
    w.execute(['SET', 'k', 'v1'])
    expect(w.execute(['EXEC'])).toBe(NULL_ARRAY)
    expect(store.call('GET', 'k')).toBeNull()
    // Watched while a reader waits: the deletion that releases the reader also fails EXEC; a
    // WATCH after the release, with no write since, lets EXEC run.
    w.execute(['WATCH', 's'])
    const p = blocked(store.session(), 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>')
    store.call('DEL', 's')
    expect(await outcome(p)).toBe(NOGROUP('s'))
    w.execute(['MULTI'])
    w.execute(['SET', 'k', 'v2'])
    expect(w.execute(['EXEC'])).toBe(NULL_ARRAY)
    w.execute(['WATCH', 's'])
    w.execute(['MULTI'])
    w.execute(['SET', 'k', 'v3'])
    expect(w.execute(['EXEC'])).toHaveLength(1)
    expect(store.call('GET', 'k')).toBe('v3')
  })
})

describe('XREAD BLOCK when its stream changes', () => {
  it('keeps waiting through DEL, SET, FLUSHDB and RENAME, and is served by new entries after its ID', async () => {
    const store = newStore()
    store.call('XADD', 's', '5-1', 'a', '1')
    const p = blocked(store.session(), 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')
    store.call('DEL', 's')
    expect(await outcome(p)).toBe(BLOCKED)
    store.call('SET', 's', 'x')
    store.call('FLUSHDB')
    store.call('XADD', 's2', '3-1', 'c', '3')
    store.call('RENAME', 's2', 's')
    // `$` was 5-1 when it blocked: an older entry does not serve it.
    expect(await outcome(p)).toBe(BLOCKED)
    store.call('DEL', 's')
    store.call('XADD', 's', '9-1', 'b', '2')
    expect(await outcome(p)).toEqual([['s', [['9-1', ['b', '2']]]]])
  })

  it('a timeout reader stays blocked after DEL and times out with null', async () => {
    const clock = new ManualClock(1_000)
    const store = newStore({ clock })
    store.call('XADD', 's', '5-1', 'a', '1')
    const p = blocked(store.session(), 'XREAD', 'BLOCK', '5000', 'STREAMS', 's', '$')
    store.call('DEL', 's')
    expect(await outcome(p)).toBe(BLOCKED)
    clock.advance(5000)
    expect(await outcome(p)).toBe(NULL_ARRAY)
  })

  it('answers WRONGTYPE when re-run after one of its keys became another type', async () => {
    for (const retyped of ['s', 's0']) {
      const store = newStore()
      store.call('XADD', 's0', '1-1', 'a', '1')
      store.call('XADD', 's', '1-1', 'a', '1')
      const p = blocked(store.session(), 'XREAD', 'BLOCK', '0', 'STREAMS', 's0', 's', '$', '$')
      store.call('SET', retyped, 'x')
      expect(await outcome(p)).toBe(BLOCKED)
      store.call('XADD', retyped === 's' ? 's0' : 's', '2-1', 'b', '2')
      expect(await outcome(p)).toBe(WRONGTYPE)
    }
  })

  it('XREADGROUP re-run by data on another key answers WRONGTYPE too', async () => {
    const store = newStore()
    for (const k of ['s0', 's']) {
      store.call('XADD', k, '1-1', 'a', '1')
      store.call('XGROUP', 'CREATE', k, 'g', '$')
    }
    const p = blocked(store.session(), 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's0', 's', '>', '>')
    inMulti(store, ['SET', 's', 'x'], ['XADD', 's0', '2-1', 'b', '2'])
    expect(await outcome(p)).toBe(WRONGTYPE)
  })
})

describe('blocking list and sorted-set pops, for comparison', () => {
  it('keep waiting when their key is created with another type and deleted', async () => {
    const store = newStore()
    const pl = blocked(store.session(), 'BLPOP', 'l', '0')
    const pz = blocked(store.session(), 'BZPOPMIN', 'z', '0')
    store.call('SET', 'l', 'x')
    store.call('SET', 'z', 'x')
    store.call('DEL', 'l', 'z')
    store.call('FLUSHALL')
    expect(await outcome(pl)).toBe(BLOCKED)
    expect(await outcome(pz)).toBe(BLOCKED)
    store.call('RPUSH', 'l', '1')
    store.call('ZADD', 'z', 1, 'a')
    expect(await outcome(pl)).toEqual(['l', '1'])
    expect(await outcome(pz)).toEqual(['z', 'a', expect.objectContaining({ value: 1 })])
  })

  it('answer WRONGTYPE when re-run with an earlier key of another type', async () => {
    const store = newStore()
    const p = blocked(store.session(), 'BLPOP', 'a', 'b', '0')
    store.call('SET', 'a', 'x')
    store.call('RPUSH', 'b', '1')
    expect(await outcome(p)).toBe(WRONGTYPE)
  })
})
