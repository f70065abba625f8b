/**
 * Collections benchmarks (hashes, lists, sets, sorted sets), all in one run:
 *
 * 1. Scale: ns/op of single-element operations on one collection of N
 *    elements, N = 1e3 … 1e6, with the growth from 1e3 to 1e6 per row (the
 *    bar: at most 3×, i.e. log or constant cost). Probed twice: at random
 *    over the whole collection (at 1e6 that mostly measures cache misses, so a
 *    bare Map probed the same way is shown for scale) and over a few hot
 *    members (the algorithm's own growth). ioredis-mock runs beside it at the
 *    sizes where it finishes (its operations are O(n)).
 * 2. Throughput: typed operations on 1,000-element collections against
 *    ioredis-mock and a real server over loopback (ioredis, one awaited
 *    command at a time), when valkey-server/redis-server is installed.
 *
 * embedis operations are timed in batches (one sample = BATCH calls) so the
 * timer's own cost does not flatten the figures; the reported time is the
 * median sample divided by the batch size (the lower of two rounds' medians,
 * see {@link Timing.rounds}), which shrugs off the occasional
 * stall of a shared machine (and with it the rare sample that pays for a
 * table resize: amortised costs show in the mean, not here). Operations that grow a collection (ZADD of a new
 * member, LPUSH, HSET of a new field, SADD) are undone in an untimed hook
 * after each sample, so N stays N; the members they add are new names every
 * time (see {@link FreshNames}).
 *
 * Growth is the N=1e6 time divided by the N=1e3 time of the same run. Beside
 * it, each probed row shows the growth of a bare Map probed the same way
 * (Map.get for lookups, Map.set of a new key for inserts) and the row's growth
 * divided by it: what the structure adds to what a larger working set does to
 * a single hash lookup on this machine. Lookup rows chain their probes (the
 * next probe's index depends on the previous result), the Map.get reference
 * included: a tight loop of bare, independent Map.get calls lets the CPU
 * overlap the cache misses of several lookups, which a store operation's
 * longer code path does not, so an unchained reference would understate what
 * memory costs one lookup (it is shown too, as "Map.get, overlapping").
 */
import { Bench } from 'tinybench'
import { Store } from '../src/index.js'
import { isMain, realServerClient } from './lib.js'

/** Collection sizes of the scale table. */
export const SCALE_SIZES = [1_000, 10_000, 100_000, 1_000_000] as const
/** Sizes ioredis-mock is run at (larger ones take seconds per operation). */
export const MOCK_SIZES = [1_000, 10_000] as const
/** Elements per collection in the throughput table. */
export const THROUGHPUT_SIZE = 1_000

/** Calls per timed sample for in-process synchronous operations. */
const BATCH = 64
/** Distinct random probes per size, cycled through. */
const POOL = 4096

export interface CollectionsOptions {
  /** Timed milliseconds per task (embedis; default 150). */
  time?: number
  /** Sizes for the scale table (default SCALE_SIZES). */
  sizes?: readonly number[]
  /** Sizes ioredis-mock runs at (default MOCK_SIZES). */
  mockSizes?: readonly number[]
}

/** ns/op per row, per contender and size: `results.get(row).get('embedis 1e6')`. */
export type ScaleResults = Map<string, Map<string, number>>

/** ops/s per row and contender. */
export type ThroughputResults = Map<string, Map<string, number>>

// ------------------------------------------------------------------ helpers

/** A small deterministic PRNG (mulberry32), so every run probes the same elements. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const member = (i: number): string => `m:${i}`

/** Where the reference row's results go, so they are not optimised away. */
let sink = 0

/** A task as the scale and throughput tables run it. */
interface Task {
  /** One sample: `ops` operations (BATCH synchronous embedis calls, or one awaited client call). */
  fn: () => unknown
  ops: number
  /** Untimed, after each sample: puts the collection back to its size. */
  after?: () => unknown
  /** Untimed, before each sample (e.g. refill a list LPOP drains). */
  before?: () => unknown
}

interface Timing {
  /** Timed milliseconds per task, split over the rounds. */
  time: number
  warmupTime: number
  iterations: number
  warmupIterations: number
  /**
   * Times every task is measured, all tasks once per round; a task's figure
   * is its lowest median. Tasks run one after the other, so a neighbour's
   * burst of work on a shared machine would otherwise land on whichever rows
   * run during it (the scale table also visits every size in each round).
   */
  rounds: number
}

