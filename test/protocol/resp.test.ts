import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bufferKey } from '../../src/core/bytes.js'
import { ReplyError } from '../../src/core/errors.js'
import { Bool, Double, MapReply, NULL_ARRAY, Push, SetReply, Status, Verbatim, type Reply } from '../../src/core/reply.js'
import {
  BIG_ARG,
  INLINE_MAX_SIZE,
  ReplyParser,
  RequestParser,
  RespSyntaxError,
  RespWriter,
  encodeCommand,
  encodeReply,
  splitInlineArgs,
  writeCommand,
  writeReply,
  type Tagged,
} from '../../src/protocol/resp.js'
import { isValkeyAvailable, startValkey, type ValkeyServer } from '../helpers/valkey.js'

const enc2 = (r: Reply): string => encodeReply(r, 2).toString('latin1')
const enc3 = (r: Reply): string => encodeReply(r, 3).toString('latin1')

/** Parses one complete reply from bytes, fed in pieces of `step` bytes. */
function parseReply(bytes: Buffer, step = bytes.length): Tagged[] {
  const p = new ReplyParser()
  const out: Tagged[] = []
  for (let i = 0; i < bytes.length; i += step) {
    p.feed(bytes.subarray(i, i + step))
    for (let r; (r = p.next()) !== undefined; ) out.push(r)
  }
  return out
}

/**
 * Feeds `chunks` to a fresh parser and collects commands (as latin1 strings) and the error. Each
 * case runs twice, with and without the `strings` option, which must read the same commands.
 */
function parseRequests(chunks: (Buffer | string)[], opts?: ConstructorParameters<typeof RequestParser>[0]) {
  const run = (strings: boolean) => {
    const p = new RequestParser({ ...opts, strings })
    const cmds: string[][] = []
    for (const c of chunks) {
      p.feed(typeof c === 'string' ? Buffer.from(c, 'latin1') : c)
      for (let argv; (argv = p.next()) !== null; ) cmds.push(argv.map((a) => (typeof a === 'string' ? a : a.toString('latin1'))))
    }
    return { cmds, error: p.error?.message ?? null, parser: p }
  }
  const plain = run(false)
  const strings = run(true)
  expect({ cmds: strings.cmds, error: strings.error }).toEqual({ cmds: plain.cmds, error: plain.error })
  return plain
}

describe('encodeReply RESP2', () => {
  it('encodes scalars', () => {
    expect(enc2('hello')).toBe('$5\r\nhello\r\n')
    expect(enc2('')).toBe('$0\r\n\r\n')
    // Bulk lengths count UTF-8 bytes, not UTF-16 units.
    expect(encodeReply('é', 2).equals(Buffer.from('$2\r\né\r\n', 'utf8'))).toBe(true)
    expect(encodeReply('€'.repeat(40), 2).equals(Buffer.from('$120\r\n' + '€'.repeat(40) + '\r\n', 'utf8'))).toBe(true)
    expect(enc2(Buffer.from([0, 255, 13, 10]))).toBe('$4\r\n\x00\xff\r\n\r\n')
    // Canonical strings of non-UTF-8 bytes (core/bytes.ts) go out as those bytes.
    expect(enc2(bufferKey(Buffer.from([0xff, 0x00, 0x41])))).toBe('$3\r\n\xff\x00A\r\n')
    expect(enc2(bufferKey(Buffer.from('é')))).toBe('$2\r\n\xc3\xa9\r\n')
    expect(enc2(0)).toBe(':0\r\n')
    expect(enc2(-0)).toBe(':0\r\n')
    expect(enc2(7)).toBe(':7\r\n')
    expect(enc2(-1234567890123)).toBe(':-1234567890123\r\n')
    expect(enc2(Number.MAX_SAFE_INTEGER)).toBe(':9007199254740991\r\n')
    expect(enc2(9223372036854775807n)).toBe(':9223372036854775807\r\n')
    expect(enc2(-9223372036854775808n)).toBe(':-9223372036854775808\r\n')
    expect(enc2(null)).toBe('$-1\r\n')
    expect(enc2(NULL_ARRAY)).toBe('*-1\r\n')
    expect(enc2(new Status('OK'))).toBe('+OK\r\n')
    expect(enc2(new ReplyError('ERR syntax error'))).toBe('-ERR syntax error\r\n')
    expect(enc2(new ReplyError('ERR a\r\nb'))).toBe('-ERR a  b\r\n')
    expect(enc2(new Bool(true))).toBe(':1\r\n')
    expect(enc2(new Bool(false))).toBe(':0\r\n')
    expect(enc2(new Verbatim('a\r\nb'))).toBe('$4\r\na\r\nb\r\n')
  })

  it('encodes doubles as bulk strings', () => {
    expect(enc2(new Double(1.5))).toBe('$3\r\n1.5\r\n')
    expect(enc2(new Double(3))).toBe('$1\r\n3\r\n')
    expect(enc2(new Double(Infinity))).toBe('$3\r\ninf\r\n')
    expect(enc2(new Double(-Infinity))).toBe('$4\r\n-inf\r\n')
    expect(enc2(new Double(0.1 + 0.2))).toBe('$19\r\n0.30000000000000004\r\n')
  })

  it('encodes aggregates, errors inside arrays included', () => {
    expect(enc2([])).toBe('*0\r\n')
    expect(enc2(['a', 1, null, [new Status('OK'), new ReplyError('WRONGTYPE x')]])).toBe(
      '*4\r\n$1\r\na\r\n:1\r\n$-1\r\n*2\r\n+OK\r\n-WRONGTYPE x\r\n',
    )
    expect(enc2(new MapReply(['f', 'v', 'g', 2]))).toBe('*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n:2\r\n')
    expect(enc2(new SetReply(['x']))).toBe('*1\r\n$1\r\nx\r\n')
    expect(enc2(new Push(['message', 'ch', 'hi']))).toBe('*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n')
  })

  it('rejects values that are not replies', () => {
    expect(() => encodeReply({} as unknown as Reply, 2)).toThrow(/cannot encode/)
    expect(() => encodeReply(undefined as unknown as Reply, 2)).toThrow(/cannot encode/)
    // A failed encoding leaves nothing behind for the next one.
    expect(() => encodeReply(['ok', Symbol('x') as unknown as Reply], 2)).toThrow(/cannot encode/)
    expect(enc2(1)).toBe(':1\r\n')
  })
})

