import { Buffer } from 'node:buffer'
import { keyOf } from '../core/bytes.js'
import { fail, wrongType } from '../core/errors.js'
import { Double, NULL_ARRAY, type Reply } from '../core/reply.js'
import {
  checkTypedQuery,
  GEO_FLAGS,
  GEOADD,
  GEODIST,
  GEOHASH,
  GEOPOS,
  GEOSEARCH,
  GEOSEARCHSTORE,
  unitOf,
  type GeoQuery,
  type GeoSearchArgs,
} from '../commands/geo.js'
import { ZADD_CH, ZADD_NX, ZADD_XX } from '../commands/sorted-sets.js'
import { geoCheckLonLat, geoEncode } from '../types/geohash.js'
import { T } from '../keyspace/database.js'
import type { StoreCore } from '../store-core.js'
import type { SortedSet } from '../types/sorted-set.js'
import { isInt64, type Key } from './strings.js'

/** A distance unit: metres, kilometres, feet or miles. */
export type GeoUnit = 'm' | 'km' | 'ft' | 'mi' | 'M' | 'KM' | 'FT' | 'MI'

/** A member with its position, for `geoadd`. */
export interface GeoMember {
  longitude: number
  latitude: number
  member: Key
}

/** Where a search starts. */
export type GeoSearchFrom = { member: Key } | { longitude: number; latitude: number }

/** The searched area: a circle, or a box `width` × `height` centred on the start. */
export type GeoSearchBy = { radius: number; unit: GeoUnit } | { width: number; height: number; unit: GeoUnit }

/** Options shared by the searches. */
export interface GeoSearchOptions {
  /** Order by distance from the centre. */
  sort?: 'ASC' | 'DESC'
  /** At most this many results (the closest ones unless `any`). */
  count?: number
  /** With `count`: stop as soon as `count` points are found (not necessarily the closest). */
  any?: boolean
}

/** A search result with its distance (in the query's unit, rounded to 4 decimals as Redis prints it), geohash score and position. */
export interface GeoSearchResult {
  member: string
  distance: number
  hash: number
  longitude: number
  latitude: number
}

function num(n: number, msg = 'value is not a valid float'): number {
  if (typeof n !== 'number' || Number.isNaN(n)) fail(msg)
  return n
}

/**
 * The query of a typed search, checked as georadiusGeneric parses its arguments: the centre, the
 * area, then the options. `from`/`by` undefined: GEORADIUSBYMEMBER on a missing key, where Redis
 * skips the member and radius and parses only the options.
 */
function query(from: GeoSearchFrom | undefined, by: GeoSearchBy | undefined, o: GeoSearchOptions | undefined, withAll: boolean, z: SortedSet | undefined): GeoQuery {
  const q: GeoQuery = { withDist: withAll, withHash: withAll, withCoord: withAll, any: o?.any === true, count: 0, sort: undefined, storeDist: false }
  if (from !== undefined) {
    if ('member' in from) {
      q.from = { member: keyOf(from.member) }
      if (z !== undefined && z.score(q.from.member) === undefined) fail('could not decode requested zset member')
    } else {
      const lon = num(from.longitude)
      const lat = num(from.latitude)
      geoCheckLonLat(lon, lat)
      q.from = { lon, lat }
    }
  }
  if (by !== undefined) {
    if ('radius' in by) {
      const radius = num(by.radius, 'need numeric radius')
      if (radius < 0) fail('radius cannot be negative')
      q.by = { radius, unit: unitOf(by.unit) }
    } else {
      const width = num(by.width, 'need numeric width')
      const height = num(by.height, 'need numeric height')
      if (height < 0 || width < 0) fail('height or width cannot be negative')
      q.by = { width, height, unit: unitOf(by.unit) }
    }
  }
  if (o?.sort !== undefined) {
    const sort = o.sort.toUpperCase()
    q.sort = sort === 'DESC' ? 'DESC' : sort === 'ASC' ? 'ASC' : fail('syntax error')
  }
  if (o?.count !== undefined) {
    if (!isInt64(o.count)) fail('value is not an integer or out of range')
    if (o.count <= 0) fail('COUNT must be > 0')
    q.count = o.count
  }
  return q
}

/** The search's source (undefined when missing); WRONGTYPE for another type. Redis checks this before any argument. */
function sourceOf(store: StoreCore, key: string): SortedSet | undefined {
  // A peek: the search itself reads the key (and counts the hit or miss).
  const e = store.s.db.peek(key)
  if (e !== undefined && e.type !== T.ZSET) wrongType()
  return e?.value as SortedSet | undefined
}

const text = (r: Reply): string => (typeof r === 'string' ? r : Buffer.isBuffer(r) ? r.toString('utf8') : String(r))
/** A coordinate as Redis prints it (RESP2's text, which a RESP3 Double carries too): the same whatever the session speaks. */
const coord = (r: Reply): number => (r instanceof Double ? Number(r.text ?? r.value) : Number(text(r)))

function search(store: StoreCore, key: Key, from: GeoSearchFrom, by: GeoSearchBy, o: GeoSearchOptions | undefined, withAll: boolean, name: string): Reply {
  const src = keyOf(key)
  const z = sourceOf(store, src)
  // GEORADIUSBYMEMBER on a missing key checks only its options, and answers an empty array.
  if (z === undefined && name === 'georadiusbymember_ro') {
    const q = query(undefined, undefined, o, withAll, z)
    if (q.any && q.count === 0) fail('the ANY argument requires COUNT argument')
    store.s.db.read(src) // the lookup Redis makes: a keyspace miss
    return []
  }
  const q = query(from, by, o, withAll, z)
  const g: GeoSearchArgs = { flags: GEO_FLAGS.SEARCH, src, query: q, name }
  checkTypedQuery(g, q)
  return GEOSEARCH.run(store.s, g) as Reply
}

