/**
 * The package as a consumer gets it: the files `npm pack` ships, every subpath of the `exports`
 * map loaded through Node's resolution as ESM and as CommonJS, their type declarations checked
 * by `tsc` under `nodenext` resolution from both module kinds, and the `embedis` bin.
 *
 * It runs on `dist/` (CI builds before testing); a missing or older-than-`src/` build is rebuilt
 * first, so a local `npm test` never checks a stale one.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SUBPATHS = ['embedis', 'embedis/lua', 'embedis/server', 'embedis/ioredis', 'embedis/persistence']
const ENTRIES = ['index', 'lua', 'server', 'ioredis', 'persistence']

/** The newest modification time of any file under `dir`. */
function newest(dir: string): number {
  let t = 0
  for (const d of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) t = Math.max(t, statSync(join(d.parentPath, d.name)).mtimeMs)
  }
  return t
}

function ensureBuilt(): void {
  const marker = join(ROOT, 'dist', 'index.js')
  const stale = !existsSync(marker) || statSync(marker).mtimeMs < Math.max(newest(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs)
  if (stale) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js')], { cwd: ROOT, stdio: 'ignore' })
}

/** A consumer project whose node_modules/embedis is this package (resolved through its `exports`). */
let app: string

beforeAll(() => {
  ensureBuilt()
  app = mkdtempSync(join(tmpdir(), 'embedis-consumer-'))
  mkdirSync(join(app, 'node_modules'))
  symlinkSync(ROOT, join(app, 'node_modules', 'embedis'), 'dir')
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
}, 120_000)

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true })
})

async function node(file: string, source: string): Promise<string> {
  writeFileSync(join(app, file), source)
  const { stdout } = await run(process.execPath, [file], { cwd: app, timeout: 30_000 })
  return stdout.trim()
}

describe('package', () => {
  it('ships the built entry points, types and docs, and nothing from src/ or test/', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT })
    const files = new Set((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path))
    for (const e of ENTRIES) for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files, `dist/${e}.${ext}`).toContain(`dist/${e}.${ext}`)
    for (const f of ['dist/cli.js', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) expect(files).toContain(f)
    expect([...files].filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f))).toEqual([])
  })

  it('every subpath loads as ESM and as CommonJS, with the same exports', async () => {
    const out = await node(
      'names.mjs',
      `import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const names = {}
for (const p of ${JSON.stringify(SUBPATHS)}) {
  names[p] = [Object.keys(await import(p)).filter((k) => k !== 'default').sort(), Object.keys(require(p)).filter((k) => k !== 'default').sort()]
}
console.log(JSON.stringify(names))`,
    )
    const names = JSON.parse(out) as Record<string, [string[], string[]]>
    for (const p of SUBPATHS) {
      const [esm, cjs] = names[p]!
      expect(esm.length, p).toBeGreaterThan(0)
      expect(cjs, p).toEqual(esm)
    }
    expect(names['embedis']![0]).toEqual(expect.arrayContaining(['Store', 'ReplyError', 'ManualClock']))
    expect(names['embedis/lua']![0]).toContain('lua')
    expect(names['embedis/server']![0]).toContain('createServer')
    expect(names['embedis/ioredis']![0]).toEqual(expect.arrayContaining(['Redis', 'getDefaultStore', 'resetDefaultStore']))
    expect(names['embedis/persistence']![0]).toContain('openStore')
  })

  const scenario = (load: (m: string) => string) => `${load('embedis')}
${load('embedis/lua')}
${load('embedis/ioredis')}
const store = new Store({ scripting: lua() })
store.set('k', 'v', { ex: 60 })
const out = [store.get('k'), store.call('EVAL', "return cjson.encode({redis.call('GET', KEYS[1])})", 1, 'k')]
try { store.call('INCR', 'k') } catch (e) { out.push(e instanceof ReplyError, e.message) }
const redis = new Redis({ store })
redis.incrby('n', 41).then(async (n) => {
  out.push(n, await redis.pipeline().incr('n').get('k').exec())
  redis.disconnect()
  store.close()
  console.log(JSON.stringify(out))
})`

  const expected = ['v', '["v"]', true, 'ERR value is not an integer or out of range', 41, [[null, 42], [null, 'v']]]

  it('runs a Store with scripting and the ioredis drop-in from ESM', async () => {
    const out = await node('app.mjs', scenario((m) => `import * as ${alias(m)} from '${m}'; const { ${names(m)} } = ${alias(m)}`))
    expect(JSON.parse(out)).toEqual(expected)
  })

  it('runs the same from CommonJS', async () => {
    const out = await node('app.cjs', scenario((m) => `const { ${names(m)} } = require('${m}')`))
    expect(JSON.parse(out)).toEqual(expected)
  })

  it("type-checks a consumer under nodenext resolution, from ESM and from CommonJS", async () => {
    const body = `
const store = new Store({ scripting: lua(), maxkeys: 10 })
const v: string | null = store.get('k')
const set: 'OK' | null = store.set('k', 'v', { nx: true })
const old: string | null = store.set('k', 'w', { get: true })
const n: number = store.incr('n')
const redis = new Redis({ store })
const p: Promise<string | null> = redis.get('k')
const server: RespServer = createServer({ store })
// @ts-expect-error set's options are checked
store.set('k', 'v', { ex: 'soon' })
export { v, set, old, n, p, server, openStore }`
    writeFileSync(join(app, 'consumer.mts'), `import { Store } from 'embedis'\nimport { lua } from 'embedis/lua'\nimport { Redis } from 'embedis/ioredis'\nimport { createServer, type RespServer } from 'embedis/server'\nimport { openStore } from 'embedis/persistence'\n${body}`)
    writeFileSync(
      join(app, 'consumer.cts'),
      `import { Store } from 'embedis'\nimport { lua } from 'embedis/lua'\nimport { Redis } from 'embedis/ioredis'\nimport { createServer, type RespServer } from 'embedis/server'\nimport { openStore } from 'embedis/persistence'\n${body}`,
    )
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.mts', 'consumer.cts'],
      }),
    )
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, timeout: 60_000 }).catch((e: { stdout: string }) => e)
    expect(r.stdout).toBe('')
  }, 60_000)

  it('has a working `embedis` bin', async () => {
    const { stdout } = await run(process.execPath, [join(app, 'node_modules', 'embedis', 'dist', 'cli.js'), '--help'], { cwd: app })
    expect(stdout).toMatch(/^Usage: embedis \[options\]/)
  })
})

function alias(m: string): string {
  return m.replace(/\W/g, '_')
}

function names(m: string): string {
  return { embedis: 'Store, ReplyError', 'embedis/lua': 'lua', 'embedis/ioredis': 'Redis' }[m]!
}
