/**
 * SORT and SORT_RO over lists, sets and sorted sets, with BY and GET patterns
 * (`*` substitution, `->field` hash lookups, `#` for the element itself),
 * LIMIT, ASC/DESC, ALPHA and STORE, following Redis's sort.c step by step.
 */
import { Buffer } from 'node:buffer'
import { isBinaryKey, keyBytes, keyOf, strOf, type StoredStr, type StrValue } from '../core/bytes.js'
import { fail, syntaxError, wrongType } from '../core/errors.js'
import type { Reply } from '../core/reply.js'
import { T } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import { compareBytes, type SortedSet } from '../types/sorted-set.js'
import { int, key, kw } from './args.js'
import { listFill, ListValue } from './lists.js'
import { mout, strtodAll, ZSet } from './sorted-sets.js'
import { defineCommand, type Arg } from './table.js'

/** A BY or GET pattern, split once at parse time. */
export interface SortPattern {
  /** `#`: the element itself. */
  self: boolean
  /** False when the pattern has no `*` (such a GET always yields nil). */
  star: boolean
  /** Bytes before the `*`, after it (up to `->`), and the hash field after `->` (undefined for a string lookup). */
  pre: Buffer
  post: Buffer
  field: string | undefined
  /** The same parts as strings when the pattern is UTF-8 (the fast path). */
  preS: string | undefined
  postS: string | undefined
}

/** SORT's typed arguments. */
export interface SortArgs {
  key: string
  /** BY pattern with a `*` (undefined: sort by the elements themselves). */
  by: SortPattern | undefined
  /** BY with a pattern without `*`: keep the native order. */
  dontSort: boolean
  get: SortPattern[]
  desc: boolean
  alpha: boolean
  /** LIMIT offset and count (count -1: all). */
  offset: number
  count: number
  /** STORE destination. */
  store: string | undefined
}

/** Splits a BY/GET pattern as lookupKeyByPattern does. */
export function sortPattern(p: Arg): SortPattern {
  const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p
  const self = b.length === 1 && b[0] === 35 /* # */
  const star = b.indexOf(42 /* * */)
  if (star < 0) return { self, star: false, pre: b, post: EMPTY, field: undefined, preS: undefined, postS: undefined }
  let end = b.length
  let field: string | undefined
  const arrow = b.indexOf('->', star + 1)
  if (arrow >= 0 && arrow + 2 < b.length) {
    field = keyOf(b.subarray(arrow + 2))
    end = arrow
  }
  const pre = b.subarray(0, star)
  const post = b.subarray(star + 1, end)
  const utf8 = typeof p === 'string' || !isBinaryKey(keyOf(b))
  return {
    self,
    star: true,
    pre,
    post,
    field,
    preS: utf8 ? pre.toString('utf8') : undefined,
    postS: utf8 ? post.toString('utf8') : undefined,
  }
}

const EMPTY = Buffer.alloc(0)

function parseSort(a: Arg[], readonly: boolean): SortArgs {
  const r: SortArgs = { key: key(a[0]!), by: undefined, dontSort: false, get: [], desc: false, alpha: false, offset: 0, count: -1, store: undefined }
  for (let j = 1; j < a.length; j++) {
    const left = a.length - j - 1
    const o = kw(a[j]!)
    if (o === 'ASC') r.desc = false
    else if (o === 'DESC') r.desc = true
    else if (o === 'ALPHA') r.alpha = true
    else if (o === 'LIMIT' && left >= 2) {
      r.offset = int(a[j + 1]!)
      r.count = int(a[j + 2]!)
      j += 2
    } else if (!readonly && o === 'STORE' && left >= 1) {
      r.store = key(a[++j]!)
    } else if (o === 'BY' && left >= 1) {
      const p = sortPattern(a[++j]!)
      r.by = p
      // As Redis: a BY without `*` disables sorting even if a later BY has one.
      if (!p.star) r.dontSort = true
    } else if (o === 'GET' && left >= 1) {
      r.get.push(sortPattern(a[++j]!))
    } else syntaxError()
  }
  return r
}

/** An element's bytes as a Buffer. */
const bytesOf = (v: StrValue): Buffer => (typeof v === 'string' ? (isBinaryKey(v) ? keyBytes(v) : Buffer.from(v, 'utf8')) : v)

