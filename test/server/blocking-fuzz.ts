/**
 * Differential testing of blocking commands across connections: seeded random scripts in which
 * up to three connections block (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP, XREAD and XREADGROUP
 * with BLOCK…) while others push, pop, delete, rename, change types, swap databases, run
 * transactions and scripts, and unblock them with CLIENT UNBLOCK. Every connection's frames after
 * every step must match the reference server's.
 *
 * A script is generated against the reference server, step by step: which connections are
 * blocked (an unanswered command) decides what may come next. It is then replayed on embedis's
 * RESP server, which must deliver the same frames in the same steps (`conn-fuzz.ts` runs it).
 *
 *   npx tsx test/server/blocking-fuzz.ts [--seeds 50] [--from 1] [--steps 40]
 *
 * `blocking-fuzz.test.ts` runs fixed seeds live (when valkey-server is on PATH).
 */
import { Rng } from '../conformance/fuzz/gen.js'
import { fuzzCli, Run, type Frames, type Fuzzer, type Step } from './conn-fuzz.js'

// ---------------------------------------------------------------- generation

const LISTS = ['l1', 'l2', 'l3']
const ZSETS = ['z1', 'z2']
const STREAMS = ['x1', 'x2']
const BLOCKERS = ['a', 'b', 'c']
const ALL = ['a', 'b', 'c', 'd']

/** Script state the generator keeps: stream ids handed out, so XADD's explicit ids always grow. */
interface GenState {
  seq: number
}

const some = <T>(r: Rng, a: readonly T[], lo: number, hi: number): T[] => {
  const n = r.int(lo, hi)
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(r.pick(a))
  return out
}
/** Mostly keys of the right type; now and then one of another type (WRONGTYPE at once, or later). */
const keysOf = (r: Rng, kind: readonly string[], lo: number, hi: number): string[] =>
  some(r, r.chance(0.08) ? [...kind, r.pick([...LISTS, ...ZSETS, ...STREAMS, 'str'])] : kind, lo, hi)
const elem = (r: Rng): string => r.pick(['a', 'b', 'c', 'd', 'e', '1', '2'])
const score = (r: Rng): string => r.pick(['1', '2', '3', '1.5', '-1', '0', '10'])

/** A command that may block (with timeout 0 / BLOCK 0, or `timeout` when given). */
function blockingCommand(r: Rng, timeout = '0'): string[] {
  const side = () => r.pick(['LEFT', 'RIGHT'])
  const ms = timeout === '0' ? '0' : String(Math.round(Number(timeout) * 1000))
  switch (r.int(0, 9)) {
    case 0:
      return [r.pick(['BLPOP', 'BRPOP']), ...keysOf(r, LISTS, 1, 3), timeout]
    case 1:
      return ['BLMOVE', r.pick(LISTS), r.pick([...LISTS, r.pick(['str', 'z1'])]), side(), side(), timeout]
    case 2:
      return ['BRPOPLPUSH', r.pick(LISTS), r.pick(LISTS), timeout]
    case 3: {
      const keys = keysOf(r, LISTS, 1, 2)
      return ['BLMPOP', timeout, String(keys.length), ...keys, side(), ...(r.chance(0.5) ? ['COUNT', String(r.int(1, 3))] : [])]
    }
    case 4:
      return [r.pick(['BZPOPMIN', 'BZPOPMAX']), ...keysOf(r, ZSETS, 1, 2), timeout]
    case 5: {
      const keys = keysOf(r, ZSETS, 1, 2)
      return ['BZMPOP', timeout, String(keys.length), ...keys, r.pick(['MIN', 'MAX']), ...(r.chance(0.5) ? ['COUNT', String(r.int(1, 3))] : [])]
    }
    case 6:
    case 7: {
      const keys = [...new Set(keysOf(r, STREAMS, 1, 2))]
      const ids = keys.map(() => r.pick(['$', '$', '0-0', '2-0']))
      return ['XREAD', ...(r.chance(0.4) ? ['COUNT', String(r.int(1, 3))] : []), 'BLOCK', ms, 'STREAMS', ...keys, ...ids]
    }
    default: {
      const key = r.pick(STREAMS)
      return [
        'XREADGROUP', 'GROUP', 'g', r.pick(['c1', 'c2']),
        ...(r.chance(0.4) ? ['COUNT', String(r.int(1, 3))] : []),
        ...(r.chance(0.2) ? ['NOACK'] : []),
        'BLOCK', ms, 'STREAMS', key, r.chance(0.9) ? '>' : '0',
      ]
    }
  }
}

