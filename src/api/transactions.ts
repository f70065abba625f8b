import { keyOf, type Bytes } from '../core/bytes.js'
import { ReplyError } from '../core/errors.js'
import { UNWATCH, WATCH } from '../commands/transactions.js'
import type { Store } from '../store.js'
import type { CallArg, StoreCore } from '../store-core.js'

type AnyFn = (...args: any[]) => any

/** The queueing form of the Store's typed methods: same arguments, returns the transaction. */
export type TransactionMethods = {
  [K in keyof Store as Store[K] extends AnyFn ? (K extends TransactionOwnKey | 'multi' | 'watch' | 'unwatch' ? never : K) : never]: Store[K] extends (
    ...args: infer A
  ) => any
    ? (...args: A) => Transaction
    : never
}

type TransactionOwnKey = 'exec' | 'discard' | 'length'

/**
 * A transaction built with the typed methods: every call is queued, `exec()`
 * runs them all at once (time frozen, no other client in between) and returns
 * their results in order; an error of one command is returned in its place
 * (as a `ReplyError`) while the others apply, as with EXEC. Calls are checked
 * as they run, so an error MULTI would give at queue time (an arity error, an
 * OOM refusal) is returned in place too, rather than discarding the whole
 * transaction. `exec()` returns null when a key WATCHed with `store.watch()`
 * changed since.
 *
 * ```ts
 * store.watch('balance')
 * const balance = Number(store.get('balance'))
 * const results = store.multi().set('balance', balance - 10).incr('spent').exec()
 * if (results === null) { ... retry: someone else changed the balance ... }
 * ```
 */
export type Transaction = TransactionMethods & {
  /** Runs the queued commands; null if a watched key changed. */
  exec(): unknown[] | null
  /** Drops the queued commands (and the WATCHes). */
  discard(): void
  /** Any command by name, as `store.call()` takes it. */
  call(command: string, ...args: CallArg[]): Transaction
  /** Number of queued commands. */
  readonly length: number
}

class TransactionImpl {
  readonly queue: Array<[string, unknown[]]> = []
  done = false

  constructor(readonly store: Store) {}

  get length(): number {
    return this.queue.length
  }

  discard(): void {
    this.queue.length = 0
    this.done = true
    this.store.s.discardMulti()
  }

  exec(): unknown[] | null {
    if (this.done) throw new Error('transaction already executed or discarded')
    this.done = true
    const store = this.store
    const s = store.s
    if (s.watchedKeyExpired()) s.casDirty = true
    const dirty = s.casDirty
    s.discardMulti()
    if (dirty) return null
    const ks = store.ks
    const frozen = ks.frozenNow
    if (frozen === 0) ks.frozenNow = ks.clock.now()
    const noBlock = s.noBlock
    s.noBlock = true
    const out: unknown[] = []
    try {
      for (const [name, args] of this.queue) {
        try {
          out.push((store as unknown as Record<string, AnyFn>)[name]!(...args))
        } catch (e) {
          if (!(e instanceof ReplyError)) throw e
          out.push(e)
        }
      }
    } finally {
      ks.frozenNow = frozen
      s.noBlock = noBlock
    }
    return out
  }
}

const OWN = new Set(['exec', 'discard', 'length', 'queue', 'done', 'store'])

/** Transactions and WATCH for the typed API. */
export class TransactionsApi {
  /**
   * Starts a transaction: chain typed calls (or `call()`), then `exec()`.
   * See {@link Transaction}.
   */
  multi(this: StoreCore): Transaction {
    const store = this as unknown as Store
    const tx = new TransactionImpl(store)
    const proxy: Transaction = new Proxy(tx, {
      get(target, prop, receiver) {
        if (typeof prop !== 'string' || OWN.has(prop)) return Reflect.get(target, prop, receiver) as unknown
        const fn = (store as unknown as Record<string, unknown>)[prop]
        if (typeof fn !== 'function' || prop === 'multi' || prop === 'watch' || prop === 'unwatch') return undefined
        return (...args: unknown[]) => {
          if (target.done) throw new Error('transaction already executed or discarded')
          target.queue.push([prop, args])
          return proxy
        }
      },
    }) as unknown as Transaction
    return proxy
  }

  /**
   * WATCH: the next `multi().exec()` (or EXEC through `call()`) returns null
   * if any of these keys is changed — by any client, by expiry, by FLUSHDB —
   * before it runs.
   */
  watch(this: StoreCore, ...keys: Bytes[]): void {
    WATCH.run(this.s, keys.map(keyOf))
  }

  /** UNWATCH: forgets the watched keys. */
  unwatch(this: StoreCore): void {
    UNWATCH.run(this.s, undefined)
  }
}
