/**
 * Cache-aside helpers on the typed Store: `store.cache<T>(options)` returns a
 * typed namespace with `get`/`set`/`fetch`/`wrap`, and `store.fetch()` does a
 * one-off cached load.
 *
 * - `fetch(id, loader)` returns the cached value, or calls the loader once
 *   for all concurrent misses of the same key (single flight), stores its
 *   result with the TTL (plus optional jitter) and returns it.
 * - With `staleWhileRevalidate`, a value is kept that much longer than its
 *   TTL; during that window `fetch` returns it at once and refreshes it in
 *   the background. Freshness is read from the key's own TTL, so the stored
 *   value stays plain (JSON by default) and any Redis client can read it.
 * - A loader's error (or rejection) is passed to every waiting caller and
 *   never cached; `undefined` results are returned but not cached.
 * - Values go through a codec: JSON by default, or any `{ encode, decode }`.
 *
 * Values are ordinary string keys (`prefix + id`), so maxmemory eviction,
 * keyspace events, persistence and `store.call('GET', ...)` all see them.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { ReplyError } from '../core/errors.js'
import { strOf, type StoredStr, type StrValue } from '../core/bytes.js'
import { GET, setGeneric } from '../commands/strings.js'
import { readTyped } from '../commands/util.js'
import { T } from '../keyspace/database.js'
import type { StoreCore } from '../store-core.js'

/** Turns values into stored strings/bytes and back. */
export interface Codec<T> {
  encode(value: T): string | Buffer
  /** Receives what `encode` produced (a string or a Buffer), or a value some other client stored. */
  decode(data: string | Buffer): T
}

/** Built-in codecs. */
export const codecs = {
  /** JSON text (the default). */
  json: {
    encode: (v: unknown): string => {
      const s = JSON.stringify(v)
      if (s === undefined) throw new TypeError('value cannot be encoded as JSON')
      return s
    },
    decode: (d: string | Buffer): any => JSON.parse(typeof d === 'string' ? d : d.toString('utf8')),
  } as Codec<any>,
  /** Strings as they are. */
  string: {
    encode: (v: string): string => v,
    decode: (d: string | Buffer): string => (typeof d === 'string' ? d : d.toString('utf8')),
  } as Codec<string>,
  /** Bytes as they are. */
  buffer: {
    encode: (v: Buffer): Buffer => v,
    decode: (d: string | Buffer): Buffer => (typeof d === 'string' ? Buffer.from(d, 'utf8') : d),
  } as Codec<Buffer>,
}

/** How long values live; shared by `CacheOptions` and per-call options. */
export interface CacheTtlOptions {
  /** Time to live in seconds (fractions allowed, e.g. 0.5). Default: no expiry. */
  ttl?: number
  /**
   * Seconds after `ttl` during which a stale value is still returned by
   * `fetch` while it is refreshed in the background. Default 0 (off).
   */
  staleWhileRevalidate?: number
  /**
   * Shortens each stored TTL by a random fraction up to this (0..1), so keys
   * written together do not all expire together. Default 0.
   */
  jitter?: number
}

/** Options of `store.cache()`. */
export interface CacheOptions<T> extends CacheTtlOptions {
  /** Key prefix: the value of id `42` lives at `prefix + '42'`. Default ''. */
  prefix?: string
  /** Codec for values. Default JSON. */
  codec?: Codec<T>
  /** Default loader for `fetch(id)` without one. */
  loader?: (id: string) => T | Promise<T>
  /** Called with errors that no caller sees: background refreshes, and writes refused at the memory limit. */
  onError?: (error: unknown, id: string) => void
}

/** Counters of one cache namespace. */
export interface CacheStats {
  /** `fetch`/`get` calls answered from the store with a fresh value. */
  hits: number
  /** Calls that found nothing (a load followed for `fetch`). */
  misses: number
  /** `fetch` calls answered with a stale value (a background refresh followed). */
  stale: number
  /** Loader calls started (one per single flight). */
  loads: number
  /** Loader calls that failed. */
  errors: number
}

/** An in-flight load: waiters share `promise`; `cancelled` when the key was written or deleted meanwhile. */
interface Flight {
  promise: Promise<unknown>
  cancelled: boolean
}

/** In-flight loads per store, by full key: shared by every namespace of that store. */
const FLIGHTS = new WeakMap<StoreCore, Map<string, Flight>>()

function flightsOf(store: StoreCore): Map<string, Flight> {
  let m = FLIGHTS.get(store)
  if (m === undefined) FLIGHTS.set(store, (m = new Map()))
  return m
}

function checkSeconds(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`${name} must be a non-negative number of seconds`)
}

