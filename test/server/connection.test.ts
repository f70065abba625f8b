/**
 * RespConnection's two inputs give the same bytes: `feedString` (the fast path
 * for what ioredis writes: ASCII multibulk parsed straight from the string)
 * and `feed` (the byte parser), for any mix of commands, non-ASCII arguments,
 * inline commands, malformed input and arbitrary cuts.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RespConnection } from '../../src/server/connection.js'
import { Store } from '../../src/store.js'

function connection(): { conn: RespConnection; out: () => string; store: Store } {
  const store = new Store({ activeExpiry: false })
  const chunks: Buffer[] = []
  const conn = new RespConnection(store, { write: (b) => void chunks.push(Buffer.from(b)), end() {}, destroy() {}, pending: 0 })
  return { conn, store, out: () => Buffer.concat(chunks).toString('latin1') }
}

const arg = fc.oneof(
  fc.constantFrom('k', 'v', 'x'.repeat(70), '', '1'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.constantFrom('é', '✓', '日本', 'a\r\nb', 'ü'.repeat(40)),
)
const command = fc.tuple(fc.constantFrom('SET', 'GET', 'APPEND', 'ECHO', 'STRLEN', 'PING', 'get', 'MGET'), fc.array(arg, { maxLength: 3 }))
const multibulk = (cmd: string, args: string[]): string =>
  `*${args.length + 1}\r\n$${Buffer.byteLength(cmd)}\r\n${cmd}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')
const piece = fc.oneof(
  { weight: 6, arbitrary: command.map(([c, a]) => multibulk(c, a)) },
  { weight: 1, arbitrary: fc.constantFrom('PING\r\n', 'ECHO "a b"\r\n', '\r\n', '*0\r\n') },
  { weight: 1, arbitrary: fc.constantFrom('*1\r\n$4\r\nPI', 'NG\r\n', '$3\r\n', '*x\r\n', '*01\r\n$4\r\nPING\r\n', '*1\r\n$04\r\nPING\r\n') },
)

describe('RespConnection.feedString', () => {
  it('answers exactly as the byte parser does, however the input is cut', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 3 }), (pieces, cuts) => {
        const text = pieces.join('')
        const a = connection()
        const b = connection()
        try {
          // Cut the text at arbitrary character positions (never inside a surrogate pair).
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y)
          let last = 0
          for (const p of [...points, text.length]) {
            let q = p
            if (q > 0 && q < text.length && text.charCodeAt(q - 1) >= 0xd800 && text.charCodeAt(q - 1) <= 0xdbff) q++
            if (q <= last) continue
            a.conn.feedString(text.slice(last, q))
            last = q
          }
          b.conn.feed(Buffer.from(text, 'utf8'))
          expect(a.out()).toBe(b.out())
          expect(a.store.dbsize()).toBe(b.store.dbsize())
        } finally {
          a.store.close()
          b.store.close()
        }
      }),
      { numRuns: 300 },
    )
  })

  it('applies the byte parser limits: proto-max-bulk-len, unauthenticated sizes', () => {
    // 1mb is the least Redis takes.
    const store = new Store({ activeExpiry: false, config: { 'proto-max-bulk-len': '1mb', requirepass: 'pw' } })
    try {
      for (const [input, error] of [
        [multibulk('ECHO', ['x'.repeat(1024 * 1024 + 1)]), '-ERR Protocol error: invalid bulk length\r\n'],
        [multibulk('MSET', Array.from({ length: 12 }, () => 'a')), '-ERR Protocol error: unauthenticated multibulk length\r\n'],
      ] as const) {
        let out = ''
        const conn = new RespConnection(store, { write: (b) => void (out += b.toString()), end() {}, destroy() {}, pending: 0 })
        conn.feedString(input)
        expect(out).toBe(error)
      }
      // Once authenticated, the same request passes.
      let out = ''
      const conn = new RespConnection(store, { write: (b) => void (out += b.toString()), end() {}, destroy() {}, pending: 0 })
      conn.feedString(multibulk('AUTH', ['pw']) + multibulk('MSET', Array.from({ length: 12 }, (_, i) => String(i))))
      expect(out).toBe('+OK\r\n+OK\r\n')
    } finally {
      store.close()
    }
  })

  it('stores non-ASCII and binary-looking arguments with their UTF-8 bytes', () => {
    const { conn, store, out } = connection()
    conn.feedString(multibulk('SET', ['ké', 'vàl✓']) + multibulk('GET', ['ké']) + multibulk('STRLEN', ['ké']))
    expect(out()).toBe(`+OK\r\n$${Buffer.byteLength('vàl✓')}\r\n${Buffer.from('vàl✓').toString('latin1')}\r\n:${Buffer.byteLength('vàl✓')}\r\n`)
    expect(store.get('ké')).toBe('vàl✓')
    store.close()
  })
})
