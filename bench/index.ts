/**
 * `npm run bench`: every benchmark, one process, one run, so the ratios compare
 * like with like. Pass group names to run only some: `npm run bench -- strings`.
 * `instructions` (valgrind, minutes) runs only when named.
 */
import { benchMemory, benchStrings } from './strings.js'
import { benchTypes } from './types.js'

// A child of `npm run bench -- instructions`: one counted run of the workload, nothing else.
if (process.env.EMBEDIS_IR_WORKER) {
  ;(await import('./instructions.js')).runInstructionsWorker(process.env)
  process.exit(0)
}

const groups: Record<string, () => Promise<unknown>> = {
  ioredis: async () => (await import('./ioredis.js')).benchIoredis(),
  strings: () => benchStrings(),
  memory: () => benchMemory(),
  types: () => benchTypes(),
  collections: async () => (await import('./collections.js')).benchCollections(),
  scripting: async () => (await import('./scripting.js')).benchScripting(),
  bullmq: async () => (await import('./bullmq.js')).benchBullmq(),
  eviction: async () => (await import('./eviction.js')).benchEviction(),
  persistence: async () => (await import('./persistence.js')).benchPersistence(),
  instructions: async () => (await import('./instructions.js')).benchInstructions(),
}
const OPT_IN = new Set(['instructions'])

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
console.log(`# embedis benchmarks\n\nNode ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`)
for (const [name, run] of Object.entries(groups)) {
  if (wanted.length ? !wanted.includes(name) : OPT_IN.has(name)) continue
  await run()
}
