/**
 * Persistence commands: DUMP and RESTORE (Redis's payload: RDB value, RDB
 * version, CRC-64), SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF. The snapshot and
 * append-only work is done by the store's persistence adapters
 * (src/persistence/); a store without adapters has nothing to write, so its
 * SAVE/BGSAVE/BGREWRITEAOF succeed without doing anything.
 */
import { toBuffer } from '../core/bytes.js'
import { E, fail, ReplyError, syntaxError } from '../core/errors.js'
import { string2ll } from '../core/numbers.js'
import { OK, Status, type Reply } from '../core/reply.js'
import { configWords, registerConfig, strtollWhole } from '../keyspace/config.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { hostOf } from '../persistence/adapter.js'
import { decodeDumpPayload, verifyDumpPayload, DUMP_BAD_DATA, RdbError } from '../persistence/rdb/reader.js'
import { dumpPayload } from '../persistence/rdb/writer.js'
import { int, key, kw, numArg } from './args.js'
import { INFO_SECTIONS } from './server.js'
import { defineCommand, type Arg } from './table.js'

registerConfig({ name: 'rdbcompression', kind: { type: 'bool' }, default: true })
registerConfig({ name: 'rdbchecksum', kind: { type: 'bool' }, default: true, immutable: true })

/** Save rules: pairs of [seconds, changes] — save when at least `changes` writes happened and `seconds` passed. */
export type SaveRules = ReadonlyArray<readonly [seconds: number, changes: number]>
/** Redis's default save rules (`save 3600 1 300 100 60 10000`). */
export const REDIS_SAVE_RULES: SaveRules = [
  [3600, 1],
  [300, 100],
  [60, 10000],
]

/**
 * `save` as Redis's CONFIG SET reads it: pairs of numbers (strtoll's reading, see `strtollWhole`),
 * seconds at least 1, changes at least 0 (an int: larger counts wrap); nothing for no rules.
 */
export function parseSaveRules(text: string): SaveRules {
  const words = configWords(text)
  const bad = () => new Error('Invalid save parameters')
  if (words.length % 2 !== 0) throw bad()
  const nums = words.map((w, j) => {
    const n = strtollWhole(w)
    if (n === undefined || n < (j % 2 === 0 ? 1n : 0n)) throw bad()
    return j % 2 === 0 ? Number(n) : Number(BigInt.asIntN(32, n))
  })
  const rules: Array<[number, number]> = []
  for (let j = 0; j < nums.length; j += 2) rules.push([nums[j]!, nums[j + 1]!])
  return rules
}

// What the store's persistence adapters do: they set these when they open (an RDB file its rules, none
// without one), and follow CONFIG SET save and appendfsync. The append-only file cannot be switched on
// or off at run time: a store is opened with the AOF adapter or without it.
registerConfig({
  name: 'save',
  kind: { type: 'custom', parse: parseSaveRules, format: (v) => (v as SaveRules).map(([s, c]) => `${s} ${c}`).join(' ') },
  default: [],
})
registerConfig({
  name: 'appendonly',
  kind: {
    type: 'custom',
    parse(text: string, current: unknown): boolean {
      const t = text.toLowerCase()
      if (t !== 'yes' && t !== 'no') throw new Error("argument must be 'yes' or 'no'")
      if ((t === 'yes') !== current) throw new Error('the append-only file is switched on or off by opening the store with or without the AOF adapter')
      return t === 'yes'
    },
    format: (v) => (v ? 'yes' : 'no'),
  },
  default: false,
})
// With save rules set and the last background save failed, write commands are refused (MISCONF), as in Redis.
registerConfig({ name: 'stop-writes-on-bgsave-error', kind: { type: 'bool' }, default: true })
registerConfig({ name: 'appendfsync', kind: { type: 'enum', values: ['everysec', 'always', 'no'] }, default: 'everysec' })
registerConfig({ name: 'dir', kind: { type: 'string' }, default: (globalThis as { process?: { cwd?(): string } }).process?.cwd?.() ?? '/', protected: true })
registerConfig({ name: 'dbfilename', kind: { type: 'string' }, default: 'dump.rdb', protected: true })
registerConfig({ name: 'appenddirname', kind: { type: 'string' }, default: 'appendonlydir', immutable: true })
registerConfig({ name: 'appendfilename', kind: { type: 'string' }, default: 'appendonly.aof', immutable: true })
registerConfig({ name: 'enable-protected-configs', kind: { type: 'enum', values: ['no', 'yes', 'local'] }, default: 'no', immutable: true })

