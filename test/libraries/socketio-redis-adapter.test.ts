/**
 * The socket.io Redis adapter with two socket.io servers whose Redis clients
 * are the ioredis drop-in on one Store: a broadcast from one server reaches a
 * socket connected to the other, and serverSideEmit reaches the other server.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdapter } from '@socket.io/redis-adapter'
import { Server } from 'socket.io'
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client'
import { describe, expect, it } from 'vitest'
import { Redis } from '../../src/ioredis/index.js'
import { Store } from '../../src/index.js'
import { cleanups } from './backends.js'

async function ioServer(store: Store): Promise<{ io: Server; port: number }> {
  const pub = new Redis({ store })
  const sub = pub.duplicate()
  const http: HttpServer = createHttpServer()
  const io = new Server(http, { adapter: createAdapter(pub, sub) })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  // Run in reverse: socket.io (and the adapter's UNSUBSCRIBEs) first, then the clients, politely.
  cleanups.push(
    () => pub.quit(),
    () => sub.quit(),
    () => new Promise<void>((resolve) => io.close(() => resolve())),
  )
  return { io, port: (http.address() as AddressInfo).port }
}

function waitFor<T>(fn: (resolve: (v: T) => void) => void, ms = 3000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms)
    fn((v) => {
      clearTimeout(t)
      resolve(v)
    })
  })
}

describe('@socket.io/redis-adapter on embedis/ioredis', () => {
  it('broadcasts across servers and delivers serverSideEmit', async () => {
    const store = new Store()
    cleanups.push(() => store.close())
    const a = await ioServer(store)
    const b = await ioServer(store)

    const joined = waitFor<void>((resolve) => a.io.on('connection', (s) => void Promise.resolve(s.join('room')).then(() => resolve())))
    const client: ClientSocket = connectClient(`http://127.0.0.1:${a.port}`, { transports: ['websocket'] })
    cleanups.push(() => client.close())
    await joined

    // Server B knows server A through Redis (PUBSUB NUMSUB on the request channel). Each adapter
    // subscribes once its client has connected, which under load may trail this line (with a
    // Redis server too): wait for both subscriptions.
    let servers = 0
    for (let i = 0; i < 100 && servers < 2; i++) {
      servers = await b.io.of('/').adapter.serverCount()
      if (servers < 2) await new Promise((r) => setTimeout(r, 20))
    }
    expect(servers).toBe(2)

    const got = waitFor<string>((resolve) => client.on('hello', (msg: string) => resolve(msg)))
    b.io.to('room').emit('hello', 'from B')
    expect(await got).toBe('from B')

    const side = waitFor<unknown[]>((resolve) => a.io.on('ping', (...args: unknown[]) => resolve(args)))
    b.io.serverSideEmit('ping', 'x', 42)
    expect(await side).toEqual(['x', 42])

    // fetchSockets gathers sockets of every server through request/response channels.
    const sockets = await b.io.in('room').fetchSockets()
    expect(sockets.map((s) => s.id)).toEqual([client.id])
  }, 20_000)
})
