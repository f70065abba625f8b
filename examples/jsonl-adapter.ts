/**
 * Writing your own persistence adapter: a JSON-lines log.
 *
 * Every write's effect is appended as one line; a snapshot (SAVE, BGSAVE)
 * compacts the log into one line per key (its DUMP payload) followed by the
 * writes made while the snapshot was being taken. Loading replays the lines.
 * Run it twice with `npx tsx examples/jsonl-adapter.ts` and see the data survive.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Store } from '../src/index.js'
import { dumpEntry, keyBytes, type Effect, type PersistenceAdapter } from '../src/persistence/index.js'

/** One line of the log: a key with its value, or a command to replay. */
type Line = { db: number; key: string; dump: string; expireAt: number } | { db: number; argv: string[] }

const b64 = (x: string | Buffer): string => (typeof x === 'string' ? keyBytes(x) : x).toString('base64')
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64')

export function jsonlLog(path: string): PersistenceAdapter {
  /** While a snapshot is written, new effects wait here (they belong after it). */
  let pending: string[] | null = null

  const append = (line: string): void => {
    if (pending !== null) pending.push(line)
    else appendFileSync(path, line)
  }

  return {
    name: 'jsonl',

    load(target) {
      if (!existsSync(path)) return false
      const lines = readFileSync(path, 'utf8').split('\n')
      lines.forEach((text, i) => {
        if (text === '') return
        const line = JSON.parse(text) as Line
        if ('argv' in line) target.execute(line.db, line.argv.map(unb64))
        else target.restore(line.db, unb64(line.key), unb64(line.dump), line.expireAt)
        if (i % 1000 === 0) target.progress(i, lines.length)
      })
      return true
    },

    effect(e: Effect) {
      append(JSON.stringify({ db: e.db, argv: e.argv.map(b64) }) + '\n')
    },

    snapshot() {
      const tmp = `${path}.tmp`
      const fd = openSync(tmp, 'w')
      pending = []
      return {
        visit(db, key, entry) {
          writeSync(fd, JSON.stringify({ db, key: b64(key), dump: dumpEntry(entry).toString('base64'), expireAt: entry.expire }) + '\n')
        },
        end() {
          // The writes made while the snapshot ran follow it.
          for (const line of pending ?? []) writeSync(fd, line)
          pending = null
          fsyncSync(fd)
          closeSync(fd)
          renameSync(tmp, path)
        },
        abort() {
          closeSync(fd)
          for (const line of pending ?? []) appendFileSync(path, line)
          pending = null
        },
      }
    },
  }
}

// ---- a short demonstration (when run directly)

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) demo()

function demo(): void {
  const file = join(tmpdir(), 'embedis-example.jsonl')
  const store = new Store({ persistence: jsonlLog(file) })
  const visits = store.incr('visits')
  store.hset('user:1', { name: 'Ada', visits: String(visits) })
  store.zadd('scores', [[visits, `run-${visits}`]])
  console.log(`run ${visits}: log at ${file}`)
  console.log('scores so far:', store.zrange('scores', 0, -1))
  if (visits % 3 === 0) {
    store.save()
    console.log('compacted the log:', readFileSync(file, 'utf8').split('\n').length - 1, 'lines')
  }
  store.close()
}
