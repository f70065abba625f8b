import { keyOf } from '../core/bytes.js'
import { fail } from '../core/errors.js'
import type { Status } from '../core/reply.js'
import {
  COPY,
  DEL,
  EXISTS,
  expireGeneric,
  KEYS,
  MOVE,
  OBJECT_ENCODING,
  OBJECT_FREQ,
  OBJECT_IDLETIME,
  OBJECT_REFCOUNT,
  parseScanOptions,
  PERSIST,
  RANDOMKEY,
  RENAME,
  RENAMENX,
  SCAN,
  TOUCH,
  ttlGeneric,
  TYPE,
  UNLINK,
  type ScanArgs,
} from '../commands/keys.js'
import { expireTime } from '../commands/util.js'
import type { StoreCore } from '../store-core.js'
import { memberText, membersText, scanOptionArgs } from './sets.js'
import { int64Of, isInt32, needArgs, valueOf, type Key } from './strings.js'

/** A key's type as TYPE names it. */
export type KeyType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'none'

/** Condition for EXPIRE and friends. */
export type ExpireCondition = 'NX' | 'XX' | 'GT' | 'LT'

/** Options of `scan()` and `scanIterator()`. */
export interface ScanOptions {
  /** Glob-style pattern keys must match. */
  match?: string
  /** How many slots to visit per call (a hint, default 10). */
  count?: number
  /** Only keys of this type. */
  type?: Exclude<KeyType, 'none'>
}

const CONDITIONS: Record<ExpireCondition, number> = { NX: 1, XX: 2, GT: 4, LT: 8 }

function scanArgs(cursor: number | string, o: ScanOptions | undefined): ScanArgs {
  const a = scanOptionArgs(o)
  a.unshift(typeof cursor === 'string' ? cursor : (valueOf(cursor) as string))
  if (o?.type !== undefined) a.push('TYPE', o.type)
  return parseScanOptions(a, 1, true)
}

/** A database index as MOVE, COPY and SELECT read it: a 32-bit integer, then a database that exists. */
export function dbIndex(store: StoreCore, n: number): number {
  if (!isInt32(n)) fail('value is not an integer or out of range')
  if (n < 0 || n >= store.ks.dbs.length) fail('DB index is out of range')
  return n
}

function expireIn(store: StoreCore, key: Key, n: number, unit: 1 | 1000, relative: boolean, condition: ExpireCondition | undefined, name: string): boolean {
  int64Of(n)
  const flags = condition === undefined ? 0 : CONDITIONS[condition]
  if (flags === undefined) fail(`Unsupported option ${condition}`)
  // StoreCore.atOneTime() inlined: its closure would cost a quarter of the call.
  const ks = store.ks
  const own = ks.beginSnapshot()
  try {
    const at = expireTime(n, unit, relative, ks.now())
    if (at === undefined) fail(`invalid expire time in '${name}' command`)
    return expireGeneric(store.s, { key: keyOf(key), at, flags }) === 1
  } finally {
    if (own) ks.endSnapshot()
  }
}

/** Generic key commands on the typed Store. */
export class KeysApi {
  /** DEL: deletes keys; returns how many existed. */
  del(this: StoreCore, ...keys: Key[]): number {
    needArgs(keys.length, 'del')
    return DEL.run(this.s, keys.map(keyOf)) as number
  }

  /** UNLINK: same as DEL here (there is no background thread to hand the memory to). */
  unlink(this: StoreCore, ...keys: Key[]): number {
    needArgs(keys.length, 'unlink')
    return UNLINK.run(this.s, keys.map(keyOf)) as number
  }

  /** EXISTS: how many of the keys exist (a key named twice counts twice). */
  exists(this: StoreCore, ...keys: Key[]): number {
    needArgs(keys.length, 'exists')
    return EXISTS.run(this.s, keys.map(keyOf)) as number
  }

  /** TOUCH: updates access times; returns how many exist. */
  touch(this: StoreCore, ...keys: Key[]): number {
    needArgs(keys.length, 'touch')
    return TOUCH.run(this.s, keys.map(keyOf)) as number
  }

  /** TYPE: the type of the value at `key`, or 'none'. */
  type(this: StoreCore, key: Key): KeyType {
    return (TYPE.run(this.s, keyOf(key)) as Status).value as KeyType
  }

  /** EXPIRE: sets a TTL in seconds. True when set (a TTL ≤ 0 deletes the key and also returns true). */
  expire(this: StoreCore, key: Key, seconds: number, condition?: ExpireCondition): boolean {
    return expireIn(this, key, seconds, 1000, true, condition, 'expire')
  }

  /** PEXPIRE: sets a TTL in milliseconds. */
  pexpire(this: StoreCore, key: Key, ms: number, condition?: ExpireCondition): boolean {
    return expireIn(this, key, ms, 1, true, condition, 'pexpire')
  }

