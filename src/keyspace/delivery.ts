/**
 * The one queue through which in-process listeners (`store.subscribe()`,
 * `store.monitor()`) are called: after the current command, in order.
 */
import type { StoreCore } from '../store-core.js'

/**
 * Calls listeners after the current command, never in the middle of one (a
 * keyspace event fires inside a write; a listener that writes must not run
 * there). One queue per Store keeps the order messages were published in.
 */
export class Delivery {
  private queue: Array<() => void> = []
  private scheduled = false

  add(fn: () => void): void {
    this.queue.push(fn)
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => this.run())
    }
  }

  private run(): void {
    this.scheduled = false
    const q = this.queue
    this.queue = []
    let failure: unknown
    let failed = false
    for (const fn of q) {
      try {
        fn()
      } catch (e) {
        if (!failed) failure = e
        failed = true
      }
    }
    // A throwing listener does not keep the others from theirs; its error still surfaces.
    if (failed) throw failure
  }
}

const deliveries = new WeakMap<StoreCore, Delivery>()
/** The store's delivery queue, created on first use. */
export function deliveryOf(store: StoreCore): Delivery {
  let d = deliveries.get(store)
  if (d === undefined) deliveries.set(store, (d = new Delivery()))
  return d
}
