/**
 * Blocking list and sorted-set commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
 *
 * Each one first tries its non-blocking form; when every key is empty it
 * blocks (its `run` returns a Promise of the reply) unless the session may not
 * block (MULTI/EXEC, scripts: `ctx.noBlock`), where it answers nil at once.
 * Waiting, serving and timeouts are `src/keyspace/blocking.ts`.
 */
import { fail } from '../core/errors.js'
import { parseLongDouble } from '../core/numbers.js'
import { NULL_ARRAY, type Reply } from '../core/reply.js'
import { blockOn } from '../keyspace/blocking.js'
import { T } from '../keyspace/database.js'
import type { Session } from '../session.js'
import { key, str } from './args.js'
import {
  keyReply,
  listForWrite,
  listSide,
  lmoveNow,
  lmpopNow,
  mpopKeys,
  parseMpop,
  popOne,
  type MoveArgs,
  type MpopArgs,
} from './lists.js'
import { parseZMPop, zpopGeneric, type ZMPopArgs } from './sorted-sets.js'
import { defineCommand, type Arg } from './table.js'

// ---------------------------------------------------------------- timeouts

const LLONG_MAX = 9223372036854775807n
const TWO64 = 1n << 64n

/**
 * A timeout in seconds as Redis's getTimeoutFromObjectOrReply reads it: a long
 * double, times 1000 (rounded to 64 bits), rounded up to whole ms. Returns the
 * relative timeout in ms (0 = wait forever).
 */
export function parseTimeout(a: Arg, now: number): number {
  const ld = parseLongDouble(str(a))
  if (ld === undefined) fail('timeout is not a float or out of range')
  if (ld.inf) fail(ld.neg ? 'timeout is negative' : 'timeout is out of range')
  if (ld.m === 0n) return 0
  // ftval = value * 1000, rounded to a 64-bit mantissa (round half to even).
  let m = ld.m * 1000n
  let e = ld.e
  const bits = m.toString(2).length
  if (bits > 64) {
    const sh = BigInt(bits - 64)
    const rem = m & ((1n << sh) - 1n)
    const half = 1n << (sh - 1n)
    m >>= sh
    e += bits - 64
    if (rem > half || (rem === half && (m & 1n) === 1n)) m++
    if (m === TWO64) {
      m >>= 1n
      e++
    }
  }
  // tval = (long long) ceill(ftval), from the floor of the magnitude and whether it is exact.
  let fl: bigint
  let exact: boolean
  if (e >= 0) {
    fl = m << BigInt(e)
    exact = true
  } else if (e < -70) {
    fl = 0n // 0 < |ftval| < 1
    exact = false
  } else {
    const sh = BigInt(-e)
    fl = m >> sh
    exact = fl << sh === m
  }
  // A negative value whose ceiling is 0 (-0.0001) waits forever, as in Redis.
  if (ld.neg) {
    if (fl !== 0n) fail('timeout is negative')
    return 0
  }
  if (fl > LLONG_MAX || (fl === LLONG_MAX && !exact)) fail('timeout is out of range')
  const t = exact ? fl : fl + 1n
  if (t > LLONG_MAX - BigInt(Math.floor(now))) fail('timeout is out of range')
  return Number(t)
}

/** A typed-API timeout in seconds → ms, with Redis's errors. */
export function timeoutMs(seconds: number): number {
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) fail('timeout is not a float or out of range')
  if (seconds === Infinity) fail('timeout is out of range')
  const ms = Math.ceil(seconds * 1000)
  if (ms < 0) fail('timeout is negative')
  return ms === 0 ? 0 : ms // -0 → 0
}

// ---------------------------------------------------------------- shared shapes

/** Arguments of BLPOP/BRPOP/BZPOPMIN/BZPOPMAX. */
export interface BlockingPopArgs {
  keys: string[]
  /** Relative timeout in ms; 0 waits forever. */
  timeout: number
  /** Typed API only: aborts the wait. */
  signal?: AbortSignal | undefined
}

/** Arguments of BLMOVE/BRPOPLPUSH. */
export interface BlockingMoveArgs extends MoveArgs {
  timeout: number
  signal?: AbortSignal | undefined
}

/** Arguments of BLMPOP/BZMPOP. */
export interface BlockingMpopArgs extends MpopArgs {
  timeout: number
  signal?: AbortSignal | undefined
}

function parseKeysThenTimeout(a: Arg[], ctx: Session): BlockingPopArgs {
  const timeout = parseTimeout(a[a.length - 1]!, ctx.ks.now())
  const keys: string[] = new Array(a.length - 1)
  for (let i = 0; i < a.length - 1; i++) keys[i] = key(a[i]!)
  return { keys, timeout }
}

/** Answers at once, or blocks: the shape every blocking command shares. */
function blockingRun(
  ctx: Session,
  now: Reply | undefined,
  keys: readonly string[],
  type: number,
  a: { timeout: number; signal?: AbortSignal | undefined },
  noBlockReply: Reply,
  retry: (s: Session) => Reply | undefined,
): Reply | Promise<Reply> {
  if (now !== undefined) return now
  if (ctx.noBlock) return noBlockReply
  return blockOn(ctx, { keys, type, timeoutMs: a.timeout, timeoutReply: NULL_ARRAY, retry, signal: a.signal })
}

// ---------------------------------------------------------------- BLPOP / BRPOP

