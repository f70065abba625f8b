/**
 * Geo commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE,
 * GEORADIUS, GEORADIUSBYMEMBER and the _RO forms, as Redis 7.2's geo.c. A geo
 * key is an ordinary sorted set whose scores are 52-bit geohashes
 * (src/types/geohash.ts), so ZRANGE, ZREM and TYPE work on it.
 */
import { Buffer } from 'node:buffer'
import { fail, syntaxError, wrongType } from '../core/errors.js'
import { formatDouble } from '../core/numbers.js'
import { Double, NULL_ARRAY, type Reply } from '../core/reply.js'
import { T } from '../keyspace/database.js'
import { N } from '../keyspace/notifications.js'
import type { Session } from '../session.js'
import {
  formatCoord,
  formatDistance,
  geoCheckLonLat,
  geoDecodeInto,
  geoDistance,
  geoEncode,
  geohashString,
  geoSearchAreas,
  geoShapeDistance,
  geoSortByDistance,
  geoUnitFactor,
  geoErrors,
  type GeoShape,
} from '../types/geohash.js'
import type { SortedSet } from '../types/sorted-set.js'
import { float, int64, key, kw, str } from './args.js'
import { mout, newZset, readZset, ZADD_CH, ZADD_NX, ZADD_XX, zaddGeneric, type ZAddArgs } from './sorted-sets.js'
import { defineCommand, type Arg } from './table.js'

// ---------------------------------------------------------------- helpers

/** Metres per unit (`unsupported unit provided...` otherwise). */
export function unitOf(a: Arg): number {
  const f = geoUnitFactor(typeof a === 'string' ? a : a)
  if (f < 0) fail(geoErrors.UNIT)
  return f
}

/** Redis's extractLongLatOrReply. */
function lonLat(a: Arg, b: Arg): [number, number] {
  const lon = float(a)
  const lat = float(b)
  geoCheckLonLat(lon, lat)
  return [lon, lat]
}

const XY = new Float64Array(2)

/** A coordinate as a reply: Redis's human long double text in RESP2, a double in RESP3. */
const coordReply = (ctx: Session, x: number): Reply => (ctx.resp === 3 ? new Double(x, formatCoord(x)) : formatCoord(x))

// ---------------------------------------------------------------- GEOADD

export const GEOADD = defineCommand('geoadd', {
  parse(a): ZAddArgs {
    let flags = 0
    let i = 1
    for (; i < a.length; i++) {
      const o = kw(a[i]!)
      if (o === 'NX') flags |= ZADD_NX
      else if (o === 'XX') flags |= ZADD_XX
      else if (o === 'CH') flags |= ZADD_CH
      else break
    }
    const rest = a.length - i
    if (rest % 3 !== 0 || (flags & ZADD_NX && flags & ZADD_XX)) syntaxError()
    const n = rest / 3
    // GEOADD becomes a ZADD of the computed scores; with no pairs ZADD refuses it.
    if (n === 0) syntaxError()
    const scores = new Array<number>(n)
    const members = new Array<string>(n)
    for (let j = 0; j < n; j++) {
      const [lon, lat] = lonLat(a[i + 3 * j]!, a[i + 3 * j + 1]!)
      scores[j] = geoEncode(lon, lat)
      members[j] = key(a[i + 3 * j + 2]!)
    }
    return { key: key(a[0]!), flags, scores, members }
  },
  run: zaddGeneric,
})

// ---------------------------------------------------------------- GEODIST, GEOHASH, GEOPOS

export interface GeoDistArgs {
  key: string
  a: string
  b: string
  /** Metres per unit. */
  unit: number
}

export const GEODIST = defineCommand('geodist', {
  parse(a): GeoDistArgs {
    let unit = 1
    if (a.length === 4) unit = unitOf(a[3]!)
    else if (a.length > 4) syntaxError()
    return { key: key(a[0]!), a: key(a[1]!), b: key(a[2]!), unit }
  },
  run(ctx, g: GeoDistArgs): Reply {
    const z = readZset(ctx, g.key)
    if (z === undefined) return null
    const s1 = z.score(g.a)
    const s2 = z.score(g.b)
    if (s1 === undefined || s2 === undefined) return null
    geoDecodeInto(s1, XY)
    const lon1 = XY[0]!
    const lat1 = XY[1]!
    geoDecodeInto(s2, XY)
    return formatDistance(geoDistance(lon1, lat1, XY[0]!, XY[1]!) / g.unit)
  },
})

export interface GeoMembersArgs {
  key: string
  members: string[]
}

const parseMembers = (a: Arg[]): GeoMembersArgs => ({ key: key(a[0]!), members: a.slice(1).map(key) })

