/**
 * A private valkey-server for tests, and a tiny RESP client for it.
 *
 *   if (isValkeyAvailable()) {
 *     const server = await startValkey()
 *     const client = await server.connect()
 *     await client.send(['SET', 'k', 'v'])   // { t: 'status', v: 'OK' }
 *     client.close(); await server.stop()
 *   }
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { createServer, connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { ReplyParser, encodeCommand, type Tagged } from '../../src/protocol/resp.js'

const BINARY = 'valkey-server'

/** Absolute path of an executable on PATH, or null. */
function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {
      // not here
    }
  }
  return null
}

/** True when valkey-server is on PATH. */
export function isValkeyAvailable(): boolean {
  return which(BINARY) !== null
}

/** A TCP port that was free a moment ago (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** A connection speaking RESP; replies come back in request order. */
export class RespClient {
  private readonly parser = new ReplyParser()
  private readonly waiting: { resolve: (t: Tagged) => void; reject: (e: Error) => void }[] = []
  private closed: Error | null = null
  /** Receives what arrives with no request waiting (pub/sub messages); without it such data is an error. */
  onPush: ((t: Tagged) => void) | undefined

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.parser.feed(chunk)
      try {
        for (let r; (r = this.parser.next()) !== undefined; ) {
          const w = this.waiting.shift()
          if (w !== undefined) w.resolve(r)
          else if (this.onPush !== undefined) this.onPush(r)
          else throw new Error(`unexpected reply ${JSON.stringify(r)}`)
        }
      } catch (e) {
        this.abort(e as Error)
        socket.destroy()
      }
    })
    socket.on('error', (e) => this.abort(e))
    socket.on('close', () => this.abort(new Error('connection closed')))
  }

  static open(port: number, host = '127.0.0.1'): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host)
      s.once('error', reject)
      s.once('connect', () => {
        s.off('error', reject)
        resolve(new RespClient(s))
      })
    })
  }

  private abort(e: Error): void {
    if (this.closed === null) this.closed = e
    for (const w of this.waiting.splice(0)) w.reject(e)
  }

  /** Sends one command (as a multibulk) and resolves with its reply. */
  send(argv: readonly (string | Uint8Array)[]): Promise<Tagged> {
    return this.raw(encodeCommand(argv))
  }

  /** Sends raw bytes that form exactly one request and resolves with the next reply. */
  raw(bytes: Uint8Array | string): Promise<Tagged> {
    if (this.closed !== null) return Promise.reject(this.closed)
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.socket.write(bytes)
    })
  }

  /** Writes bytes without expecting a reply. */
  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes)
  }

  /**
   * Collects the raw bytes the server sends (the client then stops parsing
   * replies) until it closes the connection, `enough(data)` holds, or `ms` pass.
   */
  drain(ms = 2000, enough?: (data: Buffer) => boolean): Promise<{ data: Buffer; closed: boolean }> {
    return new Promise((resolve) => {
      const parts: Buffer[] = []
      const s = this.socket
      let done = false
      const finish = (closed: boolean): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        resolve({ data: Buffer.concat(parts), closed })
      }
      const timer = setTimeout(() => finish(false), ms)
      s.removeAllListeners('data')
      s.on('data', (c: Buffer) => {
        parts.push(c)
        if (enough?.(Buffer.concat(parts))) finish(false)
      })
      s.once('close', () => finish(true))
    })
  }

  close(): void {
    this.socket.destroy()
  }
}

export interface ValkeyServer {
  port: number
  connect(): Promise<RespClient>
  stop(): Promise<void>
}

/** Starts a private valkey-server (no persistence) on a free port and waits until it answers PING. */
export async function startValkey(extraArgs: string[] = []): Promise<ValkeyServer> {
  const bin = which(BINARY)
  if (bin === null) throw new Error(`${BINARY} is not on PATH`)
  const port = await freePort()
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', '', '--dir', tmpdir(), ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let dead = false
  void exited.then(() => (dead = true))

  const deadline = Date.now() + 10_000
  for (;;) {
    if (dead) throw new Error(`valkey-server exited at startup: ${stderr}`)
    try {
      const c = await RespClient.open(port)
      const r = await c.send(['PING'])
      c.close()
      if (r.t === 'status' && r.v === 'PONG') break
    } catch {
      // not listening yet (or still loading)
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`valkey-server on port ${port} did not answer PING: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }

  return {
    port,
    connect: () => RespClient.open(port),
    async stop() {
      if (dead) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