  /** EXPIREAT: expires at a Unix time in seconds. */
  expireat(this: StoreCore, key: Key, unixSeconds: number, condition?: ExpireCondition): boolean {
    return expireIn(this, key, unixSeconds, 1000, false, condition, 'expireat')
  }

  /** PEXPIREAT: expires at a Unix time in milliseconds. */
  pexpireat(this: StoreCore, key: Key, unixMs: number, condition?: ExpireCondition): boolean {
    return expireIn(this, key, unixMs, 1, false, condition, 'pexpireat')
  }

  /** TTL in seconds: -2 when the key is missing, -1 when it has no TTL. */
  ttl(this: StoreCore, key: Key): number {
    return ttlGeneric(this.s, keyOf(key), false, false)
  }

  /** PTTL in milliseconds: -2 missing, -1 no TTL. */
  pttl(this: StoreCore, key: Key): number {
    return ttlGeneric(this.s, keyOf(key), true, false)
  }

  /** EXPIRETIME: absolute Unix time in seconds; -2 missing, -1 no TTL. */
  expiretime(this: StoreCore, key: Key): number {
    return ttlGeneric(this.s, keyOf(key), false, true)
  }

  /** PEXPIRETIME: absolute Unix time in milliseconds; -2 missing, -1 no TTL. */
  pexpiretime(this: StoreCore, key: Key): number {
    return ttlGeneric(this.s, keyOf(key), true, true)
  }

  /** PERSIST: removes the TTL. True when there was one. */
  persist(this: StoreCore, key: Key): boolean {
    return PERSIST.run(this.s, keyOf(key)) === 1
  }

  /** KEYS: every key matching a glob-style pattern. O(n): prefer `scanIterator()` on large databases. */
  keys(this: StoreCore, pattern = '*'): string[] {
    return membersText(KEYS.run(this.s, pattern) as string[])
  }

  /** SCAN: one step of an iteration; returns [next cursor, keys]. Cursor '0' starts and ends it. */
  scan(this: StoreCore, cursor: number | string, options?: ScanOptions): [string, string[]] {
    const r = SCAN.run(this.s, scanArgs(cursor, options)) as [string, string[]]
    membersText(r[1])
    return r
  }

  /** Iterates over every key with SCAN's guarantees (every key present throughout is seen at least once). */
  *scanIterator(this: StoreCore, options?: ScanOptions): IterableIterator<string> {
    let cursor = '0'
    do {
      const [next, keys] = SCAN.run(this.s, scanArgs(cursor, options)) as [string, string[]]
      yield* membersText(keys)
      cursor = next
    } while (cursor !== '0')
  }

  /** RANDOMKEY: a random key, or null when the database is empty. */
  randomkey(this: StoreCore): string | null {
    const k = RANDOMKEY.run(this.s, undefined) as string | null
    return k === null ? null : memberText(k)
  }

  /** RENAME: renames a key (ERR no such key when missing). */
  rename(this: StoreCore, key: Key, newKey: Key): 'OK' {
    RENAME.run(this.s, [keyOf(key), keyOf(newKey)])
    return 'OK'
  }

  /** RENAMENX: renames only if the new name is free. True when renamed. */
  renamenx(this: StoreCore, key: Key, newKey: Key): boolean {
    return RENAMENX.run(this.s, [keyOf(key), keyOf(newKey)]) === 1
  }

  /** MOVE: moves a key to another database. True when moved. */
  move(this: StoreCore, key: Key, db: number): boolean {
    return MOVE.run(this.s, [keyOf(key), dbIndex(this, db)]) === 1
  }

  /** COPY: copies a key (value and TTL), optionally to another database. True when copied. */
  copy(this: StoreCore, source: Key, destination: Key, options: { db?: number; replace?: boolean } = {}): boolean {
    this.beforeWrite()
    const db = options.db === undefined ? undefined : dbIndex(this, options.db)
    return COPY.run(this.s, { src: keyOf(source), dst: keyOf(destination), db, replace: !!options.replace }) === 1
  }

  /** OBJECT ENCODING: the encoding Redis would use for the value, or null. */
  objectEncoding(this: StoreCore, key: Key): string | null {
    return OBJECT_ENCODING.run(this.s, keyOf(key)) as string | null
  }

  /** OBJECT IDLETIME: seconds since last access, or null. */
  objectIdletime(this: StoreCore, key: Key): number | null {
    return OBJECT_IDLETIME.run(this.s, keyOf(key)) as number | null
  }

  /** OBJECT FREQ: the LFU counter (needs an LFU maxmemory policy), or null. */
  objectFreq(this: StoreCore, key: Key): number | null {
    return OBJECT_FREQ.run(this.s, keyOf(key)) as number | null
  }

  /** OBJECT REFCOUNT, or null. */
  objectRefcount(this: StoreCore, key: Key): number | null {
    return OBJECT_REFCOUNT.run(this.s, keyOf(key)) as number | null
  }
}
