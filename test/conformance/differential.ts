/**
 * Differential testing against a real server: seeded random command sequences, one generator per
 * command family (`fuzz/<family>.ts`), run on a fresh valkey-server database and on a fresh Store
 * session side by side; every reply must match (error text included).
 *
 *   npx tsx test/conformance/differential.ts <family|all> [--seeds 200] [--from 1] [--steps 80] [--resp 3] [--dump | --server] [--notify]
 *
 * `--notify` also compares, command by command, the keyspace notifications (KEA) of the two sides.
 *
 * Prints, per failing seed, the command sequence up to the first differing reply. A difference
 * found this way becomes a scenario in `scenarios/<family>.txt`, so the replay keeps covering it.
 * `differential.test.ts` runs a few seeds of every family live (when valkey-server is present).
 */
import type { Reply } from '../../src/core/reply.js'
import { lua } from '../../src/scripting/index.js'
import { ReplyParser, encodeReply, type Tagged } from '../../src/protocol/resp.js'
import { Store } from '../../src/index.js'
import type { Effect } from '../../src/keyspace/keyspace.js'
import { RespClient, type ValkeyServer } from '../helpers/valkey.js'
import { lzfDecompress } from '../../src/persistence/rdb/lzf.js'
import { canonical, replyMatches, showReply, type Annotation } from './harness.js'
import { FAMILIES } from './fuzz/index.js'
import type { Cmd } from './fuzz/gen.js'
import { CONFIG_DEFAULTS, Rng } from './fuzz/gen.js'

export { FAMILIES }

/** Valkey 8's defaults that differ from Redis 7.2's, set back for the run. */
export const REDIS72_DEFAULTS = ['--hash-max-listpack-entries', '128']

/** The first differing step of one seed's run. */
export interface Divergence {
  family: string
  seed: number
  /** Commands up to and including the differing one, in redis-cli notation. */
  commands: string[]
  expected: string
  actual: string
  /** What `expected` and `actual` show (valkey's reply and embedis's, unless a check says otherwise). */
  labels?: [string, string]
}

/** A reply as it would reach a client of protocol `resp`, in tagged form. */
function overTheWire(reply: Reply, resp: 2 | 3): Tagged {
  const parser = new ReplyParser()
  parser.feed(encodeReply(reply, resp))
  const t = parser.next()
  if (t === undefined) throw new Error('the encoded reply is incomplete')
  return t
}

const isThenable = (v: unknown): v is PromiseLike<Reply> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

