import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createClient } from 'redis'
import { createServer, type RespServer } from '../../src/server/index.js'
import { Store } from '../../src/store.js'
import { ReplyParser, encodeCommand, type Tagged } from '../../src/protocol/resp.js'
import { useServerAndStore } from '../helpers/store.js'

const execFileAsync = promisify(execFile)

const live = useServerAndStore()

async function start(opts: { requirepass?: string; config?: Record<string, string> } = {}): Promise<RespServer> {
  live.store = new Store(opts.config ? { config: opts.config } : {})
  live.server = createServer({ store: live.store, port: 0, ...(opts.requirepass ? { requirepass: opts.requirepass } : {}) })
  await live.server.listen()
  return live.server
}

/** A raw connection collecting parsed frames. */
async function raw(port: number): Promise<{ socket: Socket; frames: Tagged[]; closed: () => boolean; next: (n?: number) => Promise<Tagged[]> }> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const parser = new ReplyParser()
  const frames: Tagged[] = []
  let closed = false
  socket.on('data', (d: Buffer) => {
    parser.feed(d)
    for (let t; (t = parser.next()) !== undefined; ) frames.push(t)
  })
  socket.on('close', () => (closed = true))
  socket.on('error', () => {})
  const next = async (n = 1): Promise<Tagged[]> => {
    const deadline = Date.now() + 3000
    while (frames.length < n && !closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2))
    return frames.splice(0, n)
  }
  return { socket, frames, closed: () => closed, next }
}

