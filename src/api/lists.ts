import { bytesOut, keyOf, toStr, type StrValue } from '../core/bytes.js'
import { fail, ReplyError } from '../core/errors.js'
import { Double, NULL_ARRAY, type Reply } from '../core/reply.js'
import {
  BLMOVE,
  BLMPOP,
  BLPOP,
  BRPOP,
  BRPOPLPUSH,
  BZMPOP,
  BZPOPMAX,
  BZPOPMIN,
  timeoutMs,
  type BlockingMoveArgs,
  type BlockingMpopArgs,
  type BlockingPopArgs,
  type BlockingZmpopArgs,
} from '../commands/blocking.js'
import {
  LINDEX,
  LINSERT,
  LLEN,
  LMOVE,
  LMPOP,
  LPOP,
  LPOS,
  LPUSH,
  LPUSHX,
  LRANGE,
  LREM,
  LSET,
  LTRIM,
  RPOP,
  RPOPLPUSH,
  RPUSH,
  RPUSHX,
  type LposArgs,
  type MoveArgs,
  type MpopArgs,
  type PushArgs,
} from '../commands/lists.js'
import { serveReady } from '../keyspace/blocking.js'
import type { StoreCore } from '../store-core.js'
import { int64Of, isInt64, longAboveMinOf, needArgs, valueOf, type Key, type Value } from './strings.js'

/** A list end: LEFT is the head (index 0), RIGHT the tail. */
export type ListSide = 'LEFT' | 'RIGHT'

/** Options of `lpos()`. */
export interface LposOptions {
  /** Which match to return: 1 the first from the head (default), 2 the second...; -1 the first from the tail... Not 0. */
  rank?: number
  /** Compare at most this many elements (0, the default, means all). */
  maxlen?: number
}

/** Options of the blocking methods. */
export interface BlockingOptions {
  /** Gives up waiting: the Promise rejects with the signal's reason (an `AbortError` by default). */
  signal?: AbortSignal
}

/** Options of `blmpop()` / `bzmpop()`. */
export interface BlockingMpopOptions extends BlockingOptions {
  /** Pop up to this many elements (default 1). */
  count?: number
}

const s = (v: StrValue): string => toStr(v)
const strOrNull = (v: Reply): string | null => (v === null ? null : toStr(v as StrValue))
const strArray = (r: Reply): string[] => (r as StrValue[]).map(s)
const bufOf = bytesOut
const keyStr = (k: Reply): string => toStr(k as StrValue)

/** One key or several; an empty array is refused as the command would refuse it. */
function keyList(keys: Key | readonly Key[], command: string): string[] {
  if (typeof keys === 'string' || keys instanceof Uint8Array) return [keyOf(keys)]
  const out = new Array<string>(keys.length)
  for (let i = 0; i < keys.length; i++) out[i] = keyOf(keys[i]!)
  if (out.length === 0) fail(command.endsWith('mpop') ? 'numkeys should be greater than 0' : `wrong number of arguments for '${command}' command`)
  return out
}

/** A push's arguments (an empty push is the arity error, which Redis gives before an OOM refusal). */
function pushArgs(key: Key, values: Value[], command: string): PushArgs {
  needArgs(values.length, command)
  const vs = new Array<StrValue>(values.length)
  for (let i = 0; i < values.length; i++) vs[i] = valueOf(values[i]!)
  return { key: keyOf(key), values: vs }
}

function side(w: ListSide): boolean {
  if (w === 'LEFT') return true
  if (w === 'RIGHT') return false
  return fail('syntax error')
}

function count(n: number, msg: string): number {
  if (int64Of(n, msg) <= 0) fail(msg)
  return n
}

const index = (n: number): number => int64Of(n)

/**
 * Runs a blocking command's `run` for the typed API: errors (thrown or as a
 * served reply) become rejections; clients that the command's own write makes
 * ready (BLMOVE into a list someone waits on) are served.
 */
function blocking<T>(
  store: StoreCore,
  signal: AbortSignal | undefined,
  run: () => Reply | Promise<Reply>,
  convert: (r: Reply) => T,
): Promise<T> {
  // An already-aborted signal runs nothing (nothing is popped).
  if (signal !== undefined && signal.aborted) return Promise.reject(abortReason(signal))
  let r: Reply | Promise<Reply>
  try {
    r = run()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r instanceof Promise) {
    return r.then((x) => {
      if (x instanceof ReplyError) throw x
      return convert(x)
    })
  }
  serveReady(store, store.s)
  if (r instanceof ReplyError) return Promise.reject(r)
  return Promise.resolve(convert(r))
}