const FAST: Timing = { time: 150, warmupTime: 20, iterations: 64, warmupIterations: 16, rounds: 2 }
/** ioredis-mock at 1e4 takes up to ~40 ms per call: few samples, no long warmup. */
const SLOW: Timing = { time: 100, warmupTime: 0, iterations: 8, warmupIterations: 2, rounds: 1 }
/** The client's and the server's code paths warm up slowly: a longer warmup, or the first rows come out low. */
const NET: Timing = { time: 300, warmupTime: 250, iterations: 64, warmupIterations: 200, rounds: 1 }

/** Median ns per operation for each task, the lowest over `t.rounds` rounds. */
async function measure(tasks: Map<string, Task>, t: Timing): Promise<Map<string, number>> {
  const best = new Map<string, number>()
  for (let round = 0; round < t.rounds; round++) {
    for (const [name, ns] of await measureOnce(tasks, { ...t, time: t.time / t.rounds })) {
      const prev = best.get(name)
      best.set(name, prev === undefined || !(prev <= ns) ? ns : prev)
    }
  }
  return best
}

/** Runs tasks in one Bench and returns median ns per operation for each. */
async function measureOnce(tasks: Map<string, Task>, t: Timing): Promise<Map<string, number>> {
  const bench = new Bench({ time: t.time, warmupTime: t.warmupTime, iterations: t.iterations, warmupIterations: t.warmupIterations })
  for (const [name, task] of tasks) {
    const { after, before } = task
    bench.add(name, task.fn as () => void, {
      // Client tasks (one awaited call per sample) are the async ones. Said outright: otherwise tinybench
      // calls fn once, unhooked, to find out, and that call would grow the collection.
      async: task.ops === 1,
      afterEach: after && (async () => void (await after())),
      beforeEach: before && (async () => void (await before())),
    })
  }
  await bench.run()
  const out = new Map<string, number>()
  for (const bt of bench.tasks) {
    const r = bt.result as { latency?: { p50: number }; error?: unknown; state?: string }
    if (r.error !== undefined) throw r.error
    const task = tasks.get(bt.name)!
    out.set(bt.name, r.latency ? (r.latency.p50 * 1e6) / task.ops : NaN)
  }
  return out
}

function fmtNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '–'
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`
  return `${ns.toFixed(0)} ns`
}

function fmtOps(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return n.toFixed(0)
}

const sizeName = (n: number): string => `1e${Math.round(Math.log10(n))}`

/** The operations every contender implements, so one set of rows drives them all. */
interface Ops {
  zaddMany(key: string, scores: number[], members: string[]): unknown
  rpushMany(key: string, values: string[]): unknown
  hsetMany(key: string, fields: string[], value: string): unknown
  saddMany(key: string, members: string[]): unknown
}

/** Fills z, l, h and s with n elements each: members/fields m:0..m:n-1, z scores 0..n-1. */
async function fill(ops: Ops, n: number, prefix: string): Promise<void> {
  const CHUNK = 10_000
  for (let lo = 0; lo < n; lo += CHUNK) {
    const hi = Math.min(n, lo + CHUNK)
    const scores: number[] = []
    const ms: string[] = []
    for (let i = lo; i < hi; i++) {
      scores.push(i)
      ms.push(member(i))
    }
    await ops.zaddMany(`${prefix}z`, scores, ms)
    await ops.rpushMany(`${prefix}l`, ms)
    await ops.hsetMany(`${prefix}h`, ms, 'value-0123456789')
    await ops.saddMany(`${prefix}s`, ms)
  }
}

/**
 * Probes for one size: existing members, new members with their scores, range
 * starts. Each array has POOL entries cycling over `distinct` different
 * values: POOL of them spreads the accesses over the whole collection, a few
 * ({@link HOT}) keep the touched nodes in the CPU caches.
 */
interface Probes {
  existing: string[]
  freshScores: number[]
  rangeLo: number[]
}

/**
 * Names for the rows that add members (ZADD, HSET, SADD, Map.set): a new
 * batch before each sample (untimed), never reused. Re-adding a few thousand
 * names after deleting them would time a quirk of V8's Map rather than the
 * structure: a deleted entry stays in its bucket's chain until the table is
 * rebuilt, which a table of 1e6 entries does only every million or so
 * insertions, so the chains of reused names grow with every sample (to several
 * µs per insertion at 1e6, for a bare Map too, while a small table is rebuilt
 * every few dozen insertions and never shows it).
 */
let freshSeq = 0
class FreshNames {
  readonly batch: string[] = new Array<string>(BATCH).fill('')
  /** Fills `batch` with BATCH names never handed out before. */
  next(): void {
    for (let b = 0; b < BATCH; b++) this.batch[b] = `new:${freshSeq++}`
  }
  /** One new name (client rows, one call per sample). */
  one(): string {
    return `new:${freshSeq++}`
  }
}

/** Distinct members the "hot" probes touch. */
const HOT = 16

function probes(n: number, seed: number, distinct = POOL): Probes {
  const r = rng(seed)
  const p: Probes = { existing: [], freshScores: [], rangeLo: [] }
  for (let i = 0; i < POOL; i++) {
    if (i < distinct) {
      p.existing.push(member(Math.floor(r() * n)))
      p.freshScores.push(r() * n) // lands at a random rank
      p.rangeLo.push(Math.floor(r() * (n - 10)))
    } else {
      p.existing.push(p.existing[i % distinct]!)
      p.freshScores.push(p.freshScores[i % distinct]!)
      p.rangeLo.push(p.rangeLo[i % distinct]!)
    }
  }
  return p
}

// ------------------------------------------------------------------ scale

/** The scale rows, in table order. */
export const SCALE_ROWS = [
  'ZADD (new member)',
  'ZRANK',
  'ZRANGE 0 9',
  'ZRANGEBYSCORE (10 returned)',
  'ZSCORE',
  'LPUSH',
  'LINDEX (middle)',
  'HSET (new field)',
  'HGET',
  'SISMEMBER',
  'Map.get (reference)',
  'Map.get, overlapping (reference)',
  'Map.set new key (reference)',
] as const

/** Rows whose cost depends on which element is probed (the others run once, in the random table). */
export const HOT_ROWS: readonly string[] = [
  'ZADD (new member)',
  'ZRANK',
  'ZRANGEBYSCORE (10 returned)',
  'ZSCORE',
  'HGET',
  'SISMEMBER',
  'Map.get (reference)',
  'Map.get, overlapping (reference)',
  'Map.set new key (reference)',
]

/**
 * The Map reference each probed row is compared with: the same probes against
 * a bare Map of N entries (lookups against Map.get, insertions of new names
 * against Map.set). Rows not listed touch the same few elements at every N.
 */
export const MAP_REFERENCE: Readonly<Record<string, string>> = {
  'ZADD (new member)': 'Map.set new key (reference)',
  ZRANK: 'Map.get (reference)',
  'ZRANGEBYSCORE (10 returned)': 'Map.get (reference)',
  ZSCORE: 'Map.get (reference)',
  'HSET (new field)': 'Map.set new key (reference)',
  HGET: 'Map.get (reference)',
  SISMEMBER: 'Map.get (reference)',
}

/**
 * Scale rows for the typed Store on collections of n elements, plus a bare
 * Map<string, string> of the same n entries probed the same way: how much of
 * the growth is the machine's memory rather than the data structure.
 */
function storeScaleTasks(store: Store, ref: Map<string, string>, n: number, p: Probes): Map<string, Task> {
  const { existing, freshScores, rangeLo } = p
  const mask = POOL - 1
  let j = 0
  const names = new FreshNames()
  // [score, member] pairs filled before each sample: the bench measures ZADD, not array literals.
  const pairs = Array.from({ length: BATCH }, () => [[0, ''] as [number, string]] as const)
  const mid = n >> 1
  const tasks = new Map<string, Task>()
  tasks.set('ZADD (new member)', {
    ops: BATCH,
    before: () => {
      names.next()
      for (let b = 0; b < BATCH; b++) {
        const pr = pairs[b]![0]
        pr[0] = freshScores[(j + b) & mask]!
        pr[1] = names.batch[b]!
      }
    },
    fn: () => {
      for (let b = 0; b < BATCH; b++) store.zadd('z', pairs[b]!)
      j += BATCH
    },
    after: () => {
      for (let b = 0; b < BATCH; b++) store.zrem('z', names.batch[b]!)
    },
  })
  // Lookups are chained: each probe's index depends on the previous result (a
  // zero computed from it), so no row overlaps the memory accesses of
  // consecutive probes, whatever the length of its code path (see the Map rows).
  let d = 0
  tasks.set('ZRANK', {
    ops: BATCH,
    fn: () => {
      for (let b = 0; b < BATCH; b++) d = (store.zrank('z', existing[(j++ + d) & mask]!) as number) >>> 30
    },
  })
  tasks.set('ZRANGE 0 9', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.zrange('z', 0, 9) } })
  tasks.set('ZRANGEBYSCORE (10 returned)', {
    ops: BATCH,
    fn: () => {
      for (let b = 0; b < BATCH; b++) {
        const lo = rangeLo[(j++ + d) & mask]!
        d = store.zrangebyscore('z', lo, lo + 9).length >>> 8
      }
    },
  })
  tasks.set('ZSCORE', {
    ops: BATCH,
    fn: () => {
      for (let b = 0; b < BATCH; b++) d = (store.zscore('z', existing[(j++ + d) & mask]!) as number) >>> 30
    },
  })
  tasks.set('LPUSH', {
    ops: BATCH,
    fn: () => { for (let b = 0; b < BATCH; b++) store.lpush('l', 'x') },
    after: () => { store.lpop('l', BATCH) },
  })
  tasks.set('LINDEX (middle)', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.lindex('l', mid) } })
  tasks.set('HSET (new field)', {
    ops: BATCH,
    before: () => names.next(),
    fn: () => {
      for (let b = 0; b < BATCH; b++) store.hset('h', names.batch[b]!, 'v')
    },
    after: () => {
      for (let b = 0; b < BATCH; b++) store.hdel('h', names.batch[b]!)
    },
  })
  tasks.set('HGET', {
    ops: BATCH,
    fn: () => {
      for (let b = 0; b < BATCH; b++) d = (store.hget('h', existing[(j++ + d) & mask]!) as string).length >>> 16
    },
  })
  tasks.set('SISMEMBER', {
    ops: BATCH,
    fn: () => {
      for (let b = 0; b < BATCH; b++) d = Number(store.sismember('s', existing[(j++ + d) & mask]!)) >>> 1
    },
  })
  tasks.set('Map.get (reference)', {
    ops: BATCH,
    fn: () => {
      for (let b = 0; b < BATCH; b++) d = (ref.get(existing[(j++ + d) & mask]!) as string).length >>> 16
    },
  })
  tasks.set('Map.get, overlapping (reference)', {
    ops: BATCH,
    fn: () => {
      // Independent lookups: a tight loop lets the CPU run several at once. The
      // results are used, or the optimiser drops the lookups altogether.
      let hits = 0
      for (let b = 0; b < BATCH; b++) if (ref.get(existing[j++ & mask]!) !== undefined) hits++
      sink += hits
    },
  })
  tasks.set('Map.set new key (reference)', {
    ops: BATCH,
    before: () => names.next(),
    fn: () => {
      for (let b = 0; b < BATCH; b++) ref.set(names.batch[b]!, 'v')
    },
    after: () => {
      for (let b = 0; b < BATCH; b++) ref.delete(names.batch[b]!)
    },
  })
  return tasks
}

/** The subset of the ioredis API the benches use (ioredis-mock and ioredis both have it). */
interface Client {
  zadd(key: string, ...args: Array<string | number>): Promise<unknown>
  zrem(key: string, ...members: string[]): Promise<unknown>
  zrank(key: string, member: string): Promise<unknown>
  zrange(key: string, start: number, stop: number): Promise<unknown>
  zrangebyscore(key: string, min: number, max: number): Promise<unknown>
  zscore(key: string, member: string): Promise<unknown>
  lpush(key: string, ...values: string[]): Promise<unknown>
  rpush(key: string, ...values: string[]): Promise<unknown>
  lpop(key: string): Promise<unknown>
  lindex(key: string, index: number): Promise<unknown>
  hset(key: string, ...args: string[]): Promise<unknown>
  hget(key: string, field: string): Promise<unknown>
  hdel(key: string, ...fields: string[]): Promise<unknown>
  sadd(key: string, ...members: string[]): Promise<unknown>
  srem(key: string, ...members: string[]): Promise<unknown>
  sismember(key: string, member: string): Promise<unknown>
  del(...keys: string[]): Promise<unknown>
}

function clientOps(c: Client): Ops {
  return {
    zaddMany: (k, scores, ms) => {
      const args: Array<string | number> = []
      for (let i = 0; i < ms.length; i++) args.push(scores[i]!, ms[i]!)
      return c.zadd(k, ...args)
    },
    rpushMany: (k, vs) => c.rpush(k, ...vs),
    hsetMany: (k, fs, v) => {
      const args: string[] = []
      for (const f of fs) args.push(f, v)
      return c.hset(k, ...args)
    },
    saddMany: (k, ms) => c.sadd(k, ...ms),
  }
}

function storeOps(store: Store): Ops {
  return {
    zaddMany: (k, scores, ms) => store.zadd(k, ms.map((m, i) => [scores[i]!, m] as const)),
    rpushMany: (k, vs) => store.rpush(k, ...vs),
    hsetMany: (k, fs, v) => store.hset(k, fs.map((f) => [f, v] as const)),
    saddMany: (k, ms) => store.sadd(k, ...ms),
  }
}

/** Scale rows for an awaited client (one command per sample), keys under `prefix`. */
function clientScaleTasks(c: Client, prefix: string, n: number, p: Probes): Map<string, Task> {
  const { existing, freshScores, rangeLo } = p
  const mask = POOL - 1
  let j = 0
  let name = ''
  const names = new FreshNames()
  const z = `${prefix}z`
  const l = `${prefix}l`
  const h = `${prefix}h`
  const s = `${prefix}s`
  const mid = n >> 1
  const tasks = new Map<string, Task>()
  tasks.set('ZADD (new member)', {
    ops: 1,
    before: () => {
      name = names.one()
    },
    fn: () => c.zadd(z, freshScores[j++ & mask]!, name),
    after: () => c.zrem(z, name),
  })
  tasks.set('ZRANK', { ops: 1, fn: () => c.zrank(z, existing[j++ & mask]!) })
  tasks.set('ZRANGE 0 9', { ops: 1, fn: () => c.zrange(z, 0, 9) })
  tasks.set('ZRANGEBYSCORE (10 returned)', {
    ops: 1,
    fn: () => {
      const lo = rangeLo[j++ & mask]!
      return c.zrangebyscore(z, lo, lo + 9)
    },
  })
  tasks.set('ZSCORE', { ops: 1, fn: () => c.zscore(z, existing[j++ & mask]!) })
  tasks.set('LPUSH', { ops: 1, fn: () => c.lpush(l, 'x'), after: () => c.lpop(l) })
  tasks.set('LINDEX (middle)', { ops: 1, fn: () => c.lindex(l, mid) })
  tasks.set('HSET (new field)', {
    ops: 1,
    before: () => {
      name = names.one()
    },
    fn: () => c.hset(h, name, 'v'),
    after: () => c.hdel(h, name),
  })
  tasks.set('HGET', { ops: 1, fn: () => c.hget(h, existing[j++ & mask]!) })
  tasks.set('SISMEMBER', { ops: 1, fn: () => c.sismember(s, existing[j++ & mask]!) })
  return tasks
}

/** Sanity checks that each row does what its name says (a range row that returned nothing would flatter us). */
function checkStore(store: Store, n: number, p: Probes): void {
  const lo = p.rangeLo[0]!
  const got = store.zrangebyscore('z', lo, lo + 9).length
  if (got !== 10) throw new Error(`ZRANGEBYSCORE returned ${got} members at N=${n}`)
  if (store.zrange('z', 0, 9).length !== 10) throw new Error('ZRANGE 0 9 did not return 10')
  if (store.lindex('l', n >> 1) !== member(n >> 1)) throw new Error('LINDEX probe missed')
  if (store.hget('h', p.existing[0]!) === null || !store.sismember('s', p.existing[0]!) || store.zrank('z', p.existing[0]!) === null) {
    throw new Error('probe member missing')
  }
}

function checkSizes(store: Store, n: number): void {
  const sizes = [store.zcard('z'), store.llen('l'), store.hlen('h'), store.scard('s')]
  if (sizes.some((x) => x !== n)) throw new Error(`collections drifted from N=${n}: ${sizes.join(', ')}`)
}

/** ns/op for the two probe patterns. */
export interface ScaleTables {
  /** Probes spread over the whole collection (4096 distinct members): embedis, the Map reference and ioredis-mock. */
  random: ScaleResults
  /** The same 16 members over and over: embedis and the Map reference. */
  hot: ScaleResults
}

/**
 * The scale tables: for each N, builds one sorted set, list, hash and set of
 * N elements (and a reference Map), times every row on them with random and
 * with hot probes, then frees them before the next N.
 */
export async function benchCollectionsScale(opts: CollectionsOptions = {}): Promise<ScaleTables> {
  const sizes = opts.sizes ?? SCALE_SIZES
  const mockSizes = (opts.mockSizes ?? MOCK_SIZES).filter((n) => sizes.includes(n))
  const fast: Timing = { ...FAST, time: opts.time ?? FAST.time }
  const random: ScaleResults = new Map(SCALE_ROWS.map((r) => [r, new Map<string, number>()]))
  const hot: ScaleResults = new Map(HOT_ROWS.map((r) => [r, new Map<string, number>()]))

  // Every size is built first and then measured in rounds, each round
  // visiting every size in turn: a burst of work from a neighbour on a shared
  // machine then hits one round of one size, not all the rows of a size.
  const built: { n: number; store: Store; random: Map<string, Task>; hot: Map<string, Task> }[] = []
  for (const n of sizes) {
    const p = probes(n, n)
    const ph = probes(n, n + 1, HOT)
    const store = new Store({ activeExpiry: false })
    const ref = new Map<string, string>()
    const t0 = performance.now()
    await fill(storeOps(store), n, '')
    for (let i = 0; i < n; i++) ref.set(member(i), 'value-0123456789')
    const took = performance.now() - t0
    checkStore(store, n, p)
    checkStore(store, n, ph)
    const hotTasks = storeScaleTasks(store, ref, n, ph)
    for (const row of hotTasks.keys()) if (!HOT_ROWS.includes(row)) hotTasks.delete(row)
    built.push({ n, store, random: storeScaleTasks(store, ref, n, p), hot: hotTasks })
    console.error(`  scale: N=${sizeName(n)} built in ${(took / 1000).toFixed(1)} s`)
  }
  const once: Timing = { ...fast, time: fast.time / fast.rounds, rounds: 1 }
  const keep = (table: ScaleResults, row: string, col: string, ns: number): void => {
    const m = table.get(row)!
    const prev = m.get(col)
    if (prev === undefined || !(prev <= ns)) m.set(col, ns)
  }
  for (let round = 0; round < fast.rounds; round++) {
    for (const b of built) {
      const col = `embedis ${sizeName(b.n)}`
      for (const [row, ns] of await measure(b.random, once)) keep(random, row, col, ns)
      for (const [row, ns] of await measure(b.hot, once)) keep(hot, row, col, ns)
    }
    console.error(`  scale: round ${round + 1} of ${fast.rounds} measured`)
  }
  for (const b of built) {
    checkSizes(b.store, b.n)
    b.store.close()
  }
  built.length = 0 // let the collections go before ioredis-mock and the throughput table

  for (const n of mockSizes) {
    const p = probes(n, n)
    const { default: RedisMock } = await import('ioredis-mock')
    const mock = new RedisMock() as unknown as Client & { disconnect(): void }
    const prefix = `bench:collections:${n}:`
    await fill(clientOps(mock), n, prefix)
    const mns = await measure(clientScaleTasks(mock, prefix, n, p), SLOW)
    for (const [row, v] of mns) random.get(row)!.set(`ioredis-mock ${sizeName(n)}`, v)
    await mock.del(`${prefix}z`, `${prefix}l`, `${prefix}h`, `${prefix}s`)
    mock.disconnect()
    console.error(`  scale: ioredis-mock N=${sizeName(n)} measured`)
  }
  const g = `${sizeName(sizes[sizes.length - 1]!)}/${sizeName(sizes[0]!)}`
  if (sink < 0) console.log(sink) // never: keeps `sink` observable
  printScale(
    'Collections: cost growth, random probes (time per operation on one collection of N elements)',
    `Probes cycle over ${POOL} members drawn at random from the whole collection, so at large N most accesses miss ` +
      `the CPU caches and the TLB; the Map rows are a bare Map<string, string> of N entries probed the same way. ` +
      `Lookups are chained (each probe's index depends on the previous result), for Map.get too, so that no row ` +
      `overlaps the memory accesses of consecutive probes; "Map.get, overlapping" is the same Map probed by a tight ` +
      `loop of independent lookups, which the CPU runs several at a time (store operations, being longer, cannot). ` +
      `Insertions add names never used before and are undone, untimed, after each sample. ` +
      `ioredis-mock only at ${mockSizes.map(sizeName).join(' and ') || 'no size'} (its operations are O(n): larger ` +
      `sizes take seconds per row). Times are median samples (embedis and Map: the lower of two rounds). Growth = time at N=${sizeName(sizes[sizes.length - 1]!)} ` +
      `÷ time at N=${sizeName(sizes[0]!)} (the bar: ${g} ≤ 3×); "Map growth" is that of the Map reference row named ` +
      `beside it, and "÷ Map" the row's growth divided by it: the part of the growth the structure adds to what ` +
      `the memory does to one hash lookup.`,
    random,
    sizes,
    mockSizes,
    true,
  )
  printScale(
    'Collections: cost growth, hot probes',
    `The rows that depend on which element is probed, cycling over the same ${HOT} members (ZADD: new members at ` +
      `${HOT} score positions), so the nodes on their paths stay cached: the cost of the algorithm rather than of the ` +
      `memory. Growth as above (the bar: ≤ 3×).`,
    hot,
    sizes,
    [],
    false,
  )
  return { random, hot }
}

