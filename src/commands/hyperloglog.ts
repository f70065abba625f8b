/**
 * HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST, as
 * Redis 7.2's hyperloglog.c. The value is an ordinary string holding Redis's
 * HYLL bytes (src/types/hyperloglog.ts), so GET, SET, DUMP and APPEND see
 * exactly what Redis would store.
 */
import { Buffer } from 'node:buffer'
import type { StoredStr } from '../core/bytes.js'
import { fail, wrongType } from '../core/errors.js'
import { OK, Status, type Reply } from '../core/reply.js'
import { hotParam, registerConfig } from '../keyspace/config.js'
import { F_RAW, T, type Entry } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import {
  HLL_SPARSE_MAX_BYTES_DEFAULT,
  hllAdd,
  hllCount,
  hllCountRegisters,
  hllCreate,
  hllDecodeSparse,
  hllEncoding,
  hllErrors,
  hllIsDense,
  hllMergeInto,
  hllNewRegisters,
  hllRegisters,
  hllSelfTest,
  hllStoreRegisters,
  hllToDense,
  isValidHll,
} from '../types/hyperloglog.js'
import { key, kw, str } from './args.js'
import { defineCommand, type Arg } from './table.js'

registerConfig({ name: 'hll-sparse-max-bytes', kind: { type: 'memory', min: 0, max: 9223372036854775807n }, default: HLL_SPARSE_MAX_BYTES_DEFAULT })

const sparseMaxBytes = hotParam<number>('hll-sparse-max-bytes')
const sparseMax = (ctx: Session): number => sparseMaxBytes(ctx.ks.config)

/**
 * Redis's isHLLObjectOrReply on an entry: a string (plain WRONGTYPE
 * otherwise) holding a well-formed HYLL header. Returns the bytes as a Buffer
 * the commands may edit: string values are converted and stored back.
 */
function hllBytes(e: Entry): Buffer {
  if (e.type !== T.STRING) wrongType()
  let v = e.value as StoredStr
  // An integer kept by INCR is digits, never a HYLL header.
  if (typeof v === 'number') fail(hllErrors.WRONGTYPE)
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8')
    if (!isValidHll(b)) fail(hllErrors.WRONGTYPE)
    e.value = v = b
  }
  if (!isValidHll(v)) fail(hllErrors.WRONGTYPE)
  return v
}

// ---------------------------------------------------------------- PFADD

export interface PfAddArgs {
  key: string
  elements: Array<string | Buffer>
}

export const PFADD = defineCommand('pfadd', {
  parse: (a): PfAddArgs => ({ key: key(a[0]!), elements: a.slice(1) }),
  run(ctx, a: PfAddArgs): Reply {
    const db = ctx.db
    let e = db.lookup(a.key)
    let updated = false
    let buf: Buffer
    if (e === undefined) {
      buf = hllCreate()
      e = db.add(a.key, T.STRING, buf)
      e.flags |= F_RAW
      updated = true
    } else {
      buf = hllBytes(e)
      e.flags |= F_RAW
    }
    if (a.elements.length > 0) {
      const r = hllAdd(buf, a.elements, sparseMax(ctx))
      e.value = r.buf
      // Corrupt sparse data: the registers raised so far stay, as in Redis, but nothing is signalled.
      if (r.corrupt) fail(hllErrors.INVALID)
      if (r.changed) updated = true
    }
    if (!updated) return 0
    // A new key without elements, or a key whose registers changed: the cache is stale either way.
    const v = e.value as Buffer
    v[15] = v[15]! | 0x80
    ctx.signal(a.key, N.STRING, 'pfadd')
    if (ctx.ks.fx) ctx.effect('PFADD', a.key, ...a.elements)
    return 1
  },
})

// ---------------------------------------------------------------- PFCOUNT

