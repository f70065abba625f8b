/**
 * Transactions: MULTI/EXEC/DISCARD/WATCH/UNWATCH with commands queued inside, failing at queue time
 * (unknown command, wrong arity: EXECABORT) and at run time (WRONGTYPE inside EXEC), WATCHed keys
 * touched by the same connection, by SELECT/SWAPDB/MOVE/FLUSHDB/FLUSHALL, and by expiry to a time
 * in the past.
 *
 * MULTI or WATCH inside MULTI: Valkey 8 then aborts the transaction where Redis 7.2 keeps it open
 * (valkey8-vs-redis72.md), so after one of those the generator ends the transaction with DISCARD,
 * and only the error's type is compared (the texts differ too). Covered exactly by the scenarios.
 */
import { anInt, type Cmd, type Gen, KEYS, kw, OTHER_TYPES, type Rng, small, ttl, VALUES } from './gen.js'

interface State {
  inMulti: boolean
  /** A nested MULTI/WATCH was sent in this transaction: EXEC would differ, so it is not sent. */
  tainted: boolean
}

const STATES = new WeakMap<Rng, State>()
const state = (r: Rng): State => {
  let s = STATES.get(r)
  if (s === undefined) STATES.set(r, (s = { inMulti: false, tainted: false }))
  return s
}

const key = (r: Rng): string => r.pick(KEYS)
const val = (r: Rng): string => r.pick(VALUES)

/** Ordinary commands, run alone or queued: writes that trip WATCH, reads, type clashes, errors. */
const DATA: Array<readonly [number, Gen]> = [
  [6, (r) => ({ argv: ['SET', key(r), val(r)] })],
  [4, (r) => ({ argv: ['GET', key(r)] })],
  [3, (r) => ({ argv: [r.pick(['INCR', 'DECR']), key(r)] })],
  [2, (r) => ({ argv: ['INCRBY', key(r), anInt(r)] })],
  [2, (r) => ({ argv: ['APPEND', key(r), val(r)] })],
  [2, (r) => ({ argv: ['LPUSH', key(r), val(r)] })],
  [1, (r) => ({ argv: ['LRANGE', key(r), '0', '-1'] })],
  [2, (r) => ({ argv: ['HSET', key(r), val(r), val(r)] })],
  // A hash with a 70-byte value is a hashtable: no order.
  [1, (r) => ({ argv: ['HGETALL', key(r)], ann: ['unordered-pairs'] })],
  [1, (r) => ({ argv: ['SADD', key(r), val(r)] })],
  [1, (r) => ({ argv: ['ZADD', key(r), small(r), val(r)] })],
  [2, (r) => ({ argv: ['DEL', ...r.some(KEYS, 1, 2)] })],
  [1, (r) => ({ argv: ['EXISTS', ...r.some(KEYS, 1, 3)] })],
  [1, (r) => ({ argv: ['TYPE', key(r)] })],
  // no-op writes must not trip WATCH; real ones must
  [1, (r) => ({ argv: ['DEL', 'nokey'] })],
  [1, (r) => ({ argv: ['SET', key(r), val(r), r.pick(['NX', 'XX'])] })],
  [1, (r) => ({ argv: ['EXPIRE', key(r), ttl(r, 's'), ...(r.chance(0.3) ? [r.pick(['NX', 'XX', 'GT', 'LT'])] : [])] })],
  [1, (r) => ({ argv: ['EXPIREAT', key(r), r.pick(['1', '4000000000'])] })],
  // (Not a past PXAT: Redis 7.2 writes the key then, touching WATCH, where Valkey 8 skips it.)
  [1, (r) => ({ argv: ['SET', key(r), val(r), 'PXAT', r.pick(['4000000000000', '0'])] })],
  [1, (r) => ({ argv: ['PERSIST', key(r)] })],
  [1, (r) => ({ argv: ['TTL', key(r)], ann: ['ttl'] })],
  [1, (r) => ({ argv: ['RENAME', key(r), key(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), ...(r.chance(0.5) ? ['REPLACE'] : []), ...(r.chance(0.3) ? ['DB', r.pick(['0', '1'])] : [])] })],
  [1, (r) => ({ argv: ['MOVE', key(r), r.pick(['0', '1', '2', 'x', '99'])] })],
  [1, (r) => ({ argv: ['SELECT', r.pick(['0', '0', '1', '2', 'x', '99'])] })],
  [1, (r) => ({ argv: ['SWAPDB', r.pick(['0', '1', '2']), r.pick(['0', '1', '2', 'x'])] })],
  [1, (r) => ({ argv: [r.pick(['FLUSHDB', 'FLUSHALL']), ...(r.chance(0.3) ? [r.pick(['ASYNC', 'SYNC', 'x'])] : [])] })],
  [1, () => ({ argv: ['DBSIZE'] })],
  [1, () => ({ argv: ['PING'] })],
  [1, (r) => ({ argv: ['ECHO', val(r)] })],
  // queue-time errors: unknown command, unknown subcommand, wrong arity
  [1, (r) => ({ argv: r.pick([['NOSUCHCMD'], ['NOSUCHCMD', 'a'], ['GET'], ['SET', 'k'], ['OBJECT', 'NOSUCH'], ['CONFIG'], ['INCR', 'a', 'b']]) })],
  // run-time errors: syntax, bad numbers
  [1, (r) => ({ argv: r.pick([['SET', 'k1', 'v', 'BADOPT'], ['INCRBY', 'k1', 'x'], ['EXPIRE', 'k2', 'x'], ['LRANGE', 'k1', 'a', 'b'], ['ZADD', 'k3', 'x', 'm']]) })],
  // scripts write too (and run whole inside EXEC)
  [1, (r) => ({ argv: ['EVAL', r.pick(["return redis.call('INCR', KEYS[1])", "return redis.call('GET', KEYS[1])", "redis.call('DEL', KEYS[1]) return 1", "return redis.pcall('LPUSH', KEYS[1], 'x')"]), '1', key(r)] })],
  [3, (r) => r.pick(OTHER_TYPES)(r)],
]

