/**
 * Encodings under other thresholds. Each run first sets every encoding parameter (the listpack
 * limits of hashes, sets and sorted sets, the intset size, list node size and compression, stream
 * node limits, the sparse HyperLogLog size) to a random value, mostly a small one, then draws
 * commands from the collection families, adapted as in a mixed run (`drawAdapted`), with OBJECT
 * ENCODING now and then: so conversions happen early and in every direction the parameters allow,
 * and `--dump` compares the payloads of whatever encodings result. `runSeed` sets the parameters
 * back (CONFIG_DEFAULTS) before every seed, on both sides.
 */
import { type Gen, KEYS } from './gen.js'
import { hashes } from './hashes.js'
import { hyperloglog } from './hyperloglog.js'
import { lists } from './lists.js'
import { drawAdapted } from './mixed.js'
import { sets } from './sets.js'
import { streams } from './streams.js'
import { zsets } from './zsets.js'

const ENTRIES = ['0', '1', '2', '3', '4', '8', '16', '128', '512']
const BYTES = ['0', '1', '2', '4', '8', '16', '64']
const CHOICES: Record<string, readonly string[]> = {
  'hash-max-listpack-entries': ENTRIES,
  'hash-max-listpack-value': BYTES,
  'set-max-intset-entries': ENTRIES,
  'set-max-listpack-entries': ENTRIES,
  'set-max-listpack-value': BYTES,
  'zset-max-listpack-entries': ENTRIES,
  'zset-max-listpack-value': BYTES,
  'list-max-listpack-size': ['-5', '-4', '-3', '-2', '-1', '1', '2', '3', '4', '8'],
  'list-compress-depth': ['0', '0', '1', '2', '3'],
  'stream-node-max-entries': ['0', '1', '2', '3', '5', '100'],
  'stream-node-max-bytes': ['0', '1', '50', '100', '4096'],
  'hll-sparse-max-bytes': ['0', '1', '10', '30', '100', '3000'],
}

const SOURCES: Array<readonly [number, Gen]> = [
  [2, hashes],
  [2, lists],
  [2, sets],
  [2, zsets],
  [1, streams],
  [1, hyperloglog],
  [1, (r) => ({ argv: ['OBJECT', 'ENCODING', r.pick(KEYS)] })],
]

const STEPS = new WeakMap<object, number>()

export const encodings: Gen = (r) => {
  const step = STEPS.get(r) ?? 0
  STEPS.set(r, step + 1)
  if (step === 0) {
    const argv = ['CONFIG', 'SET']
    // A parameter keeps its default now and then, so defaults meet the others too.
    for (const [name, values] of Object.entries(CHOICES)) if (r.chance(0.8)) argv.push(name, r.pick(values))
    if (argv.length === 2) argv.push('list-max-listpack-size', '1')
    // Through the mixed run's adaptation, which notes what the new limits may do (see `zsetLimits`).
    return drawAdapted(r, [[1, () => ({ argv })]])
  }
  return drawAdapted(r, SOURCES)
}
