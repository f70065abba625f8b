import { AdminApi } from './api/admin.js'
import { BitmapsApi } from './api/bitmaps.js'
import { CacheApi } from './api/cache.js'
import { MemoryApi } from './api/memory.js'
import { GeoApi } from './api/geo.js'
import { HashesApi } from './api/hashes.js'
import { HyperLogLogApi } from './api/hyperloglog.js'
import { KeysApi } from './api/keys.js'
import { PubSubApi } from './api/pubsub.js'
import { TransactionsApi } from './api/transactions.js'
import { ListsApi } from './api/lists.js'
import { ServerApi } from './api/server.js'
import { SetsApi } from './api/sets.js'
import { SortedSetsApi } from './api/sorted-sets.js'
import { StreamsApi } from './api/streams.js'
import { StringsApi } from './api/strings.js'
import { ScriptingApi } from './api/scripting.js'
import { PersistenceApi } from './api/persistence.js'
import { serveReady } from './keyspace/blocking.js'
import { StoreCore, type StoreOptions } from './store-core.js'

/**
 * An in-process Redis: the whole data model with Redis 7.2's replies and
 * errors, typed methods for every command, and `call()` for any command by name.
 *
 * ```ts
 * import { Store } from 'embedis'
 * const store = new Store()
 * store.set('greeting', 'hello', { ex: 60 })
 * store.get('greeting')            // 'hello'
 * store.incr('visits')             // 1
 * store.call('TTL', 'greeting')    // 60
 * ```
 */
export class Store extends StoreCore {
  constructor(options: StoreOptions = {}) {
    super(options)
  }
}

const APIS = [AdminApi, StringsApi, KeysApi, ServerApi, HashesApi, SetsApi, ListsApi, SortedSetsApi, BitmapsApi, PubSubApi, TransactionsApi, MemoryApi, CacheApi, StreamsApi, HyperLogLogApi, ScriptingApi, GeoApi, PersistenceApi]

// The typed methods live in one class per command group and are mixed in here.
export interface Store extends AdminApi, StringsApi, KeysApi, ServerApi, HashesApi, SetsApi, ListsApi, SortedSetsApi, BitmapsApi, PubSubApi, TransactionsApi, MemoryApi, CacheApi, StreamsApi, HyperLogLogApi, ScriptingApi, GeoApi, PersistenceApi {}

/**
 * Typed writes that can create or fill a sorted set, list or stream under a
 * key other methods may block on. Like a command through the dispatcher, they
 * serve blocked clients before returning. (List and stream methods do so
 * themselves.)
 */
const SERVES_BLOCKED = new Set([
  'zadd',
  'zaddIncr',
  'zincrby',
  'zrangestore',
  'zunionstore',
  'zinterstore',
  'zdiffstore',
  'sortStore',
  'geoadd',
  'geosearchstore',
  'rename',
  'renamenx',
  'move',
  'copy',
  'swapdb',
  'restore',
])

// Methods that look several keys up: the whole call sees one time (one clock read), as a command
// does in Redis. (`mget`, the hot one, does it inline; a single-key method reads the clock at most once.)
const AT_ONE_TIME = new Set([
  'del',
  'unlink',
  'exists',
  'touch',
  'mgetBuffer',
  'mset',
  'msetnx',
  'lcs',
  'lcsLen',
  'lcsIdx',
  'rename',
  'renamenx',
  'move',
  'copy',
  'bitop',
  'pfcount',
  'pfmerge',
  'lmove',
  'rpoplpush',
  'lmpop',
  'smove',
  'sinter',
  'sinterstore',
  'sintercard',
  'sunion',
  'sunionstore',
  'sdiff',
  'sdiffstore',
  'zrangestore',
  'zmpop',
  'zunion',
  'zunionWithScores',
  'zunionstore',
  'zinter',
  'zinterWithScores',
  'zinterstore',
  'zintercard',
  'zdiff',
  'zdiffWithScores',
  'zdiffstore',
  'sort',
  'sortRo',
  'sortStore',
  'geosearch',
  'geosearchWith',
  'georadius',
  'georadiusbymember',
])

for (const api of APIS) {
  for (const name of Object.getOwnPropertyNames(api.prototype)) {
    if (name === 'constructor') continue
    const desc = Object.getOwnPropertyDescriptor(api.prototype, name)!
    if (typeof desc.value === 'function' && (SERVES_BLOCKED.has(name) || AT_ONE_TIME.has(name))) {
      const fn = desc.value as (...a: unknown[]) => unknown
      const once = AT_ONE_TIME.has(name)
      const serves = SERVES_BLOCKED.has(name)
      desc.value = {
        [name](this: StoreCore, ...args: unknown[]): unknown {
          const r = once ? this.atOneTime(() => fn.apply(this, args)) : fn.apply(this, args)
          if (serves) serveReady(this, this.s)
          return r
        },
      }[name]
    }
    Object.defineProperty(Store.prototype, name, desc)
  }
}

// A misspelt name in either list would silently change nothing.
for (const name of [...SERVES_BLOCKED, ...AT_ONE_TIME]) {
  if (typeof (Store.prototype as unknown as Record<string, unknown>)[name] !== 'function') throw new Error(`Store has no method ${name}`)
}
