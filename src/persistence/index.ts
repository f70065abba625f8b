/**
 * `embedis/persistence`: Redis's own file formats for an embedded store.
 *
 * ```ts
 * import { Store } from 'embedis'
 * import { rdbFile, aofFile, openStore, REDIS_SAVE_RULES } from 'embedis/persistence'
 *
 * // Small files: load synchronously in the constructor.
 * const store = new Store({ persistence: rdbFile({ path: 'data/dump.rdb', save: REDIS_SAVE_RULES }) })
 *
 * // Large files: load asynchronously, with progress.
 * const big = await openStore({ persistence: aofFile({ dir: 'data' }), onProgress: (done, total) => {} })
 * ```
 */
import { Store } from '../store.js'
import type { StoreOptions } from '../store-core.js'
import type { Entry } from '../keyspace/database.js'
import { attachPersistence } from './adapter.js'
import { dumpPayload as dumpEntryPayload } from './rdb/writer.js'

export {
  attachPersistence,
  hostOf,
  installRdb,
  functionsOf,
  loadFunctions,
  PersistenceHost,
  PersistenceState,
  type AdapterContext,
  type CloseOptions,
  type Effect,
  type LoadOptions,
  type LoadTarget,
  type PersistenceAdapter,
  type SaveSink,
  type Snapshot,
  type SnapshotSink,
} from './adapter.js'
export { parseSaveRules, REDIS_SAVE_RULES, type SaveRules } from '../commands/persistence.js'
export { rdbFile, type RdbFileOptions } from './file.js'
export { aofFile, AofError, type AofFileOptions, type FsyncPolicy } from './aof.js'
export { progressBar, serverPersistence, type ServerPersistenceOptions } from './cli.js'
export { RdbError, readRdb, type RdbContents, type RdbReadOptions } from './rdb/reader.js'
export { crc64 } from './rdb/crc64.js'
export { KeyspaceSnapshot } from './snapshot.js'
export type { RdbWriteOptions } from './rdb/sink.js'

/** Options of `openStore`: the Store's options, and a progress callback for loading. */
export interface OpenStoreOptions extends StoreOptions {
  /** Called while the data loads: `done` out of `total` (bytes of the file being read). */
  onProgress?: (done: number, total: number, adapter: string) => void
}

/**
 * Creates a Store and loads its persisted data asynchronously (the event
 * loop keeps running; progress is reported), resolving once the data is in.
 * Use it instead of `new Store({ persistence })` for large files.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const { persistence, onProgress, ...rest } = options
  const store = new Store(rest)
  if (persistence !== undefined) {
    try {
      await attachPersistence(store, persistence, { async: true, ...(onProgress ? { onProgress } : {}) })
    } catch (e) {
      store.close()
      throw e
    }
  }
  return store
}

export { keyBytes } from '../core/bytes.js'

/** A value's DUMP payload (as DUMP returns it), for adapters that store keys one by one. */
export function dumpEntry(e: Entry, compression = true): Buffer {
  return dumpEntryPayload(e, compression)
}
