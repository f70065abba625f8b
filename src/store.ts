import { HashesApi } from './api/hashes.js'
import { KeysApi } from './api/keys.js'
import { ListsApi } from './api/lists.js'
import { ServerApi } from './api/server.js'
import { SetsApi } from './api/sets.js'
import { SortedSetsApi } from './api/sorted-sets.js'
import { StringsApi } from './api/strings.js'
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

const APIS = [StringsApi, KeysApi, ServerApi, HashesApi, SetsApi, ListsApi, SortedSetsApi]

// The typed methods live in one class per command group and are mixed in here.
export interface Store extends StringsApi, KeysApi, ServerApi, HashesApi, SetsApi, ListsApi, SortedSetsApi {}
for (const api of APIS) {
  for (const name of Object.getOwnPropertyNames(api.prototype)) {
    if (name === 'constructor') continue
    Object.defineProperty(Store.prototype, name, Object.getOwnPropertyDescriptor(api.prototype, name)!)
  }
}
