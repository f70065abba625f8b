/** Building blocks for the differential generators: a seeded generator and argument pools. */
import type { Annotation } from '../harness.js'

/** One generated command and how its reply is compared. */
export interface Cmd {
  argv: string[]
  ann?: Annotation[]
  /**
   * After this command the seed's effects are not replayed: Redis itself may change data without
   * propagating the change (a failing PFADD on a damaged HLL can leave its key half converted), or
   * a CONFIG SET changed the limits the replayed writes would meet.
   */
  unreplicated?: boolean
}

/** A command generator: one random command per call. */
export type Gen = (r: Rng) => Cmd

/** A small deterministic generator (xorshift32), so a seed replays the same sequence. */
export class Rng {
  private x: number
  constructor(seed: number) {
    this.x = (seed * 2654435761) >>> 0 || 1
    for (let i = 0; i < 8; i++) this.next()
  }
  /** A float in [0, 1). */
  next(): number {
    let x = this.x
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.x = x >>> 0
    return this.x / 4294967296
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!
  }
  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(a: ReadonlyArray<readonly [number, T]>): T {
    let total = 0
    for (const [w] of a) total += w
    let u = this.next() * total
    for (const [w, v] of a) if ((u -= w) < 0) return v
    return a[a.length - 1]![1]
  }
  /** `n` picks (repeats allowed). */
  some<T>(a: readonly T[], lo: number, hi: number): T[] {
    const n = this.int(lo, hi)
    return Array.from({ length: n }, () => this.pick(a))
  }
}

/** A few keys, so commands keep meeting each other's data (and each other's types). */
export const KEYS = ['k1', 'k2', 'k3', 'k4'] as const

/** Integers around the interesting edges. */
export const INTS = ['0', '1', '-1', '2', '3', '5', '10', '-3', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '1.5', 'abc', '', ' 1', '01', '+1', '-0'] as const

/** Floats as Redis parses and prints them. */
export const FLOATS = ['0', '1', '-1', '1.5', '-2.25', '0.1', '3e2', '1e-5', 'inf', '-inf', '+inf', 'nan', 'abc', '', '1e400', '5.0', '.5', '-0', '1.7976931348623157e308'] as const

/** Plain values. */
export const VALUES = ['a', 'b', 'c', 'hello', '', '1', '10', '-5', '2.5', 'é', 'a b', 'x'.repeat(70)] as const

/** A small integer as a string. */
export const small = (r: Rng, lo = -3, hi = 10): string => String(r.int(lo, hi))

/** Mostly a valid small integer, sometimes an edge case. */
export const anInt = (r: Rng, lo = -3, hi = 10): string => (r.chance(0.85) ? small(r, lo, hi) : r.pick(INTS))

/** Mostly a valid float, sometimes an edge case. */
export const aFloat = (r: Rng): string => (r.chance(0.7) ? String(r.int(-20, 20) / 4) : r.pick(FLOATS))

/**
 * A relative time to live: never short enough to run out during a run (both sides would race the
 * clock), sometimes zero, negative or not a number.
 */
export const ttl = (r: Rng, unit: 's' | 'ms'): string =>
  r.chance(0.85) ? String(unit === 's' ? r.int(100, 10000) : r.int(100000, 10000000)) : r.pick(['0', '-1', '-100', 'abc', '1.5', '', '9223372036854775807', '-9223372036854775808'])

/**
 * Options of an element scan (HSCAN, SSCAN, ZSCAN): MATCH from `patterns`, COUNT, a stray TYPE or
 * unknown option. With `whole` (a hashtable, where a partial scan's cursor and elements depend on
 * the table layout) the scan reads everything in one step.
 */
export function scanOptions(r: Rng, patterns: readonly string[], whole: boolean): string[] {
  const out: string[] = []
  const n = r.int(0, 2)
  for (let i = 0; i < n; i++) {
    const o = r.weighted([[4, 'MATCH'], [4, 'COUNT'], [1, 'TYPE'], [1, 'BOGUS']] as const)
    out.push(kw(r, o))
    if (o === 'MATCH') out.push(r.pick(patterns))
    else if (o === 'COUNT') out.push(whole ? r.pick(['100000', '100000', '0', '-1', 'abc']) : r.pick(['1', '5', '100', '0', '-1', 'abc', '9223372036854775807']))
    else if (o === 'TYPE') out.push('string')
    else if (r.chance(0.5)) out.push('x')
  }
  if (whole && !out.some((x) => x.toUpperCase() === 'COUNT')) out.push('COUNT', '100000')
  return out
}

/** Keyword in random case. */
export const kw = (r: Rng, word: string): string => (r.chance(0.8) ? word : r.chance(0.5) ? word.toLowerCase() : word[0] + word.slice(1).toLowerCase())

/** Sometimes a command on another type's key, to provoke WRONGTYPE. */
export const OTHER_TYPES: Gen[] = [
  (r) => ({ argv: ['SET', r.pick(KEYS), r.pick(VALUES)] }),
  (r) => ({ argv: ['RPUSH', r.pick(KEYS), r.pick(VALUES)] }),
  (r) => ({ argv: ['SADD', r.pick(KEYS), r.pick(VALUES)] }),
  (r) => ({ argv: ['ZADD', r.pick(KEYS), small(r), r.pick(VALUES)] }),
  (r) => ({ argv: ['HSET', r.pick(KEYS), r.pick(VALUES), r.pick(VALUES)] }),
  (r) => ({ argv: ['XADD', r.pick(KEYS), `${r.int(1, 20)}-${r.int(0, 2)}`, 'f', 'v'] }),
  (r) => ({ argv: ['DEL', r.pick(KEYS)] }),
  (r) => ({ argv: ['TYPE', r.pick(KEYS)] }),
]

/** Redis 7.2's defaults of the parameters the `encodings` and `config` families change, as one CONFIG SET. */
export const CONFIG_DEFAULTS = [
  'CONFIG', 'SET',
  'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'maxmemory-samples', '5', 'maxmemory-eviction-tenacity', '10',
  'maxmemory-clients', '0', 'lfu-log-factor', '10', 'lfu-decay-time', '1', 'hz', '10', 'active-expire-effort', '1',
  'busy-reply-threshold', '5000', 'latency-monitor-threshold', '0', 'slowlog-log-slower-than', '10000',
  'slowlog-max-len', '128', 'acllog-max-len', '128', 'tracking-table-max-keys', '1000000',
  'proto-max-bulk-len', '536870912', 'rdbcompression', 'yes', 'timeout', '0', 'save', '', 'appendfsync', 'everysec',
  'client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
  'hash-max-listpack-entries', '128', 'hash-max-listpack-value', '64',
  'set-max-intset-entries', '512', 'set-max-listpack-entries', '128', 'set-max-listpack-value', '64',
  'zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64',
  'list-max-listpack-size', '-2', 'list-compress-depth', '0',
  'stream-node-max-entries', '100', 'stream-node-max-bytes', '4096',
  'hll-sparse-max-bytes', '3000',
]
