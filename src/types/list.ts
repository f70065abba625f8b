/**
 * The list behind LPUSH, LRANGE and the other L* commands.
 *
 * A growable ring buffer: a power-of-two array indexed with a mask, so pushes
 * and pops at both ends are O(1) amortized and reading any index is O(1).
 *
 * @module
 */

/** Smallest capacity; also the capacity of a new deque. */
const MIN_CAPACITY = 4

/** Rounds up to a power of two, at least {@link MIN_CAPACITY}. */
function capacityFor(n: number): number {
  let c = MIN_CAPACITY
  while (c < n) c *= 2
  return c
}

/**
 * LTRIM's index rules for `n` elements: how many to drop from the front and from the back to keep
 * `start..stop` (negative indexes count from the end; an empty range drops everything).
 */
export function trimSpan(n: number, start: number, stop: number): [front: number, back: number] {
  if (start < 0) start += n
  if (stop < 0) stop += n
  if (start < 0) start = 0
  if (start > stop || start >= n) return [n, 0]
  if (stop >= n) stop = n - 1
  return [start, n - 1 - stop]
}

/**
 * A double-ended queue of values of type `T`, with Redis's list operations.
 *
 * - `pushFront`, `pushBack`, `popFront`, `popBack`: O(1) amortized.
 * - `at`, `set`: O(1), negative indexes count from the tail (-1 is the last).
 * - `insertAt`, `removeAt`: O(n), moving the shorter side, like Redis's.
 * - `range` (LRANGE): O(m); `trim` (LTRIM): O(removed); `removeWhere` (LREM): O(n).
 *
 * Storage grows by doubling when full and shrinks when less than a quarter is
 * used, so a drained list does not keep its peak memory.
 *
 * @typeParam T - the element type (the command layer stores strings and Buffers)
 */
export class Deque<T> {
  private buf: (T | undefined)[]
  /** Physical index of the first element. */
  private head = 0
  private len = 0
  /** Capacity - 1 (capacity is a power of two). */
  private mask: number

  /** A deque holding `values` in order (empty when omitted). */
  constructor(values?: Iterable<T>) {
    if (values === undefined) {
      this.buf = new Array<T | undefined>(MIN_CAPACITY)
      this.mask = MIN_CAPACITY - 1
      return
    }
    const arr = Array.isArray(values) ? (values as T[]) : Array.from(values)
    const cap = capacityFor(arr.length)
    const buf = new Array<T | undefined>(cap)
    for (let i = 0; i < arr.length; i++) buf[i] = arr[i]
    this.buf = buf
    this.mask = cap - 1
    this.len = arr.length
  }

  /** Number of elements (LLEN). */
  get length(): number {
    return this.len
  }

  /** Appends at the tail (RPUSH). Returns the new length. */
  pushBack(value: T): number {
    if (this.len === this.mask + 1) this.resize((this.mask + 1) * 2)
    this.buf[(this.head + this.len) & this.mask] = value
    return ++this.len
  }

  /** Prepends at the head (LPUSH). Returns the new length. */
  pushFront(value: T): number {
    if (this.len === this.mask + 1) this.resize((this.mask + 1) * 2)
    this.head = (this.head - 1) & this.mask
    this.buf[this.head] = value
    return ++this.len
  }

  /** Removes and returns the head element (LPOP), or `undefined` when empty. */
  popFront(): T | undefined {
    if (this.len === 0) return undefined
    const h = this.head
    const v = this.buf[h]
    this.buf[h] = undefined
    this.head = (h + 1) & this.mask
    this.len--
    this.maybeShrink()
    return v
  }

  /** Removes and returns the tail element (RPOP), or `undefined` when empty. */
  popBack(): T | undefined {
    if (this.len === 0) return undefined
    const p = (this.head + this.len - 1) & this.mask
    const v = this.buf[p]
    this.buf[p] = undefined
    this.len--
    this.maybeShrink()
    return v
  }

  /** The head element without removing it, or `undefined` when empty. */
  front(): T | undefined {
    return this.len === 0 ? undefined : this.buf[this.head]
  }

  /** The tail element without removing it, or `undefined` when empty. */
  back(): T | undefined {
    return this.len === 0 ? undefined : this.buf[(this.head + this.len - 1) & this.mask]
  }

  /**
   * The element at `index` (LINDEX): 0 is the head, -1 the tail. `undefined`
   * when out of range. O(1).
   */
  at(index: number): T | undefined {
    if (index < 0) index += this.len
    if (!(index >= 0 && index < this.len)) return undefined
    return this.buf[(this.head + index) & this.mask]
  }

