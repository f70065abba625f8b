/**
 * RDB snapshots: files written here load in valkey-server and pass
 * valkey-check-rdb; files written by valkey-server load here with every
 * value, TTL and encoding; SAVE, BGSAVE (writes go on meanwhile), LASTSAVE,
 * save rules, save on close, asynchronous loading with progress.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import { Store } from '../../src/index.js'
import { openStore, rdbFile } from '../../src/persistence/index.js'
import { Crc64 } from '../../src/persistence/rdb/crc64.js'
import { KeyspaceSnapshot } from '../../src/persistence/snapshot.js'
import { isValkeyAvailable, startValkey } from '../helpers/valkey.js'
import { CONFIG_ARGS, contentsOf, datasetCommands, FUTURE, sessionSender, type Contents } from './dataset.js'
import { cleanup, firstDifference, fixture, FIXTURES, newStore, storeContents, tempDir } from './helpers.js'

const live = isValkeyAvailable()
const hasChecker = ((): boolean => {
  try {
    execFileSync('valkey-check-rdb', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return existsSync('/usr/bin/valkey-check-rdb')
  }
})()

afterEach(() => cleanup())

/** Waits until INFO persistence no longer shows a BGSAVE in progress. */
async function bgsaveFinished(s: Store): Promise<void> {
  while (/rdb_bgsave_in_progress:1/.test(s.call('INFO', 'persistence') as string)) await new Promise((r) => setTimeout(r, 5))
}

/** A store holding the dataset, saving to `path`. */
function datasetStore(path: string, opts: Parameters<typeof rdbFile>[0] extends infer O ? Partial<O> : never = {}): Store {
  const s = newStore({ persistence: rdbFile({ path, ...opts }) })
  const send = sessionSender(s.session())
  for (const argv of datasetCommands()) {
    const r = send(argv)
    if (r.t === 'error') throw new Error(`${String(argv[0])}: ${r.v}`)
  }
  return s
}

/** Type and encoding of every key (what a loader decides), from full contents. */
function encodings(c: Contents): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [db, rows] of Object.entries(c)) for (const [k, row] of Object.entries(rows)) out[`${db}/${k}`] = `${(row as { type: string }).type}:${(row as { encoding: string }).encoding}`
  return out
}

describe('files written by valkey-server', () => {
  it('load with every value, TTL and encoding (recorded dump.rdb)', async () => {
    const dir = tempDir('rdb')
    copyFileSync(join(FIXTURES, 'valkey.rdb'), join(dir, 'dump.rdb'))
    const s = newStore({ persistence: rdbFile({ path: join(dir, 'dump.rdb') }) })
    const got = await storeContents(s, { encodings: true })
    expect(firstDifference(got, fixture<Contents>('valkey-rdb.json'))).toBeUndefined()
    expect(s.call('PEXPIRETIME', 's:ttl')).toBe(FUTURE)
  })

  it.runIf(live)('live: SAVE in valkey, load here: the same as valkey loading the same file', async () => {
    const dir = tempDir('rdb')
    const a = await startValkey([...CONFIG_ARGS, '--dir', dir])
    const c = await a.connect()
    for (const argv of datasetCommands()) await c.send(argv)
    await c.send(['SAVE'])
    c.close()
    await a.stop()
    const b = await startValkey([...CONFIG_ARGS, '--dir', dir])
    const d = await b.connect()
    const s = newStore({ persistence: rdbFile({ path: join(dir, 'dump.rdb') }) })
    expect(firstDifference(await storeContents(s, { encodings: true }), await contentsOf((x) => d.send(x), { encodings: true }))).toBeUndefined()
    d.close()
    await b.stop()
  })
})