function printScale(
  title: string,
  note: string,
  results: ScaleResults,
  sizes: readonly number[],
  mockSizes: readonly number[],
  mapColumns: boolean,
): void {
  const first = sizes[0]!
  const last = sizes[sizes.length - 1]!
  const growth = `${sizeName(last)}/${sizeName(first)}`
  const mockFirst = mockSizes[0]
  const mockLast = mockSizes[mockSizes.length - 1]
  const mockGrowth = mockSizes.length > 1 ? `${sizeName(mockLast!)}/${sizeName(mockFirst!)}` : undefined
  const growthOf = (row: string): number => {
    const m = results.get(row)
    return (m?.get(`embedis ${sizeName(last)}`) ?? NaN) / (m?.get(`embedis ${sizeName(first)}`) ?? NaN)
  }
  const fmtX = (x: number, digits = 2): string => (Number.isFinite(x) ? `${x.toFixed(digits)}×` : '–')
  console.log(`\n## ${title}\n`)
  console.log(`${note}\n`)
  const head = [
    'op',
    ...sizes.map((n) => `embedis N=${sizeName(n)}`),
    `growth ${growth}`,
    ...(mapColumns ? ['Map growth', '÷ Map'] : []),
    ...mockSizes.map((n) => `ioredis-mock N=${sizeName(n)}`),
    ...(mockGrowth ? [`ioredis-mock ${mockGrowth}`] : []),
  ]
  console.log(`| ${head.join(' | ')} |`)
  console.log(`|---|${head.slice(1).map(() => '---:').join('|')}|`)
  for (const [row, m] of results) {
    const g = growthOf(row)
    const ref = MAP_REFERENCE[row]
    const rg = ref !== undefined && results.has(ref) ? growthOf(ref) : NaN
    const cells = [
      row,
      ...sizes.map((n) => fmtNs(m.get(`embedis ${sizeName(n)}`))),
      `${fmtX(g)}${!Number.isFinite(g) || g <= 3 || row.startsWith('Map') ? '' : ' (over 3×)'}`,
      ...(mapColumns ? [Number.isFinite(rg) ? `${fmtX(rg)} (${ref!.startsWith('Map.get') ? 'get' : 'set'})` : '–', fmtX(g / rg)] : []),
      ...mockSizes.map((n) => fmtNs(m.get(`ioredis-mock ${sizeName(n)}`))),
    ]
    if (mockGrowth) {
      const mg = (m.get(`ioredis-mock ${sizeName(mockLast!)}`) ?? NaN) / (m.get(`ioredis-mock ${sizeName(mockFirst!)}`) ?? NaN)
      cells.push(fmtX(mg, 1))
    }
    console.log(`| ${cells.join(' | ')} |`)
  }
}

