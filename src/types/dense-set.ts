/**
 * The set and hash structures behind the S* and H* commands.
 *
 * Both keep their members in an array of slots plus a `Map` from member to
 * slot, which gives what a bare `Set`/`Map` cannot: a uniformly random member
 * in O(1) (SRANDMEMBER, SPOP, HRANDFIELD) and a SCAN cursor that stays valid
 * while the collection changes between calls.
 *
 * Deleting leaves a hole in its slot; the slots are compacted, in order, once
 * holes outnumber members, so every operation stays O(1) amortized and a
 * random pick needs fewer than two tries on average. Keeping the order (rather
 * than moving the last member into the hole) makes iteration follow
 * insertion order, which is what Redis replies for small sets and hashes
 * (listpack encoding) — SMEMBERS and HGETALL on such keys match Redis's order.
 *
 * ## SCAN cursors
 *
 * `scan(cursor, count, fn)` visits slots from the highest index downward. A
 * cursor is the number of slots still to visit, counted from slot 0: `0`
 * starts a new iteration (at the top), and a returned `0` means the iteration
 * is complete. Members only ever move to lower slots (compaction) and new
 * members are appended at the top, so every member present for the whole
 * iteration is visited at least once; a member may be visited twice when it
 * moves below the cursor, and members added during the iteration may or may
 * not be visited — the guarantees of Redis's SCAN.
 *
 * @module
 */

/** Random number source: numbers in [0, 1), like `Math.random`. */
export type Rng = () => number

/** Random picks tried before falling back to an exact (O(n)) pick. */
const MAX_TRIES = 64

/**
 * A set of strings with O(1) add, has, delete and random member, insertion
 * order iteration, and a SCAN cursor (see the module notes).
 */
export class DenseSet {
  /** Members by slot; `undefined` marks a hole. */
  private slots: (string | undefined)[] = []
  /** Member → slot. */
  private readonly index = new Map<string, number>()
  private holes = 0

  /** A set holding `members` (duplicates are kept once). */
  constructor(members?: Iterable<string>) {
    if (members !== undefined) for (const m of members) this.add(m)
  }

  /** Number of members (SCARD). */
  get size(): number {
    return this.index.size
  }

  /** Whether `member` is in the set (SISMEMBER). O(1). */
  has(member: string): boolean {
    return this.index.has(member)
  }

  /** Adds `member`; returns true when it was not already present (SADD). O(1) amortized. */
  add(member: string): boolean {
    const index = this.index
    if (index.has(member)) return false
    index.set(member, this.slots.length)
    this.slots.push(member)
    return true
  }

  /** Removes `member`; returns true when it was present (SREM). O(1) amortized. */
  delete(member: string): boolean {
    const slot = this.index.get(member)
    if (slot === undefined) return false
    this.index.delete(member)
    const slots = this.slots
    slots[slot] = undefined
    if (slot === slots.length - 1) {
      // Drop the trailing holes so the slots stay tight at the top.
      slots.pop()
      while (slots.length > 0 && slots[slots.length - 1] === undefined) {
        slots.pop()
        this.holes--
      }
    } else if (++this.holes > this.index.size) {
      this.compact()
    }
    return true
  }

  /** Removes every member. */
  clear(): void {
    this.slots = []
    this.index.clear()
    this.holes = 0
  }

  /** A uniformly random member, or `undefined` when empty (SRANDMEMBER). O(1) expected. */
  random(rng: Rng = Math.random): string | undefined {
    const slot = this.randomSlot(rng)
    return slot < 0 ? undefined : this.slots[slot]
  }

  /** Removes and returns a uniformly random member, or `undefined` when empty (SPOP). */
  pop(rng: Rng = Math.random): string | undefined {
    const slot = this.randomSlot(rng)
    if (slot < 0) return undefined
    const m = this.slots[slot] as string
    this.delete(m)
    return m
  }

  /**
   * Random members for SRANDMEMBER with a count.
   *
   * With `allowRepeats` (a negative count in Redis) returns exactly `count`
   * independent picks. Otherwise returns `min(count, size)` distinct members;
   * when `count >= size` that is every member in iteration order, as Redis
   * replies. O(count) expected.
   */
  sample(count: number, allowRepeats = false, rng: Rng = Math.random): string[] {
    return sampleSlots(this.slots, this.index.size, count, allowRepeats, rng)
  }