describe('createServer', () => {
  it('serves node-redis v5 (RESP2 and RESP3), including pub/sub and MULTI', async () => {
    const srv = await start()
    const url = `redis://127.0.0.1:${srv.port}`
    const c2 = createClient({ url })
    const c3 = createClient({ url, RESP: 3 })
    await c2.connect()
    await c3.connect()
    try {
      expect(await c2.set('k', 'v')).toBe('OK')
      expect(await c3.get('k')).toBe('v')
      await c2.hSet('h', { a: '1', b: '2' })
      expect(await c3.hGetAll('h')).toEqual({ a: '1', b: '2' })
      expect(await c2.multi().incr('n').incr('n').exec()).toEqual([1, 2])
      const sub = c2.duplicate()
      await sub.connect()
      const got: string[] = []
      await sub.subscribe('ch', (m, ch) => got.push(`${ch}:${m}`))
      await sub.pSubscribe('c*', (m, ch) => got.push(`p ${ch}:${m}`))
      expect(await c3.publish('ch', 'hello')).toBe(2)
      for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5))
      expect(got.sort()).toEqual(['ch:hello', 'p ch:hello'])
      await sub.unsubscribe('ch')
      await sub.pUnsubscribe('c*')
      expect(await c3.publish('ch', 'again')).toBe(0)
      await sub.quit()
      expect(await c3.sendCommand(['CLIENT', 'GETNAME'])).toBeNull()
      const info = await c2.info('clients')
      expect(info).toMatch(/connected_clients:2/)
    } finally {
      await c2.quit()
      await c3.quit()
    }
  })

  it('answers redis-cli', async () => {
    const cli = ['redis-cli', 'valkey-cli'].find((b) => spawnSync('which', [b]).status === 0)
    if (cli === undefined) return
    const srv = await start()
    // Asynchronously: the server runs in this process.
    const run = async (...args: string[]): Promise<string> =>
      (await execFileAsync(cli, ['-p', String(srv.port), ...args], { encoding: 'utf8' })).stdout.trim()
    expect(await run('PING')).toBe('PONG')
    expect(await run('SET', 'a b', 'x y')).toBe('OK')
    expect(await run('GET', 'a b')).toBe('x y')
    expect(await run('--raw', 'INCRBY', 'n', '5')).toBe('5')
  })

  it('pipelines many commands in one write and keeps reply order', async () => {
    const srv = await start()
    const c = await raw(srv.port)
    const parts: Buffer[] = []
    for (let i = 0; i < 500; i++) parts.push(encodeCommand(['INCR', 'n']))
    c.socket.write(Buffer.concat(parts))
    const frames = await c.next(500)
    expect(frames.map((f) => (f as { v: string }).v)).toEqual(Array.from({ length: 500 }, (_, i) => String(i + 1)))
    c.socket.destroy()
  })

  it('a blocked command holds the commands pipelined after it; disconnecting cancels it', async () => {
    const srv = await start()
    const a = await raw(srv.port)
    const b = await raw(srv.port)
    a.socket.write(Buffer.concat([encodeCommand(['BLPOP', 'q', '0']), encodeCommand(['PING'])]))
    await new Promise((r) => setTimeout(r, 30))
    expect(a.frames).toEqual([])
    b.socket.write(encodeCommand(['RPUSH', 'q', 'x']))
    expect(await b.next()).toEqual([{ t: 'int', v: '1' }])
    expect(await a.next(2)).toEqual([
      { t: 'array', v: [{ t: 'bulk', v: 'q' }, { t: 'bulk', v: 'x' }] },
      { t: 'status', v: 'PONG' },
    ])
    a.socket.write(encodeCommand(['BLPOP', 'q', '0']))
    await new Promise((r) => setTimeout(r, 20))
    a.socket.destroy()
    await new Promise((r) => setTimeout(r, 30))
    // The cancelled waiter does not eat the next element.
    b.socket.write(encodeCommand(['RPUSH', 'q', 'y']))
    await b.next()
    b.socket.write(encodeCommand(['LRANGE', 'q', '0', '-1']))
    expect(await b.next()).toEqual([{ t: 'array', v: [{ t: 'bulk', v: 'y' }] }])
    expect(live.store!.call('INFO', 'clients')).toContain('blocked_clients:0')
    b.socket.destroy()
  })

  it('applies proto-max-bulk-len and closes only the offending connection', async () => {
    const srv = await start({ config: { 'proto-max-bulk-len': '1mb' } })
    const good = await raw(srv.port)
    const bad = await raw(srv.port)
    bad.socket.write('*2\r\n$3\r\nGET\r\n$2000000\r\n')
    expect(await bad.next()).toEqual([{ t: 'error', v: 'ERR Protocol error: invalid bulk length' }])
    for (let i = 0; i < 100 && !bad.closed(); i++) await new Promise((r) => setTimeout(r, 5))
    expect(bad.closed()).toBe(true)
    good.socket.write(encodeCommand(['PING']))
    expect(await good.next()).toEqual([{ t: 'status', v: 'PONG' }])
    good.socket.destroy()
    // A protocol error counts as an error reply, as in Redis.
    expect(live.store!.call('INFO', 'errorstats')).toBe('# Errorstats\r\nerrorstat_ERR:count=1\r\n')
  })

  it('requirepass: AUTH first, with Redis’s limits for unauthenticated clients', async () => {
    const srv = await start({ requirepass: 'pw' })
    const c = await raw(srv.port)
    c.socket.write(encodeCommand(['GET', 'k']))
    expect(await c.next()).toEqual([{ t: 'error', v: 'NOAUTH Authentication required.' }])
    c.socket.write(encodeCommand(['AUTH', 'pw']))
    expect(await c.next()).toEqual([{ t: 'status', v: 'OK' }])
    c.socket.write(encodeCommand(['MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f']))
    expect(await c.next()).toEqual([{ t: 'error', v: "ERR wrong number of arguments for 'mset' command" }])
    const u = await raw(srv.port)
    u.socket.write('*20\r\n')
    expect(await u.next()).toEqual([{ t: 'error', v: 'ERR Protocol error: unauthenticated multibulk length' }])
    c.socket.destroy()
  })

  it('disconnects a subscriber that does not read past the pub/sub output limit; others carry on', async () => {
    const srv = await start({ config: { 'client-output-buffer-limit': 'pubsub 256kb 128kb 60' } })
    const slow = await raw(srv.port)
    slow.socket.write(encodeCommand(['SUBSCRIBE', 'flood']))
    await slow.next()
    slow.socket.pause()
    const pub = await raw(srv.port)
    const big = 'x'.repeat(64 * 1024)
    let receivers = 1
    for (let i = 0; i < 400 && receivers > 0; i++) {
      pub.socket.write(encodeCommand(['PUBLISH', 'flood', big]))
      receivers = Number(((await pub.next())[0] as { v: string }).v)
    }
    expect(receivers).toBe(0)
    expect(live.store!.call('PUBSUB', 'NUMSUB', 'flood')).toEqual(['flood', 0])
    pub.socket.write(encodeCommand(['PING']))
    expect(await pub.next()).toEqual([{ t: 'status', v: 'PONG' }])
    slow.socket.destroy()
    pub.socket.destroy()
  })

  it('many concurrent clients', async () => {
    const srv = await start()
    const clients = await Promise.all(Array.from({ length: 40 }, () => raw(srv.port)))
    for (const c of clients) c.socket.write(Buffer.concat(Array.from({ length: 50 }, () => encodeCommand(['INCR', 'total']))))
    await Promise.all(clients.map((c) => c.next(50)))
    expect(live.store!.get('total')).toBe('2000')
    expect(srv.clientCount).toBe(40)
    for (const c of clients) c.socket.destroy()
  })

  it('close() ends connections and stops listening; the Store stays usable', async () => {
    const srv = await start()
    const c = await raw(srv.port)
    c.socket.write(encodeCommand(['SET', 'k', 'v']))
    await c.next()
    await srv.close()
    for (let i = 0; i < 100 && !c.closed(); i++) await new Promise((r) => setTimeout(r, 5))
    expect(c.closed()).toBe(true)
    await expect(raw(srv.port)).rejects.toThrow()
    expect(live.store!.get('k')).toBe('v')
  })

  it('QUIT answers OK then closes', async () => {
    const srv = await start()
    const c = await raw(srv.port)
    c.socket.write(Buffer.concat([encodeCommand(['QUIT']), encodeCommand(['PING'])]))
    expect(await c.next()).toEqual([{ t: 'status', v: 'OK' }])
    for (let i = 0; i < 100 && !c.closed(); i++) await new Promise((r) => setTimeout(r, 5))
    expect(c.closed()).toBe(true)
    expect(c.frames).toEqual([])
  })

  it('maxclients refuses connections beyond the limit', async () => {
    const srv = await start({ config: { maxclients: '2' } })
    const a = await raw(srv.port)
    const b = await raw(srv.port)
    const c = await raw(srv.port)
    expect(await c.next()).toEqual([{ t: 'error', v: 'ERR max number of clients reached' }])
    a.socket.destroy()
    b.socket.destroy()
  })
})

describe('createServer without a store', () => {
  it('serves a new Store with Lua scripting installed', async () => {
    const srv = createServer({ port: 0 })
    await srv.listen()
    try {
      const c = await raw(srv.port)
      c.socket.write(encodeCommand(['EVAL', "return redis.call('INCR', KEYS[1])", '1', 'n']))
      expect(await c.next()).toEqual([{ t: 'int', v: '1' }])
      c.socket.destroy()
    } finally {
      await srv.close()
      srv.store.close()
    }
  })
})