function abortReason(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason
  const e = new Error('The operation was aborted')
  e.name = 'AbortError'
  return e
}

const popPair = (r: Reply): [string, string] | null =>
  r === NULL_ARRAY || r === null ? null : [keyStr((r as Reply[])[0]!), s((r as StrValue[])[1]!)]

const mpopPair = (r: Reply): [string, string[]] | null =>
  r === NULL_ARRAY || r === null ? null : [keyStr((r as Reply[])[0]!), strArray((r as Reply[])[1]!)]

const zpopTriple = (r: Reply): [string, string, number] | null => {
  if (r === NULL_ARRAY || r === null) return null
  const a = r as Reply[]
  return [keyStr(a[0]!), keyStr(a[1]!), (a[2] as Double).value]
}

const zmpopPair = (r: Reply): [string, Array<{ member: string; score: number }>] | null => {
  if (r === NULL_ARRAY || r === null) return null
  const a = r as Reply[]
  const pairs = a[1] as Reply[][]
  return [keyStr(a[0]!), pairs.map((p) => ({ member: keyStr(p[0]!), score: (p[1] as Double).value }))]
}

/**
 * List commands on the typed Store. Values are returned as strings (UTF-8
 * decoded); the `...Buffer` variants return exact bytes. Write methods serve
 * clients blocked on the keys they fill before returning, as Redis does after
 * each command.
 */
export class ListsApi {
  /** LPUSH: prepends `values` (the last one ends up first). Returns the new length. */
  lpush(this: StoreCore, key: Key, ...values: Value[]): number {
    const a = pushArgs(key, values, 'lpush')
    this.beforeWrite()
    const n = LPUSH.run(this.s, a) as number
    serveReady(this, this.s)
    return n
  }

  /** RPUSH: appends `values`. Returns the new length. */
  rpush(this: StoreCore, key: Key, ...values: Value[]): number {
    const a = pushArgs(key, values, 'rpush')
    this.beforeWrite()
    const n = RPUSH.run(this.s, a) as number
    serveReady(this, this.s)
    return n
  }

  /** LPUSHX: prepends only if the list exists. Returns the new length, 0 when the key is missing. */
  lpushx(this: StoreCore, key: Key, ...values: Value[]): number {
    const a = pushArgs(key, values, 'lpushx')
    this.beforeWrite()
    return LPUSHX.run(this.s, a) as number
  }

  /** RPUSHX: appends only if the list exists. Returns the new length, 0 when the key is missing. */
  rpushx(this: StoreCore, key: Key, ...values: Value[]): number {
    const a = pushArgs(key, values, 'rpushx')
    this.beforeWrite()
    return RPUSHX.run(this.s, a) as number
  }

  /**
   * LPOP: removes and returns the first element, or null when the list is
   * missing. With `count`, up to that many elements (an empty array for 0;
   * null when the key is missing).
   */
  lpop(this: StoreCore, key: Key): string | null
  lpop(this: StoreCore, key: Key, count: number): string[] | null
  lpop(this: StoreCore, key: Key, count?: number): string | string[] | null {
    return popTyped(this, key, count, true, false) as string | string[] | null
  }

  /** RPOP: as `lpop()`, from the tail (elements in pop order). */
  rpop(this: StoreCore, key: Key): string | null
  rpop(this: StoreCore, key: Key, count: number): string[] | null
  rpop(this: StoreCore, key: Key, count?: number): string | string[] | null {
    return popTyped(this, key, count, false, false) as string | string[] | null
  }

  /** LPOP returning exact bytes. */
  lpopBuffer(this: StoreCore, key: Key): Buffer | null
  lpopBuffer(this: StoreCore, key: Key, count: number): Buffer[] | null
  lpopBuffer(this: StoreCore, key: Key, count?: number): Buffer | Buffer[] | null {
    return popTyped(this, key, count, true, true) as Buffer | Buffer[] | null
  }

  /** RPOP returning exact bytes. */
  rpopBuffer(this: StoreCore, key: Key): Buffer | null
  rpopBuffer(this: StoreCore, key: Key, count: number): Buffer[] | null
  rpopBuffer(this: StoreCore, key: Key, count?: number): Buffer | Buffer[] | null {
    return popTyped(this, key, count, false, true) as Buffer | Buffer[] | null
  }

