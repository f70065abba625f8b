/**
 * RESP codec: reply encoding (RESP2 and RESP3), an incremental parser for client
 * requests (multibulk and inline, with Redis's limits and protocol errors), and
 * an incremental parser for server replies into a JSON-friendly tagged form.
 */
import { Buffer, isAscii, isUtf8 } from 'node:buffer'
import { ReplyError, replyError } from '../core/errors.js'
import {
  BigNumber,
  Bool,
  Double,
  MapReply,
  NULL_ARRAY,
  Push,
  Replies,
  SetReply,
  Status,
  Verbatim,
  type Reply,
} from '../core/reply.js'
import { formatDouble } from '../core/numbers.js'
import { BIN_MARK } from '../core/bytes.js'

const CR = 13
const LF = 10

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

const DEFAULT_SLAB = 16 * 1024

/**
 * Accumulates encoded output in a growable slab. `take()` hands out the bytes
 * written since the previous `take()` as a view onto the slab and keeps writing
 * after them, so handed-out Buffers are never overwritten and a pipeline of
 * replies costs no per-reply allocation or concatenation.
 */
export class RespWriter {
  private buf: Buffer
  private start = 0
  private pos = 0
  private readonly slab: number

  constructor(slabSize = DEFAULT_SLAB) {
    this.slab = slabSize > 64 ? slabSize : 64
    this.buf = Buffer.allocUnsafe(this.slab)
  }

  /** Bytes written since the last `take()`. */
  get length(): number {
    return this.pos - this.start
  }

  /** Makes room for `n` more bytes, moving the pending output to a new slab if needed. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const pending = this.pos - this.start
    let size = this.slab
    while (size < pending + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, this.start, this.pos)
    this.buf = next
    this.start = 0
    this.pos = pending
  }

  /** Returns everything written since the last call and starts a new message. */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.pos)
    this.start = this.pos
    // After a huge reply, do not keep the huge slab alive for tiny ones.
    if (this.buf.length > this.slab * 4) {
      this.buf = Buffer.allocUnsafe(this.slab)
      this.start = this.pos = 0
    }
    return out
  }

  /** Drops everything written since the last `take()`. */
  discard(): void {
    this.pos = this.start
  }

  /** A single byte. */
  byte(b: number): void {
    if (this.pos >= this.buf.length) this.reserve(1)
    this.buf[this.pos++] = b
  }

  crlf(): void {
    if (this.pos + 2 > this.buf.length) this.reserve(2)
    this.buf[this.pos++] = CR
    this.buf[this.pos++] = LF
  }

  /** A string whose characters are all below 0x100, written one byte per character. */
  latin1(s: string): void {
    const n = s.length
    if (this.pos + n > this.buf.length) this.reserve(n)
    if (n < 32) {
      const b = this.buf
      let p = this.pos
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i)
      this.pos = p
    } else {
      this.pos += this.buf.write(s, this.pos, n, 'latin1')
    }
  }

  /** A string as UTF-8. */
  utf8(s: string): void {
    const n = Buffer.byteLength(s, 'utf8')
    this.reserve(n)
    this.pos += this.buf.write(s, this.pos, n, 'utf8')
  }

  bytes(src: Uint8Array): void {
    const n = src.length
    this.reserve(n)
    this.buf.set(src, this.pos)
    this.pos += n
  }

  /** A decimal integer (number must be integral). */
  int(v: number | bigint): void {
    if (typeof v === 'bigint') {
      this.latin1(String(v))
      return
    }
    if (v > Number.MAX_SAFE_INTEGER || v < -Number.MAX_SAFE_INTEGER) {
      // The exact value of the double, not its shortest JS spelling.
      this.latin1(BigInt(v).toString())
      return
    }
    if (this.pos + 17 > this.buf.length) this.reserve(17)
    const b = this.buf
    if (v < 0) {
      b[this.pos++] = 45
      v = -v
    }
    if (v < 10) {
      b[this.pos++] = 48 + v
      return
    }
    let digits = 1
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++
    let p = this.pos + digits
    this.pos = p
    do {
      const q = Math.floor(v / 10)
      b[--p] = 48 + (v - q * 10)
      v = q
    } while (v > 0)
  }

  /** `<prefix><n>\r\n`, the header of aggregates and bulk strings. */
  header(prefix: number, n: number | bigint): void {
    this.byte(prefix)
    this.int(n)
    this.crlf()
  }
}

// ---------------------------------------------------------------------------
// Reply encoding
// ---------------------------------------------------------------------------

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

const BIN_MARK_CODE = BIN_MARK.charCodeAt(0)