describe('encodeReply RESP3', () => {
  it('uses the RESP3 types', () => {
    expect(enc3(null)).toBe('_\r\n')
    expect(enc3(NULL_ARRAY)).toBe('_\r\n')
    expect(enc3(new Double(1.5))).toBe(',1.5\r\n')
    expect(enc3(new Double(Infinity))).toBe(',inf\r\n')
    expect(enc3(new Double(-Infinity))).toBe(',-inf\r\n')
    expect(enc3(new Double(NaN))).toBe(',nan\r\n')
    expect(enc3(new MapReply(['f', 1]))).toBe('%1\r\n$1\r\nf\r\n:1\r\n')
    expect(enc3(new SetReply(['a', 'b']))).toBe('~2\r\n$1\r\na\r\n$1\r\nb\r\n')
    expect(enc3(new Bool(true))).toBe('#t\r\n')
    expect(enc3(new Bool(false))).toBe('#f\r\n')
    expect(enc3(new Push(['message', 'c', 'm']))).toBe('>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n')
    expect(encodeReply(new Verbatim('é'), 3).toString('utf8')).toBe('=6\r\ntxt:é\r\n')
    expect(enc3(new Verbatim('x', 'mkd'))).toBe('=5\r\nmkd:x\r\n')
    // 64-bit integers stay integers; only values beyond int64 become big numbers.
    expect(enc3(9223372036854775807n)).toBe(':9223372036854775807\r\n')
    expect(enc3(9223372036854775808n)).toBe('(9223372036854775808\r\n')
    expect(enc3([new Status('OK'), 5])).toBe('*2\r\n+OK\r\n:5\r\n')
  })
})