  /** LLEN: the list's length (0 when missing). */
  llen(this: StoreCore, key: Key): number {
    return LLEN.run(this.s, keyOf(key)) as number
  }

  /** LINDEX: the element at `index` (negative counts from the tail), or null when out of range. */
  lindex(this: StoreCore, key: Key, index: number): string | null {
    return strOrNull(LINDEX.run(this.s, { key: keyOf(key), index: intIndex(index) }) as Reply)
  }

  /** LINDEX returning exact bytes. */
  lindexBuffer(this: StoreCore, key: Key, index: number): Buffer | null {
    const r = LINDEX.run(this.s, { key: keyOf(key), index: intIndex(index) }) as StrValue | null
    return r === null ? null : bufOf(r)
  }

  /** LRANGE: elements `start..stop` inclusive (negative indexes count from the tail). */
  lrange(this: StoreCore, key: Key, start: number, stop: number): string[] {
    return strArray(LRANGE.run(this.s, { key: keyOf(key), start: index(start), stop: index(stop) }) as Reply)
  }

  /** LRANGE returning exact bytes. */
  lrangeBuffer(this: StoreCore, key: Key, start: number, stop: number): Buffer[] {
    return (LRANGE.run(this.s, { key: keyOf(key), start: index(start), stop: index(stop) }) as StrValue[]).map(bufOf)
  }

  /**
   * LINSERT: inserts `element` before or after the first `pivot`. Returns the
   * new length, -1 when the pivot is not found, 0 when the key is missing.
   */
  linsert(this: StoreCore, key: Key, where: 'BEFORE' | 'AFTER', pivot: Value, element: Value): number {
    if (where !== 'BEFORE' && where !== 'AFTER') fail('syntax error')
    this.beforeWrite()
    return LINSERT.run(this.s, { key: keyOf(key), after: where === 'AFTER', pivot: valueOf(pivot), element: valueOf(element) }) as number
  }

  /** LSET: replaces the element at `index`. Throws `ERR no such key` / `ERR index out of range`. */
  lset(this: StoreCore, key: Key, index: number, element: Value): 'OK' {
    this.beforeWrite()
    LSET.run(this.s, { key: keyOf(key), index: lsetIndex(index), element: valueOf(element) })
    return 'OK'
  }

  /**
   * LREM: removes elements equal to `element`: the first `count` from the head
   * (count > 0), the last `-count` from the tail (count < 0), or all (0).
   * Returns how many were removed.
   */
  lrem(this: StoreCore, key: Key, count: number, element: Value): number {
    return LREM.run(this.s, { key: keyOf(key), count: longAboveMinOf(count), element: valueOf(element) }) as number
  }

  /** LTRIM: keeps only elements `start..stop` (deleting the key when nothing is left). */
  ltrim(this: StoreCore, key: Key, start: number, stop: number): 'OK' {
    LTRIM.run(this.s, { key: keyOf(key), start: index(start), stop: index(stop) })
    return 'OK'
  }