/** lookupKeyByPattern: the string (or hash field) a pattern names for `elem`, or null. */
function lookupByPattern(ctx: Session, p: SortPattern, elem: StrValue): StrValue | null {
  if (p.self) return elem
  if (!p.star) return null
  let k: string
  if (p.preS !== undefined && typeof elem === 'string' && !isBinaryKey(elem)) k = p.preS + elem + p.postS!
  else k = keyOf(Buffer.concat([p.pre, bytesOf(elem), p.post]))
  const e = ctx.db.read(k)
  if (e === undefined) return null
  if (p.field !== undefined) {
    if (e.type !== T.HASH) return null
    const v = (e.value as { get(f: string): StrValue | undefined }).get(p.field)
    return v === undefined ? null : v
  }
  return e.type === T.STRING ? strOf(e.value as StoredStr) : null
}

/** Byte-wise comparison of two stored strings (compareStringObjects). */
function cmpValues(a: StrValue, b: StrValue): number {
  if (typeof a === 'string' && typeof b === 'string') return compareBytes(a, b)
  return Buffer.compare(bytesOf(a), bytesOf(b))
}

/** strtod as SORT applies it: the whole string (up to a NUL), overflow and underflow refused. */
function sortScore(v: StrValue): number | undefined {
  let s = typeof v === 'string' ? v : v.toString('latin1')
  const nul = s.indexOf('\0')
  if (nul >= 0) s = s.slice(0, nul)
  const d = strtodAll(s)
  if (d === undefined || d !== d) return undefined
  // ERANGE: a finite text that overflowed, or non-zero digits that underflowed to zero.
  if ((d === Infinity || d === -Infinity) && !/inf/i.test(s)) return undefined
  if (d === 0 && /^[\s+-]*0*\.?0*[1-9]/.test(s.replace(/[eE].*$/, ''))) return undefined
  if (d !== 0 && d < 2.2250738585072014e-308 && d > -2.2250738585072014e-308) return undefined
  return d
}

interface SortItem {
  /** The element as it is replied. */
  v: StrValue
  score: number
  cmp: StrValue | null
}

/** The elements of the value to sort, in its native order, plus the LIMIT window over them. */
function loadVector(ctx: Session, a: SortArgs, type: number, value: unknown, dontSort: boolean): { items: SortItem[]; start: number; end: number } {
  const desc = a.desc
  let len: number
  if (type === T.LIST) len = (value as ListValue).length
  else if (type === T.SET) len = (value as { size: number }).size
  else len = (value as SortedSet).size
  let start = Math.min(Math.max(a.offset, 0), len)
  const count = Math.min(Math.max(a.count, -1), len)
  let end = count < 0 ? len : start + count - 1
  if (start >= len) {
    start = len - 1
    end = len - 2
  }
  if (end >= len) end = len - 1
  let n = len
  if ((type === T.ZSET || type === T.LIST) && dontSort && (start !== 0 || end !== len - 1)) n = end - start + 1
  const items: SortItem[] = []
  if (type === T.LIST && dontSort) {
    const l = value as ListValue
    if (end >= start) {
      let i = desc ? len - start - 1 : start
      while (items.length < n && i >= 0 && i < len) {
        items.push({ v: l.at(i)!, score: 0, cmp: null })
        i += desc ? -1 : 1
      }
      end -= start
      start = 0
    }
  } else if (type === T.LIST) {
    const l = value as ListValue
    for (let i = 0; i < len; i++) items.push({ v: l.at(i)!, score: 0, cmp: null })
  } else if (type === T.SET) {
    ;(value as { forEach(fn: (m: string) => void): void }).forEach((m) => items.push({ v: mout(m), score: 0, cmp: null }))
  } else if (dontSort) {
    const z = value as SortedSet
    if (n > 0) {
      const nodes = z.rangeByRank(start, start + n - 1, desc)
      for (const x of nodes) items.push({ v: mout(x.member), score: 0, cmp: null })
    }
    end -= start
    start = 0
  } else {
    ;(value as SortedSet).forEach((m) => items.push({ v: mout(m), score: 0, cmp: null }))
  }
  return { items, start, end }
}

/**
 * SORT / SORT_RO: the sorted (and LIMITed, GET-projected) elements, or with
 * STORE the number of elements stored as a list at the destination.
 */
