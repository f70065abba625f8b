/** The adapter interface: a user-written adapter (examples/jsonl-adapter.ts), loading rules, async loading, close. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { jsonlLog } from '../../examples/jsonl-adapter.js'
import { ReplyError, Store } from '../../src/index.js'
import { OK, Status } from '../../src/core/reply.js'
import { attachPersistence, openStore, type Effect, type LoadTarget, type PersistenceAdapter } from '../../src/persistence/index.js'
import { datasetCommands, sessionSender } from './dataset.js'
import { cleanup, firstDifference, newStore, storeContents, tempDir } from './helpers.js'

afterAll(() => cleanup())

describe('a user-written adapter (JSON lines)', () => {
  it('logs every write and replays it', async () => {
    const path = join(tempDir('jsonl'), 'log.jsonl')
    const s = newStore({ persistence: jsonlLog(path) })
    const send = sessionSender(s.session())
    for (const argv of datasetCommands()) send(argv)
    const expected = await storeContents(s, { noConsumerTimes: true })
    s.close()
    expect(readFileSync(path, 'utf8').split('\n').length).toBeGreaterThan(300)
    const back = newStore({ persistence: jsonlLog(path) })
    expect(firstDifference(await storeContents(back, { noConsumerTimes: true }), expected)).toBeUndefined()
  })

  it('compacts on BGSAVE into one line per key, keeping writes made meanwhile', async () => {
    const path = join(tempDir('jsonl'), 'log.jsonl')
    const s = newStore({ persistence: jsonlLog(path) })
    for (let i = 0; i < 5000; i++) s.set(`k${i % 500}`, String(i))
    const done = s.bgsave()
    s.set('during', 'x')
    s.del('k1')
    await done
    const lines = readFileSync(path, 'utf8').trim().split('\n')
    expect(lines.length).toBe(500 + 2)
    const expected = await storeContents(s)
    s.close()
    expect(firstDifference(await storeContents(newStore({ persistence: jsonlLog(path) })), expected)).toBeUndefined()
  })
})

describe('loading', () => {
  const memory = (data: Array<[string, string]> | undefined, log: Effect[] = []): PersistenceAdapter & { opened: boolean; closed: boolean } => {
    const a = {
      opened: false,
      closed: false,
      load(t: LoadTarget) {
        if (data === undefined) return false
        for (const [k, v] of data) t.execute(0, ['SET', k, v])
        return true
      },
      open() {
        a.opened = true
      },
      effect(e: Effect) {
        log.push(e)
      },
      close() {
        a.closed = true
      },
    }
    return a
  }

  it('the first adapter with data loads; the others only open and receive effects', () => {
    const log: Effect[] = []
    const first = memory(undefined)
    const second = memory([['a', '1']])
    const third = memory([['b', '2']], log)
    const s = newStore({ persistence: [first, second, third] })
    expect(s.keys('*')).toEqual(['a'])
    // The session the replay used is gone (it would count as a client).
    expect(s.sessions.size).toBe(1)
    expect([first.opened, second.opened, third.opened]).toEqual([true, true, true])
    // Loading is not reported as effects; later writes are, with their database.
    expect(log).toEqual([])
    s.select(4)
    s.set('c', '3')
    expect(log).toEqual([{ db: 4, argv: ['SET', 'c', '3'] }])
    s.close()
    expect(third.closed).toBe(true)
    s.set('d', '4')
    expect(log.length).toBe(1)
  })

  it('a failed load leaves nothing behind and reports the error', () => {
    const broken: PersistenceAdapter = {
      load(t) {
        t.execute(0, ['SET', 'half', 'loaded'])
        t.execute(3, ['SET', 'other', 'db'])
        throw new Error('disk on fire')
      },
    }
    const s = new Store({ activeExpiry: false })
    expect(() => attachPersistence(s, broken)).toThrow('disk on fire')
    expect(s.ks.dbs.every((d) => d.size === 0)).toBe(true)
    expect(s.sessions.size).toBe(1)
    // Nothing stays attached: another attempt may follow.
    attachPersistence(s, { name: 'fine' })
  })

  it('an adapter that loads asynchronously needs openStore(), which reports progress', async () => {
    const slow: PersistenceAdapter = {
      name: 'slow',
      async load(t) {
        for (let i = 0; i < 10; i++) {
          t.execute(0, ['RPUSH', 'l', String(i)])
          t.progress(i + 1, 10)
          await new Promise((r) => setTimeout(r, 1))
        }
        return true
      },
    }
    expect(() => new Store({ persistence: slow })).toThrow('persistence adapter slow loads asynchronously: open the store with openStore()')
    const progress: string[] = []
    const s = await openStore({ persistence: slow, onProgress: (d, t, name) => progress.push(`${name}:${d}/${t}`) })
    expect(s.lrange('l', 0, -1)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(progress[0]).toBe('slow:1/10')
    expect(progress[progress.length - 1]).toBe('slow:10/10')
    s.close()
  })

  it('restore() in a load target creates keys from DUMP payloads', () => {
    const src = newStore()
    src.call('ZADD', 'z', '1', 'a', '2', 'b')
    const p = src.dump('z')!
    const s = newStore({
      persistence: {
        load(t) {
          t.restore(2, 'z', p, 4102444800000)
          expect(() => t.restore(2, 'z', p)).toThrow(/duplicate key/)
          expect(() => t.restore(2, 'bad', Buffer.from('nonsense'))).toThrow(/checksum/)
          return true
        },
      },
    })
    s.select(2)
    expect(s.zrange('z', 0, -1)).toEqual(['a', 'b'])
    expect(s.call('PEXPIRETIME', 'z')).toBe(4102444800000)
  })

  it('attaching twice is refused', () => {
    const s = newStore({ persistence: { name: 'x' } })
    expect(() => attachPersistence(s, { name: 'y' })).toThrow(/already attached/)
  })
})

describe('server settings', () => {
  it('builds the adapters redis-server would use, and parses save rules as redis.conf writes them', async () => {
    const { parseSaveRules, progressBar, serverPersistence } = await import('../../src/persistence/index.js')
    expect(parseSaveRules('3600 1 300 100 60 10000')).toEqual([
      [3600, 1],
      [300, 100],
      [60, 10000],
    ])
    expect(parseSaveRules('')).toEqual([])
    // Redis's checks and error: words split at single spaces, pairs, seconds at least 1, changes at least 0.
    for (const bad of ['3600', 'x 1', '0 1', '1 -1', '1.5 1', '3600  1', '3600 1 ']) expect(() => parseSaveRules(bad)).toThrow('Invalid save parameters')
    expect(parseSaveRules('+60 007 10 -0')).toEqual([
      [60, 7],
      [10, 0],
    ])
    expect(parseSaveRules('3600 ')).toEqual([[3600, 0]])
    expect(serverPersistence({ dir: '/d' }).map((a) => a.name)).toEqual(['rdb:dump.rdb'])
    expect(serverPersistence({ dir: '/d', appendonly: true, dbfilename: 'x.rdb' }).map((a) => a.name)).toEqual(['aof', 'rdb:x.rdb'])
    const dir = tempDir('srv')
    const first = newStore({ persistence: serverPersistence({ dir, appendonly: true, appendfsync: 'always', save: '' }) })
    first.set('k', 'v')
    first.close()
    expect(newStore({ persistence: serverPersistence({ dir, appendonly: true }) }).get('k')).toBe('v')
    const out: string[] = []
    const bar = progressBar({ isTTY: false, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream, 10)
    for (let i = 0; i <= 100; i += 5) bar(i, 100, 'dump.rdb')
    expect(out).toEqual(['Loading dump.rdb [..........]   0%\n', 'Loading dump.rdb [###.......]  25%\n', 'Loading dump.rdb [#####.....]  50%\n', 'Loading dump.rdb [########..]  75%\n', 'Loading dump.rdb [##########] 100%\n'])
  })
})

describe('CONFIG parameters of persistence', () => {
  it('report the adapters, follow CONFIG SET save and appendfsync, refuse what Redis refuses', async () => {
    const { existsSync } = await import('node:fs')
    const { serverPersistence } = await import('../../src/persistence/index.js')
    const dir = tempDir('cfg')
    const s = newStore({ persistence: serverPersistence({ dir, appendonly: true, save: '900 1' }) })
    const get = (name: string) => (s.call('CONFIG', 'GET', name) as string[])[1]
    expect([get('save'), get('appendonly'), get('appendfsync'), get('dir'), get('dbfilename')]).toEqual(['900 1', 'yes', 'everysec', dir, 'dump.rdb'])
    expect(s.call('CONFIG', 'SET', 'appendfsync', 'always')).toBe('OK')
    expect(s.info('persistence')).toContain('aof_fsync_policy:always')
    expect(() => s.call('CONFIG', 'SET', 'appendonly', 'no')).toThrow(/append-only file is switched on or off by opening the store/)
    expect(() => s.call('CONFIG', 'SET', 'dir', '/tmp')).toThrow("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")
    expect(() => s.call('CONFIG', 'SET', 'appendfilename', 'x')).toThrow("can't set immutable config")
    // No save rules: no final save at close, as Redis's SHUTDOWN without save points.
    s.set('k', 'v')
    expect(s.call('CONFIG', 'SET', 'save', '')).toBe('OK')
    s.close()
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(false)
    // With rules set at run time, the close saves.
    const t = newStore({ persistence: serverPersistence({ dir, save: '' }) })
    expect((t.call('CONFIG', 'GET', 'save') as string[])[1]).toBe('')
    t.set('k', 'v')
    t.call('CONFIG', 'SET', 'save', '3600 1')
    t.close()
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true)
  })

  it('without persistence: no save rules, no append-only file, which cannot be switched on', () => {
    const s = new Store()
    expect(s.call('CONFIG', 'GET', 'save', 'appendonly')).toEqual(['save', '', 'appendonly', 'no'])
    expect(s.call('CONFIG', 'SET', 'save', '', 'appendonly', 'no')).toBe('OK')
    expect(() => s.call('CONFIG', 'SET', 'appendonly', 'yes')).toThrow(/append-only file is switched on or off/)
    s.close()
  })
})

describe('writes refused while the disk refuses them (MISCONF)', () => {
  const MISCONF = /^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\. .*stop-writes-on-bgsave-error option/

  it('after a failed background save with save rules set, until a save succeeds or stop-writes-on-bgsave-error is no', async () => {
    const { mkdirSync } = await import('node:fs')
    const { rdbFile } = await import('../../src/persistence/index.js')
    const dir = join(tempDir('misconf'), 'missing')
    const s = newStore({ persistence: rdbFile({ path: join(dir, 'dump.rdb'), save: [[3600, 1]] }) })
    const ses = s.session()
    const run = (...argv: string[]) => {
      const r = ses.execute(argv)
      return r instanceof ReplyError ? r.message : r
    }
    s.set('k', 'v')
    await expect(s.bgsave()).rejects.toThrow(/ENOENT/)
    for (const argv of [['SET', 'k', 'w'], ['DEL', 'k'], ['PING'], ['EXPIRE', 'k', '10']]) expect(run(...argv)).toMatch(MISCONF)
    expect(() => s.set('k', 'w')).toThrow(MISCONF)
    // Reads go on; so do writes in a transaction's queue only to be refused: the transaction aborts.
    expect(run('GET', 'k')).toBe('v')
    expect(run('MULTI')).toEqual(new Status('OK'))
    expect(run('GET', 'k')).toEqual(new Status('QUEUED'))
    expect(run('SET', 'k', 'w')).toMatch(MISCONF)
    expect(run('EXEC')).toMatch(/^EXECABORT/)
    expect(run('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no')).toEqual(OK)
    expect(run('SET', 'k', 'x')).toEqual(OK)
    expect(run('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes')).toEqual(OK)
    expect(run('INCR', 'n')).toMatch(MISCONF)
    // Without save rules the failed save does not matter (as in Redis).
    expect(run('CONFIG', 'SET', 'save', '')).toEqual(OK)
    expect(run('INCR', 'n')).toBe(1)
    expect(run('CONFIG', 'SET', 'save', '3600 1')).toEqual(OK)
    expect(run('INCR', 'n')).toMatch(MISCONF)
    mkdirSync(dir)
    await s.bgsave()
    expect(run('INCR', 'n')).toBe(2)
    s.close()
  })

  it("after an append-only file's failed write, whatever stop-writes-on-bgsave-error says", () => {
    let failing: string | undefined = 'No space left on device'
    const s = newStore({ persistence: { name: 'log', effect() {}, writeError: () => failing } })
    expect(() => s.call('SET', 'k', 'v')).toThrow('MISCONF Errors writing to the AOF file: No space left on device')
    s.call('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no')
    expect(() => s.call('SET', 'k', 'v')).toThrow(/^MISCONF Errors writing to the AOF file/)
    failing = undefined
    expect(s.call('SET', 'k', 'v')).toBe('OK')
    s.close()
  })
})