export const PFCOUNT = defineCommand('pfcount', {
  parse: (a): string[] => a.map(key),
  run(ctx, keys: string[]): Reply {
    const db = ctx.db
    if (keys.length > 1) {
      // The cardinality of the union; nothing is cached.
      const regs = hllNewRegisters()
      for (const k of keys) {
        const e = db.read(k)
        if (e === undefined) continue
        hllMergeInto(regs, hllBytes(e))
      }
      return hllCountRegisters(regs)
    }
    const k = keys[0]!
    const e = db.read(k)
    if (e === undefined) return 0
    const buf = hllBytes(e)
    e.flags |= F_RAW
    const r = hllCount(buf)
    if (r.modified) {
      // The recomputed estimate was cached in the header: the value changed.
      ctx.ks.keyChanged(db, k)
      if (ctx.ks.fx) ctx.effect('PFCOUNT', k)
    }
    return r.count
  },
})

// ---------------------------------------------------------------- PFMERGE

export interface PfMergeArgs {
  dest: string
  sources: string[]
}

export const PFMERGE = defineCommand('pfmerge', {
  parse: (a): PfMergeArgs => ({ dest: key(a[0]!), sources: a.slice(1).map(key) }),
  run(ctx, a: PfMergeArgs): Reply {
    const db = ctx.db
    const regs = hllNewRegisters()
    let useDense = false
    // The destination is an input too.
    for (let i = -1; i < a.sources.length; i++) {
      const k = i < 0 ? a.dest : a.sources[i]!
      const e = db.read(k)
      if (e === undefined) continue
      const b = hllBytes(e)
      if (hllIsDense(b)) useDense = true
      hllMergeInto(regs, b)
    }
    const e = db.lookup(a.dest)
    const cur = e === undefined ? null : (e.value as Buffer)
    const out = hllStoreRegisters(cur, regs, useDense, sparseMax(ctx))
    if (e === undefined) db.add(a.dest, T.STRING, out).flags |= F_RAW
    else {
      e.value = out
      e.flags |= F_RAW
    }
    ctx.signal(a.dest, N.STRING, 'pfadd')
    if (ctx.ks.fx) ctx.effect('PFMERGE', a.dest, ...a.sources)
    return OK
  },
})

// ---------------------------------------------------------------- PFDEBUG / PFSELFTEST

export const PFDEBUG = defineCommand('pfdebug', {
  parse: (a): [Arg, string] => [a[0]!, key(a[1]!)],
  run(ctx, [sub, k]: [Arg, string]): Reply {
    const e = ctx.db.lookup(k)
    if (e === undefined) fail('The specified key does not exist')
    const buf = hllBytes(e)
    e.flags |= F_RAW
    const cmd = kw(sub)
    if (cmd === 'GETREG') {
      if (!hllIsDense(buf)) {
        // Redis propagates the conversion but does not signal the key (WATCH is not touched).
        e.value = hllToDense(buf)
        if (ctx.ks.fx) ctx.effect('PFDEBUG', 'TODENSE', k)
      }
      return Array.from(hllRegisters(e.value as Buffer))
    }
    if (cmd === 'DECODE') return hllDecodeSparse(buf)
    if (cmd === 'ENCODING') return new Status(hllEncoding(buf))
    if (cmd === 'TODENSE') {
      if (hllIsDense(buf)) return 0
      e.value = hllToDense(buf)
      if (ctx.ks.fx) ctx.effect('PFDEBUG', 'TODENSE', k)
      return 1
    }
    return fail(`Unknown PFDEBUG subcommand '${str(sub)}'`)
  },
})

/** Elements PFSELFTEST feeds its sparse and dense test values (Redis uses 10M; the checks are the same). */
const SELFTEST_ELEMENTS = 1_000_000

export const PFSELFTEST = defineCommand('pfselftest', {
  parse: () => undefined,
  run(ctx): Reply {
    const err = hllSelfTest(sparseMax(ctx), 1000, SELFTEST_ELEMENTS)
    if (err !== null) fail('-' + err)
    return OK
  },
})