/**
 * Geo commands on the typed Store: positions stored in a sorted set (so
 * ZRANGE, ZREM and ZCARD work on the same key), distances and searches by
 * radius or box, with Redis's exact geohash cells and rounding.
 */
export class GeoApi {
  /**
   * GEOADD: adds or moves members; returns how many were added (with `ch`,
   * added or moved). `nx` only adds, `xx` only moves existing members.
   *
   * ```ts
   * store.geoadd('stores', [{ longitude: 2.2945, latitude: 48.8584, member: 'eiffel' }])
   * ```
   */
  geoadd(this: StoreCore, key: Key, members: readonly GeoMember[], options?: { nx?: boolean; xx?: boolean; ch?: boolean }): number {
    this.beforeWrite()
    if (options?.nx && options.xx) fail('syntax error')
    if (members.length === 0) fail('syntax error')
    const scores: number[] = new Array(members.length)
    const names: string[] = new Array(members.length)
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!
      const lon = num(m.longitude)
      const lat = num(m.latitude)
      geoCheckLonLat(lon, lat)
      scores[i] = geoEncode(lon, lat)
      names[i] = keyOf(m.member)
    }
    const flags = (options?.nx ? ZADD_NX : 0) | (options?.xx ? ZADD_XX : 0) | (options?.ch ? ZADD_CH : 0)
    return GEOADD.run(this.s, { key: keyOf(key), flags, scores, members: names }) as number
  }

  /** GEODIST: distance between two members in `unit` (default metres), rounded to 4 decimals; null if either is missing. */
  geodist(this: StoreCore, key: Key, a: Key, b: Key, unit: GeoUnit = 'm'): number | null {
    const r = GEODIST.run(this.s, { key: keyOf(key), a: keyOf(a), b: keyOf(b), unit: unitOf(unit) })
    return r === null ? null : Number(r)
  }

  /** GEOHASH: 11-character geohash strings (null for missing members). */
  geohash(this: StoreCore, key: Key, ...members: Key[]): Array<string | null> {
    return (GEOHASH.run(this.s, { key: keyOf(key), members: members.map(keyOf) }) as Reply[]).map((r) => (r === null ? null : text(r)))
  }

  /** GEOPOS: [longitude, latitude] of each member (the centre of its geohash cell), or null. */
  geopos(this: StoreCore, key: Key, ...members: Key[]): Array<[number, number] | null> {
    return (GEOPOS.run(this.s, { key: keyOf(key), members: members.map(keyOf) }) as Reply[]).map((r) =>
      r === NULL_ARRAY || r === null ? null : [coord((r as Reply[])[0]!), coord((r as Reply[])[1]!)],
    )
  }

  /**
   * GEOSEARCH: members within a radius or box around a member or a position.
   *
   * ```ts
   * store.geosearch('stores', { longitude: 2.35, latitude: 48.85 }, { radius: 5, unit: 'km' }, { sort: 'ASC', count: 10 })
   * ```
   */
  geosearch(this: StoreCore, key: Key, from: GeoSearchFrom, by: GeoSearchBy, options?: GeoSearchOptions): string[] {
    return (search(this, key, from, by, options, false, 'geosearch') as Reply[]).map(text)
  }

  /** GEOSEARCH WITHDIST WITHHASH WITHCOORD: as `geosearch`, with each result's distance, geohash and position. */
  geosearchWith(this: StoreCore, key: Key, from: GeoSearchFrom, by: GeoSearchBy, options?: GeoSearchOptions): GeoSearchResult[] {
    return (search(this, key, from, by, options, true, 'geosearch') as Reply[][]).map((r) => {
      const pos = r[3] as Reply[]
      return { member: text(r[0]!), distance: Number(text(r[1]!)), hash: Number(r[2]), longitude: coord(pos[0]!), latitude: coord(pos[1]!) }
    })
  }

  /**
   * GEOSEARCHSTORE: stores the results at `dest` as a sorted set (scores are
   * geohashes, or distances with `storeDist`); returns how many. An empty
   * result deletes `dest`.
   */
  geosearchstore(
    this: StoreCore,
    dest: Key,
    source: Key,
    from: GeoSearchFrom,
    by: GeoSearchBy,
    options?: GeoSearchOptions & { storeDist?: boolean },
  ): number {
    this.beforeWrite()
    const src = keyOf(source)
    const q = query(from, by, options, false, sourceOf(this, src))
    q.store = keyOf(dest)
    q.storeDist = options?.storeDist === true
    const g: GeoSearchArgs = { flags: GEO_FLAGS.SEARCH | GEO_FLAGS.SEARCHSTORE, src, dest: q.store, query: q, name: 'geosearchstore' }
    checkTypedQuery(g, q)
    return GEOSEARCHSTORE.run(this.s, g) as number
  }

  /** GEORADIUS (read-only form): members within `radius` of a position. Prefer `geosearch`. */
  georadius(this: StoreCore, key: Key, longitude: number, latitude: number, radius: number, unit: GeoUnit, options?: GeoSearchOptions): string[] {
    return (search(this, key, { longitude, latitude }, { radius, unit }, options, false, 'georadius_ro') as Reply[]).map(text)
  }

  /** GEORADIUSBYMEMBER (read-only form): members within `radius` of a member. Prefer `geosearch`. */
  georadiusbymember(this: StoreCore, key: Key, member: Key, radius: number, unit: GeoUnit, options?: GeoSearchOptions): string[] {
    return (search(this, key, { member }, { radius, unit }, options, false, 'georadiusbymember_ro') as Reply[]).map(text)
  }
}
