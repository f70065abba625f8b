/** Shared helpers for the typed-API test files. */
import { afterEach } from 'vitest'
import { ReplyError } from '../../src/core/errors.js'
import { Store, type StoreOptions } from '../../src/index.js'
import type { RespServer } from '../../src/server/index.js'
import type { Push, Reply } from '../../src/core/reply.js'
import type { Session } from '../../src/session.js'

/**
 * Returns a factory of Stores (active expiry off) that are all closed after
 * each test of the calling file. Call it at the top level of a test file.
 */
export function useStores(defaults: StoreOptions = {}): (options?: StoreOptions) => Store {
  const stores: Store[] = []
  afterEach(() => {
    for (const s of stores.splice(0)) s.close()
  })
  return (options = {}) => {
    const s = new Store({ activeExpiry: false, ...defaults, ...options })
    stores.push(s)
    return s
  }
}

/** The RESP server and Store a test started (either may be absent). */
export interface Live {
  server?: RespServer
  store?: Store
}

/**
 * A holder for the server and Store each test of the calling file starts; after each test the
 * server is closed, then the Store. Call it at the top level of a test file.
 */
export function useServerAndStore(): Live {
  const live: Live = {}
  afterEach(async () => {
    await live.server?.close()
    live.store?.close()
    live.server = live.store = undefined
  })
  return live
}

/** A reply as plain data: Buffers (at any depth) as `<hex>`. */
export function plain(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(plain)
  if (Buffer.isBuffer(r)) return `<${r.toString('hex')}>`
  return r
}

/** Collects a session's pushes (pub/sub messages, invalidations) as plain arrays. */
export function pushesOf(s: Session): unknown[][] {
  const got: unknown[][] = []
  s.out = (r: Reply) => got.push(plain((r as Push).items) as unknown[])
  return got
}

/** Effects (argv as given) reported while `fn` runs. */
export function effectsOf(store: Store, fn: () => void): Array<Array<string | Buffer>> {
  const out: Array<Array<string | Buffer>> = []
  const off = store.onEffect((e) => out.push(e.argv))
  try {
    fn()
  } finally {
    off()
  }
  return out
}

/** Effects as text (Buffers as latin1, so bytes stay visible). */
export function effectsText(store: Store, fn: () => void): string[][] {
  return effectsOf(store, fn).map((argv) => argv.map((a) => (typeof a === 'string' ? a : a.toString('latin1'))))
}

/** Keyspace events published while `fn` runs, as `event key` strings. */
export function eventsOf(store: Store, fn: () => void): string[] {
  const out: string[] = []
  store.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
  const ks = store.ks
  const prev = ks.publish
  ks.publish = (channel: string, message: string) => {
    if (channel.startsWith('__keyevent@')) out.push(`${channel.slice(channel.indexOf(':') + 1)} ${message}`)
    return 0
  }
  try {
    fn()
  } finally {
    ks.publish = prev
    store.call('CONFIG', 'SET', 'notify-keyspace-events', '')
  }
  return out
}

/** The message of the ReplyError `fn` throws (fails when it throws nothing or something else). */
export function err(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    if (e instanceof ReplyError) return e.message
    throw e
  }
  throw new Error('expected a ReplyError')
}
