/**
 * The socket.io Redis Streams adapter (XADD MAXLEN ~ / XREAD BLOCK on one
 * stream, pub/sub for requests and responses) with two socket.io servers on
 * one backend: broadcasts and rooms across servers, remote room changes,
 * fetchSockets, serverSideEmit and broadcast acknowledgements, and the stream
 * trimmed to about `maxLen`. The same expectations run against a private
 * valkey-server when installed.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import type { Redis as RealRedis } from 'ioredis'
import { Server } from 'socket.io'
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client'
import { describe, expect, it } from 'vitest'
import { sleep, until } from '../helpers/wait.js'
import { backends, cleanups } from './backends.js'

type AdapterOptions = Parameters<typeof createAdapter>[1]

interface IoServer {
  io: Server
  port: number
  /** The client the adapter publishes with (XADD, PUBLISH). */
  redis: RealRedis
}

/** A socket.io server on its own client; the adapter's duplicates (stream reader, subscriber) are closed with it. */
async function ioServer(connect: () => RealRedis, opts: AdapterOptions = {}): Promise<IoServer> {
  const redis = connect()
  const duplicates: RealRedis[] = []
  const duplicate = redis.duplicate.bind(redis)
  redis.duplicate = (override) => {
    const d = duplicate(override)
    duplicates.push(d)
    return d
  }
  const http = createHttpServer()
  const io = new Server(http, { adapter: createAdapter(redis, opts) })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  // Reverse order: socket.io first (aborting the reader's loop), then the reader blocked in XREAD.
  cleanups.push(
    () => duplicates.forEach((d) => d.disconnect()),
    () => new Promise<void>((resolve) => io.close(() => resolve())),
  )
  return { io, port: (http.address() as AddressInfo).port, redis }
}

/** A client of `server`, in `rooms`, recording every event in arrival order as `event:arg`. */
async function client(server: IoServer, rooms: string[] = []): Promise<{ socket: ClientSocket; log: string[] }> {
  const joined = new Promise<void>((resolve) =>
    server.io.once('connection', (s) => {
      s.data = { rooms }
      void Promise.resolve(s.join(rooms)).then(() => resolve())
    }),
  )
  const socket = connectClient(`http://127.0.0.1:${server.port}`, { transports: ['websocket'], reconnection: false })
  cleanups.push(() => socket.close())
  const log: string[] = []
  socket.onAny((event: string, arg: unknown) => log.push(`${event}:${String(arg)}`))
  // The client learns its id from the CONNECT packet, which may trail the server's 'connection'.
  await Promise.all([joined, new Promise((resolve) => socket.once('connect', () => resolve(undefined)))])
  return { socket, log }
}

/** Waits until the servers see each other (PUBSUB NUMSUB) and every stream reader is blocked in XREAD. */
async function ready(admin: RealRedis, servers: Array<{ io: Server }>): Promise<void> {
  const blocked = async (): Promise<number> => Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))![1])
  for (let i = 0; i < 200; i++) {
    const counts = await Promise.all(servers.map((s) => s.io.of('/').adapter.serverCount()))
    if (counts.every((n) => n === servers.length) && (await blocked()) === servers.length) return
    await sleep(10)
  }
  throw new Error('servers not ready')
}

