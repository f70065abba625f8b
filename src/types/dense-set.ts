/**
 * The set and hash structures behind the S* and H* commands.
 *
 * Each is a native `Set`/`Map` (membership, values and insertion order: what
 * almost every command needs, at the cost of one hash lookup) plus, built on
 * the first call that needs it, an array of slots with a member → slot index,
 * which gives what a bare `Set`/`Map` cannot: a uniformly random member in
 * O(1) (SRANDMEMBER, SPOP, HRANDFIELD) and a SCAN cursor that stays valid
 * while the collection changes between calls. Once built, the slots are kept
 * in step with every change. Collections that are never scanned or sampled
 * never pay for them.
 *
 * Deleting leaves a hole in its slot; the slots are compacted, in order, once
 * holes outnumber members, so every operation stays O(1) amortized and a
 * random pick needs fewer than two tries on average. Iteration follows
 * insertion order (the native collection's), which is what Redis replies for
 * small sets and hashes (listpack encoding) — SMEMBERS and HGETALL on such
 * keys match Redis's order.
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
 * Members in slots (`undefined` marks a hole) with a member → slot index: the
 * part of a {@link DenseSet} or {@link DenseMap} that random picks and SCAN use.
 */
class Slots {
  arr: (string | undefined)[] = []
  readonly index = new Map<string, number>()
  holes = 0

  /** Slots for `members`, in their order. */
  constructor(members: Iterable<string>) {
    const arr = this.arr
    const index = this.index
    for (const m of members) {
      index.set(m, arr.length)
      arr.push(m)
    }
  }

  /** Appends a member known to be new. */
  add(m: string): void {
    this.index.set(m, this.arr.length)
    this.arr.push(m)
  }

  /** Removes a member known to be present. */
  delete(m: string): void {
    const index = this.index
    const slot = index.get(m) as number
    index.delete(m)
    const arr = this.arr
    arr[slot] = undefined
    if (slot === arr.length - 1) {
      // Drop the trailing holes so the slots stay tight at the top.
      arr.pop()
      while (arr.length > 0 && arr[arr.length - 1] === undefined) {
        arr.pop()
        this.holes--
      }
    } else this.holes++
    // One member fewer can leave the holes outnumbering the members either way.
    if (this.holes > index.size) this.compact()
  }

  /** Moves the members down over the holes, keeping their order. */
  private compact(): void {
    const arr = this.arr
    const index = this.index
    let w = 0
    for (let r = 0; r < arr.length; r++) {
      const m = arr[r]
      if (m === undefined) continue
      if (w !== r) {
        arr[w] = m
        index.set(m, w)
      }
      w++
    }
    arr.length = w
    this.holes = 0
  }

  /**
   * Continues a SCAN iteration over the slots (see the module notes): calls
   * `fn` for up to `count` members and returns the next cursor.
   */
  scan(cursor: number, count: number, fn: (member: string) => void): number {
    const arr = this.arr
    let i = cursor > 0 && cursor < arr.length ? Math.floor(cursor) : arr.length
    let left = count >= 1 ? count : 1
    while (i > 0 && left > 0) {
      const m = arr[--i]
      if (m !== undefined) {
        fn(m)
        left--
      }
    }
    return i
  }

  /** Checks the slots against the members they must hold, in order. */
  check(members: Iterable<string>, size: number): void {
    const arr = this.arr
    const index = this.index
    let counted = 0
    for (let i = 0; i < arr.length; i++) {
      const m = arr[i]
      if (m === undefined) counted++
      else if (index.get(m) !== i) throw new Error(`index does not map ${JSON.stringify(m)} to slot ${i}`)
    }
    if (counted !== this.holes) throw new Error(`hole count ${this.holes} != ${counted}`)
    if (index.size !== size) throw new Error(`slot index holds ${index.size} members, the collection ${size}`)
    if (arr.length - this.holes !== size) throw new Error('slot count out of step with the index')
    if (arr.length > 0 && arr[arr.length - 1] === undefined) throw new Error('trailing hole')
    if (this.holes > size) throw new Error(`holes (${this.holes}) outnumber members (${size})`)
    // Slots keep insertion order, as the native collection does.
    let i = 0
    for (const m of members) {
      while (arr[i] === undefined) i++
      if (arr[i] !== m) throw new Error(`slot order differs from insertion order at ${JSON.stringify(m)}`)
      i++
    }
  }
}