/** A zset for GEOHASH / GEOPOS: WRONGTYPE for other types, undefined when missing. */
function geoZset(ctx: Session, k: string): SortedSet | undefined {
  const e = ctx.db.read(k)
  if (e === undefined) return undefined
  if (e.type !== T.ZSET) wrongType()
  return e.value as SortedSet
}

export const GEOHASH = defineCommand('geohash', {
  parse: parseMembers,
  run(ctx, g: GeoMembersArgs): Reply {
    const z = geoZset(ctx, g.key)
    return g.members.map((m): Reply => {
      const s = z?.score(m)
      return s === undefined ? null : geohashString(s)
    })
  },
})

export const GEOPOS = defineCommand('geopos', {
  parse: parseMembers,
  run(ctx, g: GeoMembersArgs): Reply {
    const z = geoZset(ctx, g.key)
    return g.members.map((m): Reply => {
      const s = z?.score(m)
      if (s === undefined) return NULL_ARRAY
      geoDecodeInto(s, XY)
      return [coordReply(ctx, XY[0]!), coordReply(ctx, XY[1]!)]
    })
  },
})


// ---------------------------------------------------------------- searches

/** Where a search starts: a member's position or explicit coordinates. */
export type GeoFrom = { member: string } | { lon: number; lat: number }

/** The area searched, in `unit`s (metres per unit). */
export type GeoBy = { radius: number; unit: number } | { width: number; height: number; unit: number }

/** A parsed search (everything but the source lookup). */
export interface GeoQuery {
  from?: GeoFrom
  by?: GeoBy
  withDist: boolean
  withHash: boolean
  withCoord: boolean
  any: boolean
  /** 0 = no limit. */
  count: number
  sort: 'ASC' | 'DESC' | undefined
  /** Destination of STORE / STOREDIST / GEOSEARCHSTORE. */
  store?: string
  storeDist: boolean
}

/** Which command: the legacy forms take their centre and radius positionally. */
const RADIUS_COORDS = 1
const RADIUS_MEMBER = 2
const NOSTORE = 4
const SEARCH = 8
const SEARCHSTORE = 16

export interface GeoSearchArgs {
  flags: number
  src: string
  /** Raw arguments after the source key (and, for GEOSEARCHSTORE, the destination), parsed after the lookup as Redis does. */
  raw?: Arg[]
  /** Typed API: an already validated query. */
  query?: GeoQuery
  /** The command name as typed, for error messages. */
  name: string
  /** GEOSEARCHSTORE's destination. */
  dest?: string
}

/** Redis's extractDistanceOrReply. */
function distanceArgs(a: Arg, u: Arg): { radius: number; unit: number } {
  const radius = float(a, 'need numeric radius')
  if (radius < 0) fail('radius cannot be negative')
  return { radius, unit: unitOf(u) }
}

/** Redis's extractBoxOrReply. */
function boxArgs(w: Arg, h: Arg, u: Arg): { width: number; height: number; unit: number } {
  const width = float(w, 'need numeric width')
  const height = float(h, 'need numeric height')
  if (height < 0 || width < 0) fail('height or width cannot be negative')
  return { width, height, unit: unitOf(u) }
}

/** Position of a member (decoded cell centre), or the `could not decode` error. */
function memberPos(z: SortedSet, m: string): { lon: number; lat: number } {
  const s = z.score(m)
  if (s === undefined) fail('could not decode requested zset member')
  geoDecodeInto(s, XY)
  return { lon: XY[0]!, lat: XY[1]! }
}

