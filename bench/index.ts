/**
 * `npm run bench`: every benchmark, one process, one run, so the ratios compare
 * like with like. Pass group names to run only some: `npm run bench -- strings`.
 */
import { benchMemory, benchStrings } from './strings.js'
import { benchTypes } from './types.js'

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
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
console.log(`# embedis benchmarks\n\nNode ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`)
for (const [name, run] of Object.entries(groups)) {
  if (wanted.length && !wanted.includes(name)) continue
  await run()
}