  /**
   * Replaces the element at `index` (LSET; negative counts from the tail).
   * Returns false, changing nothing, when out of range. O(1).
   */
  set(index: number, value: T): boolean {
    if (index < 0) index += this.len
    if (!(index >= 0 && index < this.len)) return false
    this.buf[(this.head + index) & this.mask] = value
    return true
  }

  /**
   * Inserts `value` so that it ends up at `index` (0 ≤ index ≤ length; `length`
   * appends), moving the shorter side by one (LINSERT). Throws a `RangeError`
   * for an index outside that range. O(min(index, length - index)).
   */
  insertAt(index: number, value: T): void {
    const n = this.len
    if (!(index >= 0 && index <= n) || !Number.isInteger(index)) {
      throw new RangeError(`index ${index} out of range 0..${n}`)
    }
    if (n === this.mask + 1) this.resize((this.mask + 1) * 2)
    const buf = this.buf
    const mask = this.mask
    if (index < n - index) {
      // Move the first `index` elements one slot towards the front.
      const h = (this.head - 1) & mask
      for (let i = 0; i < index; i++) buf[(h + i) & mask] = buf[(h + i + 1) & mask]
      this.head = h
    } else {
      // Move the elements from `index` on one slot towards the back.
      const h = this.head
      for (let i = n; i > index; i--) buf[(h + i) & mask] = buf[(h + i - 1) & mask]
    }
    buf[(this.head + index) & mask] = value
    this.len = n + 1
  }

  /**
   * Removes and returns the element at `index` (negative counts from the
   * tail), moving the shorter side; `undefined` when out of range.
   * O(min(index, length - index)).
   */
  removeAt(index: number): T | undefined {
    const n = this.len
    if (index < 0) index += n
    if (!(index >= 0 && index < n)) return undefined
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    const v = buf[(h + index) & mask]
    if (index < n - 1 - index) {
      for (let i = index; i > 0; i--) buf[(h + i) & mask] = buf[(h + i - 1) & mask]
      buf[h] = undefined
      this.head = (h + 1) & mask
    } else {
      for (let i = index; i < n - 1; i++) buf[(h + i) & mask] = buf[(h + i + 1) & mask]
      buf[(h + n - 1) & mask] = undefined
    }
    this.len = n - 1
    this.maybeShrink()
    return v
  }

  /**
   * Elements `start..stop` inclusive with LRANGE's index rules: negative
   * indexes count from the tail, `start` is clamped to 0 and `stop` to the
   * last index, and the result is empty when `start > stop` or
   * `start >= length` after that. O(m); allocates only the result.
   */
  range(start: number, stop: number): T[] {
    const n = this.len
    if (start < 0) start += n
    if (stop < 0) stop += n
    if (start < 0) start = 0
    if (start > stop || start >= n) return []
    if (stop >= n) stop = n - 1
    const m = stop - start + 1
    const out = new Array<T>(m)
    const buf = this.buf
    const mask = this.mask
    const base = this.head + start
    for (let i = 0; i < m; i++) out[i] = buf[(base + i) & mask] as T
    return out
  }

  /**
   * Keeps only elements `start..stop` (LTRIM; same index rules as
   * {@link range}, and an empty range empties the deque). Returns how many
   * elements were removed. O(removed).
   */
  trim(start: number, stop: number): number {
    const n = this.len
    const [dropFront, dropBack] = trimSpan(n, start, stop)
    if (dropFront + dropBack === 0) return 0
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    for (let i = 0; i < dropFront; i++) buf[(h + i) & mask] = undefined
    for (let i = n - dropBack; i < n; i++) buf[(h + i) & mask] = undefined
    this.head = (h + dropFront) & mask
    this.len = n - dropFront - dropBack
    this.maybeShrink()
    return dropFront + dropBack
  }

  /**
   * Removes elements for which `match` returns true, as LREM does: with
   * `count > 0` the first `count` matches from the head, with `count < 0` the
   * first `-count` matches from the tail, with `count = 0` all of them. `match`
   * is not called again once the limit is reached. Returns how many were
   * removed. O(n), one pass.
   */
  removeWhere(match: (value: T) => boolean, count = 0): number {
    const n = this.len
    if (n === 0) return 0
    const limit = count === 0 ? n : Math.abs(count)
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    let removed = 0
    if (count >= 0) {
      // Compact towards the head: w trails r by the number removed so far.
      let w = 0
      for (let r = 0; r < n; r++) {
        const v = buf[(h + r) & mask] as T
        if (removed < limit && match(v)) {
          removed++
          continue
        }
        if (w !== r) buf[(h + w) & mask] = v
        w++
      }
      for (let i = w; i < n; i++) buf[(h + i) & mask] = undefined
    } else {
      // Compact towards the tail, scanning from it.
      let w = n - 1
      for (let r = n - 1; r >= 0; r--) {
        const v = buf[(h + r) & mask] as T
        if (removed < limit && match(v)) {
          removed++
          continue
        }
        if (w !== r) buf[(h + w) & mask] = v
        w--
      }
      for (let i = 0; i <= w; i++) buf[(h + i) & mask] = undefined
      this.head = (h + removed) & mask
    }
    this.len = n - removed
    if (removed > 0) this.maybeShrink()
    return removed
  }