export function sortGeneric(ctx: Session, a: SortArgs): Reply {
  const e = ctx.db.read(a.key)
  if (e !== undefined && e.type !== T.SET && e.type !== T.LIST && e.type !== T.ZSET) wrongType()
  let dontSort = a.dontSort
  let alpha = a.alpha
  let by = a.by
  // A set has no native order: with STORE, or from a script, it is sorted so the result
  // (and what is replicated) does not depend on it, as Redis does.
  if (e !== undefined && dontSort && e.type === T.SET && (a.store !== undefined || ctx.inScript)) {
    dontSort = false
    alpha = true
    by = undefined
  }
  // Redis turns a sorted set into a skiplist before sorting it.
  if (e !== undefined && e.type === T.ZSET && e.value instanceof ZSet) e.value.skiplist = true
  const { items, start, end } =
    e === undefined ? { items: [] as SortItem[], start: -1, end: -2 } : loadVector(ctx, a, e.type, e.value, dontSort)
  let bad = false
  if (!dontSort && items.length > 0) {
    for (const it of items) {
      let byval: StrValue | null
      if (by !== undefined) {
        byval = lookupByPattern(ctx, by, it.v)
        if (byval === null) continue
      } else byval = it.v
      if (alpha) {
        if (by !== undefined) it.cmp = byval
      } else {
        const d = sortScore(byval)
        if (d === undefined) bad = true
        else it.score = d
      }
    }
    const sign = a.desc ? -1 : 1
    let cmp: (x: SortItem, y: SortItem) => number
    if (!alpha) cmp = (x, y) => sign * (x.score > y.score ? 1 : x.score < y.score ? -1 : cmpValues(x.v, y.v))
    else if (by !== undefined) {
      cmp = (x, y) => {
        if (x.cmp === null || y.cmp === null) return sign * (x.cmp === y.cmp ? 0 : x.cmp === null ? -1 : 1)
        return sign * cmpValues(x.cmp, y.cmp)
      }
    } else cmp = (x, y) => sign * cmpValues(x.v, y.v)
    items.sort(cmp)
  }
  const gets = a.get
  if (bad) fail("One or more scores can't be converted into double")
  const outLen = gets.length > 0 ? gets.length * (end - start + 1) : end - start + 1
  if (a.store === undefined) {
    const out = new Array<Reply>(outLen)
    let o = 0
    for (let j = start; j <= end; j++) {
      const it = items[j]!
      if (gets.length === 0) out[o++] = it.v
      for (const g of gets) out[o++] = lookupByPattern(ctx, g, it.v)
    }
    return out
  }
  const values: StrValue[] = []
  for (let j = start; j <= end; j++) {
    const it = items[j]!
    if (gets.length === 0) values.push(it.v)
    else for (const g of gets) values.push(lookupByPattern(ctx, g, it.v) ?? '')
  }
  const dst = a.store
  const db = ctx.db
  if (outLen > 0) {
    db.set(dst, T.LIST, ListValue.of(values, listFill(ctx)))
    ctx.signal(dst, N.LIST, 'sortstore')
    if (ctx.ks.fx) {
      ctx.effect('DEL', mout(dst))
      ctx.effect('RPUSH', mout(dst), ...values)
    }
  } else if (db.lookup(dst) !== undefined) {
    db.delete(dst)
    ctx.signal(dst, N.GENERIC, 'del')
    if (ctx.ks.fx) ctx.effect('DEL', mout(dst))
  }
  return outLen
}

/** sortGetKeys: the sorted key, plus the last STORE destination. */
function sortKeys(argv: Arg[]): number[] {
  const out = [1]
  let store = -1
  for (let i = 2; i < argv.length; i++) {
    const o = kw(argv[i]!)
    if (o === 'LIMIT') i += 2
    else if (o === 'STORE' && i + 1 < argv.length) store = i + 1
    else if (o === 'GET' || o === 'BY') i += 1
  }
  if (store >= 0) out.push(store)
  return out
}

export const SORT = defineCommand('sort', {
  parse: (a) => parseSort(a, false),
  run: sortGeneric,
  getKeys: sortKeys,
})

export const SORT_RO = defineCommand('sort_ro', {
  parse: (a) => parseSort(a, true),
  run: sortGeneric,
})
