/**
 * `rdbFile`: an RDB snapshot file that Redis and Valkey read. Loads at open
 * (asynchronously, with progress, under `openStore()`), saves on SAVE /
 * BGSAVE / save rules / close, always to a temporary file that is fsynced
 * and renamed over the old one, so a crash mid-save never harms the previous
 * snapshot.
 */
import { closeSync, existsSync, fsync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import type { SaveRules } from '../commands/persistence.js'
import type { StoreCore } from '../store-core.js'
import { installRdb, loadContext, type AdapterContext, type LoadTarget, type PersistenceAdapter, type SaveSink, type Snapshot } from './adapter.js'
import { RdbParser, type RdbContents } from './rdb/reader.js'
import { RdbSink, type RdbWriteOptions } from './rdb/sink.js'
import { KeyspaceSnapshot } from './snapshot.js'

/** Options of `rdbFile`. */
export interface RdbFileOptions extends RdbWriteOptions {
  /** The snapshot file (Redis: `dir` + `dbfilename`, e.g. `data/dump.rdb`). */
  path: string
  /** Automatic BGSAVE rules; none by default (`REDIS_SAVE_RULES` are Redis's defaults). */
  save?: SaveRules
  /** Save synchronously when the store closes. Default: true when save rules are set (as Redis's SHUTDOWN). */
  saveOnClose?: boolean
  /** Load the file at open. Default true. */
  load?: boolean
}

/** Keys parsed per slice of an asynchronous load. */
const LOAD_SLICE = 2000

/** Writes every byte of `chunk` (a regular file may take a write in pieces). */
export function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off)
}

/** fsyncs a directory so a rename in it is durable (best effort: not every platform allows it). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Directories cannot be opened for fsync on some platforms.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

let tmpSeq = 0

/** A temporary file name next to `path`. */
export function tempPath(path: string, tag: string): string {
  return join(dirname(path), `temp-${tag}-${process.pid}-${++tmpSeq}.rdb`)
}

/**
 * Writes an RDB image of `snap` into `path` through a temporary file. Sync
 * snapshots finish in `end()` synchronously; background ones fsync without
 * blocking.
 */
export function rdbFileSink(store: StoreCore, snap: Snapshot, path: string, opts: RdbWriteOptions, tag = 'save'): SaveSink & { readonly bytes: number } {
  const tmp = tempPath(path, tag)
  const fd = openSync(tmp, 'w')
  let open = true
  const close = (): void => {
    if (open) {
      open = false
      closeSync(fd)
    }
  }
  let rdb: RdbSink
  try {
    rdb = new RdbSink(store, (chunk) => writeAll(fd, chunk), opts)
  } catch (e) {
    close()
    unlinkSync(tmp)
    throw e
  }
  const finish = (): void => {
    close()
    renameSync(tmp, path)
    fsyncDir(dirname(path))
  }
  return {
    get bytes() {
      return rdb.out.length
    },
    beginDb: (db, size, expires) => rdb.beginDb(db, size, expires),
    visit: (db, key, e) => rdb.visit(db, key, e),
    end() {
      rdb.finish()
      if (!snap.background) {
        fsyncSync(fd)
        finish()
        return
      }
      return new Promise<void>((resolve, reject) => {
        // fsync off the main thread, then rename.
        fsync(fd, (err) => {
          if (err) return reject(err)
          try {
            finish()
            resolve()
          } catch (e) {
            reject(e)
          }
        })
      })
    },
    abort() {
      close()
      try {
        unlinkSync(tmp)
      } catch {
        // already gone
      }
    },
  }
}

/**
 * Parses an RDB image in slices: yields between slices (after reporting
 * progress), returns the contents. Drive it with {@link drive}.
 */
export function* rdbSteps(store: StoreCore, buf: Buffer, name: string, target: LoadTarget | undefined, aofPreamble = false, start = 0): Generator<void, RdbContents> {
  const ks = store.ks
  const p = new RdbParser(buf, name, loadContext(store), { databases: ks.dbs.length, now: ks.now(), lruClock: ks.lruClock, aofPreamble }, start)
  while (!p.step(LOAD_SLICE)) {
    target?.progress(p.offset, buf.length)
    yield
  }
  target?.progress(p.offset, buf.length)
  return p.result()
}

/**
 * Runs a stepwise loader: at once when `async` is false, else yielding to
 * the event loop at every step.
 */
export function drive<T>(steps: Generator<void, T>, async: boolean): T | Promise<T> {
  if (!async) {
    for (;;) {
      const r = steps.next()
      if (r.done) return r.value
    }
  }
  return (async () => {
    for (;;) {
      const r = steps.next()
      if (r.done) return r.value
      await new Promise((res) => setImmediate(res))
    }
  })()
}

/** An RDB snapshot file (see {@link RdbFileOptions}). */
export function rdbFile(options: RdbFileOptions): PersistenceAdapter {
  const path = options.path
  const name = basename(path)
  const write: RdbWriteOptions = { compression: options.compression ?? true, checksum: options.checksum ?? true }
  // The store's `save` parameter from open() on: CONFIG SET save changes the rules, as in Redis.
  let rules = options.save ?? []
  let ctx: AdapterContext | undefined
  let timer: ReturnType<typeof setInterval> | undefined

  return {
    name: `rdb:${name}`,

    load(target) {
      if (options.load === false || !existsSync(path)) return false
      const store = target.store
      if (!target.async) {
        installRdb(store, drive(rdbSteps(store, readFileSync(path), path, target), false) as RdbContents)
        return true
      }
      return (async () => {
        const buf = await readFile(path)
        installRdb(store, await drive(rdbSteps(store, buf, path, target), true))
        return true
      })()
    },

    open(c) {
      ctx = c
      const config = c.store.ks.config
      config.put('dir', resolve(dirname(path)))
      config.put('dbfilename', name)
      config.put('save', rules)
      config.watch('save', (v) => (rules = v as SaveRules))
      const st = c.state
      const clock = c.store.ks.clock
      timer = setInterval(() => {
        if (rules.length === 0 || st.bgsaveRunning || st.rewriteRunning) return
        const now = Math.floor(clock.now() / 1000)
        // After a failed BGSAVE, wait a few seconds before trying again (Redis's CONFIG_BGSAVE_RETRY_DELAY).
        if (!st.lastBgsaveOk && Date.now() - st.lastBgsaveTry < 5000) return
        for (const [sec, changes] of rules) {
          if (st.dirty >= changes && now - st.lastSave >= sec) {
            c.bgsave()
            return
          }
        }
      }, 1000)
      if (typeof timer === 'object' && 'unref' in timer) timer.unref()
    },

    snapshot(snap) {
      return rdbFileSink(ctx!.store, snap, path, write)
    },

    // As Redis's SHUTDOWN: a final save when save rules are set (now, not when opened).
    get saveOnClose() {
      return options.saveOnClose ?? rules.length > 0
    },

    close(opts) {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      if (!this.saveOnClose || opts?.save === false || ctx === undefined) return
      // Redis's SHUTDOWN with save points: one last synchronous save.
      const snap = KeyspaceSnapshot.sync(ctx.store.ks)
      const sink = rdbFileSink(ctx.store, snap, path, write)
      snap.add(sink)
      void snap.run()
      sink.end()
    },
  }
}

/** Size of a file, or 0 when missing. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