describe('files written here', () => {
  it('reload with every value and TTL, in the encodings valkey gives the same data', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const src = datasetStore(path)
    expect(src.save()).toBe('OK')
    const back = newStore({ persistence: rdbFile({ path }) })
    const got = await storeContents(back, { encodings: true, noConsumerTimes: true })
    expect(firstDifference(await storeContents(back), await storeContents(src))).toBeUndefined()
    expect(encodings(got)).toEqual(encodings(fixture<Contents>('valkey-rdb.json')))
  })

  it.runIf(hasChecker)('pass valkey-check-rdb', () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    datasetStore(path).save()
    const out = execFileSync('valkey-check-rdb', [path]).toString()
    expect(out).toMatch(/RDB looks OK/)
    expect(out).toMatch(/Checksum OK/)
  })

  it.runIf(live)('live: load in valkey-server with every value, TTL and encoding', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const src = datasetStore(path)
    src.save()
    const v = await startValkey([...CONFIG_ARGS, '--dir', dir])
    const c = await v.connect()
    const theirs = await contentsOf((x) => c.send(x), { encodings: true })
    c.close()
    await v.stop()
    const back = newStore({ persistence: rdbFile({ path }) })
    expect(firstDifference(await storeContents(back, { encodings: true }), theirs)).toBeUndefined()
    expect(firstDifference(await storeContents(src), await storeContents(back))).toBeUndefined()
  })

  it('with compression and checksums off still load (a zero checksum is accepted, as in Redis)', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const src = datasetStore(path, { compression: false, checksum: false })
    src.save()
    const bytes = readFileSync(path)
    expect(bytes.subarray(-8).equals(Buffer.alloc(8))).toBe(true)
    expect(bytes.includes(Buffer.from('abc'.repeat(40)))).toBe(true)
    const back = newStore({ persistence: rdbFile({ path }) })
    expect(firstDifference(await storeContents(back), await storeContents(src))).toBeUndefined()
  })
})

describe('loading', () => {
  it('drops keys whose TTL has passed and keeps the others', () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const clock = new ManualClock(1_000_000)
    const s = newStore({ clock, persistence: rdbFile({ path }) })
    s.set('short', 'x', { px: 500 })
    s.set('long', 'y', { px: 5000 })
    s.set('none', 'z')
    s.save()
    clock.advance(1000)
    const back = newStore({ clock, persistence: rdbFile({ path }) })
    expect(back.keys('*').sort()).toEqual(['long', 'none'])
    expect(back.call('PEXPIRETIME', 'long')).toBe(1_005_000)
  })

  it('keeps the largest expire time Redis allows (2^63 - 1) through a save, exactly', () => {
    const path = join(tempDir('rdb'), 'dump.rdb')
    const s = newStore({ persistence: rdbFile({ path }) })
    const effects: string[] = []
    s.onEffect((e) => effects.push(e.argv.join(' ')))
    s.call('SET', 'k', 'v', 'PXAT', '9223372036854775807')
    expect(effects).toEqual(['SET k v PXAT 9223372036854775807'])
    expect(s.call('PEXPIRETIME', 'k')).toBe(9223372036854775807n)
    s.save()
    const back = newStore({ persistence: rdbFile({ path }) })
    expect(back.call('PEXPIRETIME', 'k')).toBe(9223372036854775807n)
    expect(back.get('k')).toBe('v')
  })

  it('refuses a database beyond the store’s count, naming file and offset, loading nothing', () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const s = newStore({ persistence: rdbFile({ path }) })
    s.set('a', '1')
    s.select(9)
    s.set('b', '2')
    s.save()
    expect(() => newStore({ databases: 4, persistence: rdbFile({ path }) })).toThrow(/dump\.rdb: database 9 is out of range \(the store has 4 databases\) at offset \d+/)
  })

  it('loads asynchronously with progress (openStore)', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const s = newStore({ persistence: rdbFile({ path }) })
    for (let i = 0; i < 30000; i++) s.set(`k${i}`, `v${i}`)
    s.save()
    const seen: Array<[number, number]> = []
    let ticks = 0
    const t = setInterval(() => ticks++, 0)
    const back = await openStore({ activeExpiry: false, persistence: rdbFile({ path }), onProgress: (d, total) => seen.push([d, total]) })
    clearInterval(t)
    expect(back.dbsize()).toBe(30000)
    expect(back.get('k29999')).toBe('v29999')
    expect(seen.length).toBeGreaterThan(3)
    const total = readFileSync(path).length
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0])
    expect(seen[seen.length - 1]).toEqual([total, total])
    // The event loop ran while loading.
    expect(ticks).toBeGreaterThan(0)
  })

  it('keeps function libraries of a store without scripting and saves them again', () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    copyFileSync(join(FIXTURES, 'valkey.rdb'), path)
    const lib = Buffer.from("#!lua name=mylib\nredis.register_function('f', function() return 1 end)")
    // Splice a FUNCTION2 record after the header's AUX fields by saving a store that keeps one.
    const s = newStore({ persistence: rdbFile({ path }) })
    const withLib = Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xf5, 0x40, lib.length]), lib])
    const rest = readFileSync(path).subarray(9, -8)
    const body = Buffer.concat([withLib, rest])
    writeFileSync(path, Buffer.concat([body, new Crc64().update(body).bytesLE()]))
    s.close()
    const back = newStore({ persistence: rdbFile({ path }) })
    back.save()
    expect(readFileSync(path).includes(lib)).toBe(true)
  })
})

