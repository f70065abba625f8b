/** Geo commands (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH[STORE], GEORADIUS[BYMEMBER][_RO]) and zset reads of geo keys. */
import { type Gen, KEYS, kw, OTHER_TYPES, type Rng, small } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)

/** Members: a small pool so searches and GEOADD NX/XX keep meeting them. */
const member = (r: Rng): string => (r.chance(0.95) ? 'm' + String(r.int(0, 12)) : r.pick(['', 'é', 'a b']))

/** Five decimals (about a metre) keep the arguments readable and still varied. */
const fix = (x: number): string => x.toFixed(5)

/** Longitude: mostly near a centre (so radii find neighbours), sometimes anywhere or invalid. */
const lon = (r: Rng): string =>
  r.weighted<() => string>([
    [70, () => fix(13.36 + (r.next() - 0.5) * 1.5)],
    [20, () => fix((r.next() - 0.5) * 360)],
    [4, () => r.pick(['180', '-180', '180.0001', '-181', 'abc', '', 'nan', 'inf', '0', '1e2'])],
  ])()

/** Latitude: as `lon`, with the geohash limits ±85.05112878. */
const lat = (r: Rng): string =>
  r.weighted<() => string>([
    [70, () => fix(38.11 + (r.next() - 0.5) * 1.5)],
    [20, () => fix((r.next() - 0.5) * 170)],
    [4, () => r.pick(['85.05112878', '-85.05112878', '85.06', '-86', '90', 'abc', '', 'nan', '0'])],
  ])()

const UNITS = ['m', 'km', 'mi', 'ft', 'M', 'KM', 'Mi', 'FT', 'cm', 'x'] as const
const unit = (r: Rng): string => (r.chance(0.96) ? r.pick(['m', 'km', 'mi', 'ft']) : r.pick(UNITS))

/** A radius or box side in the given unit: mostly tens of km worth, sometimes zero, negative or not a number. */
function dist(r: Rng, u: string): string {
  if (r.chance(0.04)) return r.pick(['0', '-1', 'abc', '', 'nan', 'inf', '1e400'])
  const km = r.next() * r.pick([5, 50, 150, 3000])
  const f = u.toLowerCase() === 'm' ? 1000 : u.toLowerCase() === 'mi' ? 0.621371 : u.toLowerCase() === 'ft' ? 3280.84 : 1
  return (km * f).toFixed(r.pick([0, 1, 3]))
}

/**
 * Where STOREDIST writes, read back without scores. The distances are computed with sin, cos
 * and asin, and glibc's asin is not always correctly rounded (e.g. asin(0.0064058125991490319)
 * is one ulp below the true value, which V8 returns), so a stored distance can differ from
 * Redis's in its last bit: ZSCORE would show it, GEODIST/WITHDIST (4 decimals) do not.
 */
const DIST_KEY = 'd1'

const count = (r: Rng): string => (r.chance(0.9) ? String(r.int(1, 8)) : r.pick(['0', '-1', 'abc', '']))

/** The shared options of GEORADIUS*, in a random order. */
function radiusOptions(r: Rng, store: boolean): string[] {
  const out: string[] = []
  const opts = ['WITHCOORD', 'WITHDIST', 'WITHHASH', 'COUNT', 'ASC', 'DESC']
  if (store) opts.push('STORE', 'STOREDIST')
  const n = r.int(0, 4)
  for (let i = 0; i < n; i++) {
    const o = r.chance(0.97) ? r.pick(opts) : r.pick(['ANY', 'BYBOX', 'FOO'])
    out.push(kw(r, o))
    if (o === 'COUNT') {
      out.push(count(r))
      if (r.chance(0.3)) out.push(kw(r, 'ANY'))
    } else if (o === 'STORE') out.push(key(r))
    else if (o === 'STOREDIST') out.push(DIST_KEY)
  }
  return out
}

/** GEOSEARCH's FROM/BY/options, sometimes with parts missing, doubled or misplaced. */
function searchArgs(r: Rng, store: boolean): string[] {
  const out: string[] = []
  const from = (): void => {
    if (r.chance(0.5)) out.push(kw(r, 'FROMMEMBER'), member(r))
    else out.push(kw(r, 'FROMLONLAT'), lon(r), lat(r))
  }
  const by = (): void => {
    const u = unit(r)
    if (r.chance(0.5)) out.push(kw(r, 'BYRADIUS'), dist(r, u), u)
    else out.push(kw(r, 'BYBOX'), dist(r, u), dist(r, u), u)
  }
  if (r.chance(0.95)) from()
  if (r.chance(0.95)) by()
  if (r.chance(0.03)) from()
  if (r.chance(0.03)) by()
  // WITH* options are refused by GEOSEARCHSTORE: only the odd one there.
  const opts = store ? ['ASC', 'DESC', 'COUNT', 'STOREDIST'] : ['ASC', 'DESC', 'COUNT', 'WITHCOORD', 'WITHDIST', 'WITHHASH']
  const n = r.int(0, 3)
  for (let i = 0; i < n; i++) {
    const o = r.chance(0.97) ? r.pick(opts) : r.pick(store ? ['WITHDIST', 'STORE', 'FOO'] : ['STOREDIST', 'STORE', 'FOO'])
    out.push(kw(r, o))
    if (o === 'COUNT') {
      out.push(count(r))
      if (r.chance(0.3)) out.push(kw(r, 'ANY'))
    }
  }
  return out
}

