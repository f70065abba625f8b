/**
 * What a server process needs to persist like redis-server: adapters from
 * redis.conf-style settings (`--dir`, `--dbfilename`, `--save`,
 * `--appendonly`, `--appendfsync`, ...) and a progress bar for loading.
 */
import { join } from 'node:path'
import type { PersistenceAdapter } from './adapter.js'
import { aofFile, type FsyncPolicy } from './aof.js'
import { parseSaveRules, REDIS_SAVE_RULES } from '../commands/persistence.js'
import { rdbFile } from './file.js'

/** redis-server's persistence settings. */
export interface ServerPersistenceOptions {
  /** Working directory (`dir`). Default '.'. */
  dir?: string
  /** RDB file name (`dbfilename`). Default 'dump.rdb'. */
  dbfilename?: string
  /** Save rules as redis.conf writes them: '3600 1 300 100 60 10000', or '' for none. Default: Redis's rules. */
  save?: string
  /** `appendonly yes|no`. Default no. */
  appendonly?: boolean
  /** `appendfsync always|everysec|no`. Default everysec. */
  appendfsync?: FsyncPolicy
  /** `appenddirname`, `appendfilename`. */
  appenddirname?: string
  appendfilename?: string
  /** `rdbcompression`, `rdbchecksum`. Default true. */
  rdbcompression?: boolean
  rdbchecksum?: boolean
}

/**
 * The adapters redis-server would use for these settings: the AOF first (it
 * is what loads when it exists, as with `appendonly yes`), then the RDB file
 * (loaded when there is no AOF yet, saved by SAVE/BGSAVE/save rules and on
 * shutdown when save rules are set).
 */
export function serverPersistence(o: ServerPersistenceOptions = {}): PersistenceAdapter[] {
  const dir = o.dir ?? '.'
  const write = { compression: o.rdbcompression ?? true, checksum: o.rdbchecksum ?? true }
  const out: PersistenceAdapter[] = []
  if (o.appendonly) {
    out.push(
      aofFile({
        dir,
        fsync: o.appendfsync ?? 'everysec',
        ...(o.appenddirname !== undefined ? { dirname: o.appenddirname } : {}),
        ...(o.appendfilename !== undefined ? { filename: o.appendfilename } : {}),
        ...write,
      }),
    )
  }
  out.push(rdbFile({ path: join(dir, o.dbfilename ?? 'dump.rdb'), save: o.save === undefined ? REDIS_SAVE_RULES : parseSaveRules(o.save), ...write }))
  return out
}

/**
 * A progress callback drawing a bar on a terminal stream (or plain lines
 * when it is not a terminal): `openStore({ persistence, onProgress: progressBar(process.stderr) })`.
 */
export function progressBar(stream: NodeJS.WriteStream, width = 30): (done: number, total: number, what: string) => void {
  let last = -1
  return (done, total, what) => {
    const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100
    if (pct === last) return
    last = pct
    const filled = Math.round((pct * width) / 100)
    const line = `Loading ${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%`
    if (stream.isTTY) stream.write(`\r${line}${pct === 100 ? '\n' : ''}`)
    else if (pct === 100 || pct % 25 === 0) stream.write(line + '\n')
  }
}