describe('RespWriter', () => {
  it('hands out regions that later writes never overwrite', () => {
    const w = new RespWriter(64)
    const outs: Buffer[] = []
    for (let i = 0; i < 200; i++) {
      writeReply(w, ['k' + i, i], 2)
      outs.push(w.take())
    }
    outs.forEach((b, i) => expect(b.toString()).toBe(`*2\r\n$${String(i).length + 1}\r\nk${i}\r\n:${i}\r\n`))
  })

  it('accumulates a pipeline into one buffer and grows for big payloads', () => {
    const w = new RespWriter(64)
    const big = Buffer.alloc(100_000, 0x61)
    writeReply(w, new Status('OK'), 2)
    writeReply(w, big, 2)
    writeReply(w, 42, 2)
    expect(w.length).toBe(5 + 9 + 100_000 + 2 + 5)
    const out = w.take()
    expect(out.subarray(0, 14).toString()).toBe('+OK\r\n$100000\r\n')
    expect(out.subarray(14, 100_014).equals(big)).toBe(true)
    expect(out.subarray(100_014).toString()).toBe('\r\n:42\r\n')
    expect(w.length).toBe(0)
    writeReply(w, 'x', 2)
    expect(w.take().toString()).toBe('$1\r\nx\r\n')
  })

  it('encodes commands as multibulk requests', () => {
    const w = new RespWriter(64)
    writeCommand(w, ['SET', 'é', Buffer.from([0])])
    writeCommand(w, [])
    expect(w.take().toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$2\r\n\xc3\xa9\r\n$1\r\n\x00\r\n*0\r\n')
    expect(encodeCommand(['PING']).toString()).toBe('*1\r\n$4\r\nPING\r\n')
  })

  it('writes integers of every magnitude', () => {
    const w = new RespWriter(64)
    for (const n of [0, 9, 10, 99, 100, 123456789, -5, -10, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 60, -(2 ** 62)]) {
      w.int(n)
      expect(w.take().toString()).toBe(BigInt(n).toString())
    }
  })
})

describe('ReplyParser', () => {
  const wire =
    '+OK\r\n-ERR bad\r\n:-12\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n' +
    '_\r\n,1.5\r\n#t\r\n#f\r\n(123456789012345678901234\r\n!9\r\nSYNTAX xy\r\n=7\r\ntxt:abc\r\n' +
    '%1\r\n$1\r\nk\r\n:2\r\n~1\r\n+x\r\n>2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n|1\r\n+key\r\n+val\r\n:5\r\n%0\r\n'
  const expected: Tagged[] = [
    { t: 'status', v: 'OK' },
    { t: 'error', v: 'ERR bad' },
    { t: 'int', v: '-12' },
    { t: 'bulk', v: 'foo' },
    { t: 'nil' },
    { t: 'nilarray' },
    { t: 'array', v: [] },
    { t: 'array', v: [{ t: 'bulk', v: 'a' }, { t: 'array', v: [{ t: 'int', v: '1' }] }] },
    { t: 'null' },
    { t: 'double', v: '1.5' },
    { t: 'bool', v: true },
    { t: 'bool', v: false },
    { t: 'bignum', v: '123456789012345678901234' },
    { t: 'error', v: 'SYNTAX xy' },
    { t: 'verbatim', format: 'txt', v: 'abc' },
    { t: 'map', v: [{ t: 'bulk', v: 'k' }, { t: 'int', v: '2' }] },
    { t: 'set', v: [{ t: 'status', v: 'x' }] },
    { t: 'push', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'hi' }] },
    { t: 'int', v: '5', attr: [{ t: 'status', v: 'key' }, { t: 'status', v: 'val' }] },
    { t: 'map', v: [] },
  ]

  it('parses every RESP2 and RESP3 type', () => {
    expect(parseReply(Buffer.from(wire, 'latin1'))).toEqual(expected)
  })

  it('parses the same input split at every byte', () => {
    const bytes = Buffer.from(wire, 'latin1')
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new ReplyParser()
      const out: Tagged[] = []
      p.feed(bytes.subarray(0, cut))
      for (let r; (r = p.next()) !== undefined; ) out.push(r)
      p.feed(bytes.subarray(cut))
      for (let r; (r = p.next()) !== undefined; ) out.push(r)
      expect(out).toEqual(expected)
    }
    expect(parseReply(bytes, 1)).toEqual(expected)
  })

  it('keeps the exact bytes of bulk strings that are not UTF-8', () => {
    const [r] = parseReply(encodeReply(Buffer.from([0xff, 0x00, 0x41]), 2))
    expect(r).toEqual({ t: 'bulk', v: '\ufffd\u0000A', b64: Buffer.from([0xff, 0, 0x41]).toString('base64') })
    expect(parseReply(encodeReply('é', 2))).toEqual([{ t: 'bulk', v: 'é' }])
  })

  it('rejects bytes that are not RESP', () => {
    expect(() => parseReply(Buffer.from('?x\r\n'))).toThrow(RespSyntaxError)
    expect(() => parseReply(Buffer.from(':1x\r\n'))).toThrow(RespSyntaxError)
    expect(() => parseReply(Buffer.from('$1\r\nab\r\n'))).toThrow(RespSyntaxError)
  })
})