// ---------------------------------------------------------------- DUMP / RESTORE

export const DUMP = defineCommand('dump', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.read(k)
    if (e === undefined) return null
    return dumpPayload(e, ctx.ks.config.get<boolean>('rdbcompression'))
  },
})

/** RESTORE arguments. `ttl` is parsed in `run`, after the BUSYKEY check, as Redis does. */
export interface RestoreArgs {
  key: string
  ttl: Arg
  payload: Buffer
  replace: boolean
  absttl: boolean
  /** IDLETIME seconds, or -1. */
  idle: number
  /** FREQ counter, or -1. */
  freq: number
  /** The option arguments as given (the effect repeats them). */
  opts: Arg[]
}

export function parseRestore(a: Arg[]): RestoreArgs {
  const r: RestoreArgs = { key: key(a[0]!), ttl: a[1]!, payload: toBuffer(a[2]!), replace: false, absttl: false, idle: -1, freq: -1, opts: a.slice(3) }
  for (let i = 3; i < a.length; i++) {
    const o = kw(a[i]!)
    const more = a.length - i - 1
    if (o === 'REPLACE') r.replace = true
    else if (o === 'ABSTTL') r.absttl = true
    else if (o === 'IDLETIME' && more >= 1 && r.freq === -1) {
      r.idle = int(a[++i]!)
      if (r.idle < 0) fail('Invalid IDLETIME value, must be >= 0')
    } else if (o === 'FREQ' && more >= 1 && r.idle === -1) {
      r.freq = int(a[++i]!)
      if (r.freq < 0 || r.freq > 255) fail('Invalid FREQ value, must be >= 0 and <= 255')
    } else syntaxError()
  }
  return r
}

export function restore(ctx: Session, a: RestoreArgs): Reply {
  const db = ctx.db
  if (!a.replace && db.lookup(a.key) !== undefined) fail(E.BUSYKEY)
  const t = string2ll(typeof a.ttl === 'string' ? a.ttl : a.ttl.toString('latin1'))
  if (t === undefined) fail(E.NOT_INTEGER)
  let ttl = typeof t === 'bigint' ? Number(t) : t
  if (ttl < 0) fail('Invalid TTL value, must be >= 0')
  const bad = verifyDumpPayload(a.payload)
  if (bad !== undefined) fail(bad)
  let v
  try {
    v = decodeDumpPayload(a.payload, { cfg: ctx.ks.config, session: ctx })
  } catch (e) {
    if (e instanceof RdbError) fail(DUMP_BAD_DATA)
    throw e
  }
  const deleted = a.replace && db.lookup(a.key) !== undefined && db.delete(a.key)
  if (ttl !== 0 && !a.absttl) ttl += ctx.ks.now()
  if (ttl !== 0 && ttl <= ctx.ks.now()) {
    // Already expired: the key is not created (an old one replaced is gone).
    if (deleted) {
      ctx.signal(a.key, N.GENERIC, 'del')
      if (ctx.ks.fx) ctx.effect('DEL', a.key)
    }
    return OK
  }
  const e = db.add(a.key, v.type, v.value)
  if (ttl !== 0) db.setExpire(a.key, e, ttl)
  const mem = ctx.store.memory
  if (a.freq >= 0) mem.setFrequency(e, a.freq, db)
  else if (a.idle >= 0) mem.setIdleTime(e, a.idle, db)
  ctx.signal(a.key, N.GENERIC, 'restore')
  if (ctx.ks.fx) {
    // A relative TTL goes to the log as an absolute one.
    if (ttl !== 0 && !a.absttl) ctx.effect('RESTORE', a.key, numArg(ttl), a.payload, ...a.opts, 'ABSTTL')
    else ctx.effect('RESTORE', a.key, a.ttl, a.payload, ...a.opts)
  }
  return OK
}

export const RESTORE = defineCommand('restore', { parse: parseRestore, run: restore })

// ---------------------------------------------------------------- SAVE / BGSAVE / LASTSAVE / BGREWRITEAOF

/** LASTSAVE for stores without adapters: the last (no-op) save, or the start time. */
const lastSaves = new WeakMap<StoreCore, number>()

/** Unix time (s) of the last successful save. */
export function lastSave(store: StoreCore): number {
  const host = hostOf(store)
  if (host !== undefined) return host.state.lastSave
  return lastSaves.get(store) ?? Math.floor(store.ks.stats.startTime / 1000)
}