/**
 * A set of strings with O(1) add, has, delete and random member, insertion
 * order iteration, and a SCAN cursor (see the module notes).
 */
export class DenseSet {
  /** Membership and insertion order. */
  private set = new Set<string>()
  /** Slots for random picks and SCAN; built on first use. */
  private slots: Slots | undefined = undefined

  /** A set holding `members` (duplicates are kept once). */
  constructor(members?: Iterable<string>) {
    if (members !== undefined) for (const m of members) this.add(m)
  }

  /** Number of members (SCARD). */
  get size(): number {
    return this.set.size
  }

  /** Whether `member` is in the set (SISMEMBER). O(1). */
  has(member: string): boolean {
    return this.set.has(member)
  }

  /** Adds `member`; returns true when it was not already present (SADD). O(1) amortized. */
  add(member: string): boolean {
    const set = this.set
    const n = set.size
    // One hash lookup: the size tells whether the member was new.
    set.add(member)
    if (set.size === n) return false
    if (this.slots !== undefined) this.slots.add(member)
    return true
  }

  /** Removes `member`; returns true when it was present (SREM). O(1) amortized. */
  delete(member: string): boolean {
    if (!this.set.delete(member)) return false
    if (this.slots !== undefined) this.slots.delete(member)
    return true
  }

  /** Removes every member. */
  clear(): void {
    this.set.clear()
    this.slots = undefined
  }

  /** A uniformly random member, or `undefined` when empty (SRANDMEMBER). O(1) expected. */
  random(rng: Rng = Math.random): string | undefined {
    if (this.set.size === 0) return undefined
    const arr = this.slotted().arr
    return arr[randomSlotOf(arr, this.set.size, rng)]
  }

  /** Removes and returns a uniformly random member, or `undefined` when empty (SPOP). */
  pop(rng: Rng = Math.random): string | undefined {
    const m = this.random(rng)
    if (m !== undefined) this.delete(m)
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
    const n = this.set.size
    if (n === 0 || !(count > 0)) return []
    if (count >= n && !allowRepeats) return this.toArray()
    return sampleSlots(this.slotted().arr, n, count, allowRepeats, rng)
  }

  /**
   * Continues a SCAN iteration: visits up to `count` members (at least one
   * slot's worth of progress), calling `fn` for each, and returns the next
   * cursor — `0` when the iteration is complete. Pass `0` to start. See the
   * module notes for the cursor encoding and guarantees. `fn` must not modify
   * the set.
   */
  scan(cursor: number, count: number, fn: (member: string) => void): number {
    return this.slotted().scan(cursor, count, fn)
  }

  /** Members in insertion order. */
  values(): IterableIterator<string> {
    return this.set.values()
  }

  /** Same as {@link values}. */
  [Symbol.iterator](): IterableIterator<string> {
    return this.set.values()
  }

  /** Calls `fn` for each member in insertion order; `fn` must not modify the set. */
  forEach(fn: (member: string) => void): void {
    for (const m of this.set) fn(m)
  }

  /** A new array of the members in insertion order (SMEMBERS). O(n). */
  toArray(): string[] {
    return Array.from(this.set)
  }

  /** An independent copy. O(n). */
  clone(): DenseSet {
    const copy = new DenseSet()
    copy.set = new Set(this.set)
    return copy
  }

  /**
   * Checks the internal invariants (the slots, when built, against the
   * members) and throws an `Error` naming the first one broken. For tests.
   *
   * @internal
   */
  assertValid(): void {
    if (this.slots !== undefined) this.slots.check(this.set, this.set.size)
  }