describe('RequestParser', () => {
  it('parses a multibulk pipeline', () => {
    const { cmds, error } = parseRequests(['*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n'])
    expect(error).toBeNull()
    expect(cmds).toEqual([['GET', 'k'], ['PING']])
  })

  it('keeps binary arguments intact and owns them', () => {
    const chunk = Buffer.from('*2\r\n$4\r\n\x00\r\n\xff\r\n$0\r\n\r\n', 'latin1')
    const p = new RequestParser()
    p.feed(chunk)
    const argv = p.next()!
    chunk.fill(0x7a)
    expect(argv.map((a) => [...a])).toEqual([[0, 13, 10, 255], []])
  })

  it('skips empty commands and blank inline lines', () => {
    const { cmds } = parseRequests(['*0\r\n*-1\r\n\r\n\n   \r\nPING\n'])
    expect(cmds).toEqual([['PING']])
  })

  it('does not check the byte after CR nor the two bytes after a bulk, like Redis', () => {
    expect(parseRequests(['*1\rX$4\r\nPING\r\n']).cmds).toEqual([['PING']])
    expect(parseRequests(['*1\r\n$4\r\nPINGXY*1\r\n$1\r\na\r\n']).cmds).toEqual([['PING'], ['a']])
  })

  it('parses a pipeline split at every byte boundary', () => {
    const wire = Buffer.concat([
      encodeCommand(['SET', 'key', 'vé\r\n']),
      Buffer.from('PING "a b" \'c\'\r\n'),
      encodeCommand(['MGET', 'a', 'b', '']),
      Buffer.from('ECHO x\n'),
    ])
    const expected = [['SET', 'key', 'vé\r\n'], ['PING', 'a b', 'c'], ['MGET', 'a', 'b', ''], ['ECHO', 'x']]
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b += 7) {
        const p = new RequestParser()
        const got: string[][] = []
        for (const part of [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)]) {
          p.feed(part)
          for (let argv; (argv = p.next()) !== null; ) got.push(argv.map((x) => x.toString('utf8')))
        }
        expect(p.error).toBeNull()
        expect(got).toEqual(expected)
        expect(p.buffered).toBe(0)
      }
    }
    // and one byte at a time
    const p = new RequestParser()
    const got: string[][] = []
    for (let i = 0; i < wire.length; i++) {
      p.feed(wire.subarray(i, i + 1))
      for (let argv; (argv = p.next()) !== null; ) got.push(argv.map((x) => x.toString('utf8')))
    }
    expect(got).toEqual(expected)
  })

  it('reports midCommand while a command is incomplete', () => {
    const p = new RequestParser()
    p.feed(Buffer.from('*2\r\n$3\r\nGET\r\n'))
    expect(p.next()).toBeNull()
    expect(p.midCommand).toBe(true)
    p.feed(Buffer.from('$1\r\nk\r\n'))
    expect(p.next()!.map(String)).toEqual(['GET', 'k'])
    expect(p.midCommand).toBe(false)
  })

  it('handles a large argument arriving in many chunks', () => {
    const value = Buffer.alloc(3_000_000, 0x62)
    const wire = encodeCommand(['SET', 'k', value])
    const p = new RequestParser()
    let argv: Array<Buffer | string> | null = null
    for (let i = 0; i < wire.length; i += 65536) {
      p.feed(wire.subarray(i, i + 65536))
      argv = p.next() ?? argv
    }
    expect(argv).not.toBeNull()
    expect((argv![2] as Buffer).equals(value)).toBe(true)
  })

  describe('inline commands', () => {
    const cases: [string, string[]][] = [
      ['GET k', ['GET', 'k']],
      ['  SET   k\tv  ', ['SET', 'k', 'v']],
      ['ECHO "a b"', ['ECHO', 'a b']],
      ['ECHO "\\x41\\x4a\\n\\r\\t\\b\\a\\"\\\\\\q"', ['ECHO', 'AJ\n\r\t\b\x07"\\q']],
      ['ECHO "\\xZZ"', ['ECHO', 'xZZ']],
      ['ECHO "\\x4"', ['ECHO', 'x4']],
      ["ECHO 'a\\'b'", ['ECHO', "a'b"]],
      ["ECHO 'a\\\\b'", ['ECHO', 'a\\\\b']],
      ['ECHO ""', ['ECHO', '']],
      ["ECHO ''", ['ECHO', '']],
      ['ECHO a"b c"', ['ECHO', 'ab c']],
      ["ECHO a'b c'", ['ECHO', 'ab c']],
      ['ECHO "a"\x0b', ['ECHO', 'a']],
      ['ECHO \x0bx\x0c', ['ECHO', 'x\x0c']],
      ['PING\rECHO', ['PING', 'ECHO']],
      ['ECHO \\x41', ['ECHO', '\\x41']],
      ['ECHO "\xe9"', ['ECHO', '\xe9']],
    ]
    for (const [line, argv] of cases) {
      it(`splits ${JSON.stringify(line)}`, () => {
        expect(parseRequests([line + '\r\n']).cmds).toEqual([argv])
        expect(parseRequests([line + '\n']).cmds).toEqual([argv])
        expect(splitInlineArgs(Buffer.from(line, 'latin1'))!.map((a) => a.toString('latin1'))).toEqual(argv)
      })
    }

    for (const bad of ['ECHO "a', "ECHO 'a", 'ECHO "a"b', "ECHO 'a'b", 'ECHO "a\\"']) {
      it(`rejects ${JSON.stringify(bad)}`, () => {
        expect(splitInlineArgs(bad)).toBeNull()
        const { cmds, error } = parseRequests(['PING\r\n' + bad + '\r\nPING\r\n'])
        expect(cmds).toEqual([['PING']])
        expect(error).toBe('ERR Protocol error: unbalanced quotes in request')
      })
    }

    it('takes strings as UTF-8 and stops at NUL', () => {
      expect(splitInlineArgs('SET é "\\xff"')!.map((a) => [...a])).toEqual([[83, 69, 84], [0xc3, 0xa9], [0xff]])
      expect(splitInlineArgs('GET a\u0000b c')!.map(String)).toEqual(['GET', 'a'])
      expect(splitInlineArgs('')).toEqual([])
    })
  })

  describe('protocol errors', () => {
    const errors: [string, string][] = [
      ['*x\r\n', 'invalid multibulk length'],
      ['*\r\n', 'invalid multibulk length'],
      ['*01\r\n', 'invalid multibulk length'],
      ['*+1\r\n', 'invalid multibulk length'],
      ['*1 \r\n', 'invalid multibulk length'],
      ['*2147483648\r\n', 'invalid multibulk length'],
      ['*99999999999999999999\r\n', 'invalid multibulk length'],
      ['*1\r\n$-1\r\n', 'invalid bulk length'],
      ['*1\r\n$-0\r\n', 'invalid bulk length'],
      ['*1\r\n$04\r\n', 'invalid bulk length'],
      ['*1\r\n$\r\n', 'invalid bulk length'],
      ['*1\r\n$536870913\r\n', 'invalid bulk length'],
      ['*1\r\nfoo\r\n', "expected '$', got 'f'"],
      // The message cannot carry CR: Redis turns it into a space.
      ['*1\r\n\r\n', "expected '$', got ' '"],
      ['*2\r\n$1\r\na\r\n:1\r\n', "expected '$', got ':'"],
      ['ECHO "x\r\n', 'unbalanced quotes in request'],
    ]
    for (const [wire, msg] of errors) {
      it(`${JSON.stringify(wire)} → ${msg}`, () => {
        const { cmds, error, parser } = parseRequests(['PING\r\n' + wire + 'PING\r\n'])
        expect(cmds).toEqual([['PING']])
        expect(error).toBe('ERR Protocol error: ' + msg)
        // Nothing more comes out once failed, whatever arrives.
        parser.feed(Buffer.from('PING\r\n'))
        expect(parser.next()).toBeNull()
      })
    }

    it('accepts the largest multibulk count and bulk length', () => {
      expect(parseRequests(['*2147483647\r\n']).error).toBeNull()
      expect(parseRequests(['*1\r\n$536870912\r\n']).error).toBeNull()
    })

    it('limits lines to 64 KiB without a terminator', () => {
      const line = 'x'.repeat(INLINE_MAX_SIZE)
      expect(parseRequests([line]).error).toBeNull()
      expect(parseRequests([line + 'x']).error).toBe('ERR Protocol error: too big inline request')
      expect(parseRequests([line, 'x']).error).toBe('ERR Protocol error: too big inline request')
      // The limit counts every byte before LF (CR included), whatever the chunking.
      expect(parseRequests(['ECHO ' + 'a'.repeat(INLINE_MAX_SIZE - 6) + '\r\n']).cmds[0]![1]!.length).toBe(
        INLINE_MAX_SIZE - 6,
      )
      expect(parseRequests(['ECHO ' + 'a'.repeat(INLINE_MAX_SIZE - 5) + '\r\n']).error).toBe(
        'ERR Protocol error: too big inline request',
      )
      expect(parseRequests(['*' + '1'.repeat(INLINE_MAX_SIZE + 1)]).error).toBe(
        'ERR Protocol error: too big mbulk count string',
      )
      expect(parseRequests(['*1\r\n$' + '1'.repeat(INLINE_MAX_SIZE + 1)]).error).toBe(
        'ERR Protocol error: too big bulk count string',
      )
    })

    it('waits at a NUL byte before a line terminator, as Redis (strchr) does', () => {
      const r = parseRequests(['*1\x00\r\n'])
      expect(r.cmds).toEqual([])
      expect(r.error).toBeNull()
      r.parser.feed(Buffer.alloc(INLINE_MAX_SIZE, 0x61))
      expect(r.parser.next()).toBeNull()
      expect(r.parser.error?.message).toBe('ERR Protocol error: too big mbulk count string')
      expect(parseRequests(['GET a\x00b\r\n']).cmds).toEqual([])
    })

    it('applies configured and unauthenticated limits', () => {
      expect(parseRequests(['*1\r\n$11\r\n'], { maxBulkLen: 10 }).error).toBe('ERR Protocol error: invalid bulk length')
      expect(parseRequests(['*1\r\n$10\r\n'], { maxBulkLen: 10 }).error).toBeNull()
      expect(parseRequests(['*1048577\r\n'], { maxMultibulkLen: 1048576 }).error).toBe(
        'ERR Protocol error: invalid multibulk length',
      )
      expect(parseRequests(['*11\r\n'], { authenticated: false }).error).toBe(
        'ERR Protocol error: unauthenticated multibulk length',
      )
      expect(parseRequests(['*10\r\n'], { authenticated: false }).error).toBeNull()
      expect(parseRequests(['*1\r\n$16385\r\n'], { authenticated: false }).error).toBe(
        'ERR Protocol error: unauthenticated bulk length',
      )
      expect(parseRequests(['*1\r\n$16384\r\n'], { authenticated: false }).error).toBeNull()
      const p = new RequestParser({ authenticated: false })
      p.authenticated = true
      p.feed(Buffer.from('*11\r\n'))
      expect(p.next()).toBeNull()
      expect(p.error).toBeNull()
    })
  })
})

