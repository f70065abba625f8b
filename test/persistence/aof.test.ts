/**
 * The multi-part AOF: effects logged as RESP commands, loading a base plus
 * incremental files (from here or from valkey-server), BGREWRITEAOF,
 * truncated tails, corrupt files, fsync policies, legacy files.
 */
import { appendFileSync, cpSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/core/clock.js'
import type { Store } from '../../src/index.js'
import { aofFile, rdbFile } from '../../src/persistence/index.js'
import { AofError, parseManifest } from '../../src/persistence/aof.js'
import { isValkeyAvailable, startValkey } from '../helpers/valkey.js'
import { CONFIG_ARGS, contentsOf, datasetCommands, sessionSender, type Contents } from './dataset.js'
import { cleanup, firstDifference, fixture, FIXTURES, newStore, storeContents, tempDir } from './helpers.js'

const live = isValkeyAvailable()
afterEach(() => cleanup())

const quiet = { onWarning: () => {} }

function run(s: Store, cmds: Array<Array<string | Buffer>>): void {
  const send = sessionSender(s.session())
  for (const argv of cmds) {
    const r = send(argv)
    if (r.t === 'error') throw new Error(`${String(argv[0])}: ${r.v}`)
  }
}

const aofDir = (dir: string): string => join(dir, 'appendonlydir')
const manifestOf = (dir: string): string => readFileSync(join(aofDir(dir), 'appendonly.aof.manifest'), 'latin1')
const incrFiles = (dir: string): string[] => readdirSync(aofDir(dir)).filter((f) => f.endsWith('.incr.aof')).sort()

async function rewriteDone(s: Store): Promise<void> {
  while (/aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(s.call('INFO', 'persistence') as string)) await new Promise((r) => setTimeout(r, 5))
}

describe('AOF written by valkey-server', () => {
  it('loads the recorded appendonlydir (RDB base + incremental file) with every value, TTL and encoding', async () => {
    const dir = tempDir('aof')
    cpSync(join(FIXTURES, 'valkey-aof'), dir, { recursive: true })
    const s = newStore({ persistence: aofFile({ dir }) })
    const got = await storeContents(s, { encodings: true, noConsumerTimes: true })
    expect(firstDifference(got, fixture<Contents>('valkey-aof.json'))).toBeUndefined()
    expect(s.get('tx')).toBe('2')
    expect(s.get('fl')).toBe('1.5')
  })

  it.runIf(live)('live: BGREWRITEAOF and more writes in valkey, load here: the same as valkey loading the directory', async () => {
    const dir = tempDir('aof')
    const a = await startValkey([...CONFIG_ARGS, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'])
    const c = await a.connect()
    const cmds = datasetCommands()
    for (const argv of cmds.slice(0, 60)) await c.send(argv)
    await c.send(['BGREWRITEAOF'])
    for (;;) {
      const info = (await c.send(['INFO', 'persistence'])) as { v: string }
      if (/aof_rewrite_in_progress:0/.test(info.v) && /aof_rewrite_scheduled:0/.test(info.v)) break
      await new Promise((r) => setTimeout(r, 20))
    }
    for (const argv of [['SELECT', '0'], ...cmds.slice(60)]) await c.send(argv)
    c.close()
    await a.stop()
    const copy = tempDir('aof')
    cpSync(aofDir(dir), aofDir(copy), { recursive: true })
    const s = newStore({ persistence: aofFile({ dir: copy }) })
    const b = await startValkey([...CONFIG_ARGS, '--dir', dir, '--appendonly', 'yes'])
    const d = await b.connect()
    expect(firstDifference(await storeContents(s, { encodings: true, noConsumerTimes: true }), await contentsOf((x) => d.send(x), { encodings: true, noConsumerTimes: true }))).toBeUndefined()
    d.close()
    await b.stop()
  })
})

describe('AOF written here', () => {
  it('starts with a base and an incremental file named by the manifest, and logs effects as Redis does', () => {
    const dir = tempDir('aof')
    const clock = new ManualClock(1_700_000_000_000)
    const s = newStore({ clock, persistence: aofFile({ dir, fsync: 'always' }) })
    expect(manifestOf(dir)).toBe('file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n')
    expect(readFileSync(join(aofDir(dir), 'appendonly.aof.1.base.rdb')).subarray(0, 9).toString()).toBe('REDIS0011')
    s.set('a', '1', { ex: 10 })
    s.select(2)
    s.call('INCRBYFLOAT', 'f', '1.5')
    s.select(0)
    s.set(Buffer.from([0xff, 0x00]), 'bin')
    const text = readFileSync(join(aofDir(dir), 'appendonly.aof.1.incr.aof')).toString('latin1')
    expect(text).toBe(
      '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n' +
        '*5\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n$4\r\nPXAT\r\n$13\r\n1700000010000\r\n' +
        '*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n' +
        '*4\r\n$3\r\nSET\r\n$1\r\nf\r\n$3\r\n1.5\r\n$7\r\nKEEPTTL\r\n' +
        '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n' +
        '*3\r\n$3\r\nSET\r\n$2\r\n\xff\x00\r\n$3\r\nbin\r\n',
    )
    s.close()
    const back = newStore({ clock, persistence: aofFile({ dir }) })
    expect(back.get('a')).toBe('1')
    expect(back.call('PEXPIRETIME', 'a')).toBe(1_700_000_010_000)
    expect(back.getBuffer(Buffer.from([0xff, 0x00]))?.toString()).toBe('bin')
    back.select(2)
    expect(back.get('f')).toBe('1.5')
  })

  it('reloads the whole dataset, across a BGREWRITEAOF with writes during it', async () => {
    const dir = tempDir('aof')
    const s = newStore({ persistence: aofFile({ dir, fsync: 'always' }) })
    const cmds = datasetCommands()
    run(s, cmds.slice(0, 80))
    for (let i = 0; i < 20000; i++) s.set(`bulk${i}`, `v${i}`)
    const done = s.bgrewriteaof()
    // The new incremental file exists at once; writes go there while the base is written.
    expect(incrFiles(dir)).toEqual(['appendonly.aof.1.incr.aof', 'appendonly.aof.2.incr.aof'])
    run(s, [['SELECT', '0'], ...cmds.slice(80)])
    for (let i = 0; i < 1000; i++) s.set(`bulk${i}`, 'changed')
    await done
    expect(manifestOf(dir)).toBe('file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n')
    expect(readdirSync(aofDir(dir)).sort()).toEqual(['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest'])
    const expected = await storeContents(s, { noConsumerTimes: true })
    s.close()
    const back = newStore({ persistence: aofFile({ dir }) })
    expect(firstDifference(await storeContents(back, { noConsumerTimes: true }), expected)).toBeUndefined()
  })

  it.runIf(live)('live: valkey-server loads it with every value, TTL and encoding', async () => {
    const dir = tempDir('aof')
    const s = newStore({ persistence: aofFile({ dir, fsync: 'always' }) })
    const cmds = datasetCommands()
    run(s, cmds.slice(0, 70))
    await s.bgrewriteaof()
    run(s, [['SELECT', '0'], ...cmds.slice(70), ['MULTI'], ['INCR', 'tx'], ['SET', 'tx2', 'y'], ['EXEC']])
    const source = await storeContents(s, { noConsumerTimes: true })
    s.close()
    const v = await startValkey([...CONFIG_ARGS, '--dir', dir, '--appendonly', 'yes'])
    const c = await v.connect()
    const theirs = await contentsOf((x) => c.send(x), { encodings: true, noConsumerTimes: true })
    c.close()
    await v.stop()
    const back = newStore({ persistence: aofFile({ dir }) })
    expect(firstDifference(await storeContents(back, { encodings: true, noConsumerTimes: true }), theirs)).toBeUndefined()
    expect(firstDifference(await storeContents(back, { noConsumerTimes: true }), source)).toBeUndefined()
  })

  it('takes over the data of an RDB file when there is no AOF yet (and the AOF wins afterwards)', () => {
    const dir = tempDir('aof')
    const path = join(dir, 'dump.rdb')
    const r = newStore({ persistence: rdbFile({ path }) })
    r.set('from-rdb', '1')
    r.save()
    const s = newStore({ persistence: [aofFile({ dir, fsync: 'always' }), rdbFile({ path })] })
    expect(s.get('from-rdb')).toBe('1')
    s.set('from-aof', '2')
    s.close()
    // The RDB still has only the old key, but the AOF is read first and has both.
    const t = newStore({ persistence: [aofFile({ dir }), rdbFile({ path })] })
    expect(t.keys('*').sort()).toEqual(['from-aof', 'from-rdb'])
  })

  it('rewrites on its own when the files grow past the threshold', async () => {
    const dir = tempDir('aof')
    const s = newStore({ persistence: aofFile({ dir, autoRewritePercentage: 100, autoRewriteMinSize: 50_000 }) })
    for (let i = 0; i < 3000; i++) s.set(`k${i % 100}`, 'x'.repeat(40))
    for (let i = 0; i < 40 && !manifestOf(dir).includes('seq 2 type b'); i++) await new Promise((r) => setTimeout(r, 100))
    expect(manifestOf(dir)).toContain('appendonly.aof.2.base.rdb seq 2 type b')
    await rewriteDone(s)
    s.close()
    expect(newStore({ persistence: aofFile({ dir }) }).dbsize()).toBe(100)
  })
})

describe('fsync policies', () => {
  it("'always' has the command in the file when the call returns; 'everysec' and 'no' once the current tick ends", async () => {
    for (const fsync of ['always', 'everysec', 'no'] as const) {
      const dir = tempDir('aof')
      const s = newStore({ persistence: aofFile({ dir, fsync }) })
      s.set('k', 'v')
      const file = join(aofDir(dir), 'appendonly.aof.1.incr.aof')
      expect(statSync(file).size > 0).toBe(fsync === 'always')
      await Promise.resolve()
      expect(readFileSync(file).toString()).toContain('$1\r\nk\r\n$1\r\nv\r\n')
      s.close()
    }
  })

  it('writes a transaction whole at its EXEC', () => {
    const dir = tempDir('aof')
    const s = newStore({ persistence: aofFile({ dir, fsync: 'always' }) })
    const file = join(aofDir(dir), 'appendonly.aof.1.incr.aof')
    const tx = s.session()
    tx.execute(['MULTI'])
    tx.execute(['SET', 'a', '1'])
    tx.execute(['SET', 'b', '2'])
    const before = statSync(file).size
    tx.execute(['EXEC'])
    expect(statSync(file).size).toBeGreaterThan(before)
    const text = readFileSync(file).toString().slice(before)
    expect(text).toMatch(/^(\*2\r\n\$6\r\nSELECT\r\n\$1\r\n0\r\n)?\*1\r\n\$5\r\nMULTI\r\n.*\$1\r\na\r\n.*\$1\r\nb\r\n.*\*1\r\n\$4\r\nEXEC\r\n$/s)
  })
})

describe('damaged files', () => {
  function writtenAof(): { dir: string; incr: string } {
    const dir = tempDir('aof')
    const s = newStore({ persistence: aofFile({ dir, fsync: 'always' }) })
    for (let i = 0; i < 10; i++) s.set(`k${i}`, `v${i}`)
    s.close()
    return { dir, incr: join(aofDir(dir), 'appendonly.aof.1.incr.aof') }
  }

  it('a last command cut short is dropped with a warning and the file is repaired (aof-load-truncated)', () => {
    const { dir, incr } = writtenAof()
    const full = statSync(incr).size
    truncateSync(incr, full - 3)
    const warnings: string[] = []
    const s = newStore({ persistence: aofFile({ dir, onWarning: (m) => warnings.push(m) }) })
    expect(s.dbsize()).toBe(9)
    expect(warnings.join()).toMatch(/appendonly\.aof\.1\.incr\.aof: the last command is incomplete .* truncating the file at offset \d+/)
    s.set('after', 'x')
    s.close()
    const t = newStore({ persistence: aofFile({ dir }) })
    expect(t.dbsize()).toBe(10)
    expect(t.get('after')).toBe('x')
  })

  it('a cut-short tail is refused when aof-load-truncated is off', () => {
    const { dir, incr } = writtenAof()
    truncateSync(incr, statSync(incr).size - 3)
    expect(() => newStore({ persistence: aofFile({ dir, loadTruncated: false }) })).toThrow(AofError)
  })

  it('an unfinished MULTI at the end is reverted', () => {
    const { dir, incr } = writtenAof()
    appendFileSync(incr, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n')
    const s = newStore({ persistence: aofFile({ dir, ...quiet }) })
    expect(s.exists('z')).toBe(0)
    expect(s.dbsize()).toBe(10)
  })

  it('garbage in the middle is refused with file and offset, and nothing stays loaded', () => {
    const { dir, incr } = writtenAof()
    const b = readFileSync(incr)
    const at = b.indexOf('*3', 40)
    b[at] = 0x3f
    writeFileSync(incr, b)
    expect(() => newStore({ persistence: aofFile({ dir }) })).toThrow(`appendonly.aof.1.incr.aof: bad file format reading the append only file (expected a command) at offset ${at}`)
  })

  it('an unknown command is refused', () => {
    const { dir, incr } = writtenAof()
    appendFileSync(incr, '*1\r\n$7\r\nNOSUCHC\r\n')
    expect(() => newStore({ persistence: aofFile({ dir }) })).toThrow(/unknown command 'NOSUCHC' reading the append only file at offset \d+/)
  })

  it('a file named in the manifest must exist; a bad manifest is refused', () => {
    const { dir } = writtenAof()
    writeFileSync(join(aofDir(dir), 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\nfile missing.aof seq 2 type i\n')
    expect(() => newStore({ persistence: aofFile({ dir }) })).toThrow(/does not exist: missing\.aof/)
    writeFileSync(join(aofDir(dir), 'appendonly.aof.manifest'), 'file x seq 1 type b\nfile y seq 1 type b\n')
    expect(() => newStore({ persistence: aofFile({ dir }) })).toThrow(/more than one base/)
    writeFileSync(join(aofDir(dir), 'appendonly.aof.manifest'), '# nothing\n')
    expect(() => newStore({ persistence: aofFile({ dir }) })).toThrow(/empty AOF manifest/)
  })
})

describe('manifest', () => {
  it('reads quoted names, comments and keys in any order', () => {
    const m = parseManifest('# comment\nseq 1 type b file "base \\x41.rdb"\nfile \'i.aof\' seq 3 type i\nfile h.aof seq 2 type h\n', 'm')
    expect(m.base).toEqual({ name: 'base A.rdb', seq: 1, type: 'b' })
    expect(m.incrs).toEqual([{ name: 'i.aof', seq: 3, type: 'i' }])
    expect(m.history).toEqual([{ name: 'h.aof', seq: 2, type: 'h' }])
    expect(() => parseManifest('file a seq x type i\n', 'm')).toThrow(/invalid AOF manifest line/)
    expect(() => parseManifest('file "unterminated seq 1 type i\n', 'm')).toThrow(/invalid AOF manifest line/)
  })

  it('upgrades a single-file AOF of Redis < 7 into the directory', () => {
    const dir = tempDir('aof')
    writeFileSync(join(dir, 'appendonly.aof'), '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$1\r\n1\r\n')
    const s = newStore({ persistence: aofFile({ dir, fsync: 'always' }) })
    expect(s.get('old')).toBe('1')
    expect(existsSync(join(dir, 'appendonly.aof'))).toBe(false)
    expect(manifestOf(dir)).toBe('file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n')
    s.set('new', '2')
    s.close()
    expect(newStore({ persistence: aofFile({ dir }) }).keys('*').sort()).toEqual(['new', 'old'])
  })
})

describe('an AOF that another adapter’s data replaces', () => {
  it('is rebuilt from the loaded data with later sequence numbers, its old files removed', () => {
    const dir = tempDir('aof')
    const path = join(dir, 'dump.rdb')
    const a = newStore({ persistence: aofFile({ dir, fsync: 'always' }) })
    a.set('in-aof', '1')
    a.close()
    const r = newStore({ persistence: rdbFile({ path }) })
    r.set('in-rdb', '1')
    r.save()
    r.close()
    // The RDB adapter comes first: its data loads, and the AOF starts over from it.
    const s = newStore({ persistence: [rdbFile({ path }), aofFile({ dir, fsync: 'always' })] })
    expect(s.keys('*')).toEqual(['in-rdb'])
    expect(manifestOf(dir)).toBe('file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n')
    expect(readdirSync(aofDir(dir)).sort()).toEqual(['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest'])
    s.set('later', '2')
    s.close()
    expect(newStore({ persistence: aofFile({ dir }) }).keys('*').sort()).toEqual(['in-rdb', 'later'])
  })
})
