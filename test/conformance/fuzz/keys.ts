/** Generic key commands across databases: SELECT, MOVE, SWAPDB, COPY … DB, FLUSHDB, SCAN, RENAME. */
import { type Gen, KEYS, kw, OTHER_TYPES, type Rng, small, ttl, VALUES } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)
const db = (r: Rng): string => (r.chance(0.9) ? String(r.int(0, 2)) : r.pick(['-1', '16', 'x', '1.5', '']))

const GENS: Array<readonly [number, Gen]> = [
  [6, (r) => r.pick(OTHER_TYPES)(r)],
  [3, (r) => ({ argv: ['SET', key(r), r.pick(VALUES)] })],
  [2, (r) => ({ argv: ['SELECT', db(r)] })],
  [2, (r) => ({ argv: ['MOVE', key(r), db(r)] })],
  [1, (r) => ({ argv: ['SWAPDB', db(r), db(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.6) ? ['DB', db(r)] : []), ...(r.chance(0.4) ? [kw(r, 'REPLACE')] : [])] })],
  [1, (r) => ({ argv: r.chance(0.7) ? ['FLUSHDB'] : ['FLUSHDB', r.pick(['SYNC', 'ASYNC', 'async', 'NOW'])] })],
  [2, () => ({ argv: ['DBSIZE'] })],
  [2, (r) => {
    const opts: string[] = []
    if (r.chance(0.4)) opts.push(kw(r, 'MATCH'), r.pick(['*', 'k[13]', 'k?', '*2', 'nomatch']))
    if (r.chance(0.4)) opts.push(kw(r, 'TYPE'), r.pick(['string', 'list', 'set', 'zset', 'hash', 'stream', 'STRING']))
    opts.push(kw(r, 'COUNT'), r.chance(0.9) ? '1000' : r.pick(['0', '-1', 'x']))
    return { argv: ['SCAN', '0', ...opts], ann: ['unordered'] }
  }],
  [1, (r) => ({ argv: ['KEYS', r.pick(['*', 'k*', 'k[2-3]', 'k\\1', '[', 'k[!1]'])], ann: ['unordered'] })],
  [2, (r) => ({ argv: [r.pick(['RENAME', 'RENAMENX']), key(r), key(r)] })],
  [2, (r) => ({ argv: [r.pick(['EXISTS', 'DEL', 'UNLINK', 'TOUCH']), ...r.some(KEYS, 1, 4)] })],
  [1, (r) => ({ argv: ['EXPIRE', key(r), ttl(r, 's'), ...(r.chance(0.3) ? [kw(r, r.pick(['NX', 'XX', 'GT', 'LT']))] : [])] })],
  [1, (r) => ({ argv: ['TTL', key(r)], ann: ['ttl'] })],
  [1, (r) => ({ argv: ['PERSIST', key(r)] })],
  [1, (r) => ({ argv: ['OBJECT', r.pick(['ENCODING', 'REFCOUNT', 'encoding']), key(r)] })],
  [1, (r) => ({ argv: ['TYPE', key(r)] })],
  [1, (r) => ({ argv: r.chance(0.5) ? ['RANDOMKEY'] : ['ECHO', r.pick(VALUES)] })],
  [1, (r) => ({ argv: ['PING', ...(r.chance(0.5) ? [r.pick(VALUES)] : [])] })],
  [1, (r) => ({ argv: ['MSET', key(r), small(r), key(r), small(r)] })],
]

export const keys: Gen = (r) => {
  const c = r.weighted(GENS)(r)
  // RANDOMKEY picks among several keys: only its type is compared.
  if (c.argv[0] === 'RANDOMKEY') c.ann = ['any']
  return c
}