  /**
   * Continues a SCAN iteration: visits up to `count` members (at least one
   * slot's worth of progress), calling `fn` for each, and returns the next
   * cursor — `0` when the iteration is complete. Pass `0` to start. See the
   * module notes for the cursor encoding and guarantees. `fn` must not modify
   * the set.
   */
  scan(cursor: number, count: number, fn: (member: string) => void): number {
    const slots = this.slots
    let i = cursor > 0 && cursor < slots.length ? Math.floor(cursor) : slots.length
    let left = count >= 1 ? count : 1
    while (i > 0 && left > 0) {
      const m = slots[--i]
      if (m !== undefined) {
        fn(m)
        left--
      }
    }
    return i
  }

  /** Members in insertion order. */
  *values(): IterableIterator<string> {
    const slots = this.slots
    for (let i = 0; i < slots.length; i++) {
      const m = slots[i]
      if (m !== undefined) yield m
    }
  }

  /** Same as {@link values}. */
  [Symbol.iterator](): IterableIterator<string> {
    return this.values()
  }

  /** Calls `fn` for each member in insertion order; `fn` must not modify the set. */
  forEach(fn: (member: string) => void): void {
    const slots = this.slots
    for (let i = 0; i < slots.length; i++) {
      const m = slots[i]
      if (m !== undefined) fn(m)
    }
  }

  /** A new array of the members in insertion order (SMEMBERS). O(n). */
  toArray(): string[] {
    const out = new Array<string>(this.index.size)
    const slots = this.slots
    let k = 0
    for (let i = 0; i < slots.length; i++) {
      const m = slots[i]
      if (m !== undefined) out[k++] = m
    }
    return out
  }

  /** An independent copy, compacted. O(n). */
  clone(): DenseSet {
    const copy = new DenseSet()
    const slots = this.slots
    for (let i = 0; i < slots.length; i++) {
      const m = slots[i]
      if (m !== undefined) {
        copy.index.set(m, copy.slots.length)
        copy.slots.push(m)
      }
    }
    return copy
  }

  /**
   * Checks the internal invariants (slot map, hole count, no trailing hole,
   * holes ≤ members) and throws an `Error` naming the first one broken. For tests.
   *
   * @internal
   */
  assertValid(): void {
    checkSlots(this.slots, this.index, this.holes)
  }

  /** A random occupied slot, or -1 when empty. */
  private randomSlot(rng: Rng): number {
    return randomSlotOf(this.slots, this.index.size, rng)
  }

  /** Moves the members down over the holes, keeping their order. */
  private compact(): void {
    const slots = this.slots
    const index = this.index
    let w = 0
    for (let r = 0; r < slots.length; r++) {
      const m = slots[r]
      if (m === undefined) continue
      if (w !== r) {
        slots[w] = m
        index.set(m, w)
      }
      w++
    }
    slots.length = w
    this.holes = 0
  }
}

/**
 * A hash: string fields to values of type `V`, with O(1) get, set, delete and
 * random field, insertion-order iteration (a field keeps its place when its
 * value changes), and a SCAN cursor (see the module notes).
 *
 * @typeParam V - the value type (the command layer stores strings and Buffers)
 */
export class DenseMap<V> {
  /** Fields by slot; `undefined` marks a hole. */
  private keySlots: (string | undefined)[] = []
  /** Values by slot, parallel to `keySlots`. */
  private valSlots: (V | undefined)[] = []
  /** Field → slot. */
  private readonly index = new Map<string, number>()
  private holes = 0

  /** A hash holding `entries` (a later duplicate field overwrites the earlier value). */
  constructor(entries?: Iterable<readonly [string, V]>) {
    if (entries !== undefined) for (const [k, v] of entries) this.set(k, v)
  }

  /** Number of fields (HLEN). */
  get size(): number {
    return this.index.size
  }

  /** Whether `field` is present (HEXISTS). O(1). */
  has(field: string): boolean {
    return this.index.has(field)
  }