// ------------------------------------------------------------------ throughput

/** The throughput rows, in table order. */
export const THROUGHPUT_ROWS = ['ZADD (new score)', 'ZSCORE', 'ZRANGE 0 9', 'HSET (overwrite)', 'HGET', 'LPUSH', 'LPOP', 'SADD (new member)', 'SISMEMBER'] as const

function storeThroughputTasks(store: Store, p: Probes): Map<string, Task> {
  const { existing, freshScores } = p
  const mask = POOL - 1
  let j = 0
  const names = new FreshNames()
  // ZADD re-scores an existing member (the set keeps its size), with a fresh score each time.
  const pairs = existing.map((m, i) => [[freshScores[i]!, m] as const] as const)
  const tasks = new Map<string, Task>()
  tasks.set('ZADD (new score)', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.zadd('z', pairs[j++ & mask]!) } })
  tasks.set('ZSCORE', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.zscore('z', existing[j++ & mask]!) } })
  tasks.set('ZRANGE 0 9', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.zrange('z', 0, 9) } })
  tasks.set('HSET (overwrite)', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.hset('h', existing[j++ & mask]!, 'v') } })
  tasks.set('HGET', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.hget('h', existing[j++ & mask]!) } })
  tasks.set('LPUSH', {
    ops: BATCH,
    fn: () => { for (let b = 0; b < BATCH; b++) store.lpush('l', 'x') },
    after: () => { store.lpop('l', BATCH) },
  })
  tasks.set('LPOP', {
    ops: BATCH,
    before: () => { store.lpush('l', ...LPOP_REFILL) },
    fn: () => { for (let b = 0; b < BATCH; b++) store.lpop('l') },
  })
  tasks.set('SADD (new member)', {
    ops: BATCH,
    before: () => names.next(),
    fn: () => {
      for (let b = 0; b < BATCH; b++) store.sadd('s', names.batch[b]!)
    },
    after: () => {
      for (let b = 0; b < BATCH; b++) store.srem('s', names.batch[b]!)
    },
  })
  tasks.set('SISMEMBER', { ops: BATCH, fn: () => { for (let b = 0; b < BATCH; b++) store.sismember('s', existing[j++ & mask]!) } })
  return tasks
}