  /** The slots, built from the members on first use. */
  private slotted(): Slots {
    return (this.slots ??= new Slots(this.set))
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
  /** Field → value, in insertion order. */
  private map = new Map<string, V>()
  /** Slots for random picks and SCAN; built on first use. */
  private slots: Slots | undefined = undefined

  /** A hash holding `entries` (a later duplicate field overwrites the earlier value). */
  constructor(entries?: Iterable<readonly [string, V]>) {
    if (entries !== undefined) for (const [k, v] of entries) this.set(k, v)
  }

  /** Number of fields (HLEN). */
  get size(): number {
    return this.map.size
  }

  /** Whether `field` is present (HEXISTS). O(1). */
  has(field: string): boolean {
    return this.map.has(field)
  }

  /** The value of `field`, or `undefined` (HGET). O(1). */
  get(field: string): V | undefined {
    return this.map.get(field)
  }

  /**
   * Sets `field` to `value` (HSET). Returns true when the field is new; an
   * existing field keeps its position. O(1) amortized.
   */
  set(field: string, value: V): boolean {
    const map = this.map
    const n = map.size
    // One hash lookup: the size tells whether the field was new.
    map.set(field, value)
    if (map.size === n) return false
    if (this.slots !== undefined) this.slots.add(field)
    return true
  }

  /** Removes `field`; returns true when it was present (HDEL). O(1) amortized. */
  delete(field: string): boolean {
    if (!this.map.delete(field)) return false
    if (this.slots !== undefined) this.slots.delete(field)
    return true
  }

  /** Removes every field. */
  clear(): void {
    this.map.clear()
    this.slots = undefined
  }

  /** A uniformly random field, or `undefined` when empty (HRANDFIELD). O(1) expected. */
  randomKey(rng: Rng = Math.random): string | undefined {
    if (this.map.size === 0) return undefined
    const arr = this.slotted().arr
    return arr[randomSlotOf(arr, this.map.size, rng)]
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
    const n = this.map.size
    if (n === 0 || !(count > 0)) return []
    if (count >= n && !allowRepeats) return Array.from(this.map.keys())
    return sampleSlots(this.slotted().arr, n, count, allowRepeats, rng)
  }

  /**
   * Continues a SCAN iteration (HSCAN): visits up to `count` fields, calling
   * `fn` with each field and value, and returns the next cursor — `0` when
   * the iteration is complete. Pass `0` to start. See the module notes for
   * the cursor encoding and guarantees. `fn` must not modify the hash.
   */
  scan(cursor: number, count: number, fn: (field: string, value: V) => void): number {
    const map = this.map
    return this.slotted().scan(cursor, count, (k) => fn(k, map.get(k) as V))
  }

  /** Fields in insertion order. */
  keys(): IterableIterator<string> {
    return this.map.keys()
  }

  /** Values in field insertion order. */
  values(): IterableIterator<V> {
    return this.map.values()
  }

  /** `[field, value]` pairs in insertion order. */
  entries(): IterableIterator<[string, V]> {
    return this.map.entries()
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.map.entries()
  }

  /**
   * Calls `fn(value, field)` for each field in insertion order (the argument
   * order of `Map#forEach`); `fn` must not modify the hash.
   */
  forEach(fn: (value: V, field: string) => void): void {
    for (const [k, v] of this.map) fn(v, k)
  }

  /** A copy sharing the value references (values are immutable strings/Buffers in practice). O(n). */
  clone(): DenseMap<V> {
    const copy = new DenseMap<V>()
    copy.map = new Map(this.map)
    return copy
  }

  /**
   * Checks the internal invariants and throws an `Error` naming the first one
   * broken. For tests.
   *
   * @internal
   */
  assertValid(): void {
    if (this.slots !== undefined) this.slots.check(this.map.keys(), this.map.size)
  }

  /** The slots, built from the fields on first use. */
  private slotted(): Slots {
    return (this.slots ??= new Slots(this.map.keys()))
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