  /** The value of `field`, or `undefined` (HGET). O(1). */
  get(field: string): V | undefined {
    const slot = this.index.get(field)
    return slot === undefined ? undefined : this.valSlots[slot]
  }

  /**
   * Sets `field` to `value` (HSET). Returns true when the field is new; an
   * existing field keeps its position. O(1) amortized.
   */
  set(field: string, value: V): boolean {
    const slot = this.index.get(field)
    if (slot !== undefined) {
      this.valSlots[slot] = value
      return false
    }
    this.index.set(field, this.keySlots.length)
    this.keySlots.push(field)
    this.valSlots.push(value)
    return true
  }

  /** Removes `field`; returns true when it was present (HDEL). O(1) amortized. */
  delete(field: string): boolean {
    const slot = this.index.get(field)
    if (slot === undefined) return false
    this.index.delete(field)
    const keys = this.keySlots
    const vals = this.valSlots
    keys[slot] = undefined
    vals[slot] = undefined
    if (slot === keys.length - 1) {
      keys.pop()
      vals.pop()
      while (keys.length > 0 && keys[keys.length - 1] === undefined) {
        keys.pop()
        vals.pop()
        this.holes--
      }
    } else if (++this.holes > this.index.size) {
      this.compact()
    }
    return true
  }

  /** Removes every field. */
  clear(): void {
    this.keySlots = []
    this.valSlots = []
    this.index.clear()
    this.holes = 0
  }

  /** A uniformly random field, or `undefined` when empty (HRANDFIELD). O(1) expected. */
  randomKey(rng: Rng = Math.random): string | undefined {
    const slot = randomSlotOf(this.keySlots, this.index.size, rng)
    return slot < 0 ? undefined : this.keySlots[slot]
  }

  /**
   * Random fields for HRANDFIELD with a count; read values with {@link get}.
   *
   * With `allowRepeats` (a negative count in Redis) returns exactly `count`
   * independent picks. Otherwise returns `min(count, size)` distinct fields;
   * when `count >= size` that is every field in iteration order, as Redis
   * replies. O(count) expected.
   */
  sampleKeys(count: number, allowRepeats = false, rng: Rng = Math.random): string[] {
    return sampleSlots(this.keySlots, this.index.size, count, allowRepeats, rng)
  }

  /**
   * Continues a SCAN iteration (HSCAN): visits up to `count` fields, calling
   * `fn` with each field and value, and returns the next cursor — `0` when
   * the iteration is complete. Pass `0` to start. See the module notes for
   * the cursor encoding and guarantees. `fn` must not modify the hash.
   */
  scan(cursor: number, count: number, fn: (field: string, value: V) => void): number {
    const keys = this.keySlots
    const vals = this.valSlots
    let i = cursor > 0 && cursor < keys.length ? Math.floor(cursor) : keys.length
    let left = count >= 1 ? count : 1
    while (i > 0 && left > 0) {
      const k = keys[--i]
      if (k !== undefined) {
        fn(k, vals[i] as V)
        left--
      }
    }
    return i
  }

