import { Buffer } from 'node:buffer'
import { asArg, keyOf } from '../core/bytes.js'
import { ReplyError } from '../core/errors.js'
import { BGREWRITEAOF, BGSAVE, DUMP, lastSave, RESTORE, SAVE, type RestoreArgs } from '../commands/persistence.js'
import { hostOf } from '../persistence/adapter.js'
import type { StoreCore } from '../store-core.js'
import type { Key } from './strings.js'

/** Options of `restore()`. */
export interface RestoreOptions {
  /** Time to live in ms (relative); 0 or absent: no expiry. */
  ttl?: number
  /** Absolute expiry time in ms (unix time); instead of `ttl`. */
  expireAt?: number
  /** Replace an existing key (otherwise BUSYKEY). */
  replace?: boolean
  /** Idle time in seconds to record for the key (LRU policies). */
  idletime?: number
  /** LFU counter to record for the key (LFU policies), 0–255. */
  freq?: number
}

/** Persistence commands on the typed Store: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, DUMP, RESTORE. */
export class PersistenceApi {
  /**
   * SAVE: writes a snapshot through the store's persistence adapters now
   * (synchronously). A store without adapters has nothing to write.
   * Throws the adapter's error when the save fails.
   */
  save(this: StoreCore): 'OK' {
    const r = SAVE.run(this.s, undefined)
    if (r instanceof ReplyError) {
      const cause = hostOf(this)?.state.lastSaveError
      if (cause instanceof Error && r.message === 'ERR') throw new Error(`SAVE failed: ${cause.message}`, { cause })
      throw r
    }
    return 'OK'
  }

  /**
   * BGSAVE: starts a snapshot that runs while commands keep running; the
   * promise settles when it is written (rejects when it failed).
   */
  async bgsave(this: StoreCore, options: { schedule?: boolean } = {}): Promise<void> {
    const r = BGSAVE.run(this.s, options.schedule === true)
    if (r instanceof ReplyError) throw r
    await hostOf(this)?.settled('bgsave')
  }

  /** LASTSAVE: unix time (seconds) of the last successful save. */
  lastsave(this: StoreCore): number {
    return lastSave(this)
  }

  /**
   * BGREWRITEAOF: compacts the append-only file (a new base snapshot, new
   * incremental file); the promise settles when the rewrite is done.
   */
  async bgrewriteaof(this: StoreCore): Promise<void> {
    const r = BGREWRITEAOF.run(this.s, undefined)
    if (r instanceof ReplyError) throw r
    await hostOf(this)?.settled('rewrite')
  }

  /** DUMP: the key's value serialized as Redis does (RESTORE takes it here and in Redis), or null. */
  dump(this: StoreCore, key: Key): Buffer | null {
    return DUMP.run(this.s, keyOf(key)) as Buffer | null
  }

  /**
   * RESTORE: creates `key` from a DUMP payload (from this store, Redis or
   * Valkey). Throws `BUSYKEY` when the key exists (unless `replace`) and
   * `ERR DUMP payload version or checksum are wrong` for a bad payload.
   */
  restore(this: StoreCore, key: Key, payload: Buffer | Uint8Array, options: RestoreOptions = {}): 'OK' {
    this.beforeWrite()
    const abs = options.expireAt !== undefined
    const ttl = abs ? options.expireAt! : (options.ttl ?? 0)
    const opts: string[] = []
    if (options.replace) opts.push('REPLACE')
    if (abs) opts.push('ABSTTL')
    if (options.idletime !== undefined) opts.push('IDLETIME', String(options.idletime))
    if (options.freq !== undefined) opts.push('FREQ', String(options.freq))
    const a: RestoreArgs = RESTORE.parse([asArg(key), String(ttl), Buffer.isBuffer(payload) ? payload : Buffer.from(payload), ...opts], this.s)
    const r = RESTORE.run(this.s, a)
    if (r instanceof ReplyError) throw r
    return 'OK'
  }
}
