/**
 * Differential testing of pub/sub across connections: seeded random scripts in which up to five
 * connections (some in RESP3) subscribe and unsubscribe to channels, patterns and shard channels,
 * publish (directly, inside MULTI/EXEC and from scripts, also to their own channels), ask PUBSUB,
 * PING and run commands that RESP2 subscribed mode refuses, reset, switch protocols, silence
 * replies (CLIENT REPLY), block in BLPOP while subscribed, kill each other and, in some scripts,
 * receive keyspace notifications. Every connection's frames after every step must match the
 * reference server's.
 *
 * Scripts are generated against the reference server and replayed on embedis's RESP server with
 * the runner of `conn-fuzz.ts`. The generator tracks every connection's subscriptions from
 * the commands it emits (checked against the reference's confirmations), so that unsubscribe
 * commands are only sent in subscribed mode: there valkey 8 answers NOSUB where Redis 7.2 replies.
 *
 *   npx tsx test/server/pubsub-fuzz.ts [--seeds 50] [--from 1] [--steps 60] [--show] [--no-client-reply]
 *
 * `pubsub-fuzz.test.ts` runs fixed seeds live (when valkey-server is on PATH).
 */
import { Rng } from '../conformance/fuzz/gen.js'
import { sleep } from '../helpers/wait.js'
import { fuzzCli, Run, showStep, type Frames, type Fuzzer, type Step } from './conn-fuzz.js'

/** A step; `unordered`: the sender's frames come in hash-table order in Redis, so are compared sorted. */
export interface PStep extends Step {
  unordered?: boolean
}

const CONNS = ['a', 'b', 'c', 'd', 'e']
const CHANNELS = ['news.a', 'news.b', 'news.ab', 'nows.a', 'news.*', 'sports', 'n', 'News.a', 'news.[', 'news.-']
const PATTERNS = ['news.*', 'n?ws.[ab]*', '*', 'news.[^a]*', 'sp*', 'news.\\*', 'n*', '[ns]*s.a']
/** Edge cases of the glob matcher: unterminated and reversed ranges, empty classes, escapes, case. */
const ODD_PATTERNS = ['news.[a-', 'news.[', '[n-m]ews.*', 'n[]ws*', 'news.[b-a]*', '\\n*', 'News.*', '*.[\\]a]', '?', '**a', 'news.[!a]*']
const SHARDS = ['news.a', 'sports', 's1', 's2']
const KS_CHANNELS = ['__keyspace@0__:k1', '__keyspace@0__:l1', '__keyevent@0__:set', '__keyevent@0__:del', '__keyevent@0__:expire', '__keyevent@1__:move_to']
const KS_PATTERNS = ['__keyspace@0__:*', '__keyevent@0__:*', '__key*__:k?', '__keyevent@0__:[a-m]*', '__keyspace@*__:*', '__keyevent@?__:*']
const ODD_MESSAGES = ['', 'a b', 'line\r\nnext', '\x00\x01\x02', 'é', '\u2603', '*1\r\n$1\r\nx', '"quoted"\\', 'x'.repeat(300)]
const NOTIFY_FLAGS = ['KEA', 'KEA', 'KEA', 'Kg$lsh', 'E$', 'AK', 'Elg']

/** What the generator knows of one connection. */
interface ConnState {
  proto: 2 | 3
  channels: Set<string>
  patterns: Set<string>
  shards: Set<string>
  /** CLIENT REPLY: `skip` silences the next command. Subscribe-family confirmations and messages still come. */
  reply: 'on' | 'off' | 'skip'
  /** Blocked in BLPOP on `bl` (messages still reach it). */
  blocked: boolean
  /** CLIENT TRACKING: invalidations as its own pushes (RESP3), or redirected to another connection. */
  tracking: 'off' | 'self' | 'redirect'

  dead: boolean
  /**
   * Dead to the script but still connected: it closed itself (QUIT, CLIENT KILL of itself) with its
   * reply silenced, so no output ever triggers the close; it keeps its subscriptions and reads nothing.
   */
  lingering: boolean
}

interface GenState {
  conns: Map<string, ConnState>
  /** Whether this script uses keyspace notifications; client-side tracking. */
  keyspace: boolean
  tracking: boolean
  /** Whether notify-keyspace-events was set (it is restored at the end). */
  notified: boolean
  kills: number
  msg: number
  /** Connections blocked on `bl`, in the order they are served; elements waiting in `bl`. */
  waiting: string[]
  bl: number
}

const subscribed = (c: ConnState): boolean => c.channels.size + c.patterns.size + c.shards.size > 0
/** RESP2 subscribed mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET are allowed. */
const restricted = (c: ConnState): boolean => c.proto === 2 && subscribed(c)

