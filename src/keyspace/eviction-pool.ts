/** Candidates a pool holds, as Redis's EVPOOL_SIZE. */
export const POOL_SIZE = 16
const POOL_MASK = POOL_SIZE - 1

/**
 * Redis's eviction pool: the best eviction candidates seen so far, ordered by idle score (higher:
 * a better victim), worst first and best last. Among equal scores the candidate that came first
 * counts as better, as in Redis's sorted array. A full pool keeps a newcomer only if it beats the
 * worst, which then goes.
 *
 * The entries sit in a ring (entry i at `(head + i) & POOL_MASK`), so dropping the worst, taking
 * the best and inserting near either end move nothing, and an insertion moves at most half the
 * pool. Each candidate is a database number, a position in it, its score and a stamp (its access
 * data or TTL when sampled, by which the caller tells whether it is still the same candidate).
 */
export class EvictionPool {
  size = 0
  private head = 0
  readonly db = new Int32Array(POOL_SIZE)
  readonly slot = new Int32Array(POOL_SIZE)
  readonly idle = new Float64Array(POOL_SIZE)
  readonly stamp = new Float64Array(POOL_SIZE)

  /** Whether `insert` would keep a candidate with this score: the pool has room, or it beats the worst. */
  admits(idle: number): boolean {
    return this.size < POOL_SIZE || this.idle[this.head]! < idle
  }

  /** Takes the best candidate out; returns the index of its fields, valid until the next insertion. */
  popBest(): number {
    return (this.head + --this.size) & POOL_MASK
  }

  clear(): void {
    this.size = 0
  }

  /** Puts a candidate in its place; in a full pool the worst goes, or the candidate if it is no better. */
  insert(db: number, at: number, idle: number, stamp: number): void {
    const pi = this.idle
    let head = this.head
    const size = this.size
    // k: the candidate's rank, the number of pool entries worse than it (an equal one counts as
    // better, so among equals the older candidate is taken first).
    let k: number
    if (size === 0 || pi[(head + size - 1) & POOL_MASK]! < idle) k = size
    else {
      k = 0
      while (pi[(head + k) & POOL_MASK]! < idle) k++
    }
    let slot: number
    if (size === POOL_SIZE) {
      if (k === 0) return // worse than everything in a full pool
      // The worst entry goes. Entries 1..k-1 move down a place (into its slot), or the rest up a
      // place (into its slot, at the far end of the ring), whichever is fewer.
      if (k - 1 <= POOL_SIZE - k) {
        for (let i = 0; i < k - 1; i++) {
          const to = (head + i) & POOL_MASK
          this.move(to, (to + 1) & POOL_MASK)
        }
        slot = (head + k - 1) & POOL_MASK
      } else {
        for (let i = POOL_SIZE; i > k; i--) {
          const to = (head + i) & POOL_MASK
          this.move(to, (to - 1) & POOL_MASK)
        }
        this.head = head = (head + 1) & POOL_MASK
        slot = (head + k - 1) & POOL_MASK
      }
    } else {
      // Room at both ends: move entries 0..k-1 down a place, or k..size-1 up a place, whichever is fewer.
      if (k < size - k) {
        this.head = head = (head - 1) & POOL_MASK
        for (let i = 0; i < k; i++) {
          const to = (head + i) & POOL_MASK
          this.move(to, (to + 1) & POOL_MASK)
        }
      } else {
        for (let i = size; i > k; i--) {
          const to = (head + i) & POOL_MASK
          this.move(to, (to - 1) & POOL_MASK)
        }
      }
      this.size = size + 1
      slot = (head + k) & POOL_MASK
    }
    this.db[slot] = db
    this.slot[slot] = at
    pi[slot] = idle
    this.stamp[slot] = stamp
  }

  /** Copies the candidate at ring index `from` to ring index `to`. */
  private move(to: number, from: number): void {
    this.db[to] = this.db[from]!
    this.slot[to] = this.slot[from]!
    this.idle[to] = this.idle[from]!
    this.stamp[to] = this.stamp[from]!
  }
}
