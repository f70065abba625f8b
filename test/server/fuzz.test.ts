/**
 * Random and truncated bytes thrown at the RESP server: every reply must be
 * well-formed RESP, a malformed request gets a protocol error and the
 * connection is closed (or the server waits for more), and nothing reaches
 * other clients or their data.
 */
import { connect, type Socket } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type RespServer } from '../../src/server/index.js'
import { Store } from '../../src/store.js'
import { ReplyParser, encodeCommand, type Tagged } from '../../src/protocol/resp.js'
import { sleep } from '../helpers/wait.js'

interface Conn {
  socket: Socket
  frames: Tagged[]
  closed: boolean
  bad: Error | null
}

async function open(port: number): Promise<Conn> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const c: Conn = { socket, frames: [], closed: false, bad: null }
  const parser = new ReplyParser()
  socket.on('data', (d: Buffer) => {
    try {
      parser.feed(d)
      for (let t; (t = parser.next()) !== undefined; ) c.frames.push(t)
    } catch (e) {
      c.bad = e as Error
    }
  })
  socket.on('close', () => (c.closed = true))
  socket.on('error', () => {})
  return c
}


/** Valid commands on the fuzz keyspace (prefix f:), never on the control key and never admin ones. */
const validCommand = fc
  .tuple(
    fc.constantFrom('SET', 'GET', 'INCR', 'LPUSH', 'HSET', 'SADD', 'ZADD', 'MULTI', 'EXEC', 'SUBSCRIBE', 'PING', 'ECHO', 'EXPIRE', 'DEL', 'HELLO', 'WATCH'),
    fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 1000 }).map(String)), { maxLength: 4 }),
  )
  .map(([cmd, args]) => encodeCommand([cmd, ...args.map((a, i) => (i === 0 ? `f:${a}` : a))]))

/** Bytes to send: random bytes, truncated or mutated valid commands, and protocol-looking junk. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 200, size: 'max' }).map((a) => Buffer.from(a)),
  fc.tuple(validCommand, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
  fc.tuple(validCommand, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, i, v]) => {
    const c = Buffer.from(b)
    if (c.length > 0) c[i % c.length] = v
    return c
  }),
  fc.array(fc.constantFrom('*', '$', '\r\n', '-1', '0', '3', '99999999999', 'PING', ' ', '"', "'", '\\x', '\n', 'SET', '%', '\0'), { maxLength: 30 }).map((parts) => Buffer.from(parts.join(''))),
)

describe('fuzzing the RESP server', () => {
  let store: Store
  let server: RespServer
  let control: Conn
  beforeAll(async () => {
    store = new Store()
    server = createServer({ store, port: 0 })
    await server.listen()
    control = await open(server.port)
    control.socket.write(encodeCommand(['SET', 'control', 'safe']))
    control.socket.write(encodeCommand(['SUBSCRIBE', 'control-channel']))
    await sleep(20)
    control.frames.length = 0
  })
  afterAll(async () => {
    control?.socket.destroy()
    await server?.close()
    store?.close()
  })

  it('answers valid RESP or closes, never crashes, never disturbs other clients', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 3 }), fc.boolean(), async (chunks, split) => {
        const c = await open(server.port)
        for (const chunk of chunks) {
          if (split && chunk.length > 1) {
            // The same bytes cut at an arbitrary point arrive in two packets.
            const at = chunk.length >> 1
            c.socket.write(chunk.subarray(0, at))
            await sleep(1)
            c.socket.write(chunk.subarray(at))
          } else c.socket.write(chunk)
        }
        await sleep(8)
        expect(c.bad).toBeNull()
        for (const f of c.frames) {
          if (f.t === 'error' && f.v.startsWith('ERR Protocol error')) {
            // A protocol error is the last thing said before closing.
            expect(c.frames[c.frames.length - 1]).toEqual(f)
          }
        }
        c.socket.destroy()
        // Nothing reached the subscribed control connection.
        expect(control.frames).toEqual([])
        expect(control.closed).toBe(false)
      }),
      { numRuns: 150 },
    )
    // The control client's data is intact and the server still serves.
    const check = await open(server.port)
    check.socket.write(encodeCommand(['GET', 'control']))
    check.socket.write(encodeCommand(['PUBSUB', 'NUMSUB', 'control-channel']))
    await sleep(20)
    expect(check.frames).toEqual([
      { t: 'bulk', v: 'safe' },
      { t: 'array', v: [{ t: 'bulk', v: 'control-channel' }, { t: 'int', v: '1' }] },
    ])
    check.socket.destroy()
  }, 60_000)
})