/**
 * A typed cache namespace over a Store. Create it with `store.cache<T>()`.
 *
 * ```ts
 * const users = store.cache<User>({ prefix: 'user:', ttl: 60, staleWhileRevalidate: 30 })
 * const u = await users.fetch('42', (id) => db.users.find(id))
 * users.get('42')       // User | undefined, synchronously
 * users.delete('42')
 * ```
 */
export class Cache<T> {
  readonly prefix: string
  private readonly codec: Codec<T>
  private readonly ttlMs: number
  private readonly staleMs: number
  private readonly jitter: number
  private readonly loader: ((id: string) => T | Promise<T>) | undefined
  private readonly onError: ((error: unknown, id: string) => void) | undefined
  private readonly flights: Map<string, Flight>
  private readonly counters: CacheStats = { hits: 0, misses: 0, stale: 0, loads: 0, errors: 0 }

  constructor(
    readonly store: StoreCore,
    options: CacheOptions<T> = {},
  ) {
    checkSeconds('ttl', options.ttl)
    checkSeconds('staleWhileRevalidate', options.staleWhileRevalidate)
    const j = options.jitter ?? 0
    if (!(j >= 0 && j <= 1)) throw new RangeError('jitter must be between 0 and 1')
    this.prefix = options.prefix ?? ''
    this.codec = options.codec ?? (codecs.json as Codec<T>)
    this.ttlMs = Math.round((options.ttl ?? 0) * 1000)
    this.staleMs = Math.round((options.staleWhileRevalidate ?? 0) * 1000)
    this.jitter = j
    this.loader = options.loader
    this.onError = options.onError
    this.flights = flightsOf(store)
  }

  /** The store key of an id. */
  key(id: string): string {
    return this.prefix + id
  }

  /** The cached value of `id` (fresh or stale), or undefined. Synchronous; counts as an access for LRU/LFU. */
  get(id: string): T | undefined {
    const v = GET.run(this.store.s, this.prefix + id) as StrValue | null
    if (v === null) {
      this.counters.misses++
      return undefined
    }
    this.counters.hits++
    return this.codec.decode(v)
  }

  /** Whether `id` is cached. */
  has(id: string): boolean {
    return (this.store as unknown as { exists(...k: string[]): number }).exists(this.prefix + id) > 0
  }

  /**
   * Stores a value for `id` with the namespace's TTL (or `options.ttl`).
   * A load of `id` in flight is not stored when it finishes (this value is newer).
   * Throws Redis's OOM error under `noeviction` at the memory limit.
   */
  set(id: string, value: T, options?: CacheTtlOptions): void {
    const key = this.prefix + id
    this.cancelFlight(key)
    this.write(key, value, options)
  }

  /** Removes `id`; returns whether it was cached. A load in flight for it is not stored. */
  delete(id: string): boolean {
    const key = this.prefix + id
    this.cancelFlight(key)
    return (this.store as unknown as { del(...k: string[]): number }).del(key) > 0
  }

  /**
   * Cache-aside read: the cached value, or the loader's result (stored with
   * the TTL). Concurrent misses of one key share one loader call. Within the
   * stale-while-revalidate window the stale value is returned at once and
   * refreshed in the background. A loader error rejects every waiting caller
   * and caches nothing.
   */
  fetch(id: string, loader?: (id: string) => T | Promise<T>, options?: CacheTtlOptions): Promise<T> {
    const load = loader ?? this.loader
    if (load === undefined) return Promise.reject(new TypeError('fetch needs a loader (argument or CacheOptions.loader)'))
    const key = this.prefix + id
    const s = this.store.s
    let e
    try {
      e = readTyped(s, key, T.STRING)
    } catch (err) {
      return Promise.reject(err)
    }
    if (e !== undefined) {
      let value: T
      try {
        value = this.codec.decode(strOf(e.value as StoredStr))
      } catch {
        // Not something this codec wrote: treat as a miss and replace it.
        this.counters.misses++
        return this.load(key, id, load, options) as Promise<T>
      }
      const staleMs = options?.staleWhileRevalidate !== undefined ? Math.round(options.staleWhileRevalidate * 1000) : this.staleMs
      if (staleMs > 0 && e.expire !== 0 && this.store.ks.now() >= e.expire - staleMs) {
        this.counters.stale++
        if (!this.flights.has(key)) {
          this.load(key, id, load, options).catch((err) => this.report(err, id))
        }
      } else this.counters.hits++
      return Promise.resolve(value)
    }
    this.counters.misses++
    return this.load(key, id, load, options) as Promise<T>
  }

  /**
   * Memoizes an async (or sync) function through the cache: calls with the
   * same arguments share one cached result. `keyOf` maps arguments to an id
   * (default: their JSON).
   *
   * ```ts
   * const getUser = users.wrap((id: number) => db.users.find(id))
   * await getUser(42)
   * ```
   */
  wrap<A extends unknown[]>(fn: (...args: A) => T | Promise<T>, keyOf: (...args: A) => string = (...args) => JSON.stringify(args)): (...args: A) => Promise<T> {
    return (...args: A) => this.fetch(keyOf(...args), () => fn(...args))
  }

