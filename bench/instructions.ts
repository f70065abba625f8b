/**
 * Instructions per request on the bounded-cache workload, counted by valgrind (cachegrind): a
 * deterministic figure where wall-clock ratios on a shared machine swing by ±5%, so a change of a
 * few percent in the work done per request can be seen. Opt-in, as it takes minutes:
 *
 *   npm run bench -- instructions               (needs valgrind; N = 300,000 keys)
 *
 * Each contender runs the workload of `npm run bench -- eviction` (Zipf(0.99), room for 10% of the
 * keys; and a variant where every request misses and evicts) once and three times in a fresh
 * process; the difference, divided by the requests of two runs, leaves out start-up and warm-up.
 * Node runs with one thread, without incremental marking and with fixed hash and random seeds, so
 * that compiler and collector timing and hash-table layout do not change the count between runs.
 */
import { spawn, spawnSync } from 'node:child_process'
import { LRUCache } from 'lru-cache'
import { Store } from '../src/index.js'
import { zipfWorkload } from './eviction.js'

const CONTENDERS = ['lru-cache', 'embedis allkeys-lru'] as const
const MODES = ['zipf', 'miss'] as const

/** The worker: runs the workload `reps` times (called in the valgrind child, see index.ts). */
export function runInstructionsWorker(env: NodeJS.ProcessEnv): void {
  const n = Number(env.EMBEDIS_IR_KEYS)
  const reps = Number(env.EMBEDIS_IR_REPS)
  const cap = n / 10
  const w = zipfWorkload(n)
  // Every request a key not seen for n requests: each one misses and evicts.
  if (env.EMBEDIS_IR_MODE === 'miss') for (let i = 0; i < w.trace.length; i++) w.trace[i] = i % n
  let get: (k: string) => unknown
  let set: (k: string, v: string) => unknown
  if (env.EMBEDIS_IR_WHO === 'lru-cache') {
    const c = new LRUCache<string, string>({ max: cap })
    get = (k) => c.get(k) ?? null
    set = (k, v) => c.set(k, v)
  } else {
    const s = new Store({ maxkeys: cap, maxmemoryPolicy: 'allkeys-lru', activeExpiry: false })
    get = (k) => s.get(k)
    set = (k, v) => s.set(k, v)
  }
  const { keys, trace, value } = w
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < trace.length; i++) {
      const k = keys[trace[i]!]!
      if (get(k) === null) set(k, value)
    }
  }
}

/** Instructions of one worker run under cachegrind. */
function countInstructions(env: Record<string, string>): Promise<number> {
  const args = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--single-threaded', '--no-incremental-marking', '--hash-seed=1', '--random-seed=1', process.argv[1]!]
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('close', () => {
      const m = /I\s+refs:\s+([\d,]+)/.exec(err)
      if (m) resolve(Number(m[1]!.replaceAll(',', '')))
      else reject(new Error(`cachegrind gave no count:\n${err.slice(-2000)}`))
    })
  })
}

export async function benchInstructions(keys = Number(process.env.INSTRUCTIONS_KEYS ?? 300_000)): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('\n(instruction counts need valgrind; skipped)')
    return
  }
  const requests = 2 * keys * 4 // two more runs of n warm-up + 3n requests
  console.log(`\n## Instructions per request (cachegrind), ${keys.toLocaleString('en')} keys, room for 10%\n`)
  console.log('| workload | cache | instructions/request | vs lru-cache |')
  console.log('|---|---|---:|---:|')
  for (const mode of MODES) {
    let base = 0
    for (const who of CONTENDERS) {
      const env = { EMBEDIS_IR_WORKER: '1', EMBEDIS_IR_KEYS: String(keys), EMBEDIS_IR_MODE: mode, EMBEDIS_IR_WHO: who }
      const [one, three] = await Promise.all([countInstructions({ ...env, EMBEDIS_IR_REPS: '1' }), countInstructions({ ...env, EMBEDIS_IR_REPS: '3' })])
      const per = (three - one) / requests
      if (who === 'lru-cache') base = per
      const label = mode === 'zipf' ? 'Zipf(0.99) get-or-set' : 'every request evicts'
      console.log(`| ${label} | ${who} | ${per.toFixed(0)} | ${(per / base).toFixed(2)}× |`)
    }
  }
}
