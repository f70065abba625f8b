/**
 * The in-process connection behind the ioredis drop-in: a socket-like stream
 * whose other end is a RespConnection (a Session) of a Store. No socket, no
 * port, no copy of the reply bytes: ioredis writes commands, they are run at
 * the next microtask (ioredis queues a command only after writing it), and
 * the replies of everything written meanwhile come back as one `data` event.
 */
import { Buffer } from 'node:buffer'
import process from 'node:process'
import { EventEmitter } from 'node:events'
import { RespConnection } from '../server/connection.js'
import type { StoreCore } from '../store-core.js'

/**
 * A Duplex-like object with the parts of `net.Socket` ioredis uses. Writes
 * are collected and handled together at the next microtask.
 */
export class InProcessStream extends EventEmitter {
  readonly connecting = false
  writable = true
  readable = true
  destroyed = false
  readonly remoteAddress = '127.0.0.1'
  readonly remotePort: number
  private conn: RespConnection | undefined
  /** What ioredis wrote since the last run: usually one string. */
  private first: string | Buffer | undefined = undefined
  private chunks: Array<string | Buffer> | null = null
  private scheduled = false
  private ended = false
  /** Bytes handed to ioredis and not yet returned (always consumed synchronously). */
  readonly pending = 0

  constructor(store: StoreCore) {
    super()
    const stream = this
    this.conn = new RespConnection(
      store,
      {
        write: (data) => stream.emit('data', data),
        end: () => stream.finish(),
        destroy: () => stream.finish(),
        get pending() {
          return 0
        },
      },
      { addr: '', laddr: '', fd: -1 },
    )
    this.remotePort = this.conn.session.id
    this.conn.session.addr = `127.0.0.1:${this.remotePort}`
    this.conn.session.laddr = '127.0.0.1:0'
  }

  /** The session this stream talks to. */
  get session(): RespConnection['session'] | undefined {
    return this.conn?.session
  }

  write(chunk: string | Buffer | Uint8Array, encoding?: unknown, cb?: unknown): boolean {
    if (this.ended) return false
    const c = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    if (this.first === undefined) {
      this.first = c
      if (!this.scheduled) {
        this.scheduled = true
        queueMicrotask(this.run)
      }
    } else (this.chunks ??= []).push(c)
    if (encoding !== undefined || cb !== undefined) {
      const done = typeof encoding === 'function' ? encoding : cb
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)())
    }
    return true
  }

  private readonly run = (): void => {
    this.scheduled = false
    const conn = this.conn
    const first = this.first
    if (conn === undefined || first === undefined) return
    this.first = undefined
    const more = this.chunks
    if (more === null) {
      if (typeof first === 'string') conn.feedString(first)
      else conn.feed(first)
      return
    }
    this.chunks = null
    more.unshift(first)
    let allStrings = true
    for (const c of more) if (typeof c !== 'string') allStrings = false
    if (allStrings) conn.feedString((more as string[]).join(''))
    else conn.feed(Buffer.concat(more.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c))))
  }

  /** The Store side closed the connection (QUIT, CLIENT KILL, protocol error). */
  private finish(): void {
    if (this.ended) return
    this.ended = true
    this.writable = false
    this.readable = false
    this.conn = undefined
    process.nextTick(() => {
      this.destroyed = true
      this.emit('end')
      this.emit('close', false)
    })
  }

  /** The client closes its side: the session ends like a disconnected client's. */
  end(): this {
    if (this.ended) return this
    const conn = this.conn
    // Commands already written still run (QUIT's reply, a last write).
    if (this.first !== undefined) this.run()
    conn?.close()
    this.finish()
    return this
  }

  destroy(err?: Error): this {
    if (err !== undefined && !this.ended) process.nextTick(() => this.emit('error', err))
    this.first = undefined
    this.chunks = null
    this.conn?.close()
    this.finish()
    return this
  }

  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  setTimeout(): this {
    return this
  }
  resume(): this {
    return this
  }
  pause(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  cork(): void {}
  uncork(): void {}
}

/** Options ioredis hands to a connector. */
export interface ConnectorOptions {
  store?: StoreCore
  [k: string]: unknown
}

/**
 * An ioredis `Connector` (the `Connector` option) that connects to a Store
 * in-process: `connect()` resolves with an {@link InProcessStream}.
 */
export function connectorFor(defaultStore: () => StoreCore) {
  return class EmbedisConnector {
    connecting = false
    stream: InProcessStream | undefined
    firstError: Error | undefined

    constructor(readonly options: ConnectorOptions) {}

    check(): boolean {
      return true
    }

    connect(): Promise<InProcessStream> {
      this.connecting = true
      return new Promise((resolve, reject) => {
        // Like a socket: the stream is handed over on the next tick, so ioredis can set up first.
        process.nextTick(() => {
          if (!this.connecting) {
            reject(new Error('Connection is closed.'))
            return
          }
          const store = this.options.store ?? defaultStore()
          if (store.isClosed) {
            reject(new Error('the Store is closed'))
            return
          }
          this.stream = new InProcessStream(store)
          resolve(this.stream)
        })
      })
    }

    disconnect(): void {
      this.connecting = false
      if (this.stream !== undefined) this.stream.end()
    }
  }
}