/** A string as a bulk: its UTF-8 bytes, or the bytes a BIN_MARK string stands for. */
function writeBulkString(out: RespWriter, s: string): void {
  const n = s.length
  // Short ASCII strings (the common case) skip the UTF-8 length computation.
  if (n <= 64) {
    let ascii = true
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false
        break
      }
    }
    if (ascii) {
      out.header(36, n)
      out.latin1(s)
      out.crlf()
      return
    }
  }
  if (s.charCodeAt(0) === BIN_MARK_CODE) {
    // A canonical string for non-UTF-8 bytes (core/bytes.ts): the bytes follow the mark as latin1.
    out.header(36, n - 1)
    out.latin1(s.slice(1))
    out.crlf()
    return
  }
  out.header(36, Buffer.byteLength(s, 'utf8'))
  out.utf8(s)
  out.crlf()
}

function writeBulkBytes(out: RespWriter, b: Uint8Array): void {
  out.header(36, b.length)
  out.bytes(b)
  out.crlf()
}

/** Status and error lines cannot carry CR or LF; Redis turns them into spaces. */
function writeLine(out: RespWriter, prefix: number, s: string): void {
  out.byte(prefix)
  const n = s.length
  // Short ASCII lines without CR or LF (OK, QUEUED, PONG, most errors) go out byte by byte: no
  // UTF-8 length computation, no scans for line breaks.
  if (n <= 64) {
    let plain = true
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c > 0x7f || c === CR || c === LF) {
        plain = false
        break
      }
    }
    if (plain) {
      out.latin1(s)
      out.crlf()
      return
    }
  }
  if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0) s = s.replace(/[\r\n]/g, ' ')
  out.utf8(s)
  out.crlf()
}

function writeDouble(out: RespWriter, d: number, resp: 2 | 3, text?: string): void {
  const s = text ?? formatDouble(d)
  if (resp === 3) {
    out.byte(44)
    out.latin1(s)
    out.crlf()
  } else {
    out.header(36, s.length)
    out.latin1(s)
    out.crlf()
  }
}

/** Nesting past which aggregates are written by a loop instead of recursion (a script reply can nest ~8,000 deep). */
const DEEP = 256

function writeItems(out: RespWriter, items: readonly Reply[], resp: 2 | 3, depth: number): void {
  if (depth >= DEEP) return writeDeep(out, items, resp)
  for (let i = 0; i < items.length; i++) writeReply(out, items[i]!, resp, depth + 1)
}

/**
 * Writes the header of an aggregate (array, map, set, push; nothing for a queued command's
 * replies) and returns its elements, or returns undefined for any other reply.
 */
function openAggregate(out: RespWriter, r: Reply, resp: 2 | 3): readonly Reply[] | undefined {
  if (r === null || typeof r !== 'object') return undefined
  if (Array.isArray(r)) {
    out.header(42, r.length)
    return r
  }
  if (r instanceof MapReply) {
    const e = r.entries
    if (resp === 3) out.header(37, e.length >>> 1)
    else out.header(42, e.length)
    return e
  }
  if (r instanceof SetReply) {
    out.header(resp === 3 ? 126 : 42, r.items.length)
    return r.items
  }
  if (r instanceof Push) {
    out.header(resp === 3 ? 62 : 42, r.items.length)
    return r.items
  }
  if ((r as unknown) instanceof Replies) return (r as unknown as Replies).list
  return undefined
}

/** Writes deeply nested elements with a stack of its own. */
function writeDeep(out: RespWriter, items: readonly Reply[], resp: 2 | 3): void {
  const stack: Array<{ items: readonly Reply[]; i: number }> = [{ items, i: 0 }]
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!
    if (f.i === f.items.length) {
      stack.pop()
      continue
    }
    const x = f.items[f.i++]!
    const inner = openAggregate(out, x, resp)
    if (inner !== undefined) stack.push({ items: inner, i: 0 })
    else writeReply(out, x, resp)
  }
}