const LPOP_REFILL: string[] = Array.from({ length: BATCH }, () => 'x')

function clientThroughputTasks(c: Client, prefix: string, p: Probes): Map<string, Task> {
  const { existing, freshScores } = p
  const mask = POOL - 1
  let j = 0
  let name = ''
  const names = new FreshNames()
  const z = `${prefix}z`
  const l = `${prefix}l`
  const h = `${prefix}h`
  const s = `${prefix}s`
  const tasks = new Map<string, Task>()
  tasks.set('ZADD (new score)', {
    ops: 1,
    fn: () => {
      const i = j++ & mask
      return c.zadd(z, freshScores[i]!, existing[i]!)
    },
  })
  tasks.set('ZSCORE', { ops: 1, fn: () => c.zscore(z, existing[j++ & mask]!) })
  tasks.set('ZRANGE 0 9', { ops: 1, fn: () => c.zrange(z, 0, 9) })
  tasks.set('HSET (overwrite)', { ops: 1, fn: () => c.hset(h, existing[j++ & mask]!, 'v') })
  tasks.set('HGET', { ops: 1, fn: () => c.hget(h, existing[j++ & mask]!) })
  tasks.set('LPUSH', { ops: 1, fn: () => c.lpush(l, 'x'), after: () => c.lpop(l) })
  tasks.set('LPOP', { ops: 1, before: () => c.lpush(l, 'x'), fn: () => c.lpop(l) })
  tasks.set('SADD (new member)', {
    ops: 1,
    before: () => {
      name = names.one()
    },
    fn: () => c.sadd(s, name),
    after: () => c.srem(s, name),
  })
  tasks.set('SISMEMBER', { ops: 1, fn: () => c.sismember(s, existing[j++ & mask]!) })
  return tasks
}

