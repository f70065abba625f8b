/** HyperLogLog commands (PFADD, PFCOUNT, PFMERGE) and string reads/writes of the HLL strings. */
import { anInt, type Gen, KEYS, OTHER_TYPES, type Rng, small, VALUES } from './gen.js'

const key = (r: Rng): string => r.pick(KEYS)

/** An element from a small pool, so PFADD often reports no change. */
const elem = (r: Rng): string => (r.chance(0.9) ? 'e' + String(r.int(0, 40)) : r.pick(VALUES))

/**
 * Many distinct elements at once: enough of these push a sparse HLL past
 * hll-sparse-max-bytes (3000) into the dense encoding.
 */
function many(r: Rng): string[] {
  const n = r.chance(0.5) ? r.int(50, 400) : r.int(1000, 2500)
  const base = r.int(0, 100000)
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push('m' + String(base + i))
  return out
}

/** Writes that damage an HLL string (or make a string that only looks like one). */
const damage: Gen = (r) => ({
  ...r.weighted<Gen>([
    [3, (r) => ({ argv: ['APPEND', key(r), r.pick(['x', '\x00', 'abc'])] })],
    [3, (r) => ({ argv: ['SETRANGE', key(r), String(r.int(0, 20)), r.pick(['\x00', '\x01', '\x02', '\x7f', 'x', 'HYLL'])] })],
    [2, (r) => ({ argv: ['SET', key(r), r.pick(['HYLL', 'HYLL\x00\x00\x00\x00\x00\x00\x00\x00', 'HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00', 'hello'])] })],
    [2, (r) => ({ argv: ['SETBIT', key(r), String(r.int(0, 200)), r.pick(['0', '1'])] })],
  ])(r),
  unreplicated: true,
})

const GENS: Array<readonly [number, Gen]> = [
  [10, (r) => ({ argv: ['PFADD', key(r), ...r.some([0], 0, 5).map(() => elem(r))] })],
  [2, (r) => ({ argv: ['PFADD', key(r), ...many(r)] })],
  [8, (r) => ({ argv: ['PFCOUNT', ...r.some(KEYS, 1, 3)] })],
  [5, (r) => ({ argv: ['PFMERGE', key(r), ...r.some(KEYS, 0, 3)] })],
  [3, (r) => ({ argv: ['GET', key(r)] })],
  [2, (r) => ({ argv: ['STRLEN', key(r)] })],
  [3, (r) => ({ argv: ['GETRANGE', key(r), anInt(r, -20, 20), anInt(r, -20, 40)] })],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', key(r)] })],
  [1, (r) => ({ argv: ['TYPE', key(r)] })],
  [1, (r) => ({ argv: ['COPY', key(r), key(r), 'REPLACE'] })],
  [0.5, (r) => ({ argv: ['SET', key(r), r.pick(VALUES)] })],
  [0.5, (r) => ({ argv: ['INCRBY', key(r), small(r)] })],
  [1, damage],
  // Damaged keys stay damaged: recycle them now and then.
  [2.5, (r) => ({ argv: ['DEL', key(r)] })],
  [2, (r) => r.pick(OTHER_TYPES)(r)],
]

export const hyperloglog: Gen = (r) => r.weighted(GENS)(r)