/** One argument in redis-cli notation (quoted when needed). */
export function quoteArg(a: string): string {
  if (a !== '' && /^[\x21-\x7e]+$/.test(a) && !/["'\\#]/.test(a)) return a
  let out = '"'
  for (const b of Buffer.from(a, 'utf8')) {
    if (b === 0x22) out += '\\"'
    else if (b === 0x5c) out += '\\\\'
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b)
    else out += '\\x' + b.toString(16).padStart(2, '0')
  }
  return out + '"'
}

const line = (c: Cmd): string => c.argv.map(quoteArg).join(' ') + (c.ann && c.ann.length > 0 ? `  # ${c.ann.join(' ')}` : '')

/** How a seed runs. */
export interface SeedOptions {
  resp?: 2 | 3
  /** After the run, check DUMP payloads across the two sides and replay the effects (not with `server`). */
  dumps?: boolean
  /**
   * A connection to an embedis RESP server to run the commands on, instead of a fresh Store session:
   * the protocol layer is compared too. Its Store is reset between seeds as valkey is.
   */
  server?: RespClient
  /** Compare the keyspace notifications (KEA) of every command too (not with `server`). */
  notify?: NotifyTap
}

/**
 * Valkey's keyspace notifications, command by command: a connection subscribed to every keyspace
 * and keyevent channel, and another that publishes a marker after each command. Valkey writes a
 * command's notifications before it replies, so what the subscriber receives before the marker is
 * that command's.
 */
export class NotifyTap {
  private inbox: string[] = []
  private marks = 0
  private wake: (() => void) | undefined

  private constructor(
    private readonly sub: RespClient,
    private readonly marker: RespClient,
  ) {}

  static async open(server: ValkeyServer): Promise<NotifyTap> {
    const sub = await server.connect()
    const marker = await server.connect()
    await sub.send(['PSUBSCRIBE', '__key*__:*'])
    await sub.send(['SUBSCRIBE', '__mark__'])
    const tap = new NotifyTap(sub, marker)
    sub.onPush = (t) => {
      if (t.t !== 'array') return
      const parts = t.v.map((x) => (x.t === 'bulk' ? x.v : ''))
      tap.inbox.push(parts[0] === 'pmessage' ? `${parts[2]} ${parts[3]}` : `${parts[1]} ${parts[2]}`)
      tap.wake?.()
    }
    return tap
  }

  /** The notifications since the last call. */
  async next(): Promise<string[]> {
    const mark = `__mark__ ${++this.marks}`
    await this.marker.send(['PUBLISH', '__mark__', String(this.marks)])
    while (!this.inbox.includes(mark)) await new Promise<void>((r) => (this.wake = r))
    const at = this.inbox.indexOf(mark)
    const got = this.inbox.slice(0, at)
    this.inbox = this.inbox.slice(at + 1)
    return got
  }

  close(): void {
    this.sub.close()
    this.marker.close()
  }
}

/** Runs one seed of `family` on both sides; the first divergence, or null. */
export async function runSeed(client: RespClient, family: string, seed: number, steps: number, opts: SeedOptions = {}): Promise<Divergence | null> {
  const { resp = 2, server } = opts
  const dumps = opts.dumps === true && server === undefined
  const gen = FAMILIES[family]
  if (gen === undefined) throw new Error(`no generator for ${family}`)
  const r = new Rng(seed)
  // A seed may end inside MULTI, in another database or watching keys: start the next one clean.
  for (const c of server === undefined ? [client] : [client, server]) {
    await c.send(['RESET'])
    const flushed = await c.send(['FLUSHALL'])
    if (flushed.t !== 'status') throw new Error(`FLUSHALL failed: ${JSON.stringify(flushed)}`)
    // The `encodings` and `config` families change these parameters; every seed starts from the defaults.
    const reset = await c.send(CONFIG_DEFAULTS)
    if (reset.t !== 'status') throw new Error(`CONFIG SET failed: ${JSON.stringify(reset)}`)
  }
  const store = new Store({ scripting: lua() })
  const effects: Effect[] = []
  if (dumps) store.onEffect((e) => effects.push(e))
  const session = store.session()
  const tap = server === undefined ? opts.notify : undefined
  const notes: string[] = []
  if (tap !== undefined) {
    session.execute(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'])
    store.psubscribe('__key*__:*', (message, channel) => notes.push(`${channel} ${message}`))
    await tap.next()
  }
  const ours = async (argv: string[]): Promise<Tagged | string> => {
    if (server !== undefined) return server.send(argv)
    try {
      let reply = session.execute(argv)
      if (isThenable(reply)) reply = await reply
      return overTheWire(reply, resp)
    } catch (e) {
      return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`
    }
  }
  const done: string[] = []
  let replicated = true
  try {
    if (resp === 3) {
      await client.send(['HELLO', '3'])
      await ours(['HELLO', '3'])
      done.push('HELLO 3')
    }
    for (let i = 0; i < steps; i++) {
      const cmd = gen(r)
      done.push(line(cmd))
      if (cmd.unreplicated) replicated = false
      const expected = await client.send(cmd.argv)
      const actual = await ours(cmd.argv)
      const ann: readonly Annotation[] = cmd.ann ?? []
      if (typeof actual === 'string' || !replyMatches(actual, expected, ann)) {
        return {
          family,
          seed,
          commands: done,
          expected: showReply(expected),
          actual: typeof actual === 'string' ? actual : showReply(actual),
        }
      }
      if (tap !== undefined) {
        const want = await tap.next()
        await new Promise((r) => setImmediate(r))
        const got = notes.splice(0)
        if (want.join('\n') !== got.join('\n')) {
          return { family, seed, commands: done, expected: want.join(' | '), actual: got.join(' | '), labels: ['valkey notifications', 'embedis notifications'] }
        }
      }
    }
    if (!dumps) return null
    const bad = (await crossRestore(client, store)) ?? (replicated ? await replayEffects(client, store, effects) : null)
    return bad === null ? null : { family, seed, commands: [...done, bad.what], expected: bad.expected, actual: bad.actual, labels: bad.labels }
  } finally {
    store.close()
  }
}

/** A failed check after the run. */
type Check = { what: string; expected: string; actual: string; labels?: [string, string] }

/**
 * The effects the Store reported (what AOF and replication carry) replayed on an emptied valkey
 * must rebuild the Store's data exactly: every key's type, value and expiry time, in every database.
 */
async function replayEffects(client: RespClient, store: Store, effects: Effect[]): Promise<Check | null> {
  await client.send(['RESET'])
  await client.send(['FLUSHALL'])
  await client.send(['FUNCTION', 'FLUSH'])
  let db = 0
  for (const e of effects) {
    if (e.db !== db && e.argv[0] !== 'EXEC') {
      await client.send(['SELECT', String(e.db)])
      db = e.db
    }
    const r = await client.send(e.argv)
    if (r.t === 'error') return { what: `(effect replayed on valkey) ${e.argv.map((a) => quoteArg(String(a))).join(' ')}`, expected: showReply(r), actual: 'a valid command', labels: ['valkey', 'expected'] }
  }
  await client.send(['RESET'])
  const session = store.session()
  const ours: Send = async (argv) => {
    let reply = session.execute(argv)
    if (isThenable(reply)) reply = await reply
    return overTheWire(reply, 2)
  }
  const server: Send = (argv) => client.send(argv)
  for (let n = 0; n < 16; n++) {
    for (const send of [server, ours]) await send(['SELECT', String(n)])
    const [theirs, mine] = [await server(['KEYS', '*']), await ours(['KEYS', '*'])]
    if (!replyMatches(theirs, mine, ['unordered'])) return { what: `(after replaying the effects) SELECT ${n}; KEYS *`, expected: showReply(theirs), actual: showReply(mine), labels: ['valkey (replayed)', 'embedis'] }
    if (mine.t !== 'array') continue
    for (const kt of mine.v) {
      if (kt.t !== 'bulk') continue
      const k = kt.b64 !== undefined ? Buffer.from(kt.b64, 'base64') : kt.v
      const [want, got] = [await view(ours, k as string, true), await view(server, k as string, true)]
      // Encodings may differ, as after Redis's own AOF replay (a shrunk collection reloads compact).
      if (want.length !== got.length || want.some((w, i) => i !== 1 && !replyMatches(got[i]!, w))) {
        const show = (v: Tagged[]): string => v.map((t) => showReply(t)).join(' ')
        return { what: `(after replaying the effects) db ${n} key ${quoteArg(String(kt.v))}`, expected: show(got), actual: show(want), labels: ['valkey (replayed)', 'embedis'] }
      }
    }
  }
  return null
}

type Send = (argv: string[] | (string | Buffer)[]) => Promise<Tagged>

/** What a key holds, read back with the commands that show its type's content. */
async function view(send: Send, k: string, ttl = false): Promise<Tagged[]> {
  const type = await send(['TYPE', k])
  const t = type.t === 'status' ? type.v : ''
  const reads: Record<string, [string[], Annotation[]][]> = {
    string: [[['GET', k], []]],
    list: [[['LRANGE', k, '0', '-1'], []]],
    set: [[['SMEMBERS', k], ['unordered']]],
    zset: [[['ZRANGE', k, '0', '-1', 'WITHSCORES'], []]],
    hash: [[['HGETALL', k], ['unordered-pairs']]],
    stream: [[['XRANGE', k, '-', '+'], []], [['XINFO', 'GROUPS', k], []], [['XINFO', 'STREAM', k], []]],
  }
  const out: Tagged[] = [type, await send(['OBJECT', 'ENCODING', k])]
  for (const [argv, ann] of reads[t] ?? []) out.push(canonical(await send(argv), ann))
  if (ttl) out.push(await send(['PEXPIRETIME', k]))
  return out
}

/**
 * Each key's DUMP payloads of both sides restored on each side: valkey must load embedis's payload
 * as it loads its own (value and encoding), embedis must load valkey's, a round trip must give
 * the same on both sides, and the two payloads must be the same bytes once what Redis leaves to
 * chance is normalised ({@link normalisePayload}).
 */
async function crossRestore(client: RespClient, store: Store): Promise<Check | null> {
  await client.send(['RESET'])
  const session = store.session()
  const server: Send = (argv) => client.send(argv)
  const ours: Send = async (argv) => {
    let reply = session.execute(argv)
    if (isThenable(reply)) reply = await reply
    return overTheWire(reply, 2)
  }
  const keys = await client.send(['KEYS', '*'])
  if (keys.t !== 'array') return null
  for (const kt of keys.v) {
    if (kt.t !== 'bulk') continue
    const k = kt.v
    const payloads = [await server(['DUMP', k]), await ours(['DUMP', k])]
    if (payloads.some((p) => p.t !== 'bulk')) return { what: `DUMP ${quoteArg(k)}`, expected: showReply(payloads[0]), actual: showReply(payloads[1]) }
    const bytes = payloads.map((p) => {
      const b = p as { v: string; b64?: string }
      return b.b64 !== undefined ? Buffer.from(b.b64, 'base64') : Buffer.from(b.v, 'utf8')
    })
    const sides: Array<[string, Send, Buffer, Buffer]> = [
      ['valkey', server, bytes[0]!, bytes[1]!],
      ['embedis', ours, bytes[1]!, bytes[0]!],
    ]
    const show = (v: Tagged[]): string => v.map((t) => showReply(t)).join(' ')
    const same = (a: Tagged[], b: Tagged[]): boolean => a.length === b.length && a.every((t, i) => replyMatches(t, b[i]!))
    const roundTrips: Tagged[][] = []
    for (const [name, send, own, other] of sides) {
      // The other side's payload must load as this side's own payload does (encoding included).
      const views: Tagged[][] = []
      for (const payload of [own, other]) {
        const res = await send(['RESTORE', `${k}:restored`, '0', payload, 'REPLACE'])
        views.push(res.t === 'status' ? await view(send, `${k}:restored`) : [res])
        await send(['DEL', `${k}:restored`])
      }
      const [want, got] = views as [Tagged[], Tagged[]]
      if (!same(got, want)) {
        return { what: `RESTORE on ${name} of ${quoteArg(k)}'s DUMP from each side`, expected: show(want), actual: show(got), labels: [`${name}'s own DUMP`, 'the other DUMP'] }
      }
      roundTrips.push(want)
    }
    // And each side's own round trip must give what the other's gives (a load may convert, as Redis's does).
    if (!same(roundTrips[1]!, roundTrips[0]!)) {
      return { what: `DUMP and RESTORE of ${quoteArg(k)} on each side`, expected: show(roundTrips[0]!), actual: show(roundTrips[1]!) }
    }
    // Finally the bytes: the payloads must be Redis's, up to what Redis itself leaves to chance.
    const diff = comparePayloads(bytes[0]!, bytes[1]!)
    if (diff !== null) return { what: `DUMP ${quoteArg(k)} (bytes${diff.normalised ? ', normalised' : ''})`, expected: diff.expected, actual: diff.actual }
  }
  return null
}

/**
 * A DUMP payload rewritten so that what Redis does not decide the same way twice compares equal:
 * LZF-compressed strings are stored decompressed (liblzf's back-references depend on a hash table
 * it never clears, so two Redis processes compress one string differently, or not at all), the
 * elements of hashtable-encoded sets and hashes are sorted (their order follows a hash seed chosen
 * at random per process), and the wall-clock times in stream consumer groups (delivery, seen and
 * active times) are zeroed. `normalised` says whether any of this changed a byte, in which case the
 * CRC-64 trailer no longer covers the bytes and is left out.
 */
export function normalisePayload(p: Buffer): { bytes: Buffer; normalised: boolean } {
  if (p.length < 10) throw new Error(`a DUMP payload of ${p.length} bytes`)
  const end = p.length - 10
  const parts: Buffer[] = []
  let pos = 0
  let normalised = false
  const fail = (why: string): never => {
    throw new Error(`DUMP payload, byte ${pos}: ${why}`)
  }
  const u8 = (): number => (pos < end ? p[pos++]! : fail('truncated'))
  const take = (n: number): Buffer => {
    if (pos + n > end) fail('truncated')
    pos += n
    return p.subarray(pos - n, pos)
  }
  /** A length; with `special`, also 11xxxxxx string encodings (returned as -1 - encoding). */
  const len = (special = false): number => {
    const b = u8()
    switch (b >> 6) {
      case 0:
        return b & 0x3f
      case 1:
        return ((b & 0x3f) << 8) | u8()
      case 2:
        if (b === 0x80) return take(4).readUInt32BE(0)
        if (b === 0x81) return Number(take(8).readBigUInt64BE(0))
        return fail(`bad length byte ${b}`)
      default:
        return special ? -1 - (b & 0x3f) : fail(`special encoding where a length belongs`)
    }
  }
  const lenBytes = (): Buffer => {
    const at = pos
    len()
    return p.subarray(at, pos)
  }
  /** A count, kept in the output as written. */
  const count = (): number => {
    const at = pos
    const n = len()
    parts.push(p.subarray(at, pos))
    return n
  }
  const encLen = (n: number): Buffer => {
    if (n < 64) return Buffer.from([n])
    if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff])
    const b = Buffer.alloc(5)
    b[0] = 0x80
    b.writeUInt32BE(n, 1)
    return b
  }
  /** A string as it stands, or (LZF) as length + raw bytes. */
  const str = (): Buffer => {
    const at = pos
    const n = len(true)
    if (n >= 0) {
      take(n)
      return p.subarray(at, pos)
    }
    const enc = -1 - n
    if (enc <= 2) {
      take(1 << enc)
      return p.subarray(at, pos)
    }
    if (enc !== 3) fail(`unknown string encoding ${enc}`)
    const clen = len()
    const rawLen = len()
    const c = take(clen)
    const raw = lzfDecompress(c, 0, clen, rawLen) ?? fail('bad LZF data')
    normalised = true
    return Buffer.concat([encLen(rawLen), raw])
  }
  const sorted = (items: Buffer[]): Buffer[] => {
    const s = [...items].sort(Buffer.compare)
    if (s.some((b, i) => b !== items[i])) normalised = true
    return s
  }
  const time = (): Buffer => {
    take(8)
    normalised = true
    return Buffer.alloc(8)
  }
  const type = u8()
  parts.push(p.subarray(0, 1))
  switch (type) {
    case 0: // string
    case 11: // intset
    case 16: // hash listpack
    case 17: // zset listpack
    case 20: // set listpack
      parts.push(str())
      break
    case 2: {
      const n = count()
      const items: Buffer[] = []
      for (let i = 0; i < n; i++) items.push(str())
      parts.push(...sorted(items))
      break
    }
    case 4: {
      const n = count()
      const items: Buffer[] = []
      for (let i = 0; i < n; i++) items.push(Buffer.concat([str(), str()]))
      parts.push(...sorted(items))
      break
    }
    case 5: {
      const n = count()
      for (let i = 0; i < n; i++) parts.push(str(), take(8))
      break
    }
    case 18: {
      const n = count()
      for (let i = 0; i < n; i++) parts.push(lenBytes(), str())
      break
    }
    case 21: {
      const nodes = count()
      for (let i = 0; i < nodes; i++) parts.push(str(), str())
      // Length, last ID, first ID, max deleted ID, entries added.
      for (let i = 0; i < 8; i++) parts.push(lenBytes())
      const groups = count()
      for (let g = 0; g < groups; g++) {
        parts.push(str(), lenBytes(), lenBytes(), lenBytes())
        const pel = count()
        for (let i = 0; i < pel; i++) parts.push(take(16), time(), lenBytes())
        const consumers = count()
        for (let c = 0; c < consumers; c++) {
          parts.push(str(), time(), time())
          const cpel = count()
          for (let i = 0; i < cpel; i++) parts.push(take(16))
        }
      }
      break
    }
    default:
      fail(`value type ${type} is not one Redis 7.2 writes`)
  }
  if (pos !== end) fail(`${end - pos} bytes left after the value`)
  parts.push(p.subarray(end, normalised ? end + 2 : p.length))
  return { bytes: Buffer.concat(parts), normalised }
}

/**
 * The one string of a normalised single-blob payload (intset, listpacks) rewritten by `fn`;
 * the payload unchanged when it is not one.
 */
function rewriteBlob(p: Buffer, fn: (blob: Buffer) => Buffer): Buffer {
  let pos = 1
  const b = p[pos]!
  let n = b & 0x3f
  if (b >> 6 === 1) n = (n << 8) | p[++pos]!
  else if (b === 0x80) n = p.readUInt32BE((pos += 4) - 3)
  else if (b >> 6 !== 0) return p
  const blob = p.subarray(pos + 1, pos + 1 + n)
  const out = fn(blob)
  if (out === blob) return p
  const len = out.length < 64 ? Buffer.from([out.length]) : out.length < 16384 ? Buffer.from([0x40 | (out.length >> 8), out.length & 0xff]) : Buffer.from([0x80, 0, 0, 0, 0])
  if (len.length === 5) len.writeUInt32BE(out.length, 1)
  return Buffer.concat([p.subarray(0, 1), len, out, p.subarray(pos + 1 + n)])
}

/**
 * A listpack's entries sorted by their bytes. A listpack set filled from a hashtable-encoded set
 * (SINTERSTORE, SUNIONSTORE, SDIFFSTORE iterate their sources) holds its members in the order of
 * Redis's randomly seeded hash table, so only which members it holds is determined.
 */
function sortListpack(blob: Buffer): Buffer {
  const entries: Buffer[] = []
  let pos = 6
  while (pos < blob.length && blob[pos] !== 0xff) {
    const e = blob[pos]!
    let size: number
    if (e < 0x80) size = 1
    else if (e < 0xc0) size = 1 + (e & 0x3f)
    else if (e < 0xe0) size = 2
    else if (e < 0xf0) size = 2 + (((e & 0x0f) << 8) | blob[pos + 1]!)
    else if (e === 0xf0) size = 5 + blob.readUInt32LE(pos + 1)
    else if (e >= 0xf1 && e <= 0xf4) size = [3, 4, 5, 9][e - 0xf1]!
    else return blob
    size += size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5
    entries.push(blob.subarray(pos, pos + size))
    pos += size
  }
  if (pos !== blob.length - 1) return blob
  return Buffer.concat([blob.subarray(0, 6), ...entries.sort(Buffer.compare), blob.subarray(pos)])
}

/** Where two DUMP payloads differ once normalised (hex around the first differing byte), or null. */
function comparePayloads(theirs: Buffer, mine: Buffer): { expected: string; actual: string; normalised: boolean } | null {
  let a: { bytes: Buffer; normalised: boolean }
  let b: { bytes: Buffer; normalised: boolean }
  try {
    a = normalisePayload(theirs)
    b = normalisePayload(mine)
  } catch (e) {
    return { expected: theirs.toString('hex'), actual: `${mine.toString('hex')} (${(e as Error).message})`, normalised: false }
  }
  const normalised = a.normalised || b.normalised
  // A CRC over bytes that were rewritten means nothing: compare both without it.
  const x = normalised && !a.normalised ? a.bytes.subarray(0, -8) : a.bytes
  const y = normalised && !b.normalised ? b.bytes.subarray(0, -8) : b.bytes
  if (x.equals(y)) return null
  if (x[0] === y[0] && x[0] === 20) {
    // Without the CRC (it covers the bytes before rewriting).
    const [u, v] = normalised ? [x, y] : [x.subarray(0, -8), y.subarray(0, -8)]
    if (rewriteBlob(u, sortListpack).equals(rewriteBlob(v, sortListpack))) return null
  }
  let i = 0
  while (i < x.length && i < y.length && x[i] === y[i]) i++
  const from = Math.max(0, i - 16)
  const window = (v: Buffer): string => `${v.length} bytes, from byte ${from}: ${from > 0 ? '…' : ''}${v.subarray(from, i + 48).toString('hex')}${i + 48 < v.length ? '…' : ''}`
  return { expected: window(x), actual: window(y), normalised }
}

export function formatDivergence(d: Divergence): string {
  return [
    `--- ${d.family} seed ${d.seed}: step ${d.commands.length} differs`,
    ...d.commands.map((c, i) => `${i + 1 === d.commands.length ? '>>' : '  '} ${c}`),
    `   ${(d.labels?.[0] ?? 'valkey') + ':'} ${d.expected}`,
    `   ${(d.labels?.[1] ?? 'embedis') + ':'} ${d.actual}`,
  ].join('\n')
}

async function main(): Promise<void> {
  const { startValkey } = await import('../helpers/valkey.js')
  const args = process.argv.slice(2)
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? Number(args[i + 1]) : dflt
  }
  const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'all'
  const families = which === 'all' ? Object.keys(FAMILIES) : which.split(',')
  const seeds = opt('seeds', 200)
  const from = opt('from', 1)
  const steps = opt('steps', 80)
  const resp = opt('resp', 2) === 3 ? 3 : 2
  const dumps = args.includes('--dump')
  const overTcp = args.includes('--server')
  const server: ValkeyServer = await startValkey(REDIS72_DEFAULTS)
  const client = await server.connect()
  let notify: NotifyTap | undefined
  if (args.includes('--notify')) {
    await client.send(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'])
    notify = await NotifyTap.open(server)
  }
  const { createServer } = await import('../../src/server/index.js')
  const embedis = overTcp ? createServer({ store: new Store({ scripting: lua() }), port: 0 }) : undefined
  if (embedis !== undefined) await embedis.listen()
  const ours = embedis !== undefined ? await RespClient.open(embedis.port) : undefined
  let failures = 0
  try {
    for (const family of families) {
      const seen = new Set<string>()
      for (let seed = from; seed < from + seeds; seed++) {
        const d = await runSeed(client, family, seed, steps, { resp, dumps, server: ours, notify })
        if (d === null) continue
        failures++
        // One report per distinct last command name, so one bug does not flood the output.
        const sig = d.commands[d.commands.length - 1]!.split(' ')[0]!.toUpperCase() + ' ' + d.expected.slice(0, 40)
        if (seen.has(sig)) continue
        seen.add(sig)
        console.log(formatDivergence(d))
      }
      console.log(`${family}: ${seeds} seeds × ${steps} steps, RESP${resp}`)
    }
  } finally {
    notify?.close()
    client.close()
    ours?.close()
    await embedis?.close()
    await server.stop()
  }
  console.log(failures === 0 ? 'no differences' : `${failures} seeds differ`)
  process.exitCode = failures === 0 ? 0 : 1
}

if (import.meta.url === `file://${process.argv[1]}`) void main()