/** BLPOP/BRPOP's non-blocking path: pops from the first non-empty list, or undefined. */
export function bpopNow(ctx: Session, keys: readonly string[], head: boolean): Reply | undefined {
  for (const k of keys) {
    const l = listForWrite(ctx, k)
    if (l === undefined) continue
    const v = popOne(ctx, k, l, head)
    if (ctx.ks.fx) ctx.effect(head ? 'LPOP' : 'RPOP', k, '1')
    return [keyReply(k), v]
  }
  return undefined
}

function bpopCommand(name: string, head: boolean) {
  return defineCommand(name, {
    parse: parseKeysThenTimeout,
    run: (ctx, a: BlockingPopArgs): Reply | Promise<Reply> =>
      blockingRun(ctx, bpopNow(ctx, a.keys, head), a.keys, T.LIST, a, NULL_ARRAY, (s) => bpopNow(s, a.keys, head)),
  })
}

export const BLPOP = bpopCommand('blpop', true)
export const BRPOP = bpopCommand('brpop', false)

// ---------------------------------------------------------------- BLMOVE / BRPOPLPUSH

/** blmoveGenericCommand: the destination is only looked at once the source has data. */
function moveRun(ctx: Session, a: BlockingMoveArgs, effect: 'LMOVE' | 'RPOPLPUSH'): Reply | Promise<Reply> {
  return blockingRun(ctx, lmoveNow(ctx, a, effect), [a.src], T.LIST, a, null, (s) => lmoveNow(s, a, effect))
}

export const BLMOVE = defineCommand('blmove', {
  parse(a, ctx): BlockingMoveArgs {
    const fromHead = listSide(a[2]!)
    const toHead = listSide(a[3]!)
    return { src: key(a[0]!), dst: key(a[1]!), fromHead, toHead, timeout: parseTimeout(a[4]!, ctx.ks.now()) }
  },
  run: (ctx, a: BlockingMoveArgs) => moveRun(ctx, a, 'LMOVE'),
})

export const BRPOPLPUSH = defineCommand('brpoplpush', {
  parse: (a, ctx): BlockingMoveArgs => ({
    src: key(a[0]!),
    dst: key(a[1]!),
    fromHead: false,
    toHead: true,
    timeout: parseTimeout(a[2]!, ctx.ks.now()),
  }),
  run: (ctx, a: BlockingMoveArgs) => moveRun(ctx, a, 'RPOPLPUSH'),
})

// ---------------------------------------------------------------- BLMPOP

export const BLMPOP = defineCommand('blmpop', {
  parse(a, ctx): BlockingMpopArgs {
    // The timeout is read after numkeys, the direction and COUNT (lmpopGenericCommand).
    const r = parseMpop(a, 1, ['LEFT', 'RIGHT'])
    return { ...r, timeout: parseTimeout(a[0]!, ctx.ks.now()) }
  },
  run: (ctx, a: BlockingMpopArgs) => blockingRun(ctx, lmpopNow(ctx, a), a.keys, T.LIST, a, NULL_ARRAY, (s) => lmpopNow(s, a)),
  getKeys: (argv) => mpopKeys(argv, 2),
})

// ---------------------------------------------------------------- BZPOPMIN / BZPOPMAX / BZMPOP

/** BZPOPMIN/BZPOPMAX's non-blocking path: `[key, member, score]` from the first non-empty set, or undefined. */
export function bzpopNow(ctx: Session, keys: readonly string[], max: boolean): Reply | undefined {
  for (const k of keys) {
    const r = zpopGeneric(ctx, k, max, 1, 'bzpop')
    if (r !== null) return r
  }
  return undefined
}

function bzpopCommand(name: string, max: boolean) {
  return defineCommand(name, {
    parse: parseKeysThenTimeout,
    run: (ctx, a: BlockingPopArgs): Reply | Promise<Reply> =>
      blockingRun(ctx, bzpopNow(ctx, a.keys, max), a.keys, T.ZSET, a, NULL_ARRAY, (s) => bzpopNow(s, a.keys, max)),
  })
}

export const BZPOPMIN = bzpopCommand('bzpopmin', false)
export const BZPOPMAX = bzpopCommand('bzpopmax', true)

/** Arguments of BZMPOP. */
export interface BlockingZmpopArgs extends ZMPopArgs {
  timeout: number
  signal?: AbortSignal | undefined
}

/** BZMPOP's non-blocking path: `[key, [[member, score], ...]]` from the first non-empty set, or undefined. */
export function bzmpopNow(ctx: Session, a: ZMPopArgs): Reply | undefined {
  for (const k of a.keys) {
    const r = zpopGeneric(ctx, k, a.max, a.count, 'mpop')
    if (r !== null) return r
  }
  return undefined
}

export const BZMPOP = defineCommand('bzmpop', {
  parse(a, ctx): BlockingZmpopArgs {
    // As BLMPOP: the timeout is read last.
    const r = parseZMPop(a, 1)
    return { ...r, timeout: parseTimeout(a[0]!, ctx.ks.now()) }
  },
  run: (ctx, a: BlockingZmpopArgs) => blockingRun(ctx, bzmpopNow(ctx, a), a.keys, T.ZSET, a, NULL_ARRAY, (s) => bzmpopNow(s, a)),
  getKeys: (argv) => mpopKeys(argv, 2),
})
