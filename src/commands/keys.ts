import { Buffer } from 'node:buffer'
import { byteLength, strOf, type StoredStr, type StrValue } from '../core/bytes.js'
import { E, fail, syntaxError } from '../core/errors.js'
import { compileGlob } from '../core/glob.js'
import { string2ll } from '../core/numbers.js'
import { OK, Status, type Reply } from '../core/reply.js'
import { F_NOINT, F_NOSHARE, F_RAW, T, TYPE_NAMES, type Database, type Entry } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import { int, int64, key, kw, numArg, str } from './args.js'
import { defineCommand, helpReply } from './table.js'
import { exactTime, expireTime, timeArg } from './util.js'

/**
 * Per-type hooks the collection modules register: how OBJECT ENCODING names a
 * value's encoding and how COPY duplicates it.
 */
export interface TypeHooks {
  encoding(value: any, ctx: Session): string
  clone(value: any): unknown
}
export const TYPE_HOOKS: Partial<Record<number, TypeHooks>> = {}

TYPE_HOOKS[T.STRING] = {
  encoding: (v: StoredStr) => stringEncoding(v, 0),
  clone: (v: StoredStr) => (typeof v === 'object' ? Buffer.from(v) : v),
}

/** OBJECT ENCODING of a string value: int, embstr or raw, as Redis 7.2 picks them. */
export function stringEncoding(v: StoredStr, flags: number): string {
  if (typeof v === 'number') return 'int'
  const len = byteLength(v)
  if (len <= 20 && !(flags & (F_RAW | F_NOINT))) {
    const s = typeof v === 'string' ? v : v.toString('latin1')
    if (string2ll(s) !== undefined) return 'int'
  }
  if (flags & F_RAW) return 'raw'
  return len <= 44 ? 'embstr' : 'raw'
}

function encodingOf(e: Entry, ctx: Session): string {
  if (e.type === T.STRING) return stringEncoding(e.value as StoredStr, e.flags)
  const h = TYPE_HOOKS[e.type]
  return h ? h.encoding(e.value, ctx) : 'unknown'
}

/** A deep copy of an entry's value (COPY). */
export function cloneValue(e: Entry): unknown {
  const h = TYPE_HOOKS[e.type]
  if (!h) throw new Error(`no clone for type ${e.type}`)
  return h.clone(e.value)
}

// ---------------------------------------------------------------- existence and deletion

/** Deletes keys in the selected database, with `del` events and effects; returns how many existed. */
export function delKeys(ctx: Session, keys: string[], cmd: 'DEL' | 'UNLINK'): number {
  let n = 0
  const db = ctx.db
  for (const k of keys) {
    if (db.lookup(k) === undefined) continue
    db.delete(k)
    ctx.signal(k, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect(cmd, k)
    n++
  }
  return n
}

export const DEL = defineCommand('del', { parse: (a) => a.map(key), run: (ctx, keys: string[]): Reply => delKeys(ctx, keys, 'DEL') })
export const UNLINK = defineCommand('unlink', {
  parse: (a) => a.map(key),
  run: (ctx, keys: string[]): Reply => delKeys(ctx, keys, 'UNLINK'),
})

export const EXISTS = defineCommand('exists', {
  parse: (a) => a.map(key),
  run(ctx, keys: string[]): Reply {
    let n = 0
    for (const k of keys) if (ctx.db.readNoTouch(k) !== undefined) n++
    return n
  },
})

export const TOUCH = defineCommand('touch', {
  parse: (a) => a.map(key),
  run(ctx, keys: string[]): Reply {
    let n = 0
    for (const k of keys) if (ctx.db.read(k) !== undefined) n++
    return n
  },
})

export const TYPE = defineCommand('type', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.readNoTouch(k)
    return new Status(e === undefined ? 'none' : TYPE_NAMES[e.type]!)
  },
})

// ---------------------------------------------------------------- TTLs

const XF_NX = 1
const XF_XX = 2
const XF_GT = 4
const XF_LT = 8

/** EXPIRE-family arguments: absolute time in ms and the NX/XX/GT/LT condition. */
export interface ExpireArgs {
  key: string
  at: number
  flags: number
}

