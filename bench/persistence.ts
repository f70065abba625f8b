/**
 * Persistence benchmark: SAVE and load of an RDB file with 1M keys of mixed
 * types (strings, small hashes, lists, sets, sorted sets), in embedis and in
 * valkey-server on the same file — valkey's SAVE and DEBUG RELOAD NOSAVE
 * (load only). Times and MB/s, measured in one run.
 *   npm run bench -- persistence        (EMBEDIS_BENCH_KEYS=200000 for a shorter run)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../src/index.js'
import { openStore, rdbFile } from '../src/persistence/index.js'
import { isValkeyAvailable, startValkey } from '../test/helpers/valkey.js'

const N = Number(process.env.EMBEDIS_BENCH_KEYS ?? 1_000_000)

/** The mixed dataset: 70% strings, 10% hashes, 10% lists, 5% sets, 5% sorted sets. */
function fill(store: Store, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = i % 20
    if (r < 14) store.set(`key:${i}`, `value:${i}:${'x'.repeat(i % 32)}`)
    else if (r < 16) store.hset(`hash:${i}`, { a: String(i), b: 'xyz', c: 'hello world' })
    else if (r < 18) store.rpush(`list:${i}`, 'a', 'b', String(i))
    else if (r < 19) store.sadd(`set:${i}`, 'x', 'y', String(i))
    else store.zadd(`zset:${i}`, [[1, 'a'], [2.5, 'b'], [i, 'c']])
  }
}

const ms = (t0: number): number => performance.now() - t0
const mbps = (bytes: number, t: number): string => (bytes / 1e6 / (t / 1000)).toFixed(1)

export async function benchPersistence(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'embedis-bench-'))
  const path = join(dir, 'dump.rdb')
  try {
    const store = new Store({ activeExpiry: false, persistence: rdbFile({ path }) })
    fill(store, N)
    // Warm up the writer once, then measure.
    store.save()
    let t0 = performance.now()
    store.save()
    const save = ms(t0)
    const size = statSync(path).size
    t0 = performance.now()
    await store.bgsave()
    const bgsave = ms(t0)
    store.close()
    t0 = performance.now()
    const loaded = new Store({ activeExpiry: false, persistence: rdbFile({ path }) })
    const load = ms(t0)
    if (loaded.dbsize() !== N) throw new Error(`loaded ${loaded.dbsize()} keys, expected ${N}`)
    loaded.close()
    t0 = performance.now()
    const asyncLoaded = await openStore({ activeExpiry: false, persistence: rdbFile({ path }) })
    const loadAsync = ms(t0)
    asyncLoaded.close()

    let vSave: number | undefined
    let vLoad: number | undefined
    let vSize: number | undefined
    if (isValkeyAvailable()) {
      const v = await startValkey(['--dir', dir, '--dbfilename', 'dump.rdb', '--enable-debug-command', 'yes'])
      const c = await v.connect()
      const dbsize = await c.send(['DBSIZE'])
      if (dbsize.t !== 'int' || Number(dbsize.v) !== N) throw new Error(`valkey loaded ${JSON.stringify(dbsize)}`)
      await c.send(['SAVE'])
      t0 = performance.now()
      await c.send(['SAVE'])
      vSave = ms(t0)
      vSize = statSync(path).size
      t0 = performance.now()
      const r = await c.send(['DEBUG', 'RELOAD', 'NOSAVE'])
      vLoad = ms(t0)
      if (r.t !== 'status') throw new Error(`DEBUG RELOAD: ${JSON.stringify(r)}`)
      c.close()
      await v.stop()
    }

    console.log(`\n## persistence (RDB, ${N.toLocaleString('en')} keys of mixed types)\n`)
    console.log(`| op | embedis ms | embedis MB/s | valkey-server ms | valkey-server MB/s | embedis / valkey time |`)
    console.log(`|---|---:|---:|---:|---:|---:|`)
    const row = (op: string, t: number, bytes: number, vt?: number, vbytes?: number): void => {
      const vCells = vt === undefined ? '– | –' : `${vt.toFixed(0)} | ${mbps(vbytes!, vt)}`
      const ratio = vt === undefined ? '–' : `${(t / vt).toFixed(2)}×`
      console.log(`| ${op} | ${t.toFixed(0)} | ${mbps(bytes, t)} | ${vCells} | ${ratio} |`)
    }
    row('SAVE', save, size, vSave, vSize)
    row('BGSAVE (commands keep running)', bgsave, size)
    row('load (new Store)', load, size, vLoad, vSize)
    row('load (openStore, async)', loadAsync, size, vLoad, vSize)
    console.log(`\nfile size: embedis ${(size / 1e6).toFixed(1)} MB${vSize !== undefined ? `, valkey-server ${(vSize / 1e6).toFixed(1)} MB` : ''}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