  /** Fields in insertion order. */
  *keys(): IterableIterator<string> {
    const keys = this.keySlots
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k !== undefined) yield k
    }
  }

  /** Values in field insertion order. */
  *values(): IterableIterator<V> {
    const keys = this.keySlots
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== undefined) yield this.valSlots[i] as V
    }
  }

  /** `[field, value]` pairs in insertion order. */
  *entries(): IterableIterator<[string, V]> {
    const keys = this.keySlots
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k !== undefined) yield [k, this.valSlots[i] as V]
    }
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries()
  }

  /**
   * Calls `fn(value, field)` for each field in insertion order (the argument
   * order of `Map#forEach`); `fn` must not modify the hash.
   */
  forEach(fn: (value: V, field: string) => void): void {
    const keys = this.keySlots
    const vals = this.valSlots
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k !== undefined) fn(vals[i] as V, k)
    }
  }

  /** A copy sharing the value references (values are immutable strings/Buffers in practice). O(n). */
  clone(): DenseMap<V> {
    const copy = new DenseMap<V>()
    const keys = this.keySlots
    const vals = this.valSlots
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]
      if (k !== undefined) {
        copy.index.set(k, copy.keySlots.length)
        copy.keySlots.push(k)
        copy.valSlots.push(vals[i])
      }
    }
    return copy
  }

  /**
   * Checks the internal invariants and throws an `Error` naming the first one
   * broken. For tests.
   *
   * @internal
   */
  assertValid(): void {
    checkSlots(this.keySlots, this.index, this.holes)
    if (this.valSlots.length !== this.keySlots.length) throw new Error('value slots out of step with key slots')
    for (let i = 0; i < this.keySlots.length; i++) {
      if (this.keySlots[i] === undefined && this.valSlots[i] !== undefined) throw new Error(`hole ${i} holds a value`)
    }
  }

  /** Moves the fields and values down over the holes, keeping their order. */
  private compact(): void {
    const keys = this.keySlots
    const vals = this.valSlots
    const index = this.index
    let w = 0
    for (let r = 0; r < keys.length; r++) {
      const k = keys[r]
      if (k === undefined) continue
      if (w !== r) {
        keys[w] = k
        vals[w] = vals[r]
        index.set(k, w)
      }
      w++
    }
    keys.length = w
    vals.length = w
    this.holes = 0
  }
}

/** A random occupied slot of `slots` (holding `n` members), or -1 when empty. */
function randomSlotOf(slots: readonly (string | undefined)[], n: number, rng: Rng): number {
  if (n === 0) return -1
  const len = slots.length
  for (let t = 0; t < MAX_TRIES; t++) {
    const i = Math.floor(rng() * len)
    if (slots[i] !== undefined) return i
  }
  // Only reached with a degenerate rng (e.g. a constant landing on a hole):
  // pick the k-th member exactly.
  let k = Math.floor(rng() * n)
  for (let i = 0; i < len; i++) {
    if (slots[i] !== undefined && k-- === 0) return i
  }
  return -1
}

/** Shared SRANDMEMBER/HRANDFIELD sampling over slots (see DenseSet#sample). */
function sampleSlots(
  slots: readonly (string | undefined)[],
  n: number,
  count: number,
  allowRepeats: boolean,
  rng: Rng,
): string[] {
  if (n === 0 || !(count > 0)) return []
  if (allowRepeats) {
    const out = new Array<string>(count)
    for (let i = 0; i < count; i++) out[i] = slots[randomSlotOf(slots, n, rng)] as string
    return out
  }
  const all = (): string[] => {
    const out = new Array<string>(n)
    let k = 0
    for (let i = 0; i < slots.length; i++) {
      const m = slots[i]
      if (m !== undefined) out[k++] = m
    }
    return out
  }
  if (count >= n) return all()
  if (count * 3 <= n) {
    // A small part: random picks, skipping repeats (fewer than 1.5 tries each
    // on average). The try budget only runs out with a degenerate rng.
    const seen = new Set<number>()
    const out: string[] = []
    for (let tries = 16 * count + MAX_TRIES; tries > 0 && out.length < count; tries--) {
      const s = randomSlotOf(slots, n, rng)
      if (seen.has(s)) continue
      seen.add(s)
      out.push(slots[s] as string)
    }
    if (out.length === count) return out
  }
  // Most of the set: a partial Fisher–Yates shuffle of a copy.
  const arr = all()
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (n - i))
    const t = arr[i] as string
    arr[i] = arr[j] as string
    arr[j] = t
  }
  arr.length = count
  return arr
}

/** Invariant checks shared by both classes. */
function checkSlots(slots: readonly (string | undefined)[], index: Map<string, number>, holes: number): void {
  let counted = 0
  for (let i = 0; i < slots.length; i++) {
    const m = slots[i]
    if (m === undefined) counted++
    else if (index.get(m) !== i) throw new Error(`index does not map ${JSON.stringify(m)} to slot ${i}`)
  }
  if (counted !== holes) throw new Error(`hole count ${holes} != ${counted}`)
  if (slots.length - holes !== index.size) throw new Error('slot count out of step with the index')
  if (slots.length > 0 && slots[slots.length - 1] === undefined) throw new Error('trailing hole')
  if (holes > index.size) throw new Error(`holes (${holes}) outnumber members (${index.size})`)
}