/** Appends the RESP encoding of `reply` to `out`. */
export function writeReply(out: RespWriter, reply: Reply, resp: 2 | 3, depth = 0): void {
  switch (typeof reply) {
    case 'string':
      writeBulkString(out, reply)
      return
    case 'number':
      if (Number.isInteger(reply)) {
        out.header(58, reply)
      } else {
        // Only integral numbers are integer replies; anything else can only be a double.
        writeDouble(out, reply, resp)
      }
      return
    case 'bigint':
      if (resp === 3 && (reply < INT64_MIN || reply > INT64_MAX)) out.header(40, reply)
      else out.header(58, reply)
      return
    case 'symbol':
      if (reply === NULL_ARRAY) {
        if (resp === 3) out.latin1('_\r\n')
        else out.latin1('*-1\r\n')
        return
      }
      break
    case 'object':
      if (reply === null) {
        if (resp === 3) out.latin1('_\r\n')
        else out.latin1('$-1\r\n')
        return
      }
      if (Array.isArray(reply)) {
        out.header(42, reply.length)
        writeItems(out, reply, resp, depth)
        return
      }
      if (reply instanceof Uint8Array) {
        writeBulkBytes(out, reply)
        return
      }
      if (reply instanceof Status) {
        writeLine(out, 43, reply.value)
        return
      }
      if (reply instanceof ReplyError) {
        writeLine(out, 45, reply.message)
        return
      }
      if (reply instanceof Double) {
        writeDouble(out, reply.value, resp, reply.text)
        return
      }
      if (reply instanceof Bool) {
        if (resp === 3) out.latin1(reply.value ? '#t\r\n' : '#f\r\n')
        else out.latin1(reply.value ? ':1\r\n' : ':0\r\n')
        return
      }
      if (reply instanceof BigNumber) {
        if (resp === 3) {
          out.latin1('(')
          out.utf8(reply.value)
          out.crlf()
        } else writeBulkString(out, reply.value)
        return
      }
      if (reply instanceof Verbatim) {
        if (resp === 3) {
          const fmt = (reply.format + '   ').slice(0, 3)
          out.header(61, Buffer.byteLength(reply.value, 'utf8') + 4)
          out.latin1(fmt)
          out.byte(58)
          out.utf8(reply.value)
          out.crlf()
        } else {
          writeBulkString(out, reply.value)
        }
        return
      }
      {
        const items = openAggregate(out, reply, resp)
        if (items !== undefined) {
          writeItems(out, items, resp, depth)
          return
        }
      }
      break
  }
  throw new TypeError(`cannot encode a reply of type ${describe(reply)}`)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object'
  return typeof v
}

const shared = new RespWriter(8 * 1024)

/** The RESP encoding of one reply. */
export function encodeReply(reply: Reply, resp: 2 | 3): Buffer {
  try {
    writeReply(shared, reply, resp)
  } catch (e) {
    shared.discard()
    throw e
  }
  return shared.take()
}

/** Appends the multibulk encoding of a command (what clients send) to `out`. */
export function writeCommand(out: RespWriter, argv: readonly (string | Uint8Array)[]): void {
  out.header(42, argv.length)
  for (const a of argv) {
    if (typeof a === 'string') writeBulkString(out, a)
    else writeBulkBytes(out, a)
  }
}

/** The multibulk encoding of a command. */
export function encodeCommand(argv: readonly (string | Uint8Array)[]): Buffer {
  writeCommand(shared, argv)
  return shared.take()
}

// ---------------------------------------------------------------------------
// Shared input buffering
// ---------------------------------------------------------------------------

/** Redis's PROTO_INLINE_MAX_SIZE: longest line accepted before its terminator. */
export const INLINE_MAX_SIZE = 64 * 1024

/**
 * Redis's PROTO_MBULK_BIG_ARG. Under the parser's `strings` option, arguments this long or longer
 * stay Buffers: their bytes live outside V8's heap (whose limit a server full of big values would
 * reach first), and no argument can exceed V8's longest string.
 */
export const BIG_ARG = 32 * 1024

/**
 * Unconsumed input: either a view onto the chunk last fed (parsed in place) or
 * an owned, growable buffer holding leftovers plus later chunks.
 */
class Input {
  data: Buffer = EMPTY
  start = 0
  end = 0
  private owned: Buffer | null = null

  get available(): number {
    return this.end - this.start
  }

  push(chunk: Uint8Array): void {
    const c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (c.length === 0) return
    if (this.start === this.end) {
      this.data = c
      this.start = 0
      this.end = c.length
      return
    }
    this.own(c.length)
    c.copy(this.data, this.end)
    this.end += c.length
  }

  /** Makes the unconsumed bytes live in the owned buffer, with room for `extra` more. */
  own(extra: number): void {
    const pending = this.end - this.start
    const owned = this.owned
    if (owned !== null && this.data === owned) {
      if (this.end + extra <= owned.length) return
      if (pending + extra <= owned.length >>> 1) {
        owned.copyWithin(0, this.start, this.end)
        this.start = 0
        this.end = pending
        return
      }
    } else if (owned !== null && pending + extra <= owned.length) {
      this.data.copy(owned, 0, this.start, this.end)
      this.data = owned
      this.start = 0
      this.end = pending
      return
    }
    let size = 16 * 1024
    while (size < pending + extra) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.data.copy(next, 0, this.start, this.end)
    this.owned = next
    this.data = next
    this.start = 0
    this.end = pending
  }

