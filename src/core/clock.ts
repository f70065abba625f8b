/** Where a Store reads the time. Every time read in embedis goes through one. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

/**
 * The default clock: `Date.now()`, read on every call, so test runners' fake
 * timers (vitest, jest, sinon) move it.
 */
export const systemClock: Clock = { now: () => Date.now() }

/**
 * A clock that only moves when told to, for tests that control time explicitly.
 *
 * ```ts
 * const clock = new ManualClock()
 * const store = new Store({ clock })
 * store.set('k', 'v', { px: 100 })
 * clock.advance(100) // 'k' is now expired
 * ```
 */
export class ManualClock implements Clock {
  private t: number
  private readonly listeners = new Set<() => void>()

  constructor(start: number = Date.now()) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  /** Moves the clock forward by `ms` milliseconds (negative values move it back). */
  advance(ms: number): void {
    this.set(this.t + ms)
  }

  /** Sets the clock to an absolute time in milliseconds since the epoch. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new TypeError('ManualClock time must be a finite number')
    this.t = ms
    for (const fn of this.listeners) fn()
  }

  /**
   * Registers a callback run after every change of time, so that timers that a
   * Store keeps (blocking-command timeouts, active expiry) can follow the clock.
   * Returns a function that removes it.
   */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }
}