describe('properties', () => {
  const arg = fc.oneof(
    fc.uint8Array({ maxLength: 40, size: 'max' }).map((a) => Buffer.from(a)),
    fc.string({ maxLength: 20, size: 'max' }).map((s) => Buffer.from(s, 'utf8')),
    // Long ASCII arguments, and the same with one byte past ASCII (the two checks of `strings`).
    fc.string({ minLength: 30, maxLength: 90 }).map((s) => Buffer.from(s, 'latin1')),
    fc.tuple(fc.string({ minLength: 30, maxLength: 90 }), fc.nat(), fc.integer({ min: 128, max: 255 })).map(([s, at, c]) => {
      const b = Buffer.from(s, 'latin1')
      if (b.length > 0) b[at % b.length] = c
      return b
    }),
    fc.constantFrom(Buffer.from('\r\n'), Buffer.from('*1\r\n'), Buffer.from('$'), Buffer.alloc(0)),
  )
  const argvs = fc.array(fc.array(arg, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 })

  /** Splits `b` at the given (sorted, deduplicated) offsets. */
  const cutAt = (b: Buffer, cuts: number[]): Buffer[] => {
    const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y)
    const out: Buffer[] = []
    let prev = 0
    for (const c of points) {
      out.push(b.subarray(prev, c))
      prev = c
    }
    out.push(b.subarray(prev))
    return out
  }

  it('multibulk: encode then parse in random chunks gives back the argv', () => {
    fc.assert(
      fc.property(argvs, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (cmds, cuts, strings) => {
        const wire = Buffer.concat(cmds.map((argv) => Buffer.from(encodeCommand(argv))))
        const p = new RequestParser({ strings })
        const got: Array<Buffer | string>[] = []
        for (const part of cutAt(wire, cuts)) {
          p.feed(part)
          for (let argv; (argv = p.next()) !== null; ) got.push(argv)
        }
        expect(p.error).toBeNull()
        const bytes = (x: Buffer | string): Buffer => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x)
        expect(got.map((a) => a.map((x) => bytes(x).toString('hex')))).toEqual(cmds.map((a) => a.map((x) => x.toString('hex'))))
        // Under `strings`, exactly the all-ASCII arguments are strings (these are all shorter than BIG_ARG).
        const ascii = (b: Buffer): boolean => b.every((c) => c < 128)
        expect(got.map((a) => a.map((x) => typeof x === 'string'))).toEqual(cmds.map((a) => a.map((x) => strings && ascii(x))))
      }),
    )
  })

  it('strings: arguments of BIG_ARG bytes or more stay Buffers, in one pass and in chunks', () => {
    const small = 'a'.repeat(BIG_ARG - 1)
    const big = 'b'.repeat(BIG_ARG)
    const wire = encodeCommand(['SET', small, big])
    for (const cut of [0, 10, 100, wire.length - 3]) {
      const p = new RequestParser({ strings: true })
      const got: Array<Buffer | string>[] = []
      for (const part of cut === 0 ? [wire] : [wire.subarray(0, cut), wire.subarray(cut)]) {
        p.feed(part)
        for (let argv; (argv = p.next()) !== null; ) got.push(argv)
      }
      expect(got.length).toBe(1)
      const [name, k, v] = got[0]!
      expect([name, k]).toEqual(['SET', small])
      expect(Buffer.isBuffer(v) && v.toString('latin1') === big).toBe(true)
    }
  })

  it('strings: a command read in one pass after a partial header was scanned leaves no stale scan behind', () => {
    const p = new RequestParser({ strings: true })
    const got: string[][] = []
    for (const part of ['*1\r\n$4\r\nPING\r\n*1', '\r\n$3\r\nSET\r\n\r\n*1\r\n$6\r\nAPPEND\r\n']) {
      p.feed(Buffer.from(part))
      for (let argv; (argv = p.next()) !== null; ) got.push(argv.map(String))
    }
    expect({ got, error: p.error }).toEqual({ got: [['PING'], ['SET'], ['APPEND']], error: null })
  })

  it('strings: damaged requests in random chunks read the same as without it, errors included', () => {
    // Well-formed commands with bytes overwritten by protocol characters and digits: signs, leading
    // zeros, missing or misplaced CR/LF, wrong lengths, counts past what follows; inline lines between.
    const noise = fc.constantFrom(...'*$\r\n-+0123456789 a'.split('').map((c) => c.charCodeAt(0)))
    const inline = fc.constantFrom('', '\r\n', '\r\n', '\n', 'PING\r\n', 'ECHO "a b"\r\n', '*0\r\n')
    const damaged = fc
      .tuple(fc.array(fc.tuple(fc.array(arg, { minLength: 1, maxLength: 6 }), inline), { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), noise), { maxLength: 3 }))
      .map(([cmds, hits]) => {
        const wire = Buffer.concat(cmds.flatMap(([argv, line]) => [Buffer.from(encodeCommand(argv)), Buffer.from(line)]))
        for (const [at, c] of hits) wire[at % wire.length] = c
        return wire
      })
    fc.assert(
      fc.property(damaged, fc.array(fc.nat(), { maxLength: 24 }), fc.boolean(), (wire, cuts, authenticated) => {
        const read = (strings: boolean) => {
          const p = new RequestParser({ strings, authenticated, maxBulkLen: 64 })
          const got: string[][] = []
          for (const part of cutAt(wire, cuts)) {
            p.feed(part)
            for (let argv; (argv = p.next()) !== null; ) got.push(argv.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : x).toString('hex')))
          }
          return { got, error: p.error?.message ?? null }
        }
        expect(read(true)).toEqual(read(false))
      }),
      { numRuns: 2000 },
    )
  })

  /** Quotes an argument for an inline command (like redis-cli's sdscatrepr). */
  const quote = (b: Buffer): string => {
    let s = '"'
    for (const c of b) {
      if (c === 34 || c === 92) s += '\\' + String.fromCharCode(c)
      else if (c >= 32 && c < 127) s += String.fromCharCode(c)
      else s += '\\x' + c.toString(16).padStart(2, '0')
    }
    return s + '"'
  }

  it('inline: quoted arguments parse back to the same bytes', () => {
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), (argv, cuts) => {
        const wire = Buffer.from(argv.map(quote).join(' ') + '\r\n', 'latin1')
        // Inline arguments are Buffers even under `strings`.
        const p = new RequestParser({ strings: true })
        const got: Array<Buffer | string>[] = []
        for (const part of cutAt(wire, cuts)) {
          p.feed(part)
          for (let a; (a = p.next()) !== null; ) got.push(a)
        }
        expect(got.map((a) => a.map((x) => (x as Buffer).toString('hex')))).toEqual([argv.map((x) => x.toString('hex'))])
      }),
    )
  })

  /** What ReplyParser should make of a reply encoded in RESP3. */
  const tagged = (r: Reply): Tagged => {
    if (typeof r === 'string') return { t: 'bulk', v: r }
    if (typeof r === 'number' || typeof r === 'bigint') return { t: 'int', v: String(r) }
    if (r === null || r === NULL_ARRAY) return { t: 'null' }
    if (Array.isArray(r)) return { t: 'array', v: r.map(tagged) }
    if (r instanceof Status) return { t: 'status', v: r.value }
    if (r instanceof ReplyError) return { t: 'error', v: r.message }
    if (r instanceof MapReply) return { t: 'map', v: r.entries.map(tagged) }
    if (r instanceof SetReply) return { t: 'set', v: r.items.map(tagged) }
    if (r instanceof Bool) return { t: 'bool', v: r.value }
    throw new Error('unexpected')
  }
  const reply: fc.Arbitrary<Reply> = fc.letrec<{ r: Reply }>((tie) => ({
    r: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string({ maxLength: 10 }).filter((s) => s.isWellFormed()),
      fc.integer(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constant(null),
      fc.constant(NULL_ARRAY as Reply),
      fc.stringMatching(/^[a-zA-Z ]{0,10}$/).map((s) => new Status(s)),
      fc.stringMatching(/^ERR [a-z ]{0,10}$/).map((s) => new ReplyError(s)),
      fc.boolean().map((b) => new Bool(b)),
      fc.array(tie('r'), { maxLength: 4 }),
      fc.array(tie('r'), { maxLength: 3 }).map((a) => new SetReply(a)),
      fc.array(fc.tuple(tie('r'), tie('r')), { maxLength: 3 }).map((a) => new MapReply(a.flat())),
    ),
  })).r

  it('replies: RESP3 encoding parses back in random chunks', () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 }), (rs, cuts) => {
        const wire = Buffer.concat(rs.map((r) => Buffer.from(encodeReply(r, 3))))
        const p = new ReplyParser()
        const got: Tagged[] = []
        for (const part of cutAt(wire, cuts)) {
          p.feed(part)
          for (let t; (t = p.next()) !== undefined; ) got.push(t)
        }
        expect(got).toEqual(rs.map(tagged))
      }),
    )
  })
})