describe('SAVE, BGSAVE, LASTSAVE', () => {
  it('SAVE writes the file; LASTSAVE moves; a store without adapters answers as Redis without writing', () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const clock = new ManualClock(1_700_000_000_000)
    const s = newStore({ clock, persistence: rdbFile({ path }) })
    expect(s.lastsave()).toBe(1_700_000_000)
    s.set('k', 'v')
    clock.advance(5000)
    expect(s.call('SAVE')).toBe('OK')
    expect(existsSync(path)).toBe(true)
    expect(s.call('LASTSAVE')).toBe(1_700_000_005)
    expect(s.call('INFO', 'persistence')).toMatch(/rdb_changes_since_last_save:0/)
    s.set('k2', 'v')
    expect(s.call('INFO', 'persistence')).toMatch(/rdb_changes_since_last_save:1/)
    const plain = new Store()
    expect(plain.call('SAVE')).toBe('OK')
    expect(plain.call('BGSAVE')).toBe('Background saving started')
    expect(plain.call('BGREWRITEAOF')).toBe('Background append only file rewriting started')
    expect(() => plain.call('BGSAVE', 'NOW')).toThrow('ERR syntax error')
    expect(() => plain.call('SAVE', 'x')).toThrow("ERR wrong number of arguments for 'save' command")
  })

  it('BGSAVE runs in the background; a second one is refused while it runs; SAVE too', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const s = newStore({ persistence: rdbFile({ path }) })
    for (let i = 0; i < 50000; i++) s.set(`k${i}`, 'x'.repeat(50))
    expect(s.call('BGSAVE')).toBe('Background saving started')
    expect(() => s.call('BGSAVE')).toThrow('ERR Background save already in progress')
    expect(() => s.call('SAVE')).toThrow('ERR Background save already in progress')
    expect(s.call('INFO', 'persistence')).toMatch(/rdb_bgsave_in_progress:1/)
    await bgsaveFinished(s)
    expect(s.call('INFO', 'persistence')).toMatch(/rdb_last_bgsave_status:ok/)
    expect(newStore({ persistence: rdbFile({ path }) }).dbsize()).toBe(50000)
  })

  it('BGSAVE is a point-in-time snapshot while writes, deletes, FLUSHDB and SWAPDB go on', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const s = newStore({ persistence: rdbFile({ path }) })
    const N = 40000
    for (let i = 0; i < N; i++) s.set(`k${i}`, `v${i}`)
    for (let i = 0; i < 2000; i++) s.call('RPUSH', `l${i % 50}`, `e${i}`)
    for (let i = 0; i < 1000; i++) s.call('HSET', `h${i % 10}`, `f${i}`, `v${i}`)
    s.call('ZADD', 'z', '1', 'a')
    s.select(1)
    for (let i = 0; i < 3000; i++) s.set(`d1:${i}`, String(i))
    s.select(0)
    const before = await storeContents(s, { dbs: [0, 1, 2] })
    const done = s.bgsave()
    let ops = 0
    let rnd = 12345
    const next = (): number => (rnd = (rnd * 1103515245 + 12345) % 2147483648) % N
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        for (let j = 0; j < 300; j++, ops++) {
          const i = next()
          s.set(`k${i}`, 'changed')
          s.del(`k${(i * 7) % N}`)
          s.set(`new${ops}`, 'x')
          s.call('RPUSH', `l${i % 50}`, 'added')
          s.call('HSET', `h${i % 10}`, 'zz', 'x')
          s.call('ZINCRBY', 'z', '1', 'a')
          if (s.exists(`k${(i * 13) % N}`)) s.call('RENAME', `k${(i * 13) % N}`, `renamed${ops}`)
        }
        if (ops === 1500) {
          s.select(1)
          s.call('FLUSHDB')
          s.select(0)
          s.call('SWAPDB', '0', '2')
          s.call('SWAPDB', '0', '2')
        }
        const st = s.call('INFO', 'persistence') as string
        if (/rdb_bgsave_in_progress:1/.test(st)) setImmediate(tick)
        else resolve()
      }
      setImmediate(tick)
    })
    await done
    expect(ops).toBeGreaterThan(0)
    const back = newStore({ persistence: rdbFile({ path }) })
    expect(firstDifference(await storeContents(back, { dbs: [0, 1, 2] }), before)).toBeUndefined()
  })

  it('a snapshot keeps the value of a key moved into a hole behind the walk, then changed', async () => {
    // Under eviction, deleting a key moves the top key into its hole without a hash lookup;
    // the background walk must still see the moved key's value as of the snapshot.
    const s = new Store({ activeExpiry: false, maxkeys: 5000, maxmemoryPolicy: 'allkeys-lru' })
    // The last write evicts a key and reuses its entry: the key it adds is the top one.
    for (let i = 0; i <= 5000; i++) s.set(`k${i}`, `v${i}`)
    const snap = KeyspaceSnapshot.background(s.ks)
    const got = new Map<string, unknown>()
    snap.add({ visit: (_db, k, e) => void got.set(k, e.value) })
    const done = snap.run(0)
    const first = s.ks.dbs[0]!.keys[0]!
    s.del(first)
    s.set('k5000', 'changed')
    await done
    expect(got.size).toBe(5000)
    expect(got.get('k5000')).toBe('v5000')
    expect(got.has(first)).toBe(true)
    s.close()
  })

  it('save rules start a BGSAVE after enough changes and time; close saves once more', async () => {
    const dir = tempDir('rdb')
    const path = join(dir, 'dump.rdb')
    const clock = new ManualClock(1_700_000_000_000)
    const s = newStore({ clock, persistence: rdbFile({ path, save: [[60, 3]] }) })
    s.set('a', '1')
    s.set('b', '2')
    clock.advance(61_000)
    await new Promise((r) => setTimeout(r, 1300))
    expect(existsSync(path)).toBe(false) // 2 changes < 3
    s.set('c', '3')
    for (let i = 0; i < 40 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 100))
    expect(existsSync(path)).toBe(true)
    await new Promise((r) => setTimeout(r, 50))
    expect(s.lastsave()).toBe(1_700_000_061)
    s.set('d', '4')
    s.close()
    expect(newStore({ persistence: rdbFile({ path }) }).keys('*').sort()).toEqual(['a', 'b', 'c', 'd'])
  })

  it('a failed save keeps the previous file, answers ERR, and the typed save() says why', () => {
    const dir = tempDir('rdb')
    const sub = join(dir, 'sub')
    mkdirSync(sub)
    const path = join(sub, 'dump.rdb')
    const s = newStore({ persistence: rdbFile({ path }) })
    s.set('k', 'first')
    s.save()
    const good = readFileSync(path)
    s.set('k', 'second')
    rmSync(sub, { recursive: true })
    expect(() => s.call('SAVE')).toThrow(/^ERR$/)
    expect(() => s.save()).toThrow(/SAVE failed: .*ENOENT/)
    mkdirSync(sub)
    writeFileSync(path, good)
    // No temporary file is left behind, and the old snapshot is intact.
    expect(readdirSync(sub)).toEqual(['dump.rdb'])
    expect(newStore({ persistence: rdbFile({ path }) }).get('k')).toBe('first')
  })
})

afterAll(() => cleanup())