  /**
   * Index of the first element from the head (at or after `from`) for which
   * `match` returns true, or -1. O(n).
   */
  indexOf(match: (value: T) => boolean, from = 0): number {
    const n = this.len
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    for (let i = from < 0 ? 0 : from; i < n; i++) if (match(buf[(h + i) & mask] as T)) return i
    return -1
  }

  /**
   * Index of the last element (at or before `from`, default the tail) for
   * which `match` returns true, scanning from the tail, or -1. O(n).
   */
  lastIndexOf(match: (value: T) => boolean, from = this.len - 1): number {
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    for (let i = from >= this.len ? this.len - 1 : from; i >= 0; i--) if (match(buf[(h + i) & mask] as T)) return i
    return -1
  }

  /**
   * The LPOS search: indexes (counted from the head) of matching elements.
   *
   * @param rank - which match to start from: 1 is the first from the head, 2
   *   the second...; -1 the first from the tail, -2 the second... Must not be
   *   0 (the caller rejects it with Redis's error); callers pass Redis's
   *   validated values.
   * @param count - most indexes to return; 0 means all matches
   * @param maxlen - most elements to compare; 0 means no limit
   * @returns indexes in scan order (descending when scanning from the tail)
   */
  positions(match: (value: T) => boolean, rank = 1, count = 1, maxlen = 0): number[] {
    const out: number[] = []
    const n = this.len
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    let skip = rank > 0 ? rank - 1 : -rank - 1
    const steps = maxlen > 0 && maxlen < n ? maxlen : n
    for (let s = 0; s < steps; s++) {
      const i = rank > 0 ? s : n - 1 - s
      if (!match(buf[(h + i) & mask] as T)) continue
      if (skip > 0) {
        skip--
        continue
      }
      out.push(i)
      if (count !== 0 && out.length >= count) break
    }
    return out
  }

  /** Values from the head to the tail, or from the tail to the head with `fromTail`. */
  *values(fromTail = false): IterableIterator<T> {
    // Reads live state each step, so a concurrent change is seen, not a stale copy.
    if (fromTail) {
      for (let i = this.len - 1; i >= 0; i--) yield this.buf[(this.head + i) & this.mask] as T
    } else {
      for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask] as T
    }
  }

  /** Same as `values()`: head to tail. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.values()
  }

  /** A new array of all elements, head first. O(n). */
  toArray(): T[] {
    const n = this.len
    const out = new Array<T>(n)
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    for (let i = 0; i < n; i++) out[i] = buf[(h + i) & mask] as T
    return out
  }

  /** Removes every element and releases the storage. */
  clear(): void {
    this.buf = new Array<T | undefined>(MIN_CAPACITY)
    this.mask = MIN_CAPACITY - 1
    this.head = 0
    this.len = 0
  }

  /** A copy holding the same element references. O(n). */
  clone(): Deque<T> {
    return new Deque<T>(this.toArray())
  }

  /** Current capacity of the ring (a power of two); exposed for tests and memory estimates. */
  get capacity(): number {
    return this.mask + 1
  }

  // ---- internals ---------------------------------------------------------

  /**
   * Once less than a quarter of the ring is used, moves to a ring about twice
   * the length (so a big LTRIM releases memory at once, and a push right after
   * does not grow it back).
   */
  private maybeShrink(): void {
    const cap = this.mask + 1
    if (cap > MIN_CAPACITY && this.len < cap >>> 2) this.resize(capacityFor(this.len * 2))
  }

  /** Moves the elements, head first, into a new ring of `cap` slots. */
  private resize(cap: number): void {
    const n = this.len
    const buf = this.buf
    const mask = this.mask
    const h = this.head
    const next = new Array<T | undefined>(cap)
    for (let i = 0; i < n; i++) next[i] = buf[(h + i) & mask]
    this.buf = next
    this.mask = cap - 1
    this.head = 0
  }
}