describe.each(backends)('@socket.io/redis-streams-adapter on %s', (_name, backend) => {
  it('broadcasts across servers to everyone, to rooms and except rooms, through the stream', async () => {
    const { connect } = await backend()
    const admin = connect()
    const a = await ioServer(connect)
    const b = await ioServer(connect)
    const c1 = await client(a, ['red'])
    const c2 = await client(b, ['blue'])
    const c3 = await client(a)
    await ready(admin, [a, b])

    b.io.emit('all', 'from B')
    b.io.to('red').emit('red', 'from B')
    a.io.to('blue').emit('blue', 'from A')
    a.io.except('red').emit('notred', 'from A')
    // A remote room change travels on the stream ahead of the broadcast that follows it.
    a.io.in(c2.socket.id!).socketsJoin('green')
    a.io.to('green').emit('green', 'from A')
    a.io.emit('done', 'from A')
    b.io.emit('done', 'from B')
    // A server's own clients get its broadcasts at once, the other's through the stream: only the
    // order per sending server is defined, and a client has them all once both 'done's arrived.
    const from = (c: { log: string[] }, server: string): string[] => c.log.filter((e) => e.endsWith(`:from ${server}`))
    await until(() => [c1, c2, c3].every((c) => c.log.includes('done:from A') && c.log.includes('done:from B')), 3000)
    expect([from(c1, 'A'), from(c1, 'B')]).toEqual([['done:from A'], ['all:from B', 'red:from B', 'done:from B']])
    expect([from(c2, 'A'), from(c2, 'B')]).toEqual([['blue:from A', 'notred:from A', 'green:from A', 'done:from A'], ['all:from B', 'done:from B']])
    expect([from(c3, 'A'), from(c3, 'B')]).toEqual([['notred:from A', 'done:from A'], ['all:from B', 'done:from B']])

    // Non-ephemeral messages are stream entries: 7 broadcasts (type 3) and the join (type 4).
    const entries = await admin.xrange('socket.io', '-', '+')
    const fields = entries.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])))
    expect(fields.map((f) => f.type).sort()).toEqual(['3', '3', '3', '3', '3', '3', '3', '4'])
    expect(fields.every((f) => f.nsp === '/')).toBe(true)
    expect(await admin.xlen('socket.io')).toBe(8)

    // Remote disconnect: B's socket in 'blue' goes away when A asks.
    const gone = new Promise<string>((resolve) => c2.socket.once('disconnect', (reason) => resolve(reason)))
    a.io.in('blue').disconnectSockets()
    expect(await gone).toBe('io server disconnect')
  }, 8000)

  it('a burst of broadcasts arrives complete and in order over several XREAD batches', async () => {
    const { connect } = await backend()
    const admin = connect()
    const a = await ioServer(connect, { readCount: 50 })
    const b = await ioServer(connect, { readCount: 50 })
    const far = await client(b)
    await ready(admin, [a, b])
    for (let i = 0; i < 300; i++) a.io.emit('n', i)
    await until(() => far.log.length === 300, 5000)
    expect(far.log).toEqual(Array.from({ length: 300 }, (_, i) => `n:${i}`))
    expect(await admin.xlen('socket.io')).toBe(300)
  }, 8000)

  it('fetchSockets, serverSideEmit and broadcast acknowledgements over pub/sub', async () => {
    const { connect } = await backend()
    const admin = connect()
    const a = await ioServer(connect)
    const b = await ioServer(connect)
    const c1 = await client(a, ['red'])
    const c2 = await client(b, ['red', 'blue'])
    const c3 = await client(a, ['blue'])
    for (const c of [c1, c2, c3]) c.socket.on('ask', (q: string, ack: (r: string) => void) => ack(`${q}?${c.socket.id}`))
    await ready(admin, [a, b])
    const streamBefore = await admin.xlen('socket.io')

    const all = await b.io.fetchSockets()
    expect(all.map((s) => s.id).sort()).toEqual([c1, c2, c3].map((c) => c.socket.id).sort())
    const red = await a.io.in('red').fetchSockets()
    expect(red.map((s) => s.id).sort()).toEqual([c1.socket.id, c2.socket.id].sort())
    const remote = all.find((s) => s.id === c1.socket.id)!
    expect([...remote.rooms].sort()).toEqual([c1.socket.id, 'red'].sort())
    expect(remote.data).toEqual({ rooms: ['red'] })

    const side = new Promise<unknown[]>((resolve) => a.io.on('hello', (...args: unknown[]) => resolve(args)))
    b.io.serverSideEmit('hello', 'x', 42)
    expect(await side).toEqual(['x', 42])
    a.io.on('sum', (x: number, y: number, ack: (r: number) => void) => ack(x + y))
    expect(await b.io.serverSideEmitWithAck('sum', 2, 3)).toEqual([5])

    const answers = await b.io.to('blue').timeout(2000).emitWithAck('ask', 'who')
    expect((answers as string[]).sort()).toEqual([`who?${c2.socket.id}`, `who?${c3.socket.id}`].sort())
    // Requests, responses and acknowledged broadcasts are ephemeral: nothing was added to the stream.
    expect(await admin.xlen('socket.io')).toBe(streamBefore)
  }, 8000)

  it('trims the stream to about maxLen (MAXLEN ~) as broadcasts are added', async () => {
    const { connect } = await backend()
    const admin = connect()
    const a = await ioServer(connect, { streamName: 'trimmed', maxLen: 20 })
    await ready(admin, [a])
    const lengths: number[] = []
    for (let i = 0; i < 400; i++) {
      // The emit's XADD is sent before it returns; XLEN on the same connection runs after it.
      a.io.emit('tick', i)
      lengths.push(await a.redis.xlen('trimmed'))
    }
    expect(lengths.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    // Approximate trimming removes whole stream nodes only: never below maxLen, and once the
    // oldest node can go, the length falls back by a node's worth of entries (at most
    // stream-node-max-entries, 100, or fewer when stream-node-max-bytes fills the node first).
    const drops = lengths.flatMap((n, i) => (i > 0 && n < lengths[i - 1]! ? [[lengths[i - 1]!, n] as const] : []))
    expect(drops.length).toBeGreaterThanOrEqual(3)
    for (const [before, after] of drops) {
      expect(after).toBeGreaterThanOrEqual(20)
      expect(before - after).toBeLessThanOrEqual(100)
    }
    expect(Math.min(...lengths.slice(20))).toBeGreaterThanOrEqual(20)
    expect(Math.max(...lengths)).toBeLessThan(20 + 100)
    expect(await admin.xlen('trimmed')).toBe(lengths.at(-1))
    // The newest entry is always kept.
    const [last] = await admin.xrevrange('trimmed', '+', '-', 'COUNT', 1)
    const data = JSON.parse(last![1][last![1].indexOf('data') + 1]!) as { packet: { data: unknown[] } }
    expect(data.packet.data).toEqual(['tick', 399])
  }, 8000)
})
