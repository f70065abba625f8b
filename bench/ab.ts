/**
 * Same-process A/B of the bounded-cache workload: the Store of another revision against the
 * working tree's, in alternating rounds, each timed run on a collected heap. The same code run in
 * separate processes differs by 10-15% on a shared machine; alternating inside one process, the
 * two sides of an A/A run agree within about 2%, so a change of a few percent shows.
 *
 *   npm run bench:ab -- <git-ref> [policy] [rounds]       e.g. npm run bench:ab -- HEAD~1 allkeys-lru 8
 *
 * The revision's `src/` is extracted into `.bench-ab-<sha>/`, inside the project so that its imports
 * resolve to the same dependencies, and each side is bundled by esbuild as the package is built.
 * Workload: as `npm run bench -- eviction` (EVICTION_KEYS keys).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { runWorkload, zipfWorkload } from './eviction.js'
import { median } from './lib.js'

type StoreCtor = new (o: object) => { get(k: string): unknown; set(k: string, v: string): unknown; close(): void }

const [ref, policy = 'allkeys-lru', roundsArg = '6'] = process.argv.slice(2)
if (!ref) {
  console.error('usage: npm run bench:ab -- <git-ref> [policy] [rounds]')
  process.exit(2)
}
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc (npm run bench:ab does)')

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const sha = spawnSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root, encoding: 'utf8' })
if (sha.status !== 0) throw new Error(`unknown revision '${ref}'`)
const commit = sha.stdout.trim()
const dir = join(root, `.bench-ab-${commit}`)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
// Removed when the run ends, however it ends.
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
const tar = join(dir, 'src.tar')
for (const [cmd, args] of [
  ['git', ['archive', '--format=tar', '-o', tar, commit, 'src']],
  ['tar', ['-xf', tar, '-C', dir]],
] as const) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
}

/** The Store of a `src/` tree, bundled as `npm run build` bundles it. */
async function storeOf(src: string, out: string): Promise<StoreCtor> {
  await build({ entryPoints: [join(src, 'index.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: out, logLevel: 'warning' })
  return (await import(pathToFileURL(out).href)).Store as StoreCtor
}

const sides: Array<[string, StoreCtor]> = [
  [ref, await storeOf(join(dir, 'src'), join(dir, 'ref.mjs'))],
  ['working tree', await storeOf(join(root, 'src'), join(dir, 'working-tree.mjs'))],
]

const n = Number(process.env.EVICTION_KEYS ?? 1_000_000)
const cap = Math.floor(n / 10)
const w = zipfWorkload(n)
const speeds = new Map<string, number[]>()
const hits = new Map<string, number>()
const rounds = Number(roundsArg)
for (let round = 0; round < rounds; round++) {
  // Alternate which side goes first, so drift over the run falls on both alike.
  for (const [name, Store] of round % 2 ? [...sides].reverse() : sides) {
    const s = new Store({ maxkeys: cap, maxmemoryPolicy: policy })
    const r = runWorkload({ get: (k) => s.get(k), set: (k, v) => s.set(k, v) }, w)
    speeds.set(name, [...(speeds.get(name) ?? []), r.opsPerSec])
    hits.set(name, r.hitRate)
    s.close()
  }
}

console.log(`\n${policy}, ${n.toLocaleString('en')} keys, room for ${cap.toLocaleString('en')}, ${rounds} alternating rounds (requests/s, CPU time)\n`)
console.log('| side | runs | median | hit rate |')
console.log('|---|---|---:|---:|')
for (const [name] of sides) {
  const a = speeds.get(name)!
  console.log(`| ${name} | ${a.map((x) => (x / 1e6).toFixed(2)).join(' ')} | ${(median(a) / 1e6).toFixed(2)}M | ${(hits.get(name)! * 100).toFixed(2)}% |`)
}
console.log(`\nworking tree / ${ref}: ${(median(speeds.get('working tree')!) / median(speeds.get(ref)!)).toFixed(3)}×`)