/** georadiusGeneric's argument handling, in its order, with the source already looked up. */
function parseSearch(ctx: Session, g: GeoSearchArgs, z: SortedSet | undefined, raw: Arg[]): { q: GeoQuery; centre?: { lon: number; lat: number } } {
  const q: GeoQuery = { withDist: false, withHash: false, withCoord: false, any: false, count: 0, sort: undefined, storeDist: false }
  if (g.dest !== undefined) q.store = g.dest
  let centre: { lon: number; lat: number } | undefined
  let base = 0
  const flags = g.flags
  if (flags & RADIUS_COORDS) {
    const [lon, lat] = lonLat(raw[0]!, raw[1]!)
    centre = { lon, lat }
    q.by = distanceArgs(raw[2]!, raw[3]!)
    base = 4
  } else if (flags & RADIUS_MEMBER) {
    base = 3
    // A missing key skips the centre and radius checks; the options are still parsed.
    if (z !== undefined) {
      centre = memberPos(z, key(raw[0]!))
      q.by = distanceArgs(raw[1]!, raw[2]!)
    }
  }
  let fromMember = false
  let fromLoc = false
  let byRadius = false
  let byBox = false
  const n = raw.length - base
  for (let i = 0; i < n; i++) {
    const at = base + i
    const o = kw(raw[at]!)
    if (o === 'WITHDIST') q.withDist = true
    else if (o === 'WITHHASH') q.withHash = true
    else if (o === 'WITHCOORD') q.withCoord = true
    else if (o === 'ANY') q.any = true
    else if (o === 'ASC') q.sort = 'ASC'
    else if (o === 'DESC') q.sort = 'DESC'
    else if (o === 'COUNT' && i + 1 < n) {
      const c = int64(raw[at + 1]!)
      if (c <= 0) fail('COUNT must be > 0')
      q.count = Number(c)
      i++
    } else if ((o === 'STORE' || o === 'STOREDIST') && i + 1 < n && !(flags & NOSTORE) && !(flags & SEARCH)) {
      q.store = key(raw[at + 1]!)
      q.storeDist = o === 'STOREDIST'
      i++
    } else if (o === 'STOREDIST' && flags & SEARCH && flags & SEARCHSTORE) q.storeDist = true
    else if (o === 'FROMMEMBER' && i + 1 < n && flags & SEARCH && !fromLoc) {
      if (z !== undefined) centre = memberPos(z, key(raw[at + 1]!))
      q.from = { member: key(raw[at + 1]!) }
      fromMember = true
      i++
    } else if (o === 'FROMLONLAT' && i + 2 < n && flags & SEARCH && !fromMember) {
      const [lon, lat] = lonLat(raw[at + 1]!, raw[at + 2]!)
      centre = { lon, lat }
      q.from = { lon, lat }
      fromLoc = true
      i += 2
    } else if (o === 'BYRADIUS' && i + 2 < n && flags & SEARCH && !byBox) {
      q.by = distanceArgs(raw[at + 1]!, raw[at + 2]!)
      byRadius = true
      i += 2
    } else if (o === 'BYBOX' && i + 3 < n && flags & SEARCH && !byRadius) {
      q.by = boxArgs(raw[at + 1]!, raw[at + 2]!, raw[at + 3]!)
      byBox = true
      i += 3
    } else syntaxError()
  }
  checkQuery(g, q, fromMember || fromLoc, byRadius || byBox)
  return centre === undefined ? { q } : { q, centre }
}

/** The checks after option parsing (shared with the typed API). */
function checkQuery(g: GeoSearchArgs, q: GeoQuery, hasFrom: boolean, hasBy: boolean): void {
  if (q.store !== undefined && (q.withDist || q.withHash || q.withCoord)) {
    fail(`${g.flags & SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`)
  }
  if (g.flags & SEARCH && !hasFrom) fail(`exactly one of FROMMEMBER or FROMLONLAT can be specified for ${g.name}`)
  if (g.flags & SEARCH && !hasBy) fail(`exactly one of BYRADIUS and BYBOX can be specified for ${g.name}`)
  if (q.any && q.count === 0) fail('the ANY argument requires COUNT argument')
}

/** One point found. */
interface GeoPoint {
  member: string
  score: number
  lon: number
  lat: number
}

/** Scans the cells of the shape in Redis's order and keeps the points inside it. */
function searchPoints(z: SortedSet, shape: GeoShape, limit: number, points: GeoPoint[], dists: number[]): void {
  for (const [min, max] of geoSearchAreas(shape)) {
    if (limit > 0 && points.length >= limit) break
    for (let x = z.firstInScoreRange(min, max, { maxExclusive: true }); x !== undefined; x = z.next(x)) {
      const score = x.score
      if (score >= max) break
      geoDecodeInto(score, XY)
      const d = geoShapeDistance(shape, XY[0]!, XY[1]!)
      if (d >= 0) {
        points.push({ member: x.member, score, lon: XY[0]!, lat: XY[1]! })
        dists.push(d)
      }
      if (limit > 0 && points.length >= limit) break
    }
  }
}

