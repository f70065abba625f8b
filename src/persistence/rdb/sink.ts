/**
 * A snapshot sink that writes an RDB image: header and AUX fields when
 * created, SELECTDB/RESIZEDB per database, one record per key (keys reached
 * ahead of the walk in another database get their own SELECTDB), EOF and
 * checksum at the end.
 */
import type { Entry } from '../../keyspace/database.js'
import type { StoreCore } from '../../store-core.js'
import type { SnapshotSink } from '../snapshot.js'
import { functionsOf } from '../adapter.js'
import { RDB_OP } from './constants.js'
import { ListpackBuilder } from './listpack.js'
import { RdbOutput } from './output.js'
import { writeDbHeader, writeEntry, writeFooter, writeHeader } from './writer.js'

/** How an RDB image is written. */
export interface RdbWriteOptions {
  /** LZF-compress long strings (`rdbcompression`). Default true. */
  compression?: boolean
  /** Write the CRC-64 (`rdbchecksum`); without it the checksum is 0. Default true. */
  checksum?: boolean
  /** Mark the image as an AOF base (`aof-base` AUX = 1). */
  aofBase?: boolean
}

export class RdbSink implements SnapshotSink {
  readonly out: RdbOutput
  private cur = -1
  private readonly lp = new ListpackBuilder()
  /** IDLE seconds (LRU policies) or FREQ counter (LFU) per key, as Redis saves them. */
  private readonly idle: ((e: Entry, db: number) => number) | undefined
  private readonly freq: ((e: Entry, db: number) => number) | undefined
  private readonly checksum: boolean

  constructor(store: StoreCore, sink: ((chunk: Buffer) => void) | undefined, opts: RdbWriteOptions = {}) {
    this.out = new RdbOutput({ compression: opts.compression ?? true, ...(sink ? { sink } : {}) })
    this.checksum = opts.checksum ?? true
    const policy = store.ks.config.get<string>('maxmemory-policy') ?? 'noeviction'
    const mem = store.memory
    // The walk names a database by number: its entries are looked for there first.
    const dbs = store.ks.dbs
    if (policy.includes('lru')) this.idle = (e, db) => mem.idleTime(e, dbs[db])
    else if (policy.includes('lfu')) this.freq = (e, db) => mem.frequency(e, dbs[db])
    writeHeader(this.out, {
      version: store.redisVersion,
      ctime: Math.floor(Date.now() / 1000),
      usedMem: store.usedMemory(),
      aofBase: opts.aofBase === true,
      functions: functionsOf(store),
    })
  }

  beginDb(db: number, size: number, expires: number): void {
    writeDbHeader(this.out, db, size, expires)
    this.cur = db
  }

  visit(db: number, key: string, e: Entry): void {
    const out = this.out
    if (db !== this.cur) {
      out.u8(RDB_OP.SELECTDB)
      out.len(db)
      this.cur = db
    }
    writeEntry(out, key, e, this.lp, this.idle ? this.idle(e, db) : -1, this.freq ? this.freq(e, db) : -1)
  }

  /** Writes EOF and the checksum, and hands out the last chunk. */
  finish(): void {
    writeFooter(this.out, this.checksum)
  }
}