  /** Called when parsing stops for lack of data: never keep a caller's chunk. */
  keep(): void {
    if (this.start === this.end) {
      this.release()
      return
    }
    if (this.data !== this.owned) this.own(0)
  }

  release(): void {
    this.data = EMPTY
    this.start = this.end = 0
    // A big buffer (after a big argument) is not worth keeping around.
    if (this.owned !== null && this.owned.length > 1024 * 1024) this.owned = null
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * Redis's string2ll on bytes [from, to): optional '-', no leading zeros, no '+',
 * no spaces, at most 20 characters, within int64. NaN when invalid. Values
 * beyond 2^53 are approximate, which only matters for comparisons with limits.
 */
function parseLL(d: Uint8Array, from: number, to: number): number {
  const len = to - from
  if (len <= 0 || len > 20) return NaN
  let i = from
  let neg = false
  if (d[i] === 45) {
    neg = true
    i++
    if (i === to) return NaN
  }
  const first = d[i]!
  if (first === 48) return len === 1 ? 0 : NaN
  if (first < 49 || first > 57) return NaN
  if (to - i >= 16) {
    let big = 0n
    for (; i < to; i++) {
      const c = d[i]!
      if (c < 48 || c > 57) return NaN
      big = big * 10n + BigInt(c - 48)
    }
    if (neg) big = -big
    if (big < INT64_MIN || big > INT64_MAX) return NaN
    return Number(big)
  }
  let v = 0
  for (; i < to; i++) {
    const c = d[i]!
    if (c < 48 || c > 57) return NaN
    v = v * 10 + (c - 48)
  }
  return neg ? -v : v
}

// ---------------------------------------------------------------------------
// Inline argument splitting (sdssplitargs)
// ---------------------------------------------------------------------------

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
const hexVal = (c: number): number => (c <= 57 ? c - 48 : (c | 32) - 87)

/**
 * Splits bytes [from, to) into arguments the way Redis's sdssplitargs does for
 * inline commands (and redis-cli for its input): blanks separate arguments;
 * "double quotes" understand \xHH, \n, \r, \t, \b, \a and \<any>; 'single
 * quotes' understand only \'; a closing quote must be followed by a blank or
 * the end. Returns null on unbalanced quotes. The input must not contain NUL
 * bytes (Redis stops at the first one; callers cut there).
 */
function splitBytes(d: Uint8Array, from: number, to: number): Buffer[] | null {
  const out: Buffer[] = []
  // All arguments share one allocation, at most as long as the line.
  const store = Buffer.allocUnsafe(to - from)
  let w = 0
  let p = from
  for (;;) {
    while (p < to && isSpace(d[p]!)) p++
    if (p >= to) return out
    const tokenStart = w
    let inq = false
    let insq = false
    for (let done = false; !done; ) {
      const atEnd = p >= to
      const c = atEnd ? 0 : d[p]!
      if (inq) {
        if (c === 92 && p + 3 < to && d[p + 1] === 120 && isHex(d[p + 2]!) && isHex(d[p + 3]!)) {
          store[w++] = hexVal(d[p + 2]!) * 16 + hexVal(d[p + 3]!)
          p += 3
        } else if (c === 92 && p + 1 < to) {
          p++
          const e = d[p]!
          store[w++] = e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e
        } else if (c === 34 && !atEnd) {
          if (p + 1 < to && !isSpace(d[p + 1]!)) return null
          done = true
        } else if (atEnd) {
          return null
        } else {
          store[w++] = c
        }
      } else if (insq) {
        if (c === 92 && p + 1 < to && d[p + 1] === 39) {
          p++
          store[w++] = 39
        } else if (c === 39 && !atEnd) {
          if (p + 1 < to && !isSpace(d[p + 1]!)) return null
          done = true
        } else if (atEnd) {
          return null
        } else {
          store[w++] = c
        }
      } else if (atEnd || c === 32 || c === 10 || c === 13 || c === 9) {
        done = true
      } else if (c === 34) {
        inq = true
      } else if (c === 39) {
        insq = true
      } else {
        store[w++] = c
      }
      if (!atEnd) p++
    }
    out.push(store.subarray(tokenStart, w))
  }
}

/** True when bytes [s, e) of `d` are all ASCII (short spans are checked here, without a view). */
function isAsciiSpan(d: Buffer, s: number, e: number): boolean {
  if (e - s > 32) return isAscii(d.subarray(s, e))
  for (let i = s; i < e; i++) if (d[i]! > 127) return false
  return true
}

/**
 * Bytes [s, e) of `d` as a string argument (the parser's `strings` option): all ASCII and shorter
 * than BIG_ARG; else undefined, and the argument stays a Buffer.
 */
function stringArg(d: Buffer, s: number, e: number): string | undefined {
  return e - s < BIG_ARG && isAsciiSpan(d, s, e) ? asciiString(d, s, e) : undefined
}

/**
 * Bytes [s, e) of `d`, all ASCII, as a string. Short ones are built here: a native
 * `latin1Slice` call costs about 70 ns, several times the string itself.
 */
function asciiString(d: Buffer, s: number, e: number): string {
  switch (e - s) {
    case 0:
      return ''
    case 1:
      return String.fromCharCode(d[s]!)
    case 2:
      return String.fromCharCode(d[s]!, d[s + 1]!)
    case 3:
      return String.fromCharCode(d[s]!, d[s + 1]!, d[s + 2]!)
    case 4:
      return String.fromCharCode(d[s]!, d[s + 1]!, d[s + 2]!, d[s + 3]!)
    case 5:
      return String.fromCharCode(d[s]!, d[s + 1]!, d[s + 2]!, d[s + 3]!, d[s + 4]!)
    case 6:
      return String.fromCharCode(d[s]!, d[s + 1]!, d[s + 2]!, d[s + 3]!, d[s + 4]!, d[s + 5]!)
    case 7:
      return String.fromCharCode(d[s]!, d[s + 1]!, d[s + 2]!, d[s + 3]!, d[s + 4]!, d[s + 5]!, d[s + 6]!)
    case 8:
      return String.fromCharCode(d[s]!, d[s + 1]!, d[s + 2]!, d[s + 3]!, d[s + 4]!, d[s + 5]!, d[s + 6]!, d[s + 7]!)
    default:
      return d.latin1Slice(s, e)
  }
}

/**
 * Splits an inline command line into arguments with Redis's quoting rules
 * (see {@link RequestParser}); null when quotes are unbalanced. A string is
 * taken as its UTF-8 bytes. Like Redis, everything from a NUL byte on is ignored.
 */
export function splitInlineArgs(line: string | Uint8Array): Buffer[] | null {
  const b = typeof line === 'string' ? Buffer.from(line, 'utf8') : line
  let end = b.indexOf(0)
  if (end < 0) end = b.length
  return splitBytes(b, 0, end)
}

// ---------------------------------------------------------------------------
// Request parser
// ---------------------------------------------------------------------------

export interface RequestParserOptions {
  /** proto-max-bulk-len: longest accepted argument (default 512 MiB). */
  maxBulkLen?: number
  /** Largest accepted multibulk count (default INT_MAX, as Redis 7). */
  maxMultibulkLen?: number
  /**
   * False applies Redis's limits for clients that still have to AUTH: at most
   * 10 arguments and 16384 bytes per argument. Can be changed at any time.
   */
  authenticated?: boolean
  /**
   * Multibulk arguments made only of ASCII bytes, shorter than {@link BIG_ARG},
   * come as strings (their bytes as characters), the form the Store keeps keys
   * and values in: no Buffer is made for them, and none is converted. Others
   * stay Buffers. Default false.
   */
  strings?: boolean
}

/**
 * Incremental parser of client requests: RESP multibulk (`*N\r\n$len\r\n…`) and
 * inline commands, fed with chunks split anywhere.
 *
 * ```ts
 * parser.feed(chunk)
 * for (let argv; (argv = parser.next()) !== null; ) run(argv)
 * if (parser.error) { reply(parser.error); close() }
 * ```
 *
 * Each argument is a Buffer of its own, or a string under the `strings` option
 * (the parser never hands out views onto fed chunks, and keeps no reference to
 * a chunk once `next()` returned null).
 * Empty commands (`*0`, `*-1`, blank inline lines) are skipped, as Redis does.
 * On a protocol error `error` holds Redis's exact reply (`ERR Protocol error:
 * …`); commands before the error are still returned first, and nothing after.
 */
export class RequestParser {
  maxBulkLen: number
  maxMultibulkLen: number
  authenticated: boolean
  /** The protocol error, once one happened; the connection is then to be closed. */
  error: ReplyError | null = null

  private readonly input = new Input()
  /** Arguments still expected in the current multibulk (0: between commands). */
  private left = 0
  /** Length of the bulk being read, or -1 while its header is awaited. */
  private bulk = -1
  private argv: Array<Buffer | string> = []
  private readonly strings: boolean
  /** Bytes from `input.start` already scanned for a terminator (avoids rescans). */
  private scanned = 0

  constructor(options: RequestParserOptions = {}) {
    this.maxBulkLen = options.maxBulkLen ?? 512 * 1024 * 1024
    this.maxMultibulkLen = options.maxMultibulkLen ?? 2147483647
    this.authenticated = options.authenticated ?? true
    this.strings = options.strings ?? false
  }

  /** Adds received bytes. The chunk must not be modified until `next()` returns null. */
  feed(chunk: Uint8Array): void {
    if (this.error === null) this.input.push(chunk)
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.input.available
  }

  /** True while a command is partially received. */
  get midCommand(): boolean {
    return this.left > 0 || this.input.available > 0
  }

  /**
   * The next complete command, or null when more input is needed (or after an error). Arguments
   * are Buffers, or strings for the ASCII ones under the `strings` option.
   */
  next(): Array<Buffer | string> | null {
    if (this.error !== null) return null
    const inp = this.input
    if (this.strings && this.left === 0) {
      const argv = this.whole()
      if (argv !== null) return argv
    }
    for (;;) {
      if (this.left === 0) {
        if (inp.start >= inp.end) {
          inp.release()
          return null
        }
        if (inp.data[inp.start] === 42) {
          const cr = this.find(CR)
          if (cr < 0) {
            if (inp.available > INLINE_MAX_SIZE) return this.fail('too big mbulk count string')
            inp.keep()
            return null
          }
          if (cr + 1 >= inp.end) {
            inp.keep()
            return null
          }
          const n = parseLL(inp.data, inp.start + 1, cr)
          if (!(n <= this.maxMultibulkLen)) return this.fail('invalid multibulk length')
          if (n > 10 && !this.authenticated) return this.fail('unauthenticated multibulk length')
          // Redis skips the byte after '\r' without looking at it.
          inp.start = cr + 2
          this.scanned = 0
          if (n <= 0) continue
          this.left = n
          this.bulk = -1
        } else {
          const argv = this.inline()
          if (argv === undefined) return null
          if (argv.length > 0) return argv
          continue
        }
      }
      while (this.left > 0) {
        if (this.bulk < 0) {
          if (inp.start >= inp.end) {
            inp.keep()
            return null
          }
          const cr = this.find(CR)
          if (cr < 0) {
            if (inp.available > INLINE_MAX_SIZE) return this.fail('too big bulk count string')
            inp.keep()
            return null
          }
          if (cr + 1 >= inp.end) {
            inp.keep()
            return null
          }
          const c = inp.data[inp.start]!
          if (c !== 36) return this.fail(`expected '$', got '${String.fromCharCode(c)}'`)
          const n = parseLL(inp.data, inp.start + 1, cr)
          if (!(n >= 0 && n <= this.maxBulkLen)) return this.fail('invalid bulk length')
          if (n > 16384 && !this.authenticated) return this.fail('unauthenticated bulk length')
          inp.start = cr + 2
          this.scanned = 0
          this.bulk = n
        }
        const n = this.bulk
        // The two bytes after the payload are skipped unchecked, as Redis does.
        if (inp.end - inp.start < n + 2) {
          inp.keep()
          return null
        }
        const d = inp.data
        const s = inp.start
        let arg: Buffer | string | undefined = this.strings ? stringArg(d, s, s + n) : undefined
        if (arg === undefined) {
          arg = Buffer.allocUnsafe(n)
          if (n <= 32) for (let i = 0, j = s; i < n; i++, j++) arg[i] = d[j]!
          else d.copy(arg, 0, s, s + n)
        }
        inp.start += n + 2
        this.argv.push(arg)
        this.bulk = -1
        this.left--
      }
      const argv = this.argv
      this.argv = []
      return argv
    }
  }

  /**
   * The common case in one pass, under `strings`: a complete `*N\r\n$len\r\narg\r\n…` command at the
   * start of the input, written the plain way (no sign, no leading zero, within the limits) with
   * ASCII arguments shorter than BIG_ARG. Null, with nothing consumed, for anything else: the state machine of `next`
   * then reads it, with Redis's errors.
   */
  private whole(): string[] | null {
    const inp = this.input
    const d = inp.data
    const end = inp.end
    let i = inp.start
    if (d[i] !== 42 /* * */ || i + 3 >= end) return null
    let c = d[++i]!
    if (c < 49 || c > 57) return null
    let count = 0
    for (let digits = 0; c >= 48 && c <= 57; c = d[++i]!) {
      if (++digits > 9 || i >= end) return null
      count = count * 10 + (c - 48)
    }
    // Each argument takes at least 6 bytes ($0\r\n\r\n): no array is made for a count the input cannot hold.
    if (c !== 13 || i + 1 >= end || count > this.maxMultibulkLen || (count > 10 && !this.authenticated) || end - i < count * 6) return null
    i += 2
    const maxLen = this.authenticated ? this.maxBulkLen : Math.min(this.maxBulkLen, 16384)
    const argv: string[] = new Array(count)
    for (let k = 0; k < count; k++) {
      if (i + 3 >= end || d[i] !== 36 /* $ */) return null
      c = d[++i]!
      if (c < 48 || c > 57 || (c === 48 && d[i + 1] !== 13)) return null
      let len = 0
      for (let digits = 0; c >= 48 && c <= 57; c = d[++i]!) {
        if (++digits > 10 || i >= end) return null
        len = len * 10 + (c - 48)
      }
      if (c !== 13 || len > maxLen) return null
      const s = i + 2
      const e = s + len
      // The two bytes after the payload are skipped unchecked, as Redis does.
      if (e + 2 > end) return null
      const arg = stringArg(d, s, e)
      if (arg === undefined) return null
      argv[k] = arg
      i = e + 2
    }
    inp.start = i
    // What `find` scanned belonged to this command.
    this.scanned = 0
    return argv
  }

  /** One inline command: argv (possibly empty), or undefined when incomplete or failed. */
  private inline(): Buffer[] | undefined {
    const inp = this.input
    const lf = this.find(LF)
    if (lf < 0) {
      if (inp.available > INLINE_MAX_SIZE) this.fail('too big inline request')
      else inp.keep()
      return undefined
    }
    let lineEnd = lf
    if (lineEnd > inp.start && inp.data[lineEnd - 1] === CR) lineEnd--
    const argv = splitBytes(inp.data, inp.start, lineEnd)
    if (argv === null) {
      this.fail('unbalanced quotes in request')
      return undefined
    }
    inp.start = lf + 1
    this.scanned = 0
    return argv
  }

  /**
   * Index of the first `byte` at or after the start of the unconsumed input,
   * looking at most INLINE_MAX_SIZE + 1 bytes; -1 if absent. Like Redis's strchr,
   * a NUL byte ends the search (Redis then waits until the line limit is hit).
   */
  private find(byte: number): number {
    const inp = this.input
    const d = inp.data
    const limit = Math.min(inp.end, inp.start + INLINE_MAX_SIZE + 1)
    let i = inp.start + this.scanned
    for (; i < limit; i++) {
      const c = d[i]
      if (c === byte) return i
      if (c === 0) {
        this.scanned = i - inp.start
        return -1
      }
    }
    this.scanned = i - inp.start
    return -1
  }

  private fail(what: string): null {
    this.error = replyError('Protocol error: ' + what)
    this.input.release()
    this.argv = []
    this.left = 0
    return null
  }
}

// ---------------------------------------------------------------------------
// Reply parser
// ---------------------------------------------------------------------------

/**
 * A server reply in a JSON-friendly form. Integers keep all 64 bits as decimal
 * strings; a bulk string that is not valid UTF-8 also carries its exact bytes
 * in base64. Maps are flat `[k1, v1, k2, v2, …]`. RESP3 attributes, when
 * present, are attached to the value they precede.
 */
export type Tagged = (
  | { t: 'status'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: string }
  | { t: 'bulk'; v: string; b64?: string }
  | { t: 'nil' }
  | { t: 'array'; v: Tagged[] }
  | { t: 'nilarray' }
  | { t: 'null' }
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'bignum'; v: string }
  | { t: 'verbatim'; format: string; v: string; b64?: string }
  | { t: 'map'; v: Tagged[] }
  | { t: 'set'; v: Tagged[] }
  | { t: 'push'; v: Tagged[] }
) & { attr?: Tagged[] }

type AggregateKind = 'array' | 'map' | 'set' | 'push' | 'attr'

interface Frame {
  kind: AggregateKind
  left: number
  items: Tagged[]
  attr: Tagged[] | undefined
}

/** Thrown by ReplyParser on bytes that are not RESP. */
export class RespSyntaxError extends Error {
  override name = 'RespSyntaxError'
}

function bulkTagged(b: Buffer): Tagged {
  const v = b.toString('utf8')
  return isUtf8(b) ? { t: 'bulk', v } : { t: 'bulk', v, b64: b.toString('base64') }
}

/** Incremental parser of server replies (RESP2 and RESP3) into {@link Tagged} values. */
export class ReplyParser {
  private readonly input = new Input()
  private readonly stack: Frame[] = []
  private topAttr: Tagged[] | undefined = undefined
  /** Length of the bulk/verbatim/blob-error payload awaited, and its type byte. */
  private bulk = -1
  private bulkType = 0