type Kind = 'channels' | 'patterns' | 'shards'
const KIND: Record<string, Kind> = {
  SUBSCRIBE: 'channels',
  UNSUBSCRIBE: 'channels',
  PSUBSCRIBE: 'patterns',
  PUNSUBSCRIBE: 'patterns',
  SSUBSCRIBE: 'shards',
  SUNSUBSCRIBE: 'shards',
}

/** Applies a (P|S)(UN)SUBSCRIBE to the model; returns how many confirmations it sends. */
function applySub(c: ConnState, argv: string[]): number {
  const cmd = argv[0]!
  const set = c[KIND[cmd]!]
  if (!cmd.includes('UNSUB')) {
    for (const x of argv.slice(1)) set.add(x)
    return argv.length - 1
  }
  if (argv.length > 1) {
    for (const x of argv.slice(1)) set.delete(x)
    return argv.length - 1
  }
  const n = set.size
  set.clear()
  return Math.max(1, n)
}

/** The count a subscribe-family confirmation carries: channels + patterns, or shard channels. */
const subCount = (c: ConnState, cmd: string): number => (KIND[cmd] === 'shards' ? c.shards.size : c.channels.size + c.patterns.size)

function message(r: Rng, st: GenState): string {
  return r.chance(0.2) ? r.pick(ODD_MESSAGES) : `m${++st.msg}`
}

const live = (st: GenState): string[] => CONNS.filter((n) => !st.conns.get(n)!.dead)
/** Live connections that can send (not blocked). */
const ready = (st: GenState): string[] => live(st).filter((n) => !st.conns.get(n)!.blocked)

/** Channels some live connection listens to (so publishes mostly reach someone). */
function listened(st: GenState, kind: 'channels' | 'shards'): string[] {
  const out = new Set<string>()
  for (const n of live(st)) for (const x of st.conns.get(n)![kind]) out.add(x)
  return [...out]
}

function channel(r: Rng, st: GenState): string {
  // Where redirected invalidations go (to RESP2 connections in subscribed mode).
  if (st.tracking && r.chance(0.08)) return '__redis__:invalidate'
  return st.keyspace && r.chance(0.3) ? r.pick(KS_CHANNELS) : r.pick(CHANNELS)
}
function pattern(r: Rng, st: GenState): string {
  return st.keyspace && r.chance(0.35) ? r.pick(KS_PATTERNS) : r.chance(0.2) ? r.pick(ODD_PATTERNS) : r.pick(PATTERNS)
}
function publishTo(r: Rng, st: GenState, self?: ConnState): string {
  // A connection publishing to a channel it listens to itself.
  if (self !== undefined && self.channels.size > 0 && r.chance(0.3)) return r.pick([...self.channels])
  const l = listened(st, 'channels')
  return l.length > 0 && r.chance(0.6) ? r.pick(l) : r.pick(CHANNELS)
}
function spublishTo(r: Rng, st: GenState): string {
  const l = listened(st, 'shards')
  return l.length > 0 && r.chance(0.6) ? r.pick(l) : r.pick(SHARDS)
}

