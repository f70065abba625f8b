/**
 * One client connection speaking RESP to a Session, independent of the
 * transport: the TCP server and the in-process ioredis connector both wrap it.
 *
 * Requests are parsed incrementally (pipelining, inline commands, Redis's
 * protocol limits and errors); replies are encoded in the session's protocol
 * (RESP2 or RESP3) into one buffer per batch. A command that blocks (its reply
 * is a Promise) holds back the commands pipelined after it, so replies keep
 * their order. Pub/sub messages arrive through the session's `out` sink; those
 * for the session's own running command follow its reply, as in Redis 7.2.
 */
import { Buffer } from 'node:buffer'
import { ReplyError, replyError } from '../core/errors.js'
import { Push, Replies, type Reply } from '../core/reply.js'
import { RequestParser, RespWriter, writeReply } from '../protocol/resp.js'
import { G, REPLY_ON, type Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
// A value import: it also makes sure the connection commands (CLIENT, HELLO, AUTH...) are in any bundle.
import { outputLimits } from '../commands/connection.js'

/** Where a connection's bytes go. */
export interface Transport {
  /** Sends bytes to the client (the buffer is not reused afterwards). */
  write(data: Buffer): void
  /** Closes after the bytes already written. */
  end(): void
  /** Closes now, dropping unsent bytes. */
  destroy(): void
  /** Bytes written but not yet taken by the client (for output buffer limits). */
  readonly pending: number
}

export interface ConnectionInfo {
  addr?: string
  laddr?: string
  fd?: number
}

const SLAB = 8 * 1024

/** Longest request text whose arguments may be slices of it (see `feedString`). */
const SLICE_TEXT_MAX = 256

/** Where the last successful parseMultibulk stopped. */
let parsedEnd = 0

/**
 * One `*N\r\n$len\r\narg\r\n…` command with ASCII arguments from a string at
 * `p` (where byte lengths equal string lengths); null if it is not exactly
 * that (the caller then uses the byte parser, which gives Redis's errors, on
 * the rest). Sets `parsedEnd`.
 */
function parseMultibulk(t: string, p: number, maxBulk: number, authenticated: boolean): string[] | null {
  if (t.charCodeAt(p) !== 42 /* * */) return null
  let i = p + 1
  let count = 0
  let c = t.charCodeAt(i)
  // Digits only, no leading zero: anything else is for the byte parser (and its errors).
  if (c < 49 || c > 57) return null
  while (c >= 48 && c <= 57) {
    count = count * 10 + (c - 48)
    c = t.charCodeAt(++i)
  }
  if (c !== 13 || t.charCodeAt(i + 1) !== 10 || count > (authenticated ? 1024 * 1024 : 10)) return null
  i += 2
  const argv: string[] = new Array(count)
  for (let k = 0; k < count; k++) {
    if (t.charCodeAt(i) !== 36 /* $ */) return null
    i++
    let len = 0
    c = t.charCodeAt(i)
    if (c < 48 || c > 57 || (c === 48 && t.charCodeAt(i + 1) !== 13)) return null
    while (c >= 48 && c <= 57) {
      len = len * 10 + (c - 48)
      c = t.charCodeAt(++i)
    }
    if (c !== 13 || t.charCodeAt(i + 1) !== 10 || len > maxBulk || (!authenticated && len > 16384)) return null
    i += 2
    const end = i + len
    if (end + 2 > t.length) return null
    // Only ASCII keeps string lengths equal to byte lengths; a multi-byte
    // character would lie inside this span (its character count is smaller).
    if (len <= 64) {
      for (let j = i; j < end; j++) if (t.charCodeAt(j) > 127) return null
    } else if (Buffer.byteLength(t.slice(i, end), 'utf8') !== len) return null
    if (t.charCodeAt(end) !== 13 || t.charCodeAt(end + 1) !== 10) return null
    argv[k] = t.slice(i, end)
    i = end + 2
  }
  parsedEnd = i
  return argv
}

export class RespConnection {
  readonly session: Session
  private readonly parser: RequestParser
  private readonly out = new RespWriter(SLAB)
  /** A blocked command's reply is awaited: later commands wait. */
  private waiting = false
  /** Inside session.execute: pushes for this session wait for the reply. */
  private executing = false
  private deferred: Reply[] | null = null
  private flushScheduled = false
  /** Closing: no more commands are read. */
  private closing = false
  /** Closing without ever closing: see `linger`. */
  private lingering = false
  private closed = false
  /** When the output first went over the soft limit (ms), 0 when under it. */
  private softSince = 0

  constructor(
    readonly store: StoreCore,
    private readonly transport: Transport,
    info: ConnectionInfo = {},
  ) {
    const s = (this.session = store.connect())
    s.addr = info.addr ?? ''
    s.laddr = info.laddr ?? ''
    s.fd = info.fd ?? -1
    s.out = (r) => this.push(r)
    s.kill = () => this.close()
    this.parser = new RequestParser({
      maxBulkLen: store.ks.config.get<number>('proto-max-bulk-len'),
      authenticated: s.authenticated,
      strings: true,
    })
  }

  /** Bytes received from the client. */
  feed(chunk: Buffer): void {
    if (this.closing) return
    const st = this.store.ks.stats
    st.netInputBytes += chunk.length
    st.readsProcessed++
    this.parser.feed(chunk)
    if (!this.waiting) this.process()
  }

  /**
   * Requests given as a string (what ioredis writes). ASCII multibulk
   * commands are parsed straight from the string, with string arguments (no
   * byte copies); anything else goes through the byte parser.
   *
   * Only short texts are: an argument of 13 characters or more sliced from a
   * string is a view that keeps the whole string alive, and a stored key or
   * value would hold on to a whole pipeline's text. The byte parser makes
   * every argument a string of its own.
   */
  feedString(text: string): void {
    if (this.closing) return
    if (this.waiting || this.parser.midCommand || text.length > SLICE_TEXT_MAX) {
      this.feed(Buffer.from(text, 'utf8'))
      return
    }
    // Characters stand for bytes (exact for the ASCII requests clients write; other text counts its characters).
    const st = this.store.ks.stats
    st.netInputBytes += text.length
    st.readsProcessed++
    const n = text.length
    const parser = this.parser
    let p = 0
    while (p < n && !this.waiting && !this.closing) {
      const argv = parseMultibulk(text, p, parser.maxBulkLen, parser.authenticated)
      if (argv === null) break
      p = parsedEnd
      this.run(argv)
      // AUTH changes the limits that apply to what follows.
      parser.authenticated = (this.session.gate & G.NOAUTH) === 0
    }
    if (p < n) {
      // The rest (inline, malformed, or after a blocked command) takes the general path.
      parser.feed(Buffer.from(text.slice(p), 'utf8'))
      if (!this.waiting && !this.closing) {
        this.process()
        return
      }
    }
    this.flush()
  }

  /** Runs every complete command received, then sends the replies in one write. */
  private process(): void {
    const parser = this.parser
    const s = this.session
    while (!this.waiting && !this.closing) {
      let argv: Array<Buffer | string> | null
      try {
        argv = parser.next()
      } catch (e) {
        this.internalError(e)
        break
      }
      if (argv === null) {
        if (parser.error !== null) {
          // Redis answers the protocol error (counted in INFO errorstats) and closes the connection.
          this.store.ks.countError(parser.error.message)
          this.write(parser.error)
          this.closeAfterFlush()
        }
        break
      }
      this.run(argv)
      parser.authenticated = (s.gate & G.NOAUTH) === 0
    }
    this.flush()
  }

  private run(argv: Array<string | Buffer>): void {
    const s = this.session
    let r: Reply | Promise<Reply>
    this.executing = true
    try {
      r = s.execute(argv)
    } catch (e) {
      r = this.internalError(e)
    } finally {
      this.executing = false
    }
    if (r instanceof Promise) {
      this.waiting = true
      s.waiting = true
      this.flushDeferred()
      r.then(
        (reply) => this.resume(reply),
        (e: unknown) => this.resume(e instanceof ReplyError ? e : this.internalError(e)),
      )
      return
    }
    this.reply(r)
  }

  private resume(r: Reply): void {
    this.waiting = false
    this.session.waiting = false
    this.session.served = false
    if (this.closed) return
    this.reply(r)
    if (this.closing) this.flush()
    else this.process()
  }

  private reply(r: Reply): void {
    const s = this.session
    const sent = s.replyMode === REPLY_ON || s.takeReply()
    if (sent) this.write(r)
    else this.writePushes(r)
    if (this.deferred !== null) this.flushDeferred()
    if (!s.closeAfterReply) return
    // QUIT (or CLIENT KILL of itself) unanswered under CLIENT REPLY OFF/SKIP, with nothing else to
    // send: Redis closes a connection once its output is written, so this one stays open and deaf.
    if (!sent && this.out.length === 0 && this.transport.pending === 0) this.linger()
    else this.closeAfterFlush()
  }

  /** Reads no more commands and sends nothing more, but stays connected (and subscribed) until closed. */
  private linger(): void {
    this.closing = true
    this.lingering = true
  }

  /**
   * Under CLIENT REPLY OFF or SKIP, the (un)subscribe confirmations a command answered still go out, in
   * RESP2 as in RESP3: Redis sends them as pushes, which reply suppression does not hold back.
   */
  private writePushes(r: Reply): void {
    if (r instanceof Push) this.write(r)
    else if (typeof r === 'object' && (r as unknown) instanceof Replies) {
      for (const x of (r as unknown as Replies).list) if (x instanceof Push) this.write(x)
    }
  }

  private write(r: Reply): void {
    const out = this.out
    const resp = this.session.resp
    try {
      writeReply(out, r, resp)
    } catch (e) {
      // An unencodable reply is a bug: report it to the client rather than break the stream.
      out.discard()
      writeReply(out, this.internalError(e), resp)
    }
  }

  /** A pub/sub message (or other push) for this connection. */
  private push(r: Reply): void {
    if (this.closed || this.lingering) return
    if (this.executing || this.session.served) {
      ;(this.deferred ??= []).push(r)
      return
    }
    this.write(r)
    if (this.checkOutputLimit()) return
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => {
        this.flushScheduled = false
        this.flush()
      })
    }
  }

  private flushDeferred(): void {
    const d = this.deferred
    if (d === null) return
    this.deferred = null
    for (const r of d) this.write(r)
  }

  /** Sends what was written since the last flush. */
  flush(): void {
    if (this.closed || this.out.length === 0) return
    const data = this.out.take()
    const st = this.store.ks.stats
    st.netOutputBytes += data.length
    st.writesProcessed++
    this.transport.write(data)
  }

  /**
   * The pub/sub class of client-output-buffer-limit: a subscriber that does
   * not read its messages is disconnected past the hard limit, or after
   * staying over the soft limit for its seconds. True when it was closed.
   */
  private checkOutputLimit(): boolean {
    const s = this.session
    if (!(s.gate & G.SUBSCRIBED)) return false
    const [hard, soft, secs] = outputLimits(this.store).pubsub
    const used = this.transport.pending + this.out.length
    if (hard > 0 && used >= hard) {
      this.close()
      return true
    }
    if (soft > 0 && used >= soft) {
      const now = Date.now()
      if (this.softSince === 0) this.softSince = now
      else if (now - this.softSince >= secs * 1000) {
        this.close()
        return true
      }
    } else this.softSince = 0
    return false
  }

  private closeAfterFlush(): void {
    if (this.closing) return
    this.closing = true
    this.flush()
    this.transport.end()
    this.session.close()
  }

  /** The transport went away (or the connection is killed): drops the session's state. */
  close(): void {
    if (this.closed) return
    this.closing = true
    this.closed = true
    this.session.close()
    this.transport.destroy()
  }

  private internalError(e: unknown): ReplyError {
    const msg = e instanceof Error ? e.message : String(e)
    return replyError(`internal error: ${msg}`)
  }
}