/** A search over a looked-up source: the reply, or for STORE forms the stored count. */
function runSearch(ctx: Session, g: GeoSearchArgs): Reply {
  const e = ctx.db.read(g.src)
  if (e !== undefined && e.type !== T.ZSET) wrongType()
  const z = e?.value as SortedSet | undefined
  let q: GeoQuery
  let centre: { lon: number; lat: number } | undefined
  if (g.raw !== undefined) {
    const p = parseSearch(ctx, g, z, g.raw)
    q = p.q
    centre = p.centre
  } else {
    q = g.query!
    if (z !== undefined && q.from !== undefined) centre = 'member' in q.from ? memberPos(z, q.from.member) : q.from
  }
  const db = ctx.db
  if (z === undefined) {
    if (q.store === undefined) return []
    if (db.lookup(q.store) !== undefined) {
      db.delete(q.store)
      ctx.signal(q.store, N.GENERIC, 'del')
      if (ctx.ks.fx) ctx.effect('DEL', q.store)
    }
    return 0
  }
  let sort = q.sort
  // COUNT without ANY means "the closest N": sorted ascending unless told otherwise.
  if (q.count !== 0 && sort === undefined && !q.any) sort = 'ASC'
  const by = q.by!
  const c = centre!
  const shape: GeoShape =
    'radius' in by
      ? { type: 'radius', lon: c.lon, lat: c.lat, radius: by.radius, unit: by.unit }
      : { type: 'box', lon: c.lon, lat: c.lat, width: by.width, height: by.height, unit: by.unit }
  const points: GeoPoint[] = []
  const dists: number[] = []
  searchPoints(z, shape, q.any ? q.count : 0, points, dists)
  if (points.length === 0 && q.store === undefined) return []
  const total = points.length
  const returned = q.count === 0 || total < q.count ? total : q.count
  if (sort !== undefined) geoSortByDistance(points, dists, sort === 'DESC', returned === total ? 0 : returned)
  const conv = by.unit
  if (q.store === undefined) {
    const opts = (q.withDist ? 1 : 0) + (q.withHash ? 1 : 0) + (q.withCoord ? 1 : 0)
    const out: Reply[] = new Array(returned)
    for (let i = 0; i < returned; i++) {
      const p = points[i]!
      const name = mout(p.member)
      if (opts === 0) {
        out[i] = name
        continue
      }
      const item: Reply[] = [name]
      if (q.withDist) item.push(formatDistance(dists[i]! / conv))
      // Redis replies the score cast to an integer (a ZADD may have left a fraction).
      if (q.withHash) item.push(Math.trunc(p.score))
      if (q.withCoord) item.push([coordReply(ctx, p.lon), coordReply(ctx, p.lat)])
      out[i] = item
    }
    return out
  }
  // STORE / STOREDIST / GEOSEARCHSTORE: a sorted set of the results (scores or distances).
  const dest = q.store
  if (returned === 0) {
    if (db.lookup(dest) !== undefined) {
      db.delete(dest)
      ctx.signal(dest, N.GENERIC, 'del')
      if (ctx.ks.fx) ctx.effect('DEL', dest)
    }
    return 0
  }
  let maxLen = 0
  for (let i = 0; i < returned; i++) {
    const len = Buffer.byteLength(points[i]!.member)
    if (len > maxLen) maxLen = len
  }
  const out = newZset(ctx, returned, maxLen)
  const eff: Array<string | Buffer> | undefined = ctx.ks.fx ? ['ZADD', mout(dest)] : undefined
  for (let i = 0; i < returned; i++) {
    const p = points[i]!
    const score = q.storeDist ? dists[i]! / conv : p.score
    out.add(p.member, score)
    if (eff !== undefined) eff.push(formatDouble(score), mout(p.member))
  }
  db.set(dest, T.ZSET, out)
  ctx.signal(dest, N.ZSET, g.flags & SEARCH ? 'geosearchstore' : 'georadiusstore')
  if (eff !== undefined) {
    ctx.effect('DEL', mout(dest))
    ctx.effect(...eff)
  }
  return returned
}

function nameOf(ctx: Session, fallback: string): string {
  const n = ctx.argv?.[0]
  return n === undefined ? fallback : str(n)
}

function legacy(name: string, flags: number) {
  return defineCommand(name, {
    parse: (a, ctx): GeoSearchArgs => ({ flags, src: key(a[0]!), raw: a.slice(1), name: nameOf(ctx, name) }),
    run: runSearch,
  })
}

export const GEORADIUS = legacy('georadius', RADIUS_COORDS)
export const GEORADIUS_RO = legacy('georadius_ro', RADIUS_COORDS | NOSTORE)
export const GEORADIUSBYMEMBER = legacy('georadiusbymember', RADIUS_MEMBER)
export const GEORADIUSBYMEMBER_RO = legacy('georadiusbymember_ro', RADIUS_MEMBER | NOSTORE)

export const GEOSEARCH = defineCommand('geosearch', {
  parse: (a, ctx): GeoSearchArgs => ({ flags: SEARCH, src: key(a[0]!), raw: a.slice(1), name: nameOf(ctx, 'geosearch') }),
  run: runSearch,
})

export const GEOSEARCHSTORE = defineCommand('geosearchstore', {
  parse: (a, ctx): GeoSearchArgs => ({
    flags: SEARCH | SEARCHSTORE,
    src: key(a[1]!),
    dest: key(a[0]!),
    raw: a.slice(2),
    name: nameOf(ctx, 'geosearchstore'),
  }),
  run: runSearch,
})

/** Flags for the typed API's searches. */
export const GEO_FLAGS = { RADIUS_COORDS, RADIUS_MEMBER, NOSTORE, SEARCH, SEARCHSTORE } as const

/** Validates a typed query the way the command's parser would (for the typed API). */
export function checkTypedQuery(g: GeoSearchArgs, q: GeoQuery): void {
  checkQuery(g, q, q.from !== undefined, q.by !== undefined)
}