  /** Removes every key of this namespace (all keys when the prefix is empty). O(keys in the database). */
  clear(): number {
    const db = this.store.s.db
    const doomed: string[] = []
    const p = this.prefix
    db.scan(0, db.keys.length, (k) => {
      if (k.startsWith(p)) doomed.push(k)
    })
    for (const k of doomed) this.cancelFlight(k)
    return doomed.length === 0 ? 0 : (this.store as unknown as { del(...k: string[]): number }).del(...doomed)
  }

  /** This namespace's counters (a copy). */
  stats(): CacheStats {
    return { ...this.counters }
  }

  private load(key: string, id: string, loader: (id: string) => T | Promise<T>, options: CacheTtlOptions | undefined): Promise<unknown> {
    const running = this.flights.get(key)
    if (running !== undefined) return running.promise
    const flight: Flight = { promise: undefined as unknown as Promise<unknown>, cancelled: false }
    this.counters.loads++
    // Registered before the loader starts: a loader that throws at once still ends its flight.
    this.flights.set(key, flight)
    flight.promise = (async () => {
      try {
        const value = await loader(id)
        if (value !== undefined && !flight.cancelled) {
          try {
            this.write(key, value, options)
          } catch (err) {
            // A full cache (noeviction) must not fail the read: the value is still returned.
            if (err instanceof ReplyError) this.report(err, id)
            else throw err
          }
        }
        return value
      } catch (err) {
        this.counters.errors++
        throw err
      } finally {
        if (this.flights.get(key) === flight) this.flights.delete(key)
      }
    })()
    return flight.promise
  }

  private write(key: string, value: T, options: CacheTtlOptions | undefined): void {
    const store = this.store
    let ttlMs = this.ttlMs
    let staleMs = this.staleMs
    let jitter = this.jitter
    if (options !== undefined) {
      checkSeconds('ttl', options.ttl)
      checkSeconds('staleWhileRevalidate', options.staleWhileRevalidate)
      if (options.ttl !== undefined) ttlMs = Math.round(options.ttl * 1000)
      if (options.staleWhileRevalidate !== undefined) staleMs = Math.round(options.staleWhileRevalidate * 1000)
      if (options.jitter !== undefined) jitter = options.jitter
    }
    if (ttlMs > 0 && jitter > 0) ttlMs = Math.max(1, Math.round(ttlMs * (1 - jitter * Math.random())))
    const data = this.codec.encode(value)
    store.beforeWrite()
    store.atOneTime(() => {
      const expireAt = ttlMs > 0 ? store.ks.now() + ttlMs + staleMs : 0
      setGeneric(store.s, key, typeof data === 'string' ? data : Buffer.from(data), 0, expireAt)
    })
  }

  private cancelFlight(key: string): void {
    const f = this.flights.get(key)
    if (f !== undefined) {
      f.cancelled = true
      this.flights.delete(key)
    }
  }

  private report(err: unknown, id: string): void {
    if (this.onError !== undefined) this.onError(err, id)
  }
}

/** Cache-aside helpers on the typed Store. */
export class CacheApi {
  /**
   * A typed cache namespace: values of type `T` under `prefix`, encoded with
   * `codec` (JSON by default), with a TTL, optional stale-while-revalidate
   * and jitter, and a default loader. Pass a string for just a prefix.
   *
   * ```ts
   * const users = store.cache<User>({ prefix: 'user:', ttl: 300, staleWhileRevalidate: 60 })
   * const user = await users.fetch(id, loadUser)
   * ```
   */
  cache<T = unknown>(this: StoreCore, options?: CacheOptions<T> | string): Cache<T> {
    return new Cache<T>(this, typeof options === 'string' ? { prefix: options } : options)
  }

  /**
   * One cached load: the value at `key` (JSON), or `loader()`'s result stored
   * with `options.ttl` seconds. Concurrent calls for one key share one load;
   * errors are not cached.
   *
   * ```ts
   * const rates = await store.fetch('fx:rates', () => fetchRates(), { ttl: 60 })
   * ```
   */
  fetch<T>(this: StoreCore, key: string, loader: () => T | Promise<T>, options?: CacheTtlOptions): Promise<T> {
    let c = DEFAULT_CACHES.get(this) as Cache<T> | undefined
    if (c === undefined) DEFAULT_CACHES.set(this, (c = new Cache<T>(this)))
    return c.fetch(key, () => loader(), options)
  }
}

const DEFAULT_CACHES = new WeakMap<StoreCore, Cache<unknown>>()
