/**
 * Runs a benchmark on the code as it ships: `bench/<entry>.ts` and the sources it imports are
 * bundled by esbuild, as tsup builds dist/, into `.bench-build/`, then run with `--expose-gc`.
 * Not through tsx: its transform keeps class names by wrapping every class, which turns each
 * `instanceof` into a generic lookup (about 20 ns instead of 1) and would charge that to embedis.
 *
 *   node bench/run.mjs index [groups...]     (npm run bench -- strings)
 *   node bench/run.mjs ab <git-ref> [...]     (npm run bench:ab -- HEAD~1)
 */
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

const [entry = 'index', ...args] = process.argv.slice(2)
const outdir = '.bench-build'
rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: [`bench/${entry}.ts`],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dependencies (lru-cache, ioredis-mock, ioredis...) run from node_modules as they are.
  packages: 'external',
  outdir,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
})
const r = spawnSync(process.execPath, ['--expose-gc', `${outdir}/${entry}.mjs`, ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