  feed(chunk: Uint8Array): void {
    this.input.push(chunk)
  }

  /** The next complete reply, or undefined when more input is needed. */
  next(): Tagged | undefined {
    const inp = this.input
    for (;;) {
      let value: Tagged | undefined
      if (this.bulk >= 0) {
        if (inp.end - inp.start < this.bulk + 2) {
          inp.keep()
          return undefined
        }
        value = this.payload()
      } else {
        const lf = this.line()
        if (lf < 0) {
          inp.keep()
          return undefined
        }
        value = this.scalarOrHeader(lf)
        if (value === undefined) continue
      }
      const done = this.deliver(value)
      if (done !== undefined) return done
    }
  }

  /** Index of the LF ending the current line (which must end in CRLF), or -1. */
  private line(): number {
    const inp = this.input
    const j = inp.data.subarray(inp.start, inp.end).indexOf(LF)
    if (j < 0) return -1
    const i = inp.start + j
    if (j === 0 || inp.data[i - 1] !== CR) throw new RespSyntaxError('line not terminated by CRLF')
    return i
  }

  private payload(): Tagged {
    const inp = this.input
    const n = this.bulk
    const d = inp.data
    if (d[inp.start + n] !== CR || d[inp.start + n + 1] !== LF) throw new RespSyntaxError('bulk not terminated by CRLF')
    const b = Buffer.from(d.subarray(inp.start, inp.start + n))
    inp.start += n + 2
    this.bulk = -1
    if (this.bulkType === 36) return bulkTagged(b)
    if (this.bulkType === 33) return { t: 'error', v: b.toString('utf8') }
    // Verbatim: "fmt:" then the text.
    if (n < 4 || b[3] !== 58) throw new RespSyntaxError('verbatim string without format')
    const text = b.subarray(4)
    const v = text.toString('utf8')
    const format = b.subarray(0, 3).toString('latin1')
    return isUtf8(text) ? { t: 'verbatim', format, v } : { t: 'verbatim', format, v, b64: text.toString('base64') }
  }

