/**
 * `embedis/ioredis`: the real ioredis client (a peer dependency, ioredis 5 or
 * 6) wired to a Store in-process. Pipelines, MULTI, pub/sub, `duplicate()`,
 * `defineCommand`, `scanStream`, `keyPrefix`, Buffer variants — everything
 * ioredis does — behave as against a Redis server, because it is ioredis
 * talking RESP to a Session; there is just no socket.
 *
 * ```ts
 * import { Redis } from 'embedis/ioredis'
 * const redis = new Redis()                 // the default Store, shared like one server
 * const other = new Redis({ store })        // a given Store
 * ```
 *
 * In tests, `vi.mock('ioredis', () => import('embedis/ioredis'))` (or
 * `jest.mock`) makes code that imports ioredis use it unchanged.
 */
import { Redis as IORedis, type RedisOptions } from 'ioredis'
import { lua } from '../scripting/index.js'
import { Store } from '../store.js'
import type { StoreCore } from '../store-core.js'
import { connectorFor } from './connector.js'

export { InProcessStream, connectorFor } from './connector.js'

/** ioredis options, plus the Store to connect to. */
export interface EmbedisRedisOptions extends RedisOptions {
  /** The Store this client talks to. Default: the shared default Store ({@link getDefaultStore}). */
  store?: StoreCore
}

let defaultStore: Store | undefined

/** The Store that clients created without a `store` option share (created on first use, with Lua scripting). */
export function getDefaultStore(): Store {
  // With Lua scripting: ioredis users rely on EVAL/EVALSHA (defineCommand, rate limiters, queues).
  if (defaultStore === undefined || defaultStore.isClosed) defaultStore = new Store({ scripting: lua() })
  return defaultStore
}

/** Makes `store` the default Store for clients created from now on. */
export function setDefaultStore(store: Store): void {
  defaultStore = store
}

/**
 * Empties the default Store between tests: FLUSHALL, keyspace notifications
 * off, no password, no client pause, statistics reset. Connected clients stay
 * connected (and subscribed).
 */
export function resetDefaultStore(): void {
  const store = getDefaultStore()
  store.call('FLUSHALL')
  store.call('CONFIG', 'SET', 'notify-keyspace-events', '', 'requirepass', '')
  store.call('CONFIG', 'RESETSTAT')
  store.unpauseClients()
}

/** Sets the Redis version INFO and HELLO report (default 7.2.4), for libraries that check it. */
export function setRedisVersion(version: string, store: StoreCore = getDefaultStore()): void {
  store.redisVersion = version
}

const EmbedisConnector = connectorFor(getDefaultStore)

type AnyRedisClass = abstract new (...args: any[]) => any

/** The arguments with `Connector` set in the options object (added if there is none). */
function withConnector(args: unknown[]): unknown[] {
  const out = args.slice()
  for (let i = out.length - 1; i >= 0; i--) {
    const a = out[i]
    if (a !== null && typeof a === 'object') {
      out[i] = { ...(a as object), Connector: EmbedisConnector }
      return out
    }
  }
  out.push({ Connector: EmbedisConnector })
  return out
}

/**
 * Builds the drop-in class from an ioredis `Redis` class: the same class,
 * connecting in-process. `Redis` below is this applied to the installed
 * ioredis; use it directly to wire another copy or version of ioredis.
 */
export function createRedisClass<T extends AnyRedisClass>(Base: T): T {
  const B = Base as unknown as new (...args: unknown[]) => { options: object }
  class InProcessRedis extends B {
    constructor(...args: unknown[]) {
      super(...withConnector(args))
    }

    /** A new client with the same options (and Store). */
    duplicate(override?: object): InProcessRedis {
      return new InProcessRedis({ ...this.options, ...override })
    }
  }
  Object.defineProperty(InProcessRedis, 'name', { value: 'Redis' })
  return InProcessRedis as unknown as T
}

/** The ioredis client class, connecting to a Store in-process (see the module docs). */
export const Redis = createRedisClass(IORedis) as unknown as RedisClass
/** An instance of the drop-in client (ioredis's `Redis`). */
export type Redis = IORedis

/** Constructor signatures: ioredis's, with the `store` option. */
export interface RedisClass {
  new (port: number, host: string, options: EmbedisRedisOptions): IORedis
  new (path: string, options: EmbedisRedisOptions): IORedis
  new (port: number, options: EmbedisRedisOptions): IORedis
  new (port: number, host: string): IORedis
  new (options: EmbedisRedisOptions): IORedis
  new (port: number): IORedis
  new (path: string): IORedis
  new (): IORedis
  prototype: IORedis
  /** ioredis's static helpers (Redis.Cluster, Redis.Command, ...). */
  readonly [k: string]: unknown
}

export { Cluster, Command, Pipeline, ScanStream, ReplyError, type RedisOptions } from 'ioredis'
export default Redis