// The parser's protocol errors and inline splitting, checked against the real server.
describe.runIf(isValkeyAvailable())('RequestParser agrees with valkey-server', () => {
  let server: ValkeyServer
  beforeAll(async () => {
    server = await startValkey()
  }, 20_000)
  afterAll(async () => {
    await server?.stop()
  })

  const inputs = [
    'ECHO "\\x41\\x4a\\n\\q"\r\nECHO \'a\\\'b\'\r\nECHO c"d e"\r\n',
    'ECHO \x0bx\x0c\r\n',
    'PING\rECHO\r\n',
    'ECHO "a"b\r\n',
    "ECHO 'a\r\n",
    '*1\r\n$-1\r\n',
    '*x\r\n',
    '*2147483648\r\n',
    '*1\r\n$04\r\n',
    '*1\r\nfoo\r\n',
    '*1\r\n\r\n',
    '*1\rX$4\r\nPING\r\n',
    '*1\r\n$4\r\nPINGXY',
    '*0\r\n*-1\r\nPING\r\n',
    '*1\r\n$536870913\r\n',
  ]
  for (const input of inputs) {
    it(`same reply for ${JSON.stringify(input)}`, async () => {
      // Our side: run what the parser yields through a trivial PING/ECHO evaluator.
      const { cmds, error } = parseRequests([input])
      const ours: Tagged[] = cmds.map(([name, ...args]) =>
        name!.toUpperCase() === 'PING' && args.length === 0
          ? { t: 'status', v: 'PONG' }
          : { t: 'bulk', v: Buffer.from(args[args.length - 1]!, 'latin1').toString('utf8') },
      )
      if (error !== null) ours.push({ t: 'error', v: error })
      const c = await server.connect()
      c.write(Buffer.from(input, 'latin1'))
      // Valkey answers a pipeline in one burst: stop once as many replies as expected are in.
      const { data } = await c.drain(ours.length > 0 ? 2000 : 300, (d) => parseReply(d).length >= ours.length)
      c.close()
      expect(parseReply(data)).toEqual(ours)
    })
  }
})