const data = (r: Rng): Cmd => r.weighted(DATA)(r)

const GENS: Array<readonly [number, (r: Rng, s: State) => Cmd]> = [
  [5, (r, s) => {
    if (s.inMulti) {
      // Nested MULTI: the error text differs between Valkey 8 and Redis 7.2 (see above).
      s.tainted = true
      return { argv: ['MULTI'], ann: ['any'] }
    }
    s.inMulti = true
    return { argv: [kw(r, 'MULTI')] }
  }],
  [4, (r, s) => {
    if (s.tainted) {
      s.inMulti = s.tainted = false
      return { argv: ['DISCARD'] }
    }
    s.inMulti = false
    return { argv: [kw(r, 'EXEC')] }
  }],
  [1, (r, s) => {
    s.inMulti = s.tainted = false
    return { argv: [kw(r, 'DISCARD')] }
  }],
  [4, (r, s) => {
    if (s.inMulti) {
      s.tainted = true
      return { argv: ['WATCH', key(r)], ann: ['any'] }
    }
    return { argv: [kw(r, 'WATCH'), ...r.some(KEYS, 1, 3)] }
  }],
  [1, (r) => ({ argv: [kw(r, 'UNWATCH')] })],
  // arity errors of the transaction commands themselves (queue-time errors inside MULTI)
  [1, (r) => ({ argv: r.pick([['WATCH'], ['EXEC', 'x'], ['DISCARD', 'x'], ['UNWATCH', 'x']]) })],
  [1, (r, s) => {
    if (s.inMulti) return data(r)
    return { argv: ['MULTI', 'x'] }
  }],
  [20, (r) => data(r)],
  // (No RESET: it also goes back to RESP2, while the driver encodes embedis's replies in the
  // protocol it started with; the scenarios cover RESET.)
]

export const transactions: Gen = (r) => {
  const s = state(r)
  for (;;) {
    const c = r.weighted(GENS)(r, s)
    // Inside MULTI a command's reply is QUEUED and its real reply comes in EXEC's array, compared
    // exactly: a command whose reply needs a tolerance (a hashtable's HGETALL, TTL) is drawn again.
    if (!s.inMulti || c.ann === undefined || c.argv[0]!.toUpperCase() === 'MULTI' || c.argv[0]!.toUpperCase() === 'WATCH') return c
  }
}