  /**
   * LPOS: the index of `element` (the `rank`-th match; negative ranks search
   * from the tail), or null. With `count` in the options, an array of up to
   * that many indexes (0 = all matches).
   */
  lpos(this: StoreCore, key: Key, element: Value, options: LposOptions & { count: number }): number[]
  lpos(this: StoreCore, key: Key, element: Value, options?: LposOptions): number | null
  lpos(this: StoreCore, key: Key, element: Value, options?: LposOptions & { count?: number }): number | number[] | null {
    const a: LposArgs = { key: keyOf(key), element: valueOf(element), rank: 1, count: -1, maxlen: 0 }
    if (options?.rank !== undefined) {
      a.rank = longAboveMinOf(options.rank)
      if (a.rank === 0) {
        fail("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
      }
    }
    if (options?.count !== undefined) {
      a.count = int64Of(options.count, "COUNT can't be negative")
      if (a.count < 0) fail("COUNT can't be negative")
    }
    if (options?.maxlen !== undefined) {
      a.maxlen = int64Of(options.maxlen, "MAXLEN can't be negative")
      if (a.maxlen < 0) fail("MAXLEN can't be negative")
    }
    return LPOS.run(this.s, a) as number | number[] | null
  }

  /** LMOVE: pops from one end of `source` and pushes onto `destination`. Returns the element, or null when `source` is missing. */
  lmove(this: StoreCore, source: Key, destination: Key, from: ListSide, to: ListSide): string | null {
    this.beforeWrite()
    const a: MoveArgs = { src: keyOf(source), dst: keyOf(destination), fromHead: side(from), toHead: side(to) }
    const r = LMOVE.run(this.s, a) as Reply
    serveReady(this, this.s)
    return strOrNull(r)
  }

  /** RPOPLPUSH: `lmove(source, destination, 'RIGHT', 'LEFT')`. */
  rpoplpush(this: StoreCore, source: Key, destination: Key): string | null {
    this.beforeWrite()
    const r = RPOPLPUSH.run(this.s, { src: keyOf(source), dst: keyOf(destination), fromHead: false, toHead: true }) as Reply
    serveReady(this, this.s)
    return strOrNull(r)
  }

  /**
   * LMPOP: pops up to `count` (default 1) elements from the first non-empty
   * list among `keys`. Returns `[key, elements]`, or null when all are empty.
   */
  lmpop(this: StoreCore, keys: Key | readonly Key[], where: ListSide, count = 1): [string, string[]] | null {
    const a: MpopArgs = { keys: keyList(keys, 'lmpop'), head: side(where), count: count_(count) }
    return mpopPair(LMPOP.run(this.s, a) as Reply)
  }

  /**
   * BLPOP: pops the first element of the first non-empty list among `keys`;
   * when all are empty, waits until a push to one of them (first come, first
   * served) or `timeout` seconds (0 = forever; fractions allowed), then
   * resolves with `[key, element]` or null on timeout.
   *
   * ```ts
   * const job = await store.blpop(['jobs'], 5)     // ['jobs', '…'] or null after 5 s
   * const ac = new AbortController()
   * const p = store.blpop('jobs', 0, { signal: ac.signal }); ac.abort() // p rejects
   * ```
   */
  blpop(this: StoreCore, keys: Key | readonly Key[], timeout: number, options?: BlockingOptions): Promise<[string, string] | null> {
    return bpop(this, BLPOP, keys, timeout, options)
  }

  /** BRPOP: as `blpop()`, popping from the tail. */
  brpop(this: StoreCore, keys: Key | readonly Key[], timeout: number, options?: BlockingOptions): Promise<[string, string] | null> {
    return bpop(this, BRPOP, keys, timeout, options)
  }

  /**
   * BLMOVE: `lmove()` that waits (up to `timeout` seconds, 0 = forever) for
   * `source` to get an element. Resolves with the element moved, or null on timeout.
   */
  blmove(
    this: StoreCore,
    source: Key,
    destination: Key,
    from: ListSide,
    to: ListSide,
    timeout: number,
    options?: BlockingOptions,
  ): Promise<string | null> {
    return blocking(
      this,
      options?.signal,
      () => {
        // Refused under OOM before its arguments are read, as a denyoom command is.
        this.beforeWrite()
        const a: BlockingMoveArgs = {
          src: keyOf(source),
          dst: keyOf(destination),
          fromHead: side(from),
          toHead: side(to),
          timeout: timeoutMs(timeout),
          signal: options?.signal,
        }
        return BLMOVE.run(this.s, a)
      },
      moveResult,
    )
  }

  /** BRPOPLPUSH: `blmove(source, destination, 'RIGHT', 'LEFT', timeout)`. */
  brpoplpush(this: StoreCore, source: Key, destination: Key, timeout: number, options?: BlockingOptions): Promise<string | null> {
    return blocking(
      this,
      options?.signal,
      () => {
        // Refused under OOM before its arguments are read, as a denyoom command is.
        this.beforeWrite()
        const a: BlockingMoveArgs = {
          src: keyOf(source),
          dst: keyOf(destination),
          fromHead: false,
          toHead: true,
          timeout: timeoutMs(timeout),
          signal: options?.signal,
        }
        return BRPOPLPUSH.run(this.s, a)
      },
      moveResult,
    )
  }

  /**
   * BLMPOP: `lmpop()` that waits (up to `timeout` seconds, 0 = forever) for one
   * of `keys` to get elements. Resolves with `[key, elements]`, or null on timeout.
   */
  blmpop(
    this: StoreCore,
    keys: Key | readonly Key[],
    where: ListSide,
    timeout: number,
    options?: BlockingMpopOptions,
  ): Promise<[string, string[]] | null> {
    return blocking(
      this,
      options?.signal,
      () => {
        const a: BlockingMpopArgs = {
          keys: keyList(keys, 'blmpop'),
          head: side(where),
          count: count_(options?.count ?? 1),
          timeout: timeoutMs(timeout),
          signal: options?.signal,
        }
        return BLMPOP.run(this.s, a)
      },
      mpopPair,
    )
  }

  /**
   * BZPOPMIN: pops the lowest-scored member of the first non-empty sorted set
   * among `keys`, waiting (up to `timeout` seconds, 0 = forever) when all are
   * empty. Resolves with `[key, member, score]`, or null on timeout.
   */
  bzpopmin(this: StoreCore, keys: Key | readonly Key[], timeout: number, options?: BlockingOptions): Promise<[string, string, number] | null> {
    return bzpop(this, BZPOPMIN, keys, timeout, options)
  }

  /** BZPOPMAX: as `bzpopmin()`, the highest-scored member. */
  bzpopmax(this: StoreCore, keys: Key | readonly Key[], timeout: number, options?: BlockingOptions): Promise<[string, string, number] | null> {
    return bzpop(this, BZPOPMAX, keys, timeout, options)
  }

  /**
   * BZMPOP: pops up to `count` (default 1) lowest (MIN) or highest (MAX)
   * members from the first non-empty sorted set among `keys`, waiting (up to
   * `timeout` seconds, 0 = forever) when all are empty. Resolves with
   * `[key, [{ member, score }, ...]]`, or null on timeout.
   */
  bzmpop(
    this: StoreCore,
    keys: Key | readonly Key[],
    where: 'MIN' | 'MAX',
    timeout: number,
    options?: BlockingMpopOptions,
  ): Promise<[string, Array<{ member: string; score: number }>] | null> {
    return blocking(
      this,
      options?.signal,
      () => {
        if (where !== 'MIN' && where !== 'MAX') fail('syntax error')
        const a: BlockingZmpopArgs = {
          keys: keyList(keys, 'bzmpop'),
          max: where === 'MAX',
          count: count_(options?.count ?? 1),
          timeout: timeoutMs(timeout),
          signal: options?.signal,
        }
        return BZMPOP.run(this.s, a)
      },
      zmpopPair,
    )
  }
}

const count_ = (n: number): number => count(n, 'count should be greater than 0')

/** An index for LINDEX/LSET: non-integers are Redis's "not an integer" error (null makes run raise it after the key checks). */
const intIndex = (n: number): number | null => (isInt64(n) ? n : null)

/** LSET's index: Redis passes it on as a C int (4294967296 is 0), as the command's parser does. */
const lsetIndex = (n: number): number | null => (intIndex(n) === null ? null : n | 0)

const moveResult = (r: Reply): string | null => (r === NULL_ARRAY || r === null ? null : s(r as StrValue))

function popTyped(store: StoreCore, key: Key, n: number | undefined, head: boolean, buffers: boolean): unknown {
  if (n !== undefined && int64Of(n, 'value is out of range, must be positive') < 0) fail('value is out of range, must be positive')
  const r = (head ? LPOP : RPOP).run(store.s, { key: keyOf(key), count: n }) as Reply
  if (r === null || r === NULL_ARRAY) return null
  if (Array.isArray(r)) return buffers ? (r as StrValue[]).map(bufOf) : strArray(r)
  return buffers ? bufOf(r as StrValue) : s(r as StrValue)
}

function bpop(
  store: StoreCore,
  cmd: typeof BLPOP,
  keys: Key | readonly Key[],
  timeout: number,
  options: BlockingOptions | undefined,
): Promise<[string, string] | null> {
  return blocking(
    store,
    options?.signal,
    () => {
      const a: BlockingPopArgs = { keys: keyList(keys, cmd.name), timeout: timeoutMs(timeout), signal: options?.signal }
      return cmd.run(store.s, a)
    },
    popPair,
  )
}

function bzpop(
  store: StoreCore,
  cmd: typeof BZPOPMIN,
  keys: Key | readonly Key[],
  timeout: number,
  options: BlockingOptions | undefined,
): Promise<[string, string, number] | null> {
  return blocking(
    store,
    options?.signal,
    () => {
      const a: BlockingPopArgs = { keys: keyList(keys, cmd.name), timeout: timeoutMs(timeout), signal: options?.signal }
      return cmd.run(store.s, a)
    },
    zpopTriple,
  )
}