/** A write (which notifies keyspace subscribers when enabled), a read, or a command refused outright. */
function dataCommand(r: Rng, st: GenState): string[] {
  const k = r.pick(['k1', 'k2'])
  const l = r.pick(['l1', 'l2'])
  const w = r.int(0, 99)
  if (w < 10) return ['SET', k, r.pick(['v', '5']), ...r.pick([[], [], ['EX', '100'], ['KEEPTTL'], ['NX'], ['GET']])]
  if (w < 14) return ['DEL', ...r.some(['k1', 'k2', 'l1', 's1', 'h1', 'z1'], 1, 2)]
  if (w < 20) return r.pick([['EXPIRE', k, '100'], ['EXPIRE', k, '0'], ['PEXPIRE', k, '100000'], ['EXPIREAT', k, '1'], ['PERSIST', k], ['GETEX', k, 'EX', '100'], ['GETEX', k, 'PERSIST']])
  if (w < 30) return r.pick([['LPUSH', l, 'a', 'b'], ['RPUSH', l, 'c'], ['LPOP', l], ['RPOP', l, '2'], ['LSET', l, '0', 'z'], ['LTRIM', l, '0', '0'], ['LREM', l, '0', 'a'], ['LMOVE', 'l1', 'l2', 'LEFT', 'RIGHT'], ['LINSERT', l, 'BEFORE', 'a', 'q'], ['RPOPLPUSH', 'l1', 'l2']])
  if (w < 38) return r.pick([['INCR', k], ['INCRBY', k, '2'], ['DECR', k], ['INCRBYFLOAT', k, '1.5'], ['APPEND', k, 'x'], ['SETRANGE', k, '1', 'ab'], ['SETBIT', 'b1', '3', '1'], ['GETSET', k, 'v'], ['GETDEL', k], ['SETEX', k, '100', 'v'], ['MSET', 'k1', '1', 'k2', '2'], ['MSETNX', 'k1', '1', 'k3', '3']])
  if (w < 44) return r.pick([['RENAME', 'k1', 'k2'], ['RENAMENX', 'k1', 'k2'], ['COPY', 'k1', 'k2'], ['COPY', 'l1', 'l2', 'REPLACE'], ['MOVE', k, '1'], ['UNLINK', k]])
  if (w < 50) return r.pick([['SADD', 's1', 'a', 'b'], ['SREM', 's1', 'a'], ['SREM', 's1', 'b'], ['SMOVE', 's1', 's2', 'b'], ['SINTERSTORE', 's2', 's1'], ['SUNIONSTORE', 's1', 's2', 'k1']])
  if (w < 55) return r.pick([['HSET', 'h1', 'f', 'v', 'n', '1'], ['HDEL', 'h1', 'f'], ['HINCRBY', 'h1', 'n', '1'], ['HSETNX', 'h1', 'g', 'v'], ['HINCRBYFLOAT', 'h1', 'n', '0.5']])
  if (w < 60) return r.pick([['ZADD', 'z1', '1', 'a', '2', 'b'], ['ZINCRBY', 'z1', '1', 'a'], ['ZREM', 'z1', 'a'], ['ZPOPMIN', 'z1'], ['ZUNIONSTORE', 'z2', '1', 'z1'], ['ZREMRANGEBYRANK', 'z1', '0', '0']])
  if (w < 64) return r.pick([['XADD', 'x1', `${++st.msg}-1`, 'f', 'v'], ['XTRIM', 'x1', 'MAXLEN', '0'], ['XDEL', 'x1', `${st.msg}-1`], ['XGROUP', 'CREATE', 'x1', 'g', '$', 'MKSTREAM'], ['PFADD', 'p1', 'a'], ['SORT', 'l1', 'ALPHA', 'STORE', 'l2']])
  // Reads; none that depends on time (TTL rounds the time left, and the runs are seconds apart).
  if (w < 78) return r.pick([['GET', k], ['LRANGE', l, '0', '-1'], ['EXISTS', k], ['TYPE', k], ['ECHO', 'hi'], ['DBSIZE'], ['STRLEN', k]])
  // Refused before the subscribed-mode check (unknown command, wrong arity), also when queued.
  return r.pick([['GET'], ['NOSUCHCMD', 'x'], ['PUBLISH', 'news.a'], ['SUBSCRIBE'], ['PSUBSCRIBE'], ['SPUBLISH', 's1']])
}

function pubsubIntrospection(r: Rng, st: GenState): { argv: string[]; unordered?: boolean } {
  const chans = () => r.some([...CHANNELS, ...(st.keyspace ? KS_CHANNELS : [])], 0, 3)
  switch (r.int(0, 5)) {
    case 0:
      return { argv: ['PUBSUB', 'CHANNELS', ...(r.chance(0.5) ? [pattern(r, st)] : [])], unordered: true }
    case 1:
      return { argv: ['PUBSUB', 'NUMSUB', ...chans()] }
    case 2:
      return { argv: ['PUBSUB', 'NUMPAT'] }
    case 3:
      return { argv: ['PUBSUB', 'SHARDCHANNELS', ...(r.chance(0.5) ? [r.pick(['s*', '*', 'news.*', 's?'])] : [])], unordered: true }
    case 4:
      return { argv: ['PUBSUB', 'SHARDNUMSUB', ...r.some(SHARDS, 0, 3)] }
    default:
      return { argv: ['PUBSUB', 'NUMSUB', ...chans()] }
  }
}

function evalPublish(r: Rng, st: GenState, self: ConnState): string[] {
  switch (r.int(0, 3)) {
    case 0:
      return ['EVAL', "return redis.call('publish', ARGV[1], ARGV[2])", '0', publishTo(r, st, self), message(r, st)]
    case 1:
      return [
        'EVAL',
        "local n = redis.call('publish', ARGV[1], ARGV[2]); return {n, redis.call('publish', ARGV[3], ARGV[2])}",
        '0', publishTo(r, st, self), message(r, st), publishTo(r, st, self),
      ]
    case 2:
      return ['EVAL', "return redis.call('spublish', ARGV[1], ARGV[2])", '0', spublishTo(r, st), message(r, st)]
    default:
      return [
        'EVAL',
        "redis.call('set', KEYS[1], ARGV[1]); return redis.call('publish', ARGV[2], ARGV[1])",
        '1', r.pick(['k1', 'k2']), message(r, st), publishTo(r, st, self),
      ]
  }
}