/** A command that never blocks: data in, data out, and the disturbances a blocked client must survive. */
function plainCommand(r: Rng, st: GenState): string[] {
  const w = r.int(0, 99)
  if (w < 22) return [r.pick(['LPUSH', 'RPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']), r.chance(0.95) ? r.pick(LISTS) : 'str', ...some(r, ['a', 'b', 'c', 'd', 'e'], 1, 3)]
  if (w < 34) {
    const pairs: string[] = []
    for (let i = r.int(1, 3); i > 0; i--) pairs.push(score(r), elem(r))
    return ['ZADD', r.pick(ZSETS), ...(r.chance(0.15) ? [r.pick(['NX', 'XX', 'GT'])] : []), ...pairs]
  }
  if (w < 46) {
    const key = r.pick(STREAMS)
    st.seq += r.int(1, 3)
    return ['XADD', key, ...(r.chance(0.1) ? ['NOMKSTREAM'] : []), ...(r.chance(0.1) ? ['MAXLEN', '2'] : []), `${st.seq}-0`, 'f', elem(r)]
  }
  if (w < 52) return ['XGROUP', 'CREATE', r.pick(STREAMS), 'g', r.pick(['$', '0']), ...(r.chance(0.7) ? ['MKSTREAM'] : [])]
  if (w < 54) return ['XGROUP', r.pick(['DESTROY', 'SETID']), r.pick(STREAMS), 'g', ...(r.chance(0.5) ? [] : ['0'])].slice(0, 5)
  if (w < 55) return ['XDEL', r.pick(STREAMS), `${r.int(1, st.seq + 1)}-0`]
  if (w < 57) return ['XTRIM', r.pick(STREAMS), 'MAXLEN', String(r.int(0, 2))]
  if (w < 60) {
    // Commands that create a list or sorted set at a destination key (which serves its blocked clients).
    switch (r.int(0, 4)) {
      case 0:
        return ['SORT', r.pick(LISTS), 'ALPHA', 'STORE', r.pick(LISTS)]
      case 1:
        return [r.pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), r.pick(ZSETS), '2', 'z1', 'z2']
      case 2:
        return ['ZRANGESTORE', r.pick(ZSETS), r.pick(ZSETS), '0', '-1']
      case 3:
        return ['GEOADD', r.pick(ZSETS), '13.361389', '38.115556', elem(r)]
      default:
        return ['ZINCRBY', r.pick(ZSETS), score(r), elem(r)]
    }
  }
  if (w < 62) return [r.pick(['LPOP', 'RPOP']), r.pick(LISTS), ...(r.chance(0.3) ? [String(r.int(1, 3))] : [])]
  if (w < 64) return ['LMOVE', r.pick(LISTS), r.pick(LISTS), r.pick(['LEFT', 'RIGHT']), r.pick(['LEFT', 'RIGHT'])]
  if (w < 66) return [r.pick(['ZPOPMIN', 'ZPOPMAX']), r.pick(ZSETS)]
  if (w < 72) {
    const k = r.pick([...LISTS, ...ZSETS, ...STREAMS])
    return LISTS.includes(k) ? ['LRANGE', k, '0', '-1'] : ZSETS.includes(k) ? ['ZRANGE', k, '0', '-1', 'WITHSCORES'] : ['XRANGE', k, '-', '+']
  }
  if (w < 74) return ['XPENDING', r.pick(STREAMS), 'g']
  if (w < 78) return [r.pick(['DEL', 'UNLINK']), ...some(r, [...LISTS, ...ZSETS, ...STREAMS], 1, 2)]
  if (w < 80) return ['SET', r.pick([...LISTS, ...ZSETS, ...STREAMS, 'str']), 'v']
  if (w < 84) {
    const all = [...LISTS, ...ZSETS, ...STREAMS, 'str']
    return [r.pick(['RENAME', 'RENAMENX', 'COPY']), r.pick(all), r.pick(all)]
  }
  if (w < 86) return ['SWAPDB', '0', '1']
  if (w < 87) return ['MOVE', r.pick([...LISTS, ...ZSETS, ...STREAMS]), r.pick(['0', '1'])]
  if (w < 87) return [r.pick(['FLUSHDB', 'FLUSHALL'])]
  if (w < 88) return ['EXPIRE', r.pick([...LISTS, ...ZSETS, ...STREAMS]), '0']
  if (w < 92) {
    const k = r.pick(LISTS)
    return r.chance(0.7)
      ? ['EVAL', "redis.call('rpush', KEYS[1], ARGV[1]); return redis.call('lpop', KEYS[1])", '1', k, elem(r)]
      : ['EVAL', "redis.call('rpush', KEYS[1], ARGV[1]); redis.call('rpush', KEYS[1], ARGV[1]); return 1", '1', k, elem(r)]
  }
  if (w < 97) return ['CLIENT', 'UNBLOCK', `$id:${r.pick(BLOCKERS)}`, ...(r.chance(0.5) ? [r.pick(['TIMEOUT', 'ERROR'])] : [])]
  return ['SELECT', r.pick(['0', '0', '1'])]
}