/**
 * The throughput table: the typed Store, ioredis-mock and (when installed) a
 * real server over loopback on collections of THROUGHPUT_SIZE elements.
 */
export async function benchCollectionsThroughput(opts: CollectionsOptions = {}): Promise<ThroughputResults> {
  const n = THROUGHPUT_SIZE
  const p = probes(n, 7)
  const fast: Timing = { ...FAST, time: opts.time ?? FAST.time }
  const toOps = (ns: Map<string, number>): Map<string, number> => new Map([...ns].map(([k, v]) => [k, 1e9 / v]))
  const results: ThroughputResults = new Map(THROUGHPUT_ROWS.map((r) => [r, new Map<string, number>()]))
  const put = (name: string, ns: Map<string, number>) => {
    for (const [row, v] of toOps(ns)) results.get(row)!.set(name, v)
  }

  const store = new Store({ activeExpiry: false })
  await fill(storeOps(store), n, '')
  put('embedis', await measure(storeThroughputTasks(store, p), fast))
  store.close()

  const { default: RedisMock } = await import('ioredis-mock')
  const mock = new RedisMock() as unknown as Client & { disconnect(): void }
  const mprefix = 'bench:collections:tp:'
  await fill(clientOps(mock), n, mprefix)
  put('ioredis-mock', await measure(clientThroughputTasks(mock, mprefix, p), SLOW))
  await mock.del(`${mprefix}z`, `${mprefix}l`, `${mprefix}h`, `${mprefix}s`)
  mock.disconnect()

  const srv = await realServerClient()
  if (srv) {
    const real = srv.client
    try {
      await fill(clientOps(real as unknown as Client), n, '')
      put('real server', await measure(clientThroughputTasks(real as unknown as Client, '', p), NET))
    } finally {
      await srv.close()
    }
  }
  printThroughput(results, srv !== undefined)
  return results
}

