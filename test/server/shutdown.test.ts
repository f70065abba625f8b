import { existsSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ReplyError, Store } from '../../src/index.js'
import { main } from '../../src/cli/main.js'
import { aofFile, rdbFile, REDIS_SAVE_RULES } from '../../src/persistence/index.js'
import { lua } from '../../src/scripting/index.js'
import { createServer } from '../../src/server/index.js'
import { spawnCli } from '../helpers/cli.js'
import { RespClient } from '../helpers/valkey.js'
import { cleanup, tempDir } from '../persistence/helpers.js'
import { useServerAndStore } from '../helpers/store.js'

const live = useServerAndStore()
afterEach(cleanup)

const FAILED = 'ERR Errors trying to SHUTDOWN. Check logs.'

function errorOf(fn: () => unknown): ReplyError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ReplyError)
    return e as ReplyError
  }
  throw new Error('no error thrown')
}

describe('SHUTDOWN arguments', () => {
  it('answers Redis 7.2’s errors for bad combinations and ABORT', () => {
    live.store = new Store()
    const s = live.store.session()
    const err = (...argv: string[]): string => (s.execute(['SHUTDOWN', ...argv]) as Error).message
    expect(err('ABORT')).toBe('ERR No shutdown in progress.')
    expect(err('abort', 'ABORT')).toBe('ERR No shutdown in progress.')
    expect(err('FOO')).toBe('ERR syntax error')
    expect(err('nosave', 'foo')).toBe('ERR syntax error')
    expect(err('SAVE', 'NOSAVE')).toBe('ERR syntax error')
    expect(err('ABORT', 'NOW')).toBe('ERR syntax error')
    expect(err('NOW', 'ABORT')).toBe('ERR syntax error')
    expect(err('FORCE', 'ABORT')).toBe('ERR syntax error')
    expect(live.store.isClosed).toBe(false)
    s.execute(['MULTI'])
    expect((s.execute(['SHUTDOWN']) as Error).message).toBe('ERR Command not allowed inside a transaction')
    s.execute(['DISCARD'])
    expect(live.store.isClosed).toBe(false)
  })

  it('is refused in scripts', () => {
    live.store = new Store({ scripting: lua() })
    expect(live.store.call('EVAL', "return redis.pcall('shutdown', 'nosave')['err']", 0)).toBe('ERR This Redis command is not allowed from script')
    expect(live.store.isClosed).toBe(false)
  })
})

describe('SHUTDOWN in process', () => {
  it('closes the store; in-process callers get OK and the data stays readable', () => {
    live.store = new Store()
    live.store.set('k', 'v')
    expect(live.store.call('SHUTDOWN', 'NOSAVE', 'NOW', 'FORCE')).toBe('OK')
    expect(live.store.isClosed).toBe(true)
    expect(live.store.get('k')).toBe('v')
    expect(live.store.call('GET', 'k')).toBe('v')
    // Again on a closed store: nothing more to do.
    expect(live.store.call('SHUTDOWN')).toBe('OK')
  })

  it('store.shutdown() does the same', () => {
    live.store = new Store()
    expect(live.store.shutdown()).toBeUndefined()
    expect(live.store.isClosed).toBe(true)
  })
})