/**
 * Generates a script of about `steps` steps against the reference run `ref`, running each step
 * there as it goes; returns the steps and the frames the reference delivered.
 */
export async function generate(seed: number, steps: number, ref: Run): Promise<{ steps: Step[]; frames: Frames[] }> {
  const r = new Rng(seed)
  const st: GenState = { seq: 0 }
  const out: Step[] = []
  const frames: Frames[] = []
  const run = async (s: Step): Promise<void> => {
    out.push(s)
    frames.push(await ref.step(s))
  }
  // Some connections speak RESP3 (replies of XREAD and the pops differ in shape).
  for (const c of ALL) if (r.chance(0.25)) await run({ client: c, argv: ['HELLO', '3'], types: true })
  while (out.length < steps) {
    const free = ALL.filter((c) => !ref.blocked(c))
    const blockers = BLOCKERS.filter((c) => !ref.blocked(c))
    const u = r.next()
    if (blockers.length > 0 && u < 0.4) {
      const c = r.pick(blockers)
      if (r.chance(0.12)) {
        // A timeout that runs out during the pause that follows.
        await run({ client: c, argv: blockingCommand(r, '0.1'), mayBlock: true })
        await run({ client: c, argv: [], sleep: 250 })
      } else await run({ client: c, argv: blockingCommand(r), mayBlock: true })
    } else if (u < 0.47) {
      // A transaction: pushes, pops and blocking commands (which do not block inside MULTI).
      const c = r.pick(free)
      await run({ client: c, argv: ['MULTI'] })
      for (let i = r.int(1, 3); i > 0; i--) await run({ client: c, argv: r.chance(0.3) ? blockingCommand(r) : plainCommand(r, st) })
      await run({ client: c, argv: [r.chance(0.9) ? 'EXEC' : 'DISCARD'] })
    } else if (u < 0.5 && ALL.some((c) => ref.blocked(c))) {
      // A command pipelined behind a blocked one: it runs once the connection is unblocked.
      const c = r.pick(ALL.filter((x) => ref.blocked(x)))
      await run({ client: c, argv: plainCommand(r, st), mayBlock: true })
    } else {
      await run({ client: r.pick(free), argv: plainCommand(r, st) })
    }
  }
  return { steps: out, frames }
}

/** The blocking fuzzer for the runner: a script starts on an emptied server. */
export const blockingFuzzer: Fuzzer = {
  async reset(port) {
    const run = new Run(port)
    try {
      await run.step({ client: 'z', argv: ['FLUSHALL'] })
    } finally {
      run.close()
    }
  },
  generate,
}

if (import.meta.url === `file://${process.argv[1]}`) await fuzzCli(blockingFuzzer, 40)