/** Parses the count of the sender's last subscribe-family confirmation. */
function lastCount(frames: string[] | undefined): number | null {
  const f = frames?.[frames.length - 1]
  const m = f === undefined ? null : /:(\d+)\]$/.exec(f)
  return m ? Number(m[1]) : null
}

export interface GenOptions {
  /** Whether scripts use CLIENT REPLY OFF/SKIP (off: to look past a known difference there). */
  clientReply?: boolean
}

/**
 * Generates a script of about `steps` steps against the reference run `ref`, running each step
 * there as it goes; returns the steps and the frames the reference delivered.
 */
export async function generate(seed: number, steps: number, ref: Run, opts: GenOptions = {}): Promise<{ steps: PStep[]; frames: Frames[] }> {
  const r = new Rng(seed)
  const st: GenState = { conns: new Map(), keyspace: r.chance(0.4), tracking: r.chance(0.3), notified: false, kills: 0, msg: 0, waiting: [], bl: 0 }
  for (const n of CONNS) st.conns.set(n, { proto: 2, channels: new Set(), patterns: new Set(), shards: new Set(), reply: 'on', blocked: false, tracking: 'off', dead: false, lingering: false })
  const out: PStep[] = []
  const frames: Frames[] = []
  const conn = (n: string): ConnState => st.conns.get(n)!
  /** The generator's model disagrees with the reference: a generator bug, or a departure of valkey's. */
  const outOfStep = (what: string): Error =>
    new Error(`seed ${seed}: ${what}\n${out.map((s, i) => `  ${showStep(s)}  → ${JSON.stringify(frames[i])}`).join('\n')}`)

  /**
   * Runs a step on the reference, waiting for the sender's frames (a subscribed RESP2
   * connection's replies are arrays, so the runner cannot count them as answers) and for
   * `closing` connections to close. The sender gets `pushes` confirmations, else one reply
   * unless CLIENT REPLY silences it, or exactly `frames`; `served` blocked connections get a reply.
   */
  const run = async (
    s: PStep,
    o: { pushes?: number; frames?: number; closing?: string[]; served?: string[]; blocks?: boolean } = {},
  ): Promise<Frames> => {
    const c = st.conns.get(s.client)
    const skipping = c?.reply === 'skip'
    const replies = o.frames ?? o.pushes ?? (c !== undefined && c.reply !== 'on' ? 0 : 1)
    const closing = o.closing ?? []
    const want: Frames = { [s.client]: Array<string>(replies).fill('') }
    for (const n of o.served ?? []) want[n] = ['']
    for (const n of closing) (want[n] ??= []).push('<closed>')
    const f = await ref.step(s, want, 10)
    out.push(s)
    frames.push(f)
    for (const n of closing) {
      if (!f[n]?.includes('<closed>')) throw outOfStep(`${n} did not close`)
      conn(n).dead = true
      conn(n).lingering = false
      st.waiting = st.waiting.filter((x) => x !== n)
    }
    for (const n of o.served ?? []) if ((f[n]?.length ?? 0) === 0) throw outOfStep(`${n} was not served`)
    if (skipping) c.reply = 'on'
    if (replies === 0 && c !== undefined && o.blocks !== true) {
      // Nothing answers a silenced command, so its bytes are acknowledged late (delayed ACK) and
      // Nagle's algorithm would hold the connection's next command back meanwhile.
      const pause: PStep = { client: s.client, argv: [], sleep: 60 }
      out.push(pause)
      frames.push(await ref.step(pause))
    }
    return f
  }
  /** A subscribe-family command outside MULTI, with the model checked against the reference. */
  const sub = async (n: string, argv: string[]): Promise<void> => {
    const c = conn(n)
    const replies = applySub(c, argv)
    const f = await run({ client: n, argv, unordered: argv.length === 1 && argv[0]!.includes('UNSUB') }, { pushes: replies })
    if (f[n]?.length !== replies || lastCount(f[n]) !== subCount(c, argv[0]!))
      throw outOfStep('unexpected confirmations')
  }
  /** An unsubscribe command for a subscribed connection: with arguments (some not subscribed) or without. */
  const unsubArgv = (c: ConnState): string[] => {
    const kinds = (['channels', 'patterns', 'shards'] as const).filter((k) => c[k].size > 0 || r.chance(0.15))
    const k = kinds.length > 0 ? r.pick(kinds) : 'channels'
    const cmd = k === 'channels' ? 'UNSUBSCRIBE' : k === 'patterns' ? 'PUNSUBSCRIBE' : 'SUNSUBSCRIBE'
    if (r.chance(0.35)) return [cmd]
    const pool = k === 'channels' ? CHANNELS : k === 'patterns' ? PATTERNS : SHARDS
    const own = [...c[k]]
    const args: string[] = []
    for (let i = r.int(1, 3); i > 0; i--) args.push(own.length > 0 && r.chance(0.7) ? r.pick(own) : r.pick(pool))
    return [cmd, ...args]
  }
  /** Mostly a connection that keeps its freedom when it subscribes (already subscribed, or RESP3). */
  const pickSub = (): string => {
    const names = ready(st)
    const keep = names.filter((n) => subscribed(conn(n)) || conn(n).proto === 3)
    const free = names.filter((n) => !restricted(conn(n)))
    // Mostly keeps a connection that can publish.
    if (keep.length > 0 && (r.chance(0.6) || (free.length <= 1 && r.chance(0.8)))) return r.pick(keep)
    return r.pick(names)
  }
  /** Prefers a connection that may run ordinary commands (not RESP2-subscribed). */
  const pickFree = (p = 0.85): string => {
    const names = ready(st)
    const free = names.filter((n) => !restricted(conn(n)))
    return free.length > 0 && r.chance(p) ? r.pick(free) : r.pick(names)
  }

  const transaction = async (n: string): Promise<void> => {
    const c = conn(n)
    // Queue-time state: valkey refuses UNSUBSCRIBE at queue time when not subscribed.
    const wasSubscribed = subscribed(c)
    const sim: ConnState = { ...c, channels: new Set(c.channels), patterns: new Set(c.patterns), shards: new Set(c.shards) }
    let aborted = false
    await run({ client: n, argv: ['MULTI'] })
    for (let i = r.int(1, 4); i > 0; i--) {
      const w = r.int(0, 99)
      let argv: string[]
      if (w < 35) argv = ['PUBLISH', publishTo(r, st, sim), message(r, st)]
      else if (w < 45) argv = ['SPUBLISH', spublishTo(r, st), message(r, st)]
      else if (w < 62) argv = dataCommand(r, st)
      else if (w < 68) argv = r.chance(0.5) ? ['PING'] : ['PING', 'x']
      else if (w < 74) argv = r.chance(0.5) ? ['PUBSUB', 'NUMSUB', publishTo(r, st)] : ['PUBSUB', 'NUMPAT']
      else if (w < 84) {
        // Several arguments too: EXEC's array counts commands, so its header says fewer items than follow.
        const names = r.int(1, 3)
        argv = r.chance(0.6) ? ['SUBSCRIBE', ...Array.from({ length: names }, () => channel(r, st))] : ['PSUBSCRIBE', ...Array.from({ length: names }, () => pattern(r, st))]
      } else if (w < 87) argv = ['SSUBSCRIBE', r.pick(SHARDS)] // refused inside a transaction
      else if (w < 95 && wasSubscribed) {
        // With arguments: with none, the confirmations in EXEC's array come in hash order.
        const u = unsubArgv(sim)
        argv = u.length > 1 ? u : [u[0]!, r.pick(u[0] === 'UNSUBSCRIBE' ? CHANNELS : u[0] === 'PUNSUBSCRIBE' ? PATTERNS : SHARDS)]
      } else argv = ['PUBLISH', publishTo(r, st, sim), message(r, st)]
      // Messages reach a connection in MULTI at once.
      const others = ready(st).filter((x) => x !== n && !restricted(conn(x)) && conn(x).reply === 'on')
      if (others.length > 0 && r.chance(0.2)) await run({ client: r.pick(others), argv: ['PUBLISH', publishTo(r, st), message(r, st)] })
      if (KIND[argv[0]!] !== undefined && argv[0] !== 'SSUBSCRIBE') applySub(sim, argv)
      // A command refused when queued (unknown, wrong arity) makes EXEC abort.
      if ((await run({ client: n, argv }))[n]?.[0] !== '+QUEUED') aborted = true
    }
    if (r.chance(0.9)) {
      await run({ client: n, argv: ['EXEC'] })
      if (aborted) return
      c.channels = sim.channels
      c.patterns = sim.patterns
      c.shards = sim.shards
    } else await run({ client: n, argv: ['DISCARD'] })
  }

  /**
   * QUIT, or CLIENT KILL of itself: the connection closes after its reply; with the reply silenced
   * and nothing else to send, it stays connected, subscribed and deaf (`lingering`).
   */
  const quit = async (n: string, argv: string[]): Promise<void> => {
    const c = conn(n)
    if (c.reply === 'on') {
      await run({ client: n, argv }, { closing: [n] })
      return
    }
    await run({ client: n, argv })
    c.dead = c.lingering = true
    st.waiting = st.waiting.filter((x) => x !== n)
  }

  const kill = async (n: string): Promise<void> => {
    const others = live(st).filter((x) => x !== n)
    const dead = CONNS.filter((x) => conn(x).dead && !conn(x).lingering)
    const u = r.next()
    if (restricted(conn(n))) {
      // Refused: nobody is killed.
      await run({ client: n, argv: ['CLIENT', 'KILL', 'ID', `$id:${r.pick(others)}`] })
    } else if (u < 0.2 || st.kills >= 2 || others.length < 3) {
      // Kills nobody: itself (SKIPME defaults to yes) or a connection already gone.
      const target = dead.length > 0 && r.chance(0.5) ? r.pick(dead) : n
      await run({ client: n, argv: ['CLIENT', 'KILL', 'ID', `$id:${target}`] })
    } else if (u < 0.35) {
      // Every connection in subscribed mode (RESP3 ones too, lingering ones too) but the sender.
      const victims = CONNS.filter((x) => x !== n && (!conn(x).dead || conn(x).lingering) && subscribed(conn(x)))
      st.kills += Math.max(1, victims.length)
      await run({ client: n, argv: ['CLIENT', 'KILL', 'TYPE', 'pubsub'] }, { closing: victims })
    } else if (u < 0.45) {
      st.kills++
      await quit(n, ['CLIENT', 'KILL', 'ID', `$id:${n}`, 'SKIPME', 'no'])
    } else {
      const victim = r.pick(others)
      st.kills++
      await run({ client: n, argv: ['CLIENT', 'KILL', 'ID', `$id:${victim}`] }, { closing: [victim] })
    }
  }

  /** BLPOP on `bl` (a RESP3 subscriber may block; messages keep coming), or a push or CLIENT UNBLOCK that serves it. */
  const blocking = async (): Promise<void> => {
    const free = ready(st).filter((n) => !restricted(conn(n)) && conn(n).reply === 'on')
    if (free.length === 0) return
    const n = r.pick(free)
    if (st.waiting.length === 0 || r.chance(0.3)) {
      const c = conn(n)
      if (st.bl > 0) {
        st.bl--
        await run({ client: n, argv: ['BLPOP', 'bl', '0'] })
        return
      }
      c.blocked = true
      st.waiting.push(n)
      await run({ client: n, argv: ['BLPOP', 'bl', '0'], mayBlock: true }, { frames: 0, blocks: true })
    } else if (r.chance(0.7)) {
      const items = r.some(['a', 'b'], 1, 2)
      const served = st.waiting.splice(0, items.length)
      st.bl += items.length - served.length
      for (const x of served) conn(x).blocked = false
      await run({ client: n, argv: [r.pick(['LPUSH', 'RPUSH']), 'bl', ...items] }, { served })
    } else {
      const x = r.pick(st.waiting)
      st.waiting = st.waiting.filter((y) => y !== x)
      conn(x).blocked = false
      await run({ client: n, argv: ['CLIENT', 'UNBLOCK', `$id:${x}`, ...(r.chance(0.3) ? ['ERROR'] : [])] }, { served: [x] })
    }
  }

  /**
   * CLIENT TRACKING: invalidations come as pushes in RESP3, or are redirected to another connection,
   * which gets them only if it is in RESP3 or in subscribed mode.
   */
  const tracking = async (): Promise<void> => {
    const free = ready(st).filter((n) => !restricted(conn(n)) && conn(n).reply === 'on')
    if (free.length === 0) return
    const n = r.pick(free)
    const c = conn(n)
    if (c.tracking !== 'off' && r.chance(0.3)) {
      await run({ client: n, argv: ['CLIENT', 'TRACKING', 'OFF'] })
      c.tracking = 'off'
      return
    }
    if (c.tracking !== 'off') {
      // Reads that make keys tracked.
      await run({ client: n, argv: r.pick([['GET', 'k1'], ['GET', 'k2'], ['MGET', 'k1', 'k2'], ['LRANGE', 'l1', '0', '-1']]) })
      return
    }
    const opts = r.pick([[], [], ['NOLOOP'], ['BCAST'], ['BCAST', 'PREFIX', 'k'], ['BCAST', 'PREFIX', 'l', 'PREFIX', 'k1']])
    const argv =
      c.proto === 2
        ? ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', `$id:${r.pick(CONNS.filter((x) => x !== n))}`, ...opts]
        : ['CLIENT', 'TRACKING', 'ON', ...opts]
    const f = await run({ client: n, argv })
    if (f[n]?.[0] === '+OK') c.tracking = c.proto === 2 ? 'redirect' : 'self'
  }

  // Some connections speak RESP3 (pushes instead of arrays; no restrictions once subscribed).
  for (const n of CONNS)
    if (r.chance(0.4)) {
      conn(n).proto = 3
      await run({ client: n, argv: ['HELLO', '3'], types: true })
    }
  if (st.keyspace && r.chance(0.7)) {
    st.notified = true
    await run({ client: 'a', argv: ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'] })
  }

  while (out.length < steps && ready(st).length > 0) {
    const w = r.int(0, 233)
    if (w < 28) {
      const chans: string[] = []
      for (let i = r.int(1, 3); i > 0; i--) chans.push(channel(r, st))
      await sub(pickSub(), ['SUBSCRIBE', ...chans])
    } else if (w < 44) {
      const pats: string[] = []
      for (let i = r.int(1, 2); i > 0; i--) pats.push(pattern(r, st))
      await sub(pickSub(), ['PSUBSCRIBE', ...pats])
    } else if (w < 54) {
      await sub(pickSub(), ['SSUBSCRIBE', ...r.some(SHARDS, 1, 2)])
    } else if (w < 74) {
      const subs = ready(st).filter((n) => subscribed(conn(n)))
      if (subs.length === 0) continue
      const n = r.pick(subs)
      await sub(n, unsubArgv(conn(n)))
    } else if (w < 112) {
      const n = pickFree(0.8)
      await run({ client: n, argv: ['PUBLISH', publishTo(r, st, conn(n)), message(r, st)] })
    } else if (w < 122) {
      await run({ client: pickFree(0.8), argv: ['SPUBLISH', spublishTo(r, st), message(r, st)] })
    } else if (w < 136) {
      const { argv, unordered } = pubsubIntrospection(r, st)
      await run({ client: pickFree(0.9), argv, ...(unordered ? { unordered } : {}) })
    } else if (w < 144) {
      const n = r.pick(ready(st))
      await run({ client: n, argv: r.chance(0.5) ? ['PING'] : ['PING', message(r, st)] })
    } else if (w < 156) {
      // Refused in RESP2 subscribed mode, run in RESP3 (and notify keyspace subscribers).
      const n = pickFree(st.keyspace ? 0.7 : 0.4)
      await run({ client: n, argv: dataCommand(r, st) })
    } else if (w < 166) {
      const n = pickFree(0.9)
      // A silenced MULTI would leave the connection in a transaction the generator cannot see.
      if (conn(n).reply !== 'on') continue
      if (restricted(conn(n))) await run({ client: n, argv: ['MULTI'] })
      else await transaction(n)
    } else if (w < 174) {
      const n = pickFree(0.85)
      await run({ client: n, argv: evalPublish(r, st, conn(n)) })
    } else if (w < 178) {
      const n = r.pick(ready(st))
      const c = conn(n)
      // RESET turns CLIENT REPLY OFF back on before replying, but its own reply is still skipped.
      await run({ client: n, argv: ['RESET'] }, { frames: c.reply === 'skip' ? 0 : 1 })
      c.proto = 2
      c.channels.clear()
      c.patterns.clear()
      c.shards.clear()
      c.reply = 'on'
      c.tracking = 'off'
    } else if (w < 182) {
      const n = pickFree(0.8)
      const c = conn(n)
      // Not to RESP3 while redirecting: a broken redirection would then push the (differing) client id.
      const v = c.tracking === 'redirect' ? r.pick(['2', '']) : r.pick(['2', '3', '3', ''])
      if (!restricted(c) && v !== '') c.proto = v === '2' ? 2 : 3
      await run({ client: n, argv: v === '' ? ['HELLO'] : ['HELLO', v], types: true })
    } else if (w < 188) {
      if (live(st).length < 2) continue
      await kill(pickFree(0.9))
    } else if (w < 190) {
      if (live(st).length < 3) continue
      await quit(r.pick(ready(st)), ['QUIT'])
    } else if (w < 193) {
      // Subscribe-family confirmations and messages are pushes: CLIENT REPLY does not silence them.
      const n = pickFree(0.9)
      const c = conn(n)
      if (c.reply === 'skip' || opts.clientReply === false) continue
      const mode = c.reply === 'off' ? 'ON' : r.pick(['OFF', 'OFF', 'SKIP', 'ON'])
      if (restricted(c)) await run({ client: n, argv: ['CLIENT', 'REPLY', mode] })
      else {
        // ON answers even when replies were off.
        await run({ client: n, argv: ['CLIENT', 'REPLY', mode] }, { frames: mode === 'ON' ? 1 : 0 })
        c.reply = mode === 'ON' ? 'on' : mode === 'OFF' ? 'off' : 'skip'
      }
    } else if (w < 200) {
      // What RESP2 subscribed mode refuses (a RESP3 subscriber runs it).
      const subs = ready(st).filter((n) => subscribed(conn(n)))
      if (subs.length === 0) continue
      const n = r.pick(subs)
      const argv = r.pick([
        () => dataCommand(r, st),
        () => ['PUBLISH', publishTo(r, st, conn(n)), message(r, st)],
        () => pubsubIntrospection(r, st).argv.slice(0, 2).concat(['news.a']),
        () => ['ECHO', message(r, st)],
        () => ['CONFIG', 'GET', 'notify-keyspace-events'],
        () => ['SELECT', '0'],
      ])()
      await run({ client: n, argv })
    } else if (w < 212) {
      await blocking()
    } else if (w < 220) {
      if (st.tracking) await tracking()
    } else {
      if (!st.keyspace) continue
      const n = pickFree(0.95)
      if (r.chance(0.25)) await run({ client: n, argv: ['CONFIG', 'GET', 'notify-keyspace-events'] })
      else {
        const flags = r.chance(0.15) ? '' : r.pick(NOTIFY_FLAGS)
        if (!restricted(conn(n))) st.notified ||= flags !== ''
        await run({ client: n, argv: ['CONFIG', 'SET', 'notify-keyspace-events', flags] })
      }
    }
  }
  if (st.notified) await run({ client: 'z', argv: ['CONFIG', 'SET', 'notify-keyspace-events', ''] })
  return { steps: out, frames }
}

// ---------------------------------------------------------------- comparison

const STR = String.raw`"(?:[^"\\]|\\.)*"`
const UNSUB = new RegExp(String.raw`^((?:push)?\["[ps]?unsubscribe" )(${STR}|nil|_)( :\d+\])$`)
const PMESSAGE = new RegExp(String.raw`^((?:push)?\["pmessage" )(${STR})( ${STR} ${STR}\])$`)
const STRINGS = new RegExp(String.raw`^\[(?:${STR}(?: ${STR})*)?\]$`)

/**
 * Puts what Redis sends in hash-table order into a canonical order: the pmessages one publish
 * delivers to a connection through several patterns, the confirmations of an argument-less
 * unsubscribe (names sorted, counts kept in order) and the lists of PUBSUB (SHARD)CHANNELS.
 */
export function canonical(steps: PStep[], frames: Frames[]): Frames[] {
  return frames.map((f, i) => {
    const s = steps[i]
    const out: Frames = {}
    for (const [name, list] of Object.entries(f)) {
      let l = sortPatternRuns(list)
      if (s?.unordered && s.client === name) l = l.map(sortStrings)
      if (s?.unordered && s.client === name) l = sortUnsubscribes(l)
      out[name] = l
    }
    return out
  })
}

function sortPatternRuns(list: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < list.length; ) {
    const m = PMESSAGE.exec(list[i]!)
    let j = i + 1
    if (m !== null) {
      const rest = (k: number): string | undefined => {
        const x = PMESSAGE.exec(list[k] ?? '')
        return x === null ? undefined : x[1]! + x[3]!
      }
      while (j < list.length && rest(j) === m[1]! + m[3]!) j++
    }
    out.push(...list.slice(i, j).sort())
    i = j
  }
  return out
}

function sortStrings(frame: string): string {
  if (!STRINGS.test(frame)) return frame
  const items = frame.slice(1, -1).match(new RegExp(STR, 'g')) ?? []
  return `[${items.sort().join(' ')}]`
}

function sortUnsubscribes(list: string[]): string[] {
  const names = list.map((f) => UNSUB.exec(f)?.[2]).filter((x): x is string => x !== undefined).sort()
  let k = 0
  return list.map((f) => {
    const m = UNSUB.exec(f)
    return m === null ? f : m[1]! + names[k++]! + m[3]!
  })
}

// ---------------------------------------------------------------- runs

/**
 * Empties the server and waits until the previous script's connections are gone: their
 * subscriptions would still count in PUBLISH and PUBSUB, a blocked one would take a push.
 */
export async function reset(port: number): Promise<void> {
  const run = new Run(port)
  try {
    await run.step({ client: 'z', argv: ['CONFIG', 'SET', 'notify-keyspace-events', ''] })
    await run.step({ client: 'z', argv: ['FLUSHALL'] })
    const deadline = Date.now() + 3000
    for (;;) {
      const f = await run.step({ client: 'z', argv: ['CLIENT', 'LIST'] }, undefined, 0)
      if (f.z?.[0]?.split('id=').length === 2) break
      if (Date.now() > deadline) throw new Error(`port ${port}: connections of an earlier script remain: ${JSON.stringify(f.z)}`)
      await sleep(5)
    }
  } finally {
    run.close()
  }
}

/** The pub/sub fuzzer for the runner (`clientReply: false` leaves CLIENT REPLY out of the scripts). */
export function pubsubFuzzer(opts: GenOptions = {}): Fuzzer {
  return {
    reset,
    generate: (seed, steps, ref) => generate(seed, steps, ref, opts),
    canonical: (steps, frames) => canonical(steps as PStep[], frames),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await fuzzCli(pubsubFuzzer({ clientReply: !process.argv.includes('--no-client-reply') }), 60)
