import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { lua } from '../scripting/index.js'
import { Store } from '../store.js'
import type { StoreCore } from '../store-core.js'
import { RespConnection } from './connection.js'

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The Store to serve. Default: a new Store with the Lua scripting hook installed. */
  store?: StoreCore
  /** TCP port; 0 picks a free one. Default 6379. */
  port?: number
  /** Interface to listen on. Default `127.0.0.1` (only this machine). */
  host?: string
  /** Sets `requirepass`: clients must AUTH (or HELLO … AUTH) first. */
  requirepass?: string
}

/** Where a listening server is. */
export interface ServerAddress {
  host: string
  port: number
}

/**
 * A RESP2/RESP3 server over a Store: any Redis client (redis-cli, node-redis,
 * ioredis, redis-benchmark, other languages) can connect to it.
 *
 * ```ts
 * import { createServer } from 'embedis/server'
 * const server = createServer({ port: 6380 })
 * await server.listen()
 * // ... redis-cli -p 6380
 * await server.close()
 * ```
 */
export class RespServer {
  readonly store: StoreCore
  readonly host: string
  private wantedPort: number
  private readonly server: Server
  private readonly conns = new Set<RespConnection>()
  private readonly sockets = new Set<Socket>()
  private nextFd = 8
  private closing: Promise<void> | undefined

  constructor(options: ServerOptions = {}) {
    this.store = options.store ?? new Store({ scripting: lua() })
    this.host = options.host ?? '127.0.0.1'
    this.wantedPort = options.port ?? 6379
    if (options.requirepass !== undefined) this.store.ks.config.setMany([['requirepass', options.requirepass]])
    this.server = createNetServer((socket) => this.accept(socket))
    this.store.closeHooks.push(() => void this.close())
  }

  /** Starts listening; resolves with the address once clients can connect. */
  listen(): Promise<ServerAddress> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e)
      this.server.once('error', onError)
      this.server.listen(this.wantedPort, this.host, () => {
        this.server.off('error', onError)
        const addr = this.server.address() as AddressInfo
        this.wantedPort = addr.port
        this.store.port = addr.port
        resolve({ host: this.host, port: addr.port })
      })
    })
  }

  /** The port listened on (after `listen()`). */
  get port(): number {
    return this.wantedPort
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.conns.size
  }

  private accept(socket: Socket): void {
    const store = this.store
    if (this.closing !== undefined) {
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    socket.on('error', () => {
      // A reset or broken pipe: 'close' follows and cleans up.
    })
    if (this.conns.size >= store.ks.config.get<number>('maxclients')) {
      socket.end('-ERR max number of clients reached\r\n')
      return
    }
    const conn = new RespConnection(
      store,
      {
        write: (b) => void socket.write(b),
        end: () => void socket.end(),
        destroy: () => void socket.destroy(),
        get pending() {
          return socket.writableLength
        },
      },
      {
        addr: `${plainAddress(socket.remoteAddress)}:${socket.remotePort ?? 0}`,
        laddr: `${plainAddress(socket.localAddress)}:${socket.localPort ?? 0}`,
        fd: this.nextFd++,
      },
    )
    this.conns.add(conn)
    this.sockets.add(socket)
    socket.on('data', (chunk: Buffer) => conn.feed(chunk))
    socket.on('close', () => {
      conn.close()
      this.conns.delete(conn)
      this.sockets.delete(socket)
    })
    const idle = store.ks.config.get<number>('timeout')
    if (idle > 0) {
      // Redis's `timeout`: idle clients are closed, except subscribers and blocked clients.
      socket.setTimeout(idle * 1000, () => {
        const s = conn.session
        if (s.subscriptionCount + s.shardCount > 0 || s.waiting) return
        socket.destroy()
      })
    }
  }

  /**
   * Stops accepting connections, ends every client connection after the
   * replies already produced (blocked commands are cancelled), and resolves
   * once all are closed. The Store stays open.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing
    this.closing = new Promise<void>((resolve) => {
      const done = (): void => resolve()
      if (this.server.listening) this.server.close(() => done())
      else done()
      for (const conn of this.conns) conn.flush()
      for (const s of this.sockets) s.end()
      // Clients that do not close their side get cut after a moment.
      const t = setTimeout(() => {
        for (const s of this.sockets) s.destroy()
      }, 1000)
      t.unref()
    })
    return this.closing
  }
}

/** The address without the IPv4-mapped IPv6 prefix, as Redis prints it. */
function plainAddress(a: string | undefined): string {
  if (a === undefined) return '?'
  return a.startsWith('::ffff:') ? a.slice(7) : a
}

/**
 * Creates a RESP server for a Store (a new one by default). Call `listen()`
 * to start it; 127.0.0.1:6379 unless told otherwise.
 */
export function createServer(options: ServerOptions = {}): RespServer {
  return new RespServer(options)
}