describe('SHUTDOWN and persistence', () => {
  it('saves when save rules are set, not with NOSAVE', () => {
    const dir = tempDir('shutdown')
    const path = join(dir, 'dump.rdb')
    live.store = new Store({ persistence: rdbFile({ path, save: REDIS_SAVE_RULES }) })
    live.store.set('k', 'v1')
    live.store.call('SHUTDOWN')
    expect(existsSync(path)).toBe(true)
    const reopened = new Store({ persistence: rdbFile({ path, save: REDIS_SAVE_RULES }) })
    expect(reopened.get('k')).toBe('v1')
    reopened.set('k', 'v2')
    const before = statSync(path).mtimeMs
    reopened.call('SHUTDOWN', 'NOSAVE')
    expect(reopened.isClosed).toBe(true)
    expect(statSync(path).mtimeMs).toBe(before)
    const again = new Store({ persistence: rdbFile({ path }) })
    expect(again.get('k')).toBe('v1')
    again.close()
  })

  it('without save rules saves only with SAVE', () => {
    const dir = tempDir('shutdown')
    const path = join(dir, 'dump.rdb')
    live.store = new Store({ persistence: rdbFile({ path }) })
    live.store.set('k', 'v')
    live.store.call('SHUTDOWN')
    expect(existsSync(path)).toBe(false)
    live.store = new Store({ persistence: rdbFile({ path }) })
    live.store.set('k', 'v')
    live.store.shutdown({ save: true })
    expect(existsSync(path)).toBe(true)
    const reopened = new Store({ persistence: rdbFile({ path }) })
    expect(reopened.get('k')).toBe('v')
    reopened.close()
  })

  it('a failed save leaves the store open and answers the error, unless FORCE', () => {
    const dir = tempDir('shutdown')
    // The directory does not exist: the save cannot create its temporary file.
    const path = join(dir, 'gone', 'dump.rdb')
    live.store = new Store({ persistence: rdbFile({ path, save: [[3600, 1]] }) })
    live.store.set('k', 'v')
    expect(errorOf(() => live.store!.call('SHUTDOWN')).message).toBe(FAILED)
    expect(errorOf(() => live.store!.call('SHUTDOWN', 'NOW')).message).toBe(FAILED)
    expect(live.store.isClosed).toBe(false)
    const e = errorOf(() => live.store!.shutdown({ save: true }))
    expect(e.message).toBe(FAILED)
    expect((e.cause as Error).message).toMatch(/ENOENT/)
    expect(live.store.isClosed).toBe(false)
    expect(live.store.call('SET', 'k', 'still open')).toBe('OK')
    // NOSAVE does not try; FORCE tries and closes anyway.
    expect(live.store.call('SHUTDOWN', 'SAVE', 'FORCE')).toBe('OK')
    expect(live.store.isClosed).toBe(true)
    const other = new Store({ persistence: rdbFile({ path, save: [[3600, 1]] }) })
    other.set('k', 'v')
    other.shutdown({ save: false })
    expect(other.isClosed).toBe(true)
  })

  it('gives up a running BGSAVE and saves synchronously', async () => {
    const dir = tempDir('shutdown')
    const path = join(dir, 'dump.rdb')
    live.store = new Store({ persistence: rdbFile({ path, save: REDIS_SAVE_RULES }) })
    for (let i = 0; i < 5000; i++) live.store.set(`k${i}`, 'v')
    expect(live.store.call('BGSAVE')).toBe('Background saving started')
    expect(live.store.call('SHUTDOWN')).toBe('OK')
    await new Promise((r) => setTimeout(r, 50))
    const reopened = new Store({ persistence: rdbFile({ path }) })
    expect(reopened.dbsize()).toBe(5000)
    reopened.close()
  })

  it('the AOF is flushed even with NOSAVE', () => {
    const dir = tempDir('shutdown')
    live.store = new Store({ persistence: aofFile({ dir, fsync: 'no' }) })
    live.store.set('k', 'logged')
    live.store.call('SHUTDOWN', 'NOSAVE')
    const reopened = new Store({ persistence: aofFile({ dir }) })
    expect(reopened.get('k')).toBe('logged')
    reopened.close()
  })
})

describe('SHUTDOWN over the RESP server', () => {
  it('closes the connection without a reply, then the other connections and the listener', async () => {
    live.store = new Store()
    live.server = createServer({ store: live.store, port: 0 })
    const { port } = await live.server.listen()
    const a = await RespClient.open(port)
    const b = await RespClient.open(port)
    expect(await a.send(['SET', 'k', 'v'])).toEqual({ t: 'status', v: 'OK' })
    expect(await a.send(['SHUTDOWN', 'ABORT'])).toEqual({ t: 'error', v: 'ERR No shutdown in progress.' })
    const drained = b.drain(3000)
    a.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n*1\r\n$4\r\nPING\r\n')
    const got = await a.drain(3000)
    // No reply to SHUTDOWN, and nothing for what was pipelined after it.
    expect(got).toEqual({ data: Buffer.alloc(0), closed: true })
    expect((await drained).closed).toBe(true)
    expect(live.store.isClosed).toBe(true)
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => {
        s.destroy()
        resolve(false)
      })
      s.once('error', () => resolve(true))
    })
    expect(refused).toBe(true)
    expect(live.store.get('k')).toBe('v')
  })
})

describe('SHUTDOWN and the CLI', () => {
  it('main(): closed settles once SHUTDOWN has stopped the server', async () => {
    const lines: string[] = []
    const running = (await main(['--port', '0'], (l) => lines.push(l)))!
    const c = await RespClient.open(running.port)
    c.write('*1\r\n$8\r\nSHUTDOWN\r\n')
    expect((await c.drain(3000)).closed).toBe(true)
    await running.closed
    expect(lines[lines.length - 1]).toBe('embedis is now ready to exit, bye bye...')
  })

  it('as a process: SHUTDOWN exits with code 0', async () => {
    const cli = spawnCli()
    const c = await RespClient.open(await cli.port)
    expect(await c.send(['SET', 'k', 'v'])).toEqual({ t: 'status', v: 'OK' })
    c.write('*1\r\n$8\r\nSHUTDOWN\r\n')
    expect((await c.drain(5000)).closed).toBe(true)
    expect(await cli.exited).toBe(0)
    expect(cli.out()).toMatch(/bye bye/)
  }, 30_000)
})
