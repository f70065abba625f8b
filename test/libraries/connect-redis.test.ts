/**
 * express-session stores on embedis: connect-redis 7 (the last to take an
 * ioredis client) on the in-process drop-in, and connect-redis 10 (node-redis
 * only) with node-redis v5 against `createServer`.
 */
import RedisStore7 from 'connect-redis7'
import { RedisStore as RedisStore10 } from 'connect-redis'
import session from 'express-session'
import { createClient } from 'redis'
import { describe, expect, it } from 'vitest'
import { Redis } from '../../src/ioredis/index.js'
import { createServer } from '../../src/server/index.js'
import { ManualClock, Store } from '../../src/index.js'
import { cleanups } from './backends.js'

type Cb<T = unknown> = (err: unknown, v?: T) => void
interface SessionStore {
  get(sid: string, cb: Cb<session.SessionData | null>): void
  set(sid: string, s: session.SessionData, cb: Cb): void
  touch(sid: string, s: session.SessionData, cb: Cb): void
  destroy(sid: string, cb: Cb): void
  length(cb: Cb<number>): void
  ids(cb: Cb<string[]>): void
  all(cb: Cb<session.SessionData[]>): void
  clear(cb: Cb): void
}
const call = <T>(fn: (cb: Cb<T>) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))))

function sessionData(maxAge: number | null, user: string): session.SessionData {
  const cookie = new session.Cookie()
  if (maxAge !== null) cookie.maxAge = maxAge
  return { cookie, user } as unknown as session.SessionData
}

async function exercise(store: SessionStore, embedis: Store, clock: ManualClock): Promise<void> {
  await call((cb) => store.set('s1', sessionData(60_000, 'ann'), cb))
  await call((cb) => store.set('s2', sessionData(null, 'bob'), cb))
  const got = (await call<session.SessionData | null>((cb) => store.get('s1', cb))) as unknown as { user: string }
  expect(got.user).toBe('ann')
  // The TTL follows the cookie (60 s) or the store default (one day).
  expect(embedis.ttl('sess:s1')).toBe(60)
  expect(embedis.ttl('sess:s2')).toBe(86400)
  expect(await call<number>((cb) => store.length(cb))).toBe(2)
  expect((await call<string[]>((cb) => store.ids(cb))).sort()).toEqual(['s1', 's2'])
  expect((await call<session.SessionData[]>((cb) => store.all(cb))).length).toBe(2)
  clock.advance(30_000)
  await call((cb) => store.touch('s1', sessionData(60_000, 'ann'), cb))
  expect(embedis.ttl('sess:s1')).toBe(60)
  clock.advance(61_000)
  expect(await call((cb) => store.get('s1', cb))).toBeFalsy()
  await call((cb) => store.destroy('s2', cb))
  expect(await call((cb) => store.get('s2', cb))).toBeFalsy()
  await call((cb) => store.set('s3', sessionData(1000, 'cy'), cb))
  await call((cb) => store.clear(cb))
  expect(await call<number>((cb) => store.length(cb))).toBe(0)
}

describe('connect-redis', () => {
  it('v7 with the ioredis drop-in', async () => {
    const clock = new ManualClock(Date.UTC(2024, 0, 1))
    const embedis = new Store({ clock })
    const client = new Redis({ store: embedis })
    cleanups.push(() => embedis.close(), () => client.disconnect())
    const store = new RedisStore7({ client }) as unknown as SessionStore
    await exercise(store, embedis, clock)
  })

  it('v10 with node-redis v5 over createServer', async () => {
    const clock = new ManualClock(Date.UTC(2024, 0, 1))
    const embedis = new Store({ clock })
    const server = createServer({ store: embedis, port: 0 })
    await server.listen()
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` })
    await client.connect()
    cleanups.push(() => embedis.close(), () => server.close(), () => client.quit())
    const store = new RedisStore10({ client }) as unknown as SessionStore
    await exercise(store, embedis, clock)
  })
})