function parseExpire(unit: 1 | 1000, relative: boolean, name: string) {
  return (a: Arg[], ctx: Session): ExpireArgs => {
    let flags = 0
    for (let i = 2; i < a.length; i++) {
      const o = kw(a[i]!)
      if (o === 'NX') flags |= XF_NX
      else if (o === 'XX') flags |= XF_XX
      else if (o === 'GT') flags |= XF_GT
      else if (o === 'LT') flags |= XF_LT
      else fail(`Unsupported option ${str(a[i]!)}`)
    }
    if (flags & XF_NX && flags & (XF_XX | XF_GT | XF_LT)) fail('NX and XX, GT or LT options at the same time are not compatible')
    if (flags & XF_GT && flags & XF_LT) fail('GT and LT options at the same time are not compatible')
    const n = int64(a[1]!)
    const at = expireTime(n, unit, relative, ctx.ks.now())
    if (at === undefined) fail(`invalid expire time in '${name}' command`)
    return { key: key(a[0]!), at, flags }
  }
}
type Arg = string | Buffer

/** Sets a TTL as EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT do. Returns 1 when set (or the key was deleted for a past time). */
export function expireGeneric(ctx: Session, { key: k, at, flags }: ExpireArgs): Reply {
  const db = ctx.db
  const e = db.lookup(k)
  if (e === undefined) return 0
  if (flags) {
    const cur = e.expire
    if (flags & XF_NX && cur !== 0) return 0
    if (flags & XF_XX && cur === 0) return 0
    if (flags & XF_GT && (cur === 0 || at <= cur)) return 0
    if (flags & XF_LT && cur !== 0 && at >= cur) return 0
  }
  if (at <= ctx.ks.now()) {
    db.delete(k)
    ctx.signal(k, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect('DEL', k)
    return 1
  }
  db.setExpire(k, e, at)
  ctx.signal(k, N.GENERIC, 'expire')
  if (ctx.ks.fx) ctx.effect('PEXPIREAT', k, timeArg(at))
  return 1
}

export const EXPIRE = defineCommand('expire', { parse: parseExpire(1000, true, 'expire'), run: expireGeneric })
export const PEXPIRE = defineCommand('pexpire', { parse: parseExpire(1, true, 'pexpire'), run: expireGeneric })
export const EXPIREAT = defineCommand('expireat', { parse: parseExpire(1000, false, 'expireat'), run: expireGeneric })
export const PEXPIREAT = defineCommand('pexpireat', { parse: parseExpire(1, false, 'pexpireat'), run: expireGeneric })

/** TTL family: remaining (or absolute) time in s or ms; -2 missing, -1 no TTL. */
export function ttlGeneric(ctx: Session, k: string, ms: boolean, abs: boolean): number {
  const e = ctx.db.readNoTouch(k)
  if (e === undefined) return -2
  if (e.expire === 0) return -1
  let t = abs ? e.expire : e.expire - ctx.ks.now()
  if (t < 0) t = 0
  return ms ? t : Math.floor((t + 500) / 1000)
}

export const TTL = defineCommand('ttl', { parse: (a) => key(a[0]!), run: (ctx, k: string) => ttlGeneric(ctx, k, false, false) })
export const PTTL = defineCommand('pttl', { parse: (a) => key(a[0]!), run: (ctx, k: string) => ttlGeneric(ctx, k, true, false) })
export const EXPIRETIME = defineCommand('expiretime', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string) => ttlGeneric(ctx, k, false, true),
})
export const PEXPIRETIME = defineCommand('pexpiretime', {
  parse: (a) => key(a[0]!),
  run: (ctx, k: string): Reply => exactTime(ttlGeneric(ctx, k, true, true)),
})

export const PERSIST = defineCommand('persist', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.lookup(k)
    if (e === undefined || !ctx.db.persist(k, e)) return 0
    ctx.signal(k, N.GENERIC, 'persist')
    if (ctx.ks.fx) ctx.effect('PERSIST', k)
    return 1
  },
})

// ---------------------------------------------------------------- iteration

export const KEYS = defineCommand('keys', {
  parse: (a) => key(a[0]!),
  run(ctx, pattern: string): Reply {
    // A lone '*' is every key (the glob engine's '*' needs at least one byte, as Redis's does).
    const match = pattern === '*' ? undefined : compileGlob(pattern)
    const out: string[] = []
    const now = ctx.ks.now()
    for (const [k, e] of ctx.db.map) if ((e.expire === 0 || e.expire > now) && (match === undefined || match(k))) out.push(k)
    return out
  },
})

/** SCAN's options (also used by HSCAN/SSCAN/ZSCAN). */
export interface ScanArgs {
  cursor: number
  match: ((s: string) => boolean) | undefined
  count: number
  type: number | undefined
}