const GENS: Array<readonly [number, Gen]> = [
  [16, (r) => {
    const opts: string[] = []
    if (r.chance(0.15)) opts.push(kw(r, r.pick(['NX', 'XX'])))
    if (r.chance(0.15)) opts.push(kw(r, 'CH'))
    if (r.chance(0.02)) opts.push(kw(r, r.pick(['NX', 'XX', 'GT'])))
    const n = r.int(1, 6)
    const triples: string[] = []
    for (let i = 0; i < n; i++) triples.push(lon(r), lat(r), member(r))
    // Sometimes a dangling coordinate, to provoke the arity/syntax errors.
    if (r.chance(0.04)) triples.pop()
    return { argv: ['GEOADD', key(r), ...opts, ...triples] }
  }],
  // Past zset-max-listpack-entries (128): the key becomes a skiplist.
  [0.3, (r) => ({ argv: ['GEOADD', key(r), ...Array.from({ length: 130 }, (_, i) => [lon(r), lat(r), 'b' + String(i)]).flat()] })],
  [4, (r) => ({ argv: ['GEOPOS', key(r), ...r.some([0], 0, 4).map(() => member(r))] })],
  [4, (r) => ({ argv: ['GEODIST', key(r), member(r), member(r), ...(r.chance(0.7) ? [unit(r)] : r.chance(0.1) ? ['km', 'x'] : [])] })],
  [3, (r) => ({ argv: ['GEOHASH', key(r), ...r.some([0], 0, 4).map(() => member(r))] })],
  [8, (r) => ({ argv: ['GEOSEARCH', key(r), ...searchArgs(r, false)] })],
  [4, (r) => {
    const args = searchArgs(r, true)
    const dest = args.some((a) => a.toUpperCase() === 'STOREDIST') ? DIST_KEY : key(r)
    return { argv: ['GEOSEARCHSTORE', dest, key(r), ...args] }
  }],
  [1, () => ({ argv: ['ZRANGE', DIST_KEY, '0', '-1'] })],
  [0.5, () => ({ argv: ['ZCARD', DIST_KEY] })],
  [4, (r) => {
    const u = unit(r)
    return { argv: ['GEORADIUS', key(r), lon(r), lat(r), dist(r, u), u, ...radiusOptions(r, true)] }
  }],
  [2, (r) => {
    const u = unit(r)
    return { argv: ['GEORADIUS_RO', key(r), lon(r), lat(r), dist(r, u), u, ...radiusOptions(r, r.chance(0.1))] }
  }],
  [4, (r) => {
    const u = unit(r)
    return { argv: ['GEORADIUSBYMEMBER', key(r), member(r), dist(r, u), u, ...radiusOptions(r, true)] }
  }],
  [2, (r) => {
    const u = unit(r)
    return { argv: ['GEORADIUSBYMEMBER_RO', key(r), member(r), dist(r, u), u, ...radiusOptions(r, r.chance(0.1))] }
  }],
  // Sorted-set views and writes of the same keys.
  [3, (r) => ({ argv: ['ZSCORE', key(r), member(r)] })],
  [3, (r) => ({ argv: ['ZRANGE', key(r), '0', '-1', ...(r.chance(0.6) ? ['WITHSCORES'] : [])] })],
  [1, (r) => ({ argv: ['ZADD', key(r), r.pick(['0', '1', '-1', '4503599627370495', '4503599627370496', '9007199254740992', '3471579339700058', '1.5']), member(r)] })],
  [1, (r) => ({ argv: ['ZREM', key(r), member(r)] })],
  [1, (r) => ({ argv: ['ZCARD', key(r)] })],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [0.5, (r) => ({ argv: ['SET', key(r), small(r)] })],
  [1.5, (r) => r.pick(OTHER_TYPES)(r)],
  // Keys taken by other types stay so: recycle them now and then.
  [1, (r) => ({ argv: ['DEL', key(r)] })],
]

export const geo: Gen = (r) => r.weighted(GENS)(r)