function printThroughput(results: ThroughputResults, haveReal: boolean): void {
  console.log(`\n## Collections: throughput (collections of ${THROUGHPUT_SIZE.toLocaleString('en')} elements)\n`)
  console.log(
    `ops/s, one operation at a time (ioredis-mock and the real server: each call awaited; the real server is ` +
      `${haveReal ? 'a local valkey/redis over loopback through ioredis' : 'not installed here, so its column is empty'}). ` +
      `Ratios are embedis's ops/s over the other's.\n`,
  )
  const cols = ['embedis', 'ioredis-mock', 'real server']
  console.log(`| op | ${cols.map((c) => `${c} ops/s`).join(' | ')} | embedis / ioredis-mock | embedis / real server |`)
  console.log(`|---|${cols.map(() => '---:').join('|')}|---:|---:|`)
  for (const [row, m] of results) {
    const e = m.get('embedis')
    const r = (c: string) => (e && m.get(c) ? `${(e / m.get(c)!).toFixed(0)}×` : '–')
    console.log(`| ${row} | ${cols.map((c) => fmtOps(m.get(c))).join(' | ')} | ${r('ioredis-mock')} | ${r('real server')} |`)
  }
}

/** Both tables, in one run. */
export async function benchCollections(opts: CollectionsOptions = {}): Promise<{ scale: ScaleTables; throughput: ThroughputResults }> {
  const scale = await benchCollectionsScale(opts)
  const throughput = await benchCollectionsThroughput(opts)
  return { scale, throughput }
}

// Run directly: `node bench/run.mjs collections` (or `npm run bench -- collections`).
if (isMain(import.meta.url, 'collections')) {
  console.log(`# embedis collections benchmarks\n\nNode ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`)
  await benchCollections()
}