/** Parses a SCAN cursor: an unsigned 64-bit integer (`invalid cursor` otherwise). */
export function parseCursor(a: Arg): number {
  const s = str(a)
  // strtoul's rules without its wrap-around: leading blanks and '+' allowed, nothing after the digits.
  const m = /^[ \t\n\v\f\r]*\+?(\d{1,20})$/.exec(s)
  if (!m) fail(E.INVALID_CURSOR)
  const n = BigInt(m[1]!)
  if (n > 18446744073709551615n) fail(E.INVALID_CURSOR)
  return Number(n)
}

/** Parses `[MATCH pattern] [COUNT count]` (and `[TYPE type]` when `withType`) from `a[from]` on. */
export function parseScanOptions(a: Arg[], from: number, withType: boolean): ScanArgs {
  const r: ScanArgs = { cursor: parseCursor(a[from - 1]!), match: undefined, count: 10, type: undefined }
  for (let i = from; i < a.length; i++) {
    const o = kw(a[i]!)
    const left = a.length - i - 1
    if (o === 'COUNT' && left >= 1) {
      r.count = int(a[++i]!)
      if (r.count < 1) syntaxError()
    } else if (o === 'MATCH' && left >= 1) {
      const p = key(a[++i]!)
      r.match = p === '*' ? undefined : compileGlob(p)
    } else if (o === 'TYPE' && withType && left >= 1) {
      const t = str(a[++i]!).toLowerCase()
      const code = Object.entries(TYPE_NAMES).find(([, n]) => n === t)
      r.type = code ? Number(code[0]) : -1
    } else syntaxError()
  }
  return r
}

export const SCAN = defineCommand('scan', {
  parse: (a) => parseScanOptions(a, 1, true),
  run(ctx, o: ScanArgs): Reply {
    const out: string[] = []
    const next = ctx.db.scan(o.cursor, o.count, (k, e) => {
      if (o.type !== undefined && e.type !== o.type) return
      if (o.match !== undefined && !o.match(k)) return
      out.push(k)
    })
    return [String(next), out]
  },
})

export const RANDOMKEY = defineCommand('randomkey', {
  parse: () => undefined,
  run: (ctx): Reply => ctx.db.randomKey() ?? null,
})

// ---------------------------------------------------------------- moving keys

/** Moves an entry (value and TTL) to `dst` in database `to`, replacing what is there. */
function place(to: Database, dst: string, type: number, value: unknown, expire: number, flags: number): void {
  to.delete(dst)
  const e = to.add(dst, type, value)
  e.flags = flags
  if (expire !== 0) to.setExpire(dst, e, expire)
}

function renameGeneric(ctx: Session, [src, dst]: [string, string], nx: boolean): Reply {
  const db = ctx.db
  const e = db.lookup(src)
  if (e === undefined) fail(E.NO_SUCH_KEY)
  if (src === dst) return nx ? 0 : OK
  if (db.lookup(dst) !== undefined) {
    if (nx) return 0
  }
  const { type, value, expire, flags } = e
  db.delete(src)
  place(db, dst, type, value, expire, flags)
  ctx.signal(src, N.GENERIC, 'rename_from')
  ctx.signal(dst, N.GENERIC, 'rename_to')
  if (ctx.ks.fx) ctx.effect(nx ? 'RENAMENX' : 'RENAME', src, dst)
  return nx ? 1 : OK
}

export const RENAME = defineCommand('rename', {
  parse: (a): [string, string] => [key(a[0]!), key(a[1]!)],
  run: (ctx, a: [string, string]) => renameGeneric(ctx, a, false),
})
export const RENAMENX = defineCommand('renamenx', {
  parse: (a): [string, string] => [key(a[0]!), key(a[1]!)],
  run: (ctx, a: [string, string]) => renameGeneric(ctx, a, true),
})

function dbIndexArg(a: Arg, ctx: Session): number {
  const n = string2ll(str(a))
  if (n === undefined || typeof n === 'bigint' || n < -2147483648 || n > 2147483647) fail(E.NOT_INTEGER)
  if (n < 0 || n >= ctx.ks.dbs.length) fail(E.DB_INDEX)
  return n
}

export const MOVE = defineCommand('move', {
  parse: (a, ctx): [string, number] => [key(a[0]!), dbIndexArg(a[1]!, ctx)],
  run(ctx, [k, to]: [string, number]): Reply {
    const src = ctx.db
    if (to === src.id) fail(E.SAME_OBJECT)
    const e = src.lookup(k)
    if (e === undefined) return 0
    const dst = ctx.ks.dbs[to]!
    if (dst.lookup(k) !== undefined) return 0
    const { type, value, expire, flags } = e
    src.delete(k)
    place(dst, k, type, value, expire, flags)
    ctx.signal(k, N.GENERIC, 'move_from')
    ctx.ks.keyChanged(dst, k)
    ctx.ks.notify(N.GENERIC, 'move_to', k, to)
    if (ctx.ks.fx) ctx.effect('MOVE', k, String(to))
    return 1
  },
})