/** SAVE: a synchronous snapshot through the adapters. */
export function save(ctx: Session): Reply {
  const host = hostOf(ctx.store)
  if (host === undefined) {
    lastSaves.set(ctx.store, Math.floor(ctx.ks.clock.now() / 1000))
    return OK
  }
  if (host.state.bgsaveRunning) fail('Background save already in progress')
  try {
    host.save()
  } catch {
    // Redis answers a failed SAVE with a bare "ERR" (the reason goes to its log).
    return new ReplyError('ERR')
  }
  return OK
}

export const SAVE = defineCommand('save', { parse: () => undefined, run: (ctx) => save(ctx) })

export const BGSAVE = defineCommand('bgsave', {
  parse(a): boolean {
    if (a.length === 0) return false
    if (a.length === 1 && kw(a[0]!) === 'SCHEDULE') return true
    return syntaxError()
  },
  run(ctx, schedule: boolean): Reply {
    const host = hostOf(ctx.store)
    if (host === undefined) {
      lastSaves.set(ctx.store, Math.floor(ctx.ks.clock.now() / 1000))
      return new Status('Background saving started')
    }
    // Inside a transaction Redis defers the save until the transaction is over.
    if (ctx.noBlock && !host.state.bgsaveRunning) {
      host.state.bgsaveScheduled = true
      setImmediate(() => {
        if (host.state.bgsaveScheduled) host.bgsave(true)
      })
      return new Status('Background saving scheduled')
    }
    const r = host.bgsave(schedule)
    if (r === 'running') fail('Background save already in progress')
    if (r === 'busy') fail("Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
    return new Status(r === 'scheduled' ? 'Background saving scheduled' : 'Background saving started')
  },
})

export const LASTSAVE = defineCommand('lastsave', { parse: () => undefined, run: (ctx): Reply => lastSave(ctx.store) })

export const BGREWRITEAOF = defineCommand('bgrewriteaof', {
  parse: () => undefined,
  run(ctx): Reply {
    const host = hostOf(ctx.store)
    if (host === undefined) return new Status('Background append only file rewriting started')
    const r = host.rewrite(ctx.noBlock)
    if (r === 'running') fail('Background append only file rewriting already in progress')
    return new Status(r === 'scheduled' ? 'Background append only file rewriting scheduled' : 'Background append only file rewriting started')
  },
})

/**
 * Redis 7.2's INFO persistence fields in its order, with the values of a server that has not saved:
 * what the persistence layer reports replaces them, and its further fields (AOF sizes…) follow.
 */
const PERSISTENCE_FIELDS: ReadonlyArray<[string, string | number]> = [
  ['loading', 0],
  ['async_loading', 0],
  ['current_cow_peak', 0],
  ['current_cow_size', 0],
  ['current_cow_size_age', 0],
  ['current_fork_perc', '0.00'],
  ['current_save_keys_processed', 0],
  ['current_save_keys_total', 0],
  ['rdb_changes_since_last_save', 0],
  ['rdb_bgsave_in_progress', 0],
  ['rdb_last_save_time', 0],
  ['rdb_last_bgsave_status', 'ok'],
  ['rdb_last_bgsave_time_sec', -1],
  ['rdb_current_bgsave_time_sec', -1],
  ['rdb_saves', 0],
  ['rdb_last_cow_size', 0],
  ['rdb_last_load_keys_expired', 0],
  ['rdb_last_load_keys_loaded', 0],
  ['aof_enabled', 0],
  ['aof_rewrite_in_progress', 0],
  ['aof_rewrite_scheduled', 0],
  ['aof_last_rewrite_time_sec', -1],
  ['aof_current_rewrite_time_sec', -1],
  ['aof_last_bgrewrite_status', 'ok'],
  ['aof_rewrites', 0],
  ['aof_rewrites_consecutive_failures', 0],
  ['aof_last_write_status', 'ok'],
  ['aof_last_cow_size', 0],
  ['module_fork_in_progress', 0],
  ['module_fork_last_cow_size', 0],
]
const PERSISTENCE_NAMES = new Set(PERSISTENCE_FIELDS.map(([k]) => k))

INFO_SECTIONS.set('persistence', (ctx) => {
  const host = hostOf(ctx.store)
  const given = new Map<string, string | number>(host !== undefined ? host.info() : [['rdb_last_save_time', lastSave(ctx.store)]])
  const out: Array<[string, string | number]> = PERSISTENCE_FIELDS.map(([k, d]) => [k, given.get(k) ?? d])
  for (const kv of given) if (!PERSISTENCE_NAMES.has(kv[0])) out.push(kv)
  return out
})