  /** A complete scalar, or undefined after consuming a header (aggregate or bulk). */
  private scalarOrHeader(lf: number): Tagged | undefined {
    const inp = this.input
    const d = inp.data
    const type = d[inp.start]!
    const text = d.toString('utf8', inp.start + 1, lf - 1)
    inp.start = lf + 1
    switch (type) {
      case 43:
        return { t: 'status', v: text }
      case 45:
        return { t: 'error', v: text }
      case 58:
        if (!/^-?\d+$/.test(text)) throw new RespSyntaxError(`bad integer ${JSON.stringify(text)}`)
        return { t: 'int', v: text }
      case 95:
        return { t: 'null' }
      case 44:
        return { t: 'double', v: text }
      case 35:
        if (text !== 't' && text !== 'f') throw new RespSyntaxError(`bad boolean ${JSON.stringify(text)}`)
        return { t: 'bool', v: text === 't' }
      case 40:
        return { t: 'bignum', v: text }
      case 36:
      case 33:
      case 61: {
        const n = this.count(text)
        if (n < 0) {
          if (type !== 36) throw new RespSyntaxError('negative length')
          return { t: 'nil' }
        }
        this.bulk = n
        this.bulkType = type
        return undefined
      }
      case 42:
      case 37:
      case 126:
      case 62:
      case 124: {
        const n = this.count(text)
        const kind: AggregateKind =
          type === 42 ? 'array' : type === 37 ? 'map' : type === 126 ? 'set' : type === 62 ? 'push' : 'attr'
        if (n < 0) {
          if (type !== 42) throw new RespSyntaxError('negative length')
          return { t: 'nilarray' }
        }
        const left = kind === 'map' || kind === 'attr' ? n * 2 : n
        if (left === 0) {
          if (kind === 'attr') {
            this.setAttr([])
            return undefined
          }
          return { t: kind, v: [] } as Tagged
        }
        this.stack.push({ kind, left, items: [], attr: undefined })
        return undefined
      }
      default:
        throw new RespSyntaxError(`unknown reply type byte 0x${type.toString(16)}`)
    }
  }

  private count(text: string): number {
    if (!/^-?\d+$/.test(text)) throw new RespSyntaxError(`bad length ${JSON.stringify(text)}`)
    return Number(text)
  }

  private setAttr(items: Tagged[]): void {
    const top = this.stack[this.stack.length - 1]
    if (top === undefined) this.topAttr = items
    else top.attr = items
  }

  /** Adds a complete value to the open aggregates; returns it once a top-level reply is complete. */
  private deliver(value: Tagged): Tagged | undefined {
    for (;;) {
      const top = this.stack[this.stack.length - 1]
      if (top === undefined) {
        if (this.topAttr !== undefined) {
          value.attr = this.topAttr
          this.topAttr = undefined
        }
        return value
      }
      if (top.attr !== undefined) {
        value.attr = top.attr
        top.attr = undefined
      }
      top.items.push(value)
      if (--top.left > 0) return undefined
      this.stack.pop()
      if (top.kind === 'attr') {
        this.setAttr(top.items)
        return undefined
      }
      value = { t: top.kind, v: top.items } as Tagged
    }
  }
}