export interface CopyArgs {
  src: string
  dst: string
  db: number | undefined
  replace: boolean
}

export const COPY = defineCommand('copy', {
  parse(a, ctx): CopyArgs {
    const r: CopyArgs = { src: key(a[0]!), dst: key(a[1]!), db: undefined, replace: false }
    for (let i = 2; i < a.length; i++) {
      const o = kw(a[i]!)
      if (o === 'REPLACE') r.replace = true
      else if (o === 'DB' && i + 1 < a.length) {
        const n = string2ll(str(a[++i]!))
        if (n === undefined || typeof n === 'bigint' || n < -2147483648 || n > 2147483647) fail(E.NOT_INTEGER)
        if (n < 0 || n >= ctx.ks.dbs.length) fail(E.DB_INDEX)
        r.db = n
      } else syntaxError()
    }
    return r
  },
  run(ctx, o: CopyArgs): Reply {
    const src = ctx.db
    const dst = o.db === undefined ? src : ctx.ks.dbs[o.db]!
    if (src === dst && o.src === o.dst) fail(E.SAME_OBJECT)
    // The source is read as Redis's lookupKeyRead does (a keyspace hit or miss).
    const e = src.read(o.src)
    if (e === undefined) return 0
    if (dst.lookup(o.dst) !== undefined) {
      if (!o.replace) return 0
    }
    // Redis duplicates a string object, so a copied small integer is not the shared one.
    place(dst, o.dst, e.type, cloneValue(e), e.expire, e.type === T.STRING ? e.flags | F_NOSHARE : e.flags)
    ctx.ks.keyChanged(dst, o.dst)
    ctx.ks.notify(N.GENERIC, 'copy_to', o.dst, dst.id)
    if (ctx.ks.fx) {
      const argv: Arg[] = ['COPY', o.src, o.dst]
      if (o.db !== undefined) argv.push('DB', String(o.db))
      if (o.replace) argv.push('REPLACE')
      ctx.ks.emit(src.id, argv)
    }
    return 1
  },
})

// ---------------------------------------------------------------- OBJECT

export const OBJECT_ENCODING = defineCommand('object|encoding', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.readNoTouch(k, false)
    return e === undefined ? null : encodingOf(e, ctx)
  },
})

export const OBJECT_REFCOUNT = defineCommand('object|refcount', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.readNoTouch(k, false)
    if (e === undefined) return null
    // Redis shares the objects for the integers 0..9999 (refcount INT_MAX) while no LRU/LFU policy is active.
    if (e.type === T.STRING && !(e.flags & (F_RAW | F_NOINT | F_NOSHARE)) && ctx.store.sharedIntegers()) {
      const v = strOf(e.value as StoredStr)
      // Values that came over the wire are Buffers.
      const text = v.length > 4 ? '' : typeof v === 'string' ? v : v.toString('latin1')
      const n = text === '' ? undefined : string2ll(text)
      if (typeof n === 'number' && n >= 0 && n < 10000) return 2147483647
    }
    return 1
  },
})

export const OBJECT_IDLETIME = defineCommand('object|idletime', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.readNoTouch(k, false)
    if (e === undefined) return null
    return ctx.store.idleTime(e, ctx.db)
  },
})

export const OBJECT_FREQ = defineCommand('object|freq', {
  parse: (a) => key(a[0]!),
  run(ctx, k: string): Reply {
    const e = ctx.db.readNoTouch(k, false)
    if (e === undefined) return null
    return ctx.store.frequency(e, ctx.db)
  },
})

defineCommand('object|help', {
  parse: () => undefined,
  run: () =>
    helpReply('OBJECT', [
      'ENCODING <key>',
      '    Return the kind of internal representation used in order to store the value',
      '    associated with a <key>.',
      'FREQ <key>',
      '    Return the access frequency index of the <key>. The returned integer is',
      '    proportional to the logarithm of the recent access frequency of the key.',
      'IDLETIME <key>',
      '    Return the idle time of the <key>, that is the approximated number of',
      '    seconds elapsed since the last access to the key.',
      'REFCOUNT <key>',
      '    Return the number of references of the value associated with the specified',
      '    <key>.',
    ]),
})
