/**
 * The sorted set behind ZADD, ZRANGE and the other Z* commands.
 *
 * An order-statistic tree — a counted B+tree: leaves of up to 64 elements
 * linked in order, inner nodes that keep the element count of each child, so
 * that ranks are O(log n) — plus a `Map` from member to its element so that
 * ZSCORE is one hash lookup and ZRANK starts from the element itself.
 *
 * Redis uses a skiplist with spans for the same job. A B+tree gives the same
 * costs with far fewer memory accesses per operation: a skiplist search visits
 * a few dozen nodes scattered over the heap, while here a search reads a few
 * compact arrays (and a rank reads none of the keys at all), which is what
 * keeps large sets fast once they no longer fit in the CPU caches.
 *
 * Elements are ordered by score, then by member bytes ({@link compareBytes}).
 *
 * @module
 */

import { BIN_MARK } from '../core/bytes.js'

/** First code unit of a canonical string that stands for non-UTF-8 bytes (see core/bytes). */
const MARK = BIN_MARK.charCodeAt(0)

/**
 * Compares two members by their bytes, as Redis's `memcmp`-based ordering
 * does. Returns a negative number, zero or a positive number as `a` sorts
 * before, equal to or after `b`.
 *
 * Members are canonical strings (see `keyOf` in core/bytes): a string stands
 * for its UTF-8 bytes, except one starting with `BIN_MARK` (a lone low
 * surrogate), which stands for the latin1 characters after the mark. Both
 * forms are compared by the bytes they stand for.
 *
 * UTF-8 byte order equals code point order. JavaScript's `<` compares UTF-16
 * code units instead, which differs for U+E000..U+FFFF against characters
 * above U+FFFF (stored as surrogate pairs): `'\uFFFF' < '😀'` is false in
 * JavaScript, yet `EF BF BF` sorts before `F0 9F 98 80`. Lone surrogates past
 * the first position (which canonical strings do not contain) are ordered as
 * the code point of their value (WTF-8 order), which keeps the order total.
 *
 * Strings without surrogates take a fast path of one code unit comparison per
 * character.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0
  const ma = a.charCodeAt(0) === MARK
  if (ma || b.charCodeAt(0) === MARK) return compareMarked(a, b, ma)
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    // Outside the surrogate range code unit order is code point order.
    if ((ca & 0xf800) !== 0xd800 && (cb & 0xf800) !== 0xd800) return ca - cb
    return compareCodePointsAt(a, b, i)
  }
  return a.length - b.length
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff
}

/** Slow path of {@link compareBytes}: the first difference involves a surrogate. */
function compareCodePointsAt(a: string, b: string, i: number): number {
  // A low surrogate at i may complete a pair that starts at i - 1 (shared by both
  // strings, since they agree before i): compare whole code points from there.
  let j = i
  if (i > 0 && (isLow(a.charCodeAt(i)) || isLow(b.charCodeAt(i)))) {
    const p = a.charCodeAt(i - 1)
    if (p >= 0xd800 && p <= 0xdbff) j = i - 1
  }
  return (a.codePointAt(j) as number) - (b.codePointAt(j) as number)
}

/** {@link compareBytes} when at least one side is a marked (non-UTF-8) string. */
function compareMarked(a: string, b: string, aMarked: boolean): number {
  const bMarked = b.charCodeAt(0) === MARK
  if (aMarked && bMarked) {
    // Both are latin1 after the mark: code units are the bytes.
    const n = a.length < b.length ? a.length : b.length
    for (let i = 1; i < n; i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i)
      if (d !== 0) return d
    }
    return a.length - b.length
  }
  return aMarked ? compareRawToText(a, b) : -compareRawToText(b, a)
}

/** Compares the bytes of a marked string with the UTF-8 bytes of a text string. */
function compareRawToText(raw: string, text: string): number {
  let i = 1
  let j = 0
  while (j < text.length) {
    const c = text.codePointAt(j) as number
    j += c > 0xffff ? 2 : 1
    // Encode c as UTF-8 and compare byte by byte.
    let len: number
    let b0: number
    if (c < 0x80) {
      len = 1
      b0 = c
    } else if (c < 0x800) {
      len = 2
      b0 = 0xc0 | (c >> 6)
    } else if (c < 0x10000) {
      len = 3
      b0 = 0xe0 | (c >> 12)
    } else {
      len = 4
      b0 = 0xf0 | (c >> 18)
    }
    for (let k = 0; k < len; k++) {
      if (i >= raw.length) return -1 // raw is a proper prefix
      const byte = k === 0 ? b0 : 0x80 | ((c >> (6 * (len - 1 - k))) & 0x3f)
      const d = raw.charCodeAt(i++) - byte
      if (d !== 0) return d
    }
  }
  return i < raw.length ? 1 : 0
}

/**
 * A read-only view of one sorted set element, as range queries hand them out.
 *
 * Views are the set's own element objects (no copy is made), so read `member`
 * and `score` before mutating the set again: a later {@link SortedSet.add}
 * may change a view's score in place, and removed elements keep the values
 * they had.
 */
export interface SortedSetNode {
  /** The member. */
  readonly member: string
  /** The member's score (never NaN). */
  readonly score: number
}

/**
 * One end of a lexicographic range, as ZRANGEBYLEX and friends take them:
 * `'-'` is minus infinity, `'+'` plus infinity, otherwise a member value that
 * is included (`[value`) or excluded (`(value`). See {@link parseLexBound}.
 */
export type LexBound = '-' | '+' | { readonly value: string; readonly exclusive: boolean }

/**
 * Parses a lexicographic range item as Redis's `zslParseLexRangeItem` does:
 * `-`, `+`, `[member` or `(member`. Returns `undefined` for anything else
 * (Redis then replies `ERR min or max not valid string range item`).
 *
 * `arg` is the argument's canonical string (`keyOf`); for a marked
 * (non-UTF-8) argument the bound's value stays marked.
 */
export function parseLexBound(arg: string): LexBound | undefined {
  let c = arg.charCodeAt(0)
  if (c === MARK) {
    // Bytes after a leading '[' or '(' are non-UTF-8 exactly when the whole is.
    c = arg.charCodeAt(1)
    if (c === 91 /* [ */) return { value: BIN_MARK + arg.slice(2), exclusive: false }
    if (c === 40 /* ( */) return { value: BIN_MARK + arg.slice(2), exclusive: true }
    return undefined
  }
  if (c === 45 /* - */) return arg.length === 1 ? '-' : undefined
  if (c === 43 /* + */) return arg.length === 1 ? '+' : undefined
  if (c === 91 /* [ */) return { value: arg.slice(1), exclusive: false }
  if (c === 40 /* ( */) return { value: arg.slice(1), exclusive: true }
  return undefined
}

/** Bounds exclusivity for score ranges; both ends are inclusive by default. */
export interface ScoreRangeOptions {
  /** Exclude elements whose score equals `min` (the `(min` syntax). */
  minExclusive?: boolean
  /** Exclude elements whose score equals `max` (the `(max` syntax). */
  maxExclusive?: boolean
}

/** Order and paging for range queries (ZRANGE ... REV LIMIT offset count). */
export interface RangeLimitOptions {
  /** Walk from the high end of the range down (ZREVRANGEBYSCORE, ZRANGE ... REV). */
  reverse?: boolean
  /** Elements of the range to skip first. Negative gives an empty result, as in Redis. Default 0. */
  offset?: number
  /** Most elements to return; negative means no limit, as in Redis. Default -1. */
  count?: number
}

/** Options of {@link SortedSet.rangeByScore}. */
export interface ScoreRangeQuery extends ScoreRangeOptions, RangeLimitOptions {}

/** The outcome of {@link SortedSet.add}. */
export type AddResult = 'added' | 'updated' | 'same'

/** Default capacity of a node: elements per leaf, children per inner node. */
const NODE_SIZE = 64

/**
 * One element, as the leaves hold it and as range queries hand it out
 * ({@link SortedSetNode}).
 */
class ZNode implements SortedSetNode {
  member: string
  score: number
  /** The leaf holding the element; null once it is removed. */
  leaf: Leaf | null = null
  constructor(member: string, score: number) {
    this.member = member
    this.score = score
  }
}

/** A leaf: elements in order, their scores side by side so searches read one array of doubles. */
class Leaf {
  items: ZNode[] = []
  /** `scores[i] === items[i].score`. */
  scores: number[] = []
  parent: Inner | null = null
  /** Index in `parent.kids`. */
  slot = 0
  /** Neighbouring leaves, for range walks. */
  prev: Leaf | null = null
  next: Leaf | null = null
}

type Child = Leaf | Inner

/**
 * An inner node. `counts[i]` is the number of elements under `kids[i]`, and
 * (`keyScores[i]`, `keyMembers[i]`) for i ≥ 1 is a lower bound of the
 * elements under `kids[i]` that is above every element under `kids[i - 1]`:
 * the routing key. Index 0's key is not read by searches.
 */
class Inner {
  kids: Child[] = []
  counts: number[] = []
  keyScores: number[] = []
  keyMembers: string[] = []
  /** Sum of `counts`. */
  total = 0
  parent: Inner | null = null
  /** Index in `parent.kids`. */
  slot = 0
}

/** Sets the `slot` of `x.kids[from..]` to their indexes. */
function reslot(x: Inner, from: number): void {
  const kids = x.kids
  for (let i = from; i < kids.length; i++) (kids[i] as Child).slot = i
}

/** True when `x` sorts strictly before (score, member). */
function before(x: ZNode, score: number, member: string): boolean {
  return x.score < score || (x.score === score && compareBytes(x.member, member) < 0)
}

function gteMin(score: number, min: number, ex: boolean): boolean {
  return ex ? score > min : score >= min
}
function lteMax(score: number, max: number, ex: boolean): boolean {
  return ex ? score < max : score <= max
}
/** Redis's zslLexValueGteMin ('-' and '+' are the extremes). */
export function lexGteMin(value: string, min: LexBound): boolean {
  if (min === '-') return true
  if (min === '+') return false
  const c = compareBytes(value, min.value)
  return min.exclusive ? c > 0 : c >= 0
}
/** Redis's zslLexValueLteMax. */
export function lexLteMax(value: string, max: LexBound): boolean {
  if (max === '+') return true
  if (max === '-') return false
  const c = compareBytes(value, max.value)
  return max.exclusive ? c < 0 : c <= 0
}
/** False when no string can lie in [min, max] (Redis's zslIsInLexRange pre-check). */
export function lexRangeNonEmpty(min: LexBound, max: LexBound): boolean {
  if (min === '+' || max === '-') return false
  if (min === '-' || max === '+') return true
  const c = compareBytes(min.value, max.value)
  return !(c > 0 || (c === 0 && (min.exclusive || max.exclusive)))
}
function scoreRangeNonEmpty(min: number, max: number, minEx: boolean, maxEx: boolean): boolean {
  return !(min > max || (min === max && (minEx || maxEx)))
}

// ---- searches within one node (binary, over the node's own arrays) -----------

/** The child of `x` whose range holds (score, member): the last i ≥ 1 whose key is ≤ it, else 0. */
function childFor(x: Inner, score: number, member: string): number {
  const ks = x.keyScores
  let lo = 1
  let hi = ks.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const s = ks[mid] as number
    // Members are read only on equal scores.
    if (s < score || (s === score && compareBytes(x.keyMembers[mid] as string, member) <= 0)) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

/** Position in `leaf` where (score, member) belongs: the first element sorting after it. */
function leafPos(leaf: Leaf, score: number, member: string): number {
  const sc = leaf.scores
  let lo = 0
  let hi = sc.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const s = sc[mid] as number
    if (s < score || (s === score && compareBytes((leaf.items[mid] as ZNode).member, member) < 0)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Number of leading entries of `a` (from index `from`) whose score is below
 * the range's low end, i.e. fails {@link gteMin}. Scores in `a` are ascending.
 */
function countBelowMin(a: number[], from: number, min: number, ex: boolean): number {
  let lo = from
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (gteMin(a[mid] as number, min, ex)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Index of the first entry of `a` (from `from`) above the range's high end (fails {@link lteMax}). */
function firstAboveMax(a: number[], from: number, max: number, ex: boolean): number {
  let lo = from
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (lteMax(a[mid] as number, max, ex)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** {@link countBelowMin} over member strings with a lex bound. */
function countBelowLexMin(a: readonly string[], from: number, min: LexBound): number {
  let lo = from
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (lexGteMin(a[mid] as string, min)) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** {@link firstAboveMax} over member strings with a lex bound. */
function firstAboveLexMax(a: readonly string[], from: number, max: LexBound): number {
  let lo = from
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (lexLteMax(a[mid] as string, max)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Leaf versions of the lex searches: members are read from the elements. */
function leafBelowLexMin(leaf: Leaf, min: LexBound): number {
  const items = leaf.items
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (lexGteMin((items[mid] as ZNode).member, min)) hi = mid
    else lo = mid + 1
  }
  return lo
}
function leafAboveLexMax(leaf: Leaf, max: LexBound): number {
  const items = leaf.items
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (lexLteMax((items[mid] as ZNode).member, max)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Elements under `x.kids[0..i)`, summed from whichever end of `counts` is nearer. */
function countBefore(x: Inner, i: number): number {
  const c = x.counts
  let s = 0
  if (i <= c.length >> 1) {
    for (let j = 0; j < i; j++) s += c[j] as number
    return s
  }
  s = x.total
  for (let j = i; j < c.length; j++) s -= c[j] as number
  return s
}

/** Rank (1-based) of the node most recently found by a first/last range lookup. */
let FOUND_RANK = 0

/**
 * A Redis sorted set: members (strings) with scores, ordered by score and then
 * by member bytes.
 *
 * Costs are those of Redis: {@link add}, {@link remove}, {@link rank},
 * {@link byRank} and range lookups are O(log n); range reads add O(m) for the m
 * elements returned; {@link score} and {@link has} are O(1).
 *
 * The order lives in a counted B+tree: leaves of up to 64 elements (with their
 * scores side by side in an array of doubles) linked in order, under inner
 * nodes that keep each child's element count and a routing key. Compared with
 * a skiplist it touches a handful of compact nodes per operation rather than a
 * few dozen scattered ones, which is what keeps large sets fast once they no
 * longer fit in the CPU caches. Ranks come from the counts: an element's rank
 * is its place in its leaf plus the counts of the subtrees to its left, found
 * by walking up from the element (the member map leads to it) with no key
 * comparison at all.
 *
 * Scores must not be NaN (Redis rejects such values before they reach a set);
 * `Infinity` and `-Infinity` are valid. Range queries return
 * {@link SortedSetNode} views without copying elements.
 *
 * @example
 * ```ts
 * const z = new SortedSet()
 * z.add('a', 1); z.add('b', 2)
 * z.rangeByRank(0, -1).map((n) => n.member) // ['a', 'b']
 * ```
 */
export class SortedSet {
  /** Member → element. */
  private readonly dict = new Map<string, ZNode>()
  private root: Child
  /** Inner levels above the leaves (0: the root is a leaf). */
  private height = 0
  /** First and last leaves. */
  private head: Leaf
  private tailLeaf: Leaf
  /** Node capacity, the fill below which a non-root node is rebalanced, and the largest merge. */
  private readonly cap: number
  private readonly min: number
  private readonly mergeMax: number
  /** Where the last {@link locate} or range lookup found its element. */
  private atLeaf: Leaf
  private atPos = 0
  /** Position of the element {@link next}/{@link prev} last returned: sequential walks skip the search. */
  private hint = 0

  /**
   * An empty set.
   *
   * @param nodeSize - node capacity (at least 8; default 64). Small values
   *   exercise the tree's splits and merges in tests.
   */
  constructor(nodeSize: number = NODE_SIZE) {
    this.cap = nodeSize >= 8 ? Math.floor(nodeSize) : 8
    this.min = this.cap >> 2
    this.mergeMax = this.cap - this.min
    const leaf = new Leaf()
    this.root = leaf
    this.head = leaf
    this.tailLeaf = leaf
    this.atLeaf = leaf
  }

  /** Number of elements (ZCARD). */
  get size(): number {
    return this.dict.size
  }

  /** The member's score, or `undefined` when it is not in the set (ZSCORE). O(1). */
  score(member: string): number | undefined {
    const node = this.dict.get(member)
    return node === undefined ? undefined : node.score
  }

  /** Whether the member is in the set. O(1). */
  has(member: string): boolean {
    return this.dict.has(member)
  }

  /**
   * Sets a member's score, inserting it when absent. Returns `'added'` for a
   * new member, `'updated'` when an existing member's score changed and
   * `'same'` when it already had this score (no change).
   *
   * As in Redis, a score change that keeps the element between its neighbours
   * is made in place; otherwise the element moves. O(log n).
   *
   * @param score - must not be NaN
   */
  add(member: string, score: number): AddResult {
    const node = this.dict.get(member)
    if (node === undefined) {
      const x = new ZNode(member, score)
      this.insertNode(x)
      this.dict.set(member, x)
      return 'added'
    }
    if (node.score === score) return 'same'
    const leaf = node.leaf as Leaf
    const items = leaf.items
    const pos = this.posOf(node)
    // In place when the element keeps its place. Across a leaf boundary the
    // routing keys bound it too, so only the set's two ends qualify there.
    let stays: boolean
    if (score > node.score) {
      const nx = items[pos + 1]
      stays = nx === undefined ? leaf.next === null : score < nx.score || (score === nx.score && compareBytes(member, nx.member) < 0)
    } else {
      stays = pos > 0 ? before(items[pos - 1] as ZNode, score, member) : leaf.prev === null
    }
    if (stays) {
      node.score = score
      leaf.scores[pos] = score
      return 'updated'
    }
    // Move: unlink and relink the same element object (views stay valid).
    this.removeAt(leaf, pos, 1)
    node.score = score
    this.insertNode(node)
    return 'updated'
  }

  /** Removes a member. Returns whether it was present (ZREM). O(log n). */
  remove(member: string): boolean {
    const node = this.dict.get(member)
    if (node === undefined) return false
    this.removeAt(node.leaf as Leaf, this.posOf(node), 1)
    this.dict.delete(member)
    return true
  }

  /** Removes every element. */
  clear(): void {
    for (let l: Leaf | null = this.head; l !== null; l = l.next) {
      const items = l.items
      for (let i = 0; i < items.length; i++) (items[i] as ZNode).leaf = null
    }
    this.dict.clear()
    const leaf = new Leaf()
    this.root = leaf
    this.head = leaf
    this.tailLeaf = leaf
    this.atLeaf = leaf
    this.height = 0
  }

  /**
   * The 0-based rank of a member (ZRANK), counted from the lowest score, or
   * from the highest when `reverse` is set (ZREVRANK). `undefined` when the
   * member is absent. O(log n).
   */
  rank(member: string, reverse = false): number | undefined {
    const node = this.dict.get(member)
    if (node === undefined) return undefined
    const r = this.rankOf(node) // 1-based
    return reverse ? this.dict.size - r : r - 1
  }

  /**
   * The element at a 0-based rank, counted from the lowest score (or from the
   * highest when `reverse` is set). `undefined` when `rank` is outside
   * `0..size-1` (negative ranks are not translated). O(log n).
   */
  byRank(rank: number, reverse = false): SortedSetNode | undefined {
    const n = this.dict.size
    if (!(rank >= 0 && rank < n)) return undefined
    return this.locate(reverse ? n - rank : rank + 1)
  }

  /** The element with the lowest score, or `undefined` when empty. O(1). */
  first(): SortedSetNode | undefined {
    return this.head.items[0]
  }

  /** The element with the highest score, or `undefined` when empty. O(1). */
  last(): SortedSetNode | undefined {
    const items = this.tailLeaf.items
    return items[items.length - 1]
  }

  /**
   * The element after `node` in ascending order, or `undefined` at the end.
   * `node` must be a current element of this set. O(1): a walk forward
   * element by element finds its place at once, any other node by a scan
   * of its leaf (at most 64 entries).
   */
  next(node: SortedSetNode): SortedSetNode | undefined {
    const x = node as ZNode
    let leaf = x.leaf as Leaf
    let p = this.posOf(x) + 1
    if (p === leaf.items.length) {
      const nl = leaf.next
      if (nl === null) return undefined
      leaf = nl
      p = 0
    }
    this.hint = p
    return leaf.items[p]
  }

  /**
   * The element before `node` in ascending order, or `undefined` at the
   * start. `node` must be a current element of this set. O(1), as
   * {@link next}.
   */
  prev(node: SortedSetNode): SortedSetNode | undefined {
    const x = node as ZNode
    let leaf = x.leaf as Leaf
    let p = this.posOf(x) - 1
    if (p < 0) {
      const pl = leaf.prev
      if (pl === null) return undefined
      leaf = pl
      p = pl.items.length - 1
    }
    this.hint = p
    return leaf.items[p]
  }

  /**
   * Elements with ranks `start..stop` inclusive (ZRANGE), with Redis's index
   * rules: negative indexes count from the end (-1 is the last), `start` is
   * clamped to 0 and `stop` to the last rank, and an empty array results when
   * `start > stop` or `start >= size` after that. With `reverse`, ranks count
   * from the highest score and elements come highest first (ZREVRANGE).
   *
   * O(log n + m); allocates only the returned array.
   */
  rangeByRank(start: number, stop: number, reverse = false): SortedSetNode[] {
    const n = this.dict.size
    if (start < 0) start += n
    if (stop < 0) stop += n
    if (start < 0) start = 0
    if (start > stop || start >= n) return []
    if (stop >= n) stop = n - 1
    const m = stop - start + 1
    const out = new Array<SortedSetNode>(m)
    this.locate(reverse ? n - start : start + 1)
    let leaf = this.atLeaf
    let p = this.atPos
    let items = leaf.items
    if (reverse) {
      for (let i = 0; i < m; i++) {
        if (p < 0) {
          leaf = leaf.prev as Leaf
          items = leaf.items
          p = items.length - 1
        }
        out[i] = items[p--] as ZNode
      }
    } else {
      for (let i = 0; i < m; i++) {
        if (p === items.length) {
          leaf = leaf.next as Leaf
          items = leaf.items
          p = 0
        }
        out[i] = items[p++] as ZNode
      }
    }
    return out
  }

  /**
   * Elements with `min ≤ score ≤ max` (ends excluded per `minExclusive` /
   * `maxExclusive`), ascending, or descending with `reverse` — `min` is always
   * the low end, so ZREVRANGEBYSCORE's `max min` arguments are passed swapped.
   * `offset`/`count` apply after ordering, as LIMIT does.
   *
   * O(log n + m): the offset is skipped by rank, not element by element.
   */
  rangeByScore(min: number, max: number, opts?: ScoreRangeQuery): SortedSetNode[] {
    const minEx = opts?.minExclusive === true
    const maxEx = opts?.maxExclusive === true
    const reverse = opts?.reverse === true
    const offset = opts?.offset ?? 0
    const count = opts?.count ?? -1
    if (offset < 0 || count === 0) return []
    const x = reverse ? this.lastScore(min, max, minEx, maxEx) : this.firstScore(min, max, minEx, maxEx)
    if (x === null || (offset > 0 && !this.skip(offset, reverse))) return []
    const out: SortedSetNode[] = []
    let left = count
    // Scores are read from the leaves' arrays, not from the elements.
    let leaf = this.atLeaf
    let items = leaf.items
    let scores = leaf.scores
    let p = this.atPos
    if (reverse) {
      for (;;) {
        if (!gteMin(scores[p] as number, min, minEx)) break
        out.push(items[p] as ZNode)
        if (--left === 0) break
        if (--p < 0) {
          if (leaf.prev === null) break
          leaf = leaf.prev
          items = leaf.items
          scores = leaf.scores
          p = items.length - 1
        }
      }
    } else {
      for (;;) {
        if (!lteMax(scores[p] as number, max, maxEx)) break
        out.push(items[p] as ZNode)
        if (--left === 0) break
        if (++p === items.length) {
          if (leaf.next === null) break
          leaf = leaf.next
          items = leaf.items
          scores = leaf.scores
          p = 0
        }
      }
    }
    return out
  }

  /**
   * Elements whose members lie between the lex bounds `min` and `max`
   * (ZRANGEBYLEX), ascending, or descending with `reverse` (pass
   * ZREVRANGEBYLEX's `max min` arguments swapped). As in Redis, the result is
   * only meaningful when all elements share one score. O(log n + m).
   */
  rangeByLex(min: LexBound, max: LexBound, opts?: RangeLimitOptions): SortedSetNode[] {
    const reverse = opts?.reverse === true
    const offset = opts?.offset ?? 0
    const count = opts?.count ?? -1
    if (offset < 0 || count === 0) return []
    const x = reverse ? this.lastLex(min, max) : this.firstLex(min, max)
    if (x === null || (offset > 0 && !this.skip(offset, reverse))) return []
    const out: SortedSetNode[] = []
    let left = count
    let leaf = this.atLeaf
    let items = leaf.items
    let p = this.atPos
    if (reverse) {
      for (;;) {
        const y = items[p] as ZNode
        if (!lexGteMin(y.member, min)) break
        out.push(y)
        if (--left === 0) break
        if (--p < 0) {
          if (leaf.prev === null) break
          leaf = leaf.prev
          items = leaf.items
          p = items.length - 1
        }
      }
    } else {
      for (;;) {
        const y = items[p] as ZNode
        if (!lexLteMax(y.member, max)) break
        out.push(y)
        if (--left === 0) break
        if (++p === items.length) {
          if (leaf.next === null) break
          leaf = leaf.next
          items = leaf.items
          p = 0
        }
      }
    }
    return out
  }

  /**
   * The lowest element within the score range, or `undefined`. O(log n).
   * Walk on with {@link next} to read the range without an array.
   */
  firstInScoreRange(min: number, max: number, opts?: ScoreRangeOptions): SortedSetNode | undefined {
    const x = this.firstScore(min, max, opts?.minExclusive === true, opts?.maxExclusive === true)
    if (x === null) return undefined
    this.hint = this.atPos
    return x
  }

  /** The highest element within the score range, or `undefined`. O(log n). */
  lastInScoreRange(min: number, max: number, opts?: ScoreRangeOptions): SortedSetNode | undefined {
    const x = this.lastScore(min, max, opts?.minExclusive === true, opts?.maxExclusive === true)
    if (x === null) return undefined
    this.hint = this.atPos
    return x
  }

  /** The lowest element within the lex range, or `undefined`. O(log n). */
  firstInLexRange(min: LexBound, max: LexBound): SortedSetNode | undefined {
    const x = this.firstLex(min, max)
    if (x === null) return undefined
    this.hint = this.atPos
    return x
  }

  /** The highest element within the lex range, or `undefined`. O(log n). */
  lastInLexRange(min: LexBound, max: LexBound): SortedSetNode | undefined {
    const x = this.lastLex(min, max)
    if (x === null) return undefined
    this.hint = this.atPos
    return x
  }

  /** Number of elements within the score range (ZCOUNT). O(log n), via ranks. */
  countInScoreRange(min: number, max: number, opts?: ScoreRangeOptions): number {
    const minEx = opts?.minExclusive === true
    const maxEx = opts?.maxExclusive === true
    if (this.firstScore(min, max, minEx, maxEx) === null) return 0
    const lo = FOUND_RANK
    this.lastScore(min, max, minEx, maxEx)
    return FOUND_RANK - lo + 1
  }

  /** Number of elements within the lex range (ZLEXCOUNT). O(log n), via ranks. */
  countInLexRange(min: LexBound, max: LexBound): number {
    if (this.firstLex(min, max) === null) return 0
    const lo = FOUND_RANK
    if (this.lastLex(min, max) === null) return 0
    // Mixed scores make lex bounds meaningless (as in Redis); never report a negative count.
    return FOUND_RANK >= lo ? FOUND_RANK - lo + 1 : 0
  }

  /**
   * Removes the elements with ranks `start..stop` (ZREMRANGEBYRANK; same index
   * rules as {@link rangeByRank}). Returns how many were removed. O(log n + m).
   */
  removeRangeByRank(start: number, stop: number): number {
    const n = this.dict.size
    if (start < 0) start += n
    if (stop < 0) stop += n
    if (start < 0) start = 0
    if (start > stop || start >= n) return 0
    if (stop >= n) stop = n - 1
    return this.removeRanks(start + 1, stop + 1)
  }

  /** Removes the elements within the score range (ZREMRANGEBYSCORE). Returns the count. O(log n + m). */
  removeRangeByScore(min: number, max: number, opts?: ScoreRangeOptions): number {
    const minEx = opts?.minExclusive === true
    const maxEx = opts?.maxExclusive === true
    if (this.firstScore(min, max, minEx, maxEx) === null) return 0
    const lo = FOUND_RANK
    this.lastScore(min, max, minEx, maxEx)
    return this.removeRanks(lo, FOUND_RANK)
  }

  /** Removes the elements within the lex range (ZREMRANGEBYLEX). Returns the count. O(log n + m). */
  removeRangeByLex(min: LexBound, max: LexBound): number {
    if (this.firstLex(min, max) === null) return 0
    const lo = FOUND_RANK
    // The run that follows the first match while it stays below max, as Redis
    // walks it (which only matters when scores differ).
    let leaf = this.atLeaf
    let p = this.atPos
    let m = 0
    for (;;) {
      if (!lexLteMax((leaf.items[p] as ZNode).member, max)) break
      m++
      if (++p === leaf.items.length) {
        if (leaf.next === null) break
        leaf = leaf.next
        p = 0
      }
    }
    return this.removeRanks(lo, lo + m - 1)
  }

  /**
   * Removes and returns up to `count` elements with the lowest scores, lowest
   * first (ZPOPMIN). O(log n + m).
   */
  popMin(count = 1): SortedSetNode[] {
    const m = count < this.dict.size ? count : this.dict.size
    if (!(m > 0)) return []
    const out = this.rangeByRank(0, m - 1)
    this.removeRanks(1, m)
    return out
  }

  /** Removes and returns up to `count` elements with the highest scores, highest first (ZPOPMAX). */
  popMax(count = 1): SortedSetNode[] {
    const n = this.dict.size
    const m = count < n ? count : n
    if (!(m > 0)) return []
    const out = this.rangeByRank(0, m - 1, true)
    this.removeRanks(n - m + 1, n)
    return out
  }

  /**
   * A uniformly random element, or `undefined` when empty (ZRANDMEMBER without
   * count). O(log n).
   *
   * @param rng - returns numbers in [0, 1); `Math.random` by default
   */
  randomMember(rng: () => number = Math.random): SortedSetNode | undefined {
    const n = this.dict.size
    if (n === 0) return undefined
    return this.locate(1 + Math.floor(rng() * n))
  }

  /**
   * Random elements for ZRANDMEMBER with a count.
   *
   * With `allowRepeats` (a negative count in Redis) returns exactly `count`
   * independent picks. Otherwise returns `min(count, size)` distinct elements;
   * when `count >= size` that is the whole set in ascending order, as Redis
   * does. O(log n) per element.
   *
   * @param rng - returns numbers in [0, 1); `Math.random` by default
   */
  random(count: number, allowRepeats = false, rng: () => number = Math.random): SortedSetNode[] {
    const n = this.dict.size
    if (n === 0 || !(count > 0)) return []
    if (allowRepeats) {
      const out = new Array<SortedSetNode>(count)
      for (let i = 0; i < count; i++) out[i] = this.locate(1 + Math.floor(rng() * n))
      return out
    }
    if (count >= n) return this.rangeByRank(0, -1)
    // Floyd's sampling of `count` distinct ranks out of n: O(count) expected.
    const picked = new Set<number>()
    const out = new Array<SortedSetNode>(count)
    let k = 0
    for (let j = n - count; j < n; j++) {
      const t = Math.floor(rng() * (j + 1))
      const r = picked.has(t) ? j : t
      picked.add(r)
      out[k++] = this.locate(r + 1)
    }
    return out
  }

  /** `[member, score]` pairs in ascending order. */
  *entries(): IterableIterator<[string, number]> {
    for (let l: Leaf | null = this.head; l !== null; l = l.next) {
      const items = l.items
      for (let i = 0; i < items.length; i++) {
        const x = items[i] as ZNode
        yield [x.member, x.score]
      }
    }
  }

  /** Members in ascending order. */
  *members(): IterableIterator<string> {
    for (let l: Leaf | null = this.head; l !== null; l = l.next) {
      const items = l.items
      for (let i = 0; i < items.length; i++) yield (items[i] as ZNode).member
    }
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): IterableIterator<[string, number]> {
    return this.entries()
  }

  /**
   * Calls `fn` for each element in ascending order. Cheaper than iterating
   * {@link entries} (no pair allocated). `fn` must not modify the set.
   */
  forEach(fn: (member: string, score: number) => void): void {
    for (let l: Leaf | null = this.head; l !== null; l = l.next) {
      const items = l.items
      for (let i = 0; i < items.length; i++) {
        const x = items[i] as ZNode
        fn(x.member, x.score)
      }
    }
  }

  /** An independent copy. O(n): the tree is built bottom-up from the elements in order. */
  clone(): SortedSet {
    const copy = new SortedSet(this.cap)
    copy.load(this)
    return copy
  }

  /**
   * Checks every structural invariant (order, counts, routing keys, node
   * fill, parent and leaf links, the member map) and throws an `Error` naming
   * the first one broken. O(n); for tests.
   *
   * @internal
   */
  assertValid(): void {
    const leaves: Leaf[] = []
    const n = this.checkNode(this.root, 0, null, null, leaves)
    if (n !== this.dict.size) throw new Error(`tree holds ${n} elements, map ${this.dict.size}`)
    if (this.root.parent !== null) throw new Error('root has a parent')
    if (leaves[0] !== this.head || leaves[leaves.length - 1] !== this.tailLeaf) throw new Error('bad head or tail leaf')
    let prev: ZNode | null = null
    let r = 0
    for (let i = 0; i < leaves.length; i++) {
      const l = leaves[i] as Leaf
      if (l.prev !== (i > 0 ? leaves[i - 1] : null) || l.next !== (i + 1 < leaves.length ? leaves[i + 1] : null)) {
        throw new Error(`leaf ${i} badly linked`)
      }
      for (const x of l.items) {
        r++
        if (prev !== null && !before(prev, x.score, x.member)) throw new Error(`order broken at rank ${r}`)
        if (this.dict.get(x.member) !== x) throw new Error(`map does not point at the element of rank ${r}`)
        if (Number.isNaN(x.score)) throw new Error(`NaN score at rank ${r}`)
        prev = x
      }
    }
    if (this.height === 0 ? !(this.root instanceof Leaf) : !(this.root instanceof Inner)) throw new Error('height does not match the root')
    if (this.root instanceof Inner && this.root.kids.length < 2) throw new Error('inner root with one child')
  }

  // ---- internals ---------------------------------------------------------

  /**
   * Validates the subtree at `x` (depth `d`), whose elements must lie in
   * [lo, hi) where given; appends its leaves to `leaves`; returns its count.
   */
  private checkNode(x: Child, d: number, lo: ZNode | null, hi: ZNode | null, leaves: Leaf[]): number {
    const isRoot = x === this.root
    if (x instanceof Leaf) {
      if (d !== this.height) throw new Error(`leaf at depth ${d}, height ${this.height}`)
      const n = x.items.length
      if (x.scores.length !== n) throw new Error('scores out of step with elements')
      if (n > this.cap) throw new Error(`leaf over capacity (${n})`)
      if (!isRoot && n < this.min) throw new Error(`leaf under minimum fill (${n})`)
      for (let i = 0; i < n; i++) {
        const e = x.items[i] as ZNode
        if (e.leaf !== x) throw new Error('element points at another leaf')
        if (!Object.is(x.scores[i], e.score)) throw new Error('leaf score differs from the element score')
        if (lo !== null && before(e, lo.score, lo.member)) throw new Error('element below its routing key')
        if (hi !== null && !before(e, hi.score, hi.member)) throw new Error('element at or above the next routing key')
      }
      leaves.push(x)
      return n
    }
    const k = x.kids.length
    if (x.counts.length !== k || x.keyScores.length !== k || x.keyMembers.length !== k) throw new Error('inner arrays out of step')
    if (k > this.cap) throw new Error(`inner node over capacity (${k})`)
    if (!isRoot && k < this.min) throw new Error(`inner node under minimum fill (${k})`)
    let total = 0
    for (let i = 0; i < k; i++) {
      const kid = x.kids[i] as Child
      if (kid.parent !== x) throw new Error('bad parent pointer')
      if (kid.slot !== i) throw new Error(`child ${i} has slot ${kid.slot}`)
      const klo = i === 0 ? lo : new ZNode(x.keyMembers[i] as string, x.keyScores[i] as number)
      const khi = i + 1 < k ? new ZNode(x.keyMembers[i + 1] as string, x.keyScores[i + 1] as number) : hi
      const c = this.checkNode(kid, d + 1, klo, khi, leaves)
      if (x.counts[i] !== c) throw new Error(`count ${x.counts[i]} != ${c} elements under child ${i}`)
      total += c
    }
    if (x.total !== total) throw new Error('inner total differs from its counts')
    return total
  }

  /** Position of a linked element in its leaf. */
  private posOf(x: ZNode): number {
    const items = (x.leaf as Leaf).items
    const h = this.hint
    return h < items.length && items[h] === x ? h : items.indexOf(x)
  }

  /** 1-based rank of a linked element: its place in its leaf plus the subtrees to the left. */
  private rankOf(x: ZNode): number {
    const leaf = x.leaf as Leaf
    let r = this.posOf(x) + 1
    let child: Child = leaf
    for (let p = leaf.parent; p !== null; p = p.parent) {
      r += countBefore(p, child.slot)
      child = p
    }
    return r
  }

  /** The element of 1-based rank r (1 ≤ r ≤ size); its place is left in atLeaf/atPos. */
  private locate(r: number): ZNode {
    let node: Child = this.root
    let k = r - 1
    for (let h = this.height; h > 0; h--) {
      const x = node as Inner
      const c = x.counts
      let i: number
      if (k < x.total >> 1) {
        i = 0
        while (k >= (c[i] as number)) k -= c[i++] as number
      } else {
        // Count from the right end: `rest` elements from k to the end.
        let rest = x.total - k
        i = c.length - 1
        while (rest > (c[i] as number)) rest -= c[i--] as number
        k = (c[i] as number) - rest
      }
      node = x.kids[i] as Child
    }
    const leaf = node as Leaf
    this.atLeaf = leaf
    this.atPos = k
    return leaf.items[k] as ZNode
  }

  /** Moves atLeaf/atPos (at FOUND_RANK) `offset` places on; false past the end. */
  private skip(offset: number, reverse: boolean): boolean {
    const p = reverse ? this.atPos - offset : this.atPos + offset
    if (p >= 0 && p < this.atLeaf.items.length) {
      this.atPos = p
      return true
    }
    const target = reverse ? FOUND_RANK - offset : FOUND_RANK + offset
    if (target < 1 || target > this.dict.size) return false
    this.locate(target)
    return true
  }

  /** Links `x` (score and member set) at its ordered place. */
  private insertNode(x: ZNode): void {
    const score = x.score
    const member = x.member
    let node: Child = this.root
    for (let h = this.height; h > 0; h--) {
      const inner = node as Inner
      const i = childFor(inner, score, member)
      ;(inner.counts[i] as number)++
      inner.total++
      node = inner.kids[i] as Child
    }
    const leaf = node as Leaf
    const pos = leafPos(leaf, score, member)
    const items = leaf.items
    const scores = leaf.scores
    let k = items.length
    items.push(x)
    scores.push(score)
    while (k > pos) {
      items[k] = items[k - 1] as ZNode
      scores[k] = scores[k - 1] as number
      k--
    }
    items[pos] = x
    scores[pos] = score
    x.leaf = leaf
    if (items.length > this.cap) this.splitLeaf(leaf, pos)
  }

  /** Splits an over-full leaf; `pos` is where the newest element went. */
  private splitLeaf(leaf: Leaf, pos: number): void {
    const n = leaf.items.length
    // Appending to the last leaf (ascending loads) keeps the left part full.
    const at = pos === n - 1 && leaf.next === null ? n - this.min : n >> 1
    const r = new Leaf()
    r.items = leaf.items.splice(at)
    r.scores = leaf.scores.splice(at)
    const items = r.items
    for (let i = 0; i < items.length; i++) (items[i] as ZNode).leaf = r
    r.prev = leaf
    r.next = leaf.next
    if (leaf.next !== null) leaf.next.prev = r
    else this.tailLeaf = r
    leaf.next = r
    const first = items[0] as ZNode
    this.addKid(leaf, r, at, n - at, first.score, first.member)
  }

  /** Splits an over-full inner node; `idx` is the index of its newest child. */
  private splitInner(x: Inner, idx: number): void {
    const n = x.kids.length
    const at = idx === n - 1 && this.isRightmost(x) ? n - this.min : n >> 1
    const r = new Inner()
    r.kids = x.kids.splice(at)
    r.counts = x.counts.splice(at)
    r.keyScores = x.keyScores.splice(at)
    r.keyMembers = x.keyMembers.splice(at)
    let t = 0
    for (let i = 0; i < r.kids.length; i++) {
      const kid = r.kids[i] as Child
      kid.parent = r
      kid.slot = i
      t += r.counts[i] as number
    }
    r.total = t
    x.total -= t
    this.addKid(x, r, x.total, t, r.keyScores[0] as number, r.keyMembers[0] as string)
  }

  private isRightmost(x: Inner): boolean {
    for (let p = x.parent; p !== null; x = p, p = p.parent) if (p.kids[p.kids.length - 1] !== x) return false
    return true
  }

  /** Puts `right`, split off `left`, after it in the parent (a new root when there is none). */
  private addKid(left: Child, right: Child, leftCount: number, rightCount: number, keyScore: number, keyMember: string): void {
    const p = left.parent
    if (p === null) {
      const root = new Inner()
      root.kids = [left, right]
      root.counts = [leftCount, rightCount]
      root.keyScores = [-Infinity, keyScore]
      root.keyMembers = ['', keyMember]
      root.total = leftCount + rightCount
      left.parent = root
      right.parent = root
      left.slot = 0
      right.slot = 1
      this.root = root
      this.height++
      return
    }
    const i = left.slot
    p.kids.splice(i + 1, 0, right)
    p.counts[i] = leftCount
    p.counts.splice(i + 1, 0, rightCount)
    p.keyScores.splice(i + 1, 0, keyScore)
    p.keyMembers.splice(i + 1, 0, keyMember)
    right.parent = p
    reslot(p, i + 1)
    if (p.kids.length > this.cap) this.splitInner(p, i + 1)
  }

  /** Unlinks `k` elements of `leaf` from `pos` (the member map is the caller's), then rebalances. */
  private removeAt(leaf: Leaf, pos: number, k: number): void {
    const items = leaf.items
    const scores = leaf.scores
    const n = items.length
    for (let j = pos; j < pos + k; j++) (items[j] as ZNode).leaf = null
    for (let j = pos + k; j < n; j++) {
      items[j - k] = items[j] as ZNode
      scores[j - k] = scores[j] as number
    }
    if (k === 1) {
      items.pop()
      scores.pop()
    } else {
      items.length = n - k
      scores.length = n - k
    }
    let child: Child = leaf
    for (let p = leaf.parent; p !== null; p = p.parent) {
      ;(p.counts[child.slot] as number) -= k
      p.total -= k
      child = p
    }
    if (leaf.parent !== null && n - k < this.min) this.fixLeaf(leaf)
  }

  /** Removes the elements of 1-based ranks lo..hi (and their members from the map); returns how many. */
  private removeRanks(lo: number, hi: number): number {
    if (hi < lo) return 0
    let left = hi - lo + 1
    while (left > 0) {
      // The next element to go always has rank lo: the ones before it stay.
      this.locate(lo)
      const leaf = this.atLeaf
      const pos = this.atPos
      const n = leaf.items.length - pos
      const k = left < n ? left : n
      for (let j = pos; j < pos + k; j++) this.dict.delete((leaf.items[j] as ZNode).member)
      this.removeAt(leaf, pos, k)
      left -= k
    }
    return hi - lo + 1
  }

  /** Rebalances a non-root leaf that fell below the minimum fill with a sibling. */
  private fixLeaf(leaf: Leaf): void {
    const p = leaf.parent as Inner
    const i = leaf.slot
    const l = i > 0 ? leaf : (p.kids[1] as Leaf)
    const left = i > 0 ? (p.kids[i - 1] as Leaf) : leaf
    const ir = i > 0 ? i : 1
    if (left.items.length + l.items.length <= this.mergeMax) this.mergeLeaves(left, l, p, ir)
    else this.shareLeaves(left, l, p, ir)
  }

  /** Moves elements between adjacent leaves `l` and `r` (r at index ir of p) so they hold equal shares. */
  private shareLeaves(l: Leaf, r: Leaf, p: Inner, ir: number): void {
    const nl = l.items.length
    const nr = r.items.length
    if (nl > nr) {
      const k = (nl - nr) >> 1
      const mi = l.items.splice(nl - k)
      const ms = l.scores.splice(nl - k)
      for (let j = 0; j < k; j++) (mi[j] as ZNode).leaf = r
      r.items = mi.concat(r.items)
      r.scores = ms.concat(r.scores)
      ;(p.counts[ir - 1] as number) -= k
      ;(p.counts[ir] as number) += k
    } else {
      const k = (nr - nl) >> 1
      const mi = r.items.splice(0, k)
      const ms = r.scores.splice(0, k)
      for (let j = 0; j < k; j++) {
        const y = mi[j] as ZNode
        y.leaf = l
        l.items.push(y)
        l.scores.push(ms[j] as number)
      }
      ;(p.counts[ir - 1] as number) += k
      ;(p.counts[ir] as number) -= k
    }
    const first = r.items[0] as ZNode
    p.keyScores[ir] = first.score
    p.keyMembers[ir] = first.member
  }

  /** Merges leaf `r` (index ir of p) into its left neighbour `l`. */
  private mergeLeaves(l: Leaf, r: Leaf, p: Inner, ir: number): void {
    const items = r.items
    const scores = r.scores
    for (let j = 0; j < items.length; j++) {
      const y = items[j] as ZNode
      y.leaf = l
      l.items.push(y)
      l.scores.push(scores[j] as number)
    }
    r.items = []
    r.scores = []
    l.next = r.next
    if (r.next !== null) r.next.prev = l
    else this.tailLeaf = l
    r.prev = null
    r.next = null
    r.parent = null
    this.dropKid(p, ir)
  }

  /** Removes child ir of p after its elements went to child ir - 1, then rebalances p. */
  private dropKid(p: Inner, ir: number): void {
    ;(p.counts[ir - 1] as number) += p.counts[ir] as number
    p.kids.splice(ir, 1)
    p.counts.splice(ir, 1)
    p.keyScores.splice(ir, 1)
    p.keyMembers.splice(ir, 1)
    reslot(p, ir)
    this.fixInner(p)
  }

  /** Rebalances an inner node that lost a child; collapses a one-child root. */
  private fixInner(x: Inner): void {
    const p = x.parent
    if (p === null) {
      while (this.height > 0 && (this.root as Inner).kids.length === 1) {
        const only = (this.root as Inner).kids[0] as Child
        only.parent = null
        only.slot = 0
        this.root = only
        this.height--
      }
      return
    }
    if (x.kids.length >= this.min) return
    const i = x.slot
    const r = i > 0 ? x : (p.kids[1] as Inner)
    const l = i > 0 ? (p.kids[i - 1] as Inner) : x
    const ir = i > 0 ? i : 1
    // r's first child's routing key is the one p holds for r.
    r.keyScores[0] = p.keyScores[ir] as number
    r.keyMembers[0] = p.keyMembers[ir] as string
    if (l.kids.length + r.kids.length <= this.mergeMax) {
      for (let j = 0; j < r.kids.length; j++) {
        const kid = r.kids[j] as Child
        kid.parent = l
        kid.slot = l.kids.length
        l.kids.push(kid)
        l.counts.push(r.counts[j] as number)
        l.keyScores.push(r.keyScores[j] as number)
        l.keyMembers.push(r.keyMembers[j] as string)
      }
      l.total += r.total
      r.kids = []
      r.parent = null
      this.dropKid(p, ir)
      return
    }
    const nl = l.kids.length
    const nr = r.kids.length
    let t = 0
    if (nl > nr) {
      const k = (nl - nr) >> 1
      const kids = l.kids.splice(nl - k)
      const counts = l.counts.splice(nl - k)
      for (let j = 0; j < k; j++) {
        ;(kids[j] as Child).parent = r
        t += counts[j] as number
      }
      r.kids = kids.concat(r.kids)
      r.counts = counts.concat(r.counts)
      r.keyScores = l.keyScores.splice(nl - k).concat(r.keyScores)
      r.keyMembers = l.keyMembers.splice(nl - k).concat(r.keyMembers)
      reslot(r, 0)
      l.total -= t
      r.total += t
      ;(p.counts[ir - 1] as number) -= t
      ;(p.counts[ir] as number) += t
    } else {
      const k = (nr - nl) >> 1
      for (let j = 0; j < k; j++) {
        const kid = r.kids[j] as Child
        kid.parent = l
        kid.slot = l.kids.length
        l.kids.push(kid)
        l.counts.push(r.counts[j] as number)
        l.keyScores.push(r.keyScores[j] as number)
        l.keyMembers.push(r.keyMembers[j] as string)
        t += r.counts[j] as number
      }
      r.kids.splice(0, k)
      r.counts.splice(0, k)
      r.keyScores.splice(0, k)
      r.keyMembers.splice(0, k)
      reslot(r, 0)
      l.total += t
      r.total -= t
      ;(p.counts[ir - 1] as number) += t
      ;(p.counts[ir] as number) -= t
    }
    p.keyScores[ir] = r.keyScores[0] as number
    p.keyMembers[ir] = r.keyMembers[0] as string
  }

  /** First element in the score range, or null; sets FOUND_RANK and atLeaf/atPos. */
  private firstScore(min: number, max: number, minEx: boolean, maxEx: boolean): ZNode | null {
    if (!scoreRangeNonEmpty(min, max, minEx, maxEx)) return null
    let node: Child = this.root
    let rank = 0
    // At each level: the last child whose routing key is still below min
    // (every child before it holds only smaller elements).
    for (let h = this.height; h > 0; h--) {
      const x = node as Inner
      const i = countBelowMin(x.keyScores, 1, min, minEx) - 1
      rank += countBefore(x, i)
      node = x.kids[i] as Child
    }
    let leaf = node as Leaf
    let pos = countBelowMin(leaf.scores, 0, min, minEx)
    if (pos === leaf.items.length) {
      // None here: the first element of the next leaf is the answer, if any.
      if (leaf.next === null) return null
      rank += pos
      leaf = leaf.next
      pos = 0
    }
    const f = leaf.items[pos] as ZNode
    if (!lteMax(f.score, max, maxEx)) return null
    FOUND_RANK = rank + pos + 1
    this.atLeaf = leaf
    this.atPos = pos
    return f
  }

  /** Last element in the score range, or null; sets FOUND_RANK and atLeaf/atPos. */
  private lastScore(min: number, max: number, minEx: boolean, maxEx: boolean): ZNode | null {
    if (!scoreRangeNonEmpty(min, max, minEx, maxEx)) return null
    let node: Child = this.root
    let rank = 0
    for (let h = this.height; h > 0; h--) {
      const x = node as Inner
      const i = firstAboveMax(x.keyScores, 1, max, maxEx) - 1
      rank += countBefore(x, i)
      node = x.kids[i] as Child
    }
    let leaf = node as Leaf
    let pos = firstAboveMax(leaf.scores, 0, max, maxEx) - 1
    if (pos < 0) {
      // None here: the last element of the previous leaf is the answer, if any.
      if (leaf.prev === null) return null
      leaf = leaf.prev
      pos = leaf.items.length - 1
      rank -= leaf.items.length
    }
    const f = leaf.items[pos] as ZNode
    if (!gteMin(f.score, min, minEx)) return null
    FOUND_RANK = rank + pos + 1
    this.atLeaf = leaf
    this.atPos = pos
    return f
  }

  /** First element in the lex range, or null; sets FOUND_RANK and atLeaf/atPos. */
  private firstLex(min: LexBound, max: LexBound): ZNode | null {
    if (!lexRangeNonEmpty(min, max)) return null
    let node: Child = this.root
    let rank = 0
    for (let h = this.height; h > 0; h--) {
      const x = node as Inner
      const i = countBelowLexMin(x.keyMembers, 1, min) - 1
      rank += countBefore(x, i)
      node = x.kids[i] as Child
    }
    let leaf = node as Leaf
    let pos = leafBelowLexMin(leaf, min)
    if (pos === leaf.items.length) {
      if (leaf.next === null) return null
      rank += pos
      leaf = leaf.next
      pos = 0
    }
    const f = leaf.items[pos] as ZNode
    if (!lexLteMax(f.member, max)) return null
    FOUND_RANK = rank + pos + 1
    this.atLeaf = leaf
    this.atPos = pos
    return f
  }

  /** Last element in the lex range, or null; sets FOUND_RANK and atLeaf/atPos. */
  private lastLex(min: LexBound, max: LexBound): ZNode | null {
    if (!lexRangeNonEmpty(min, max)) return null
    let node: Child = this.root
    let rank = 0
    for (let h = this.height; h > 0; h--) {
      const x = node as Inner
      const i = firstAboveLexMax(x.keyMembers, 1, max) - 1
      rank += countBefore(x, i)
      node = x.kids[i] as Child
    }
    let leaf = node as Leaf
    let pos = leafAboveLexMax(leaf, max) - 1
    if (pos < 0) {
      if (leaf.prev === null) return null
      leaf = leaf.prev
      pos = leaf.items.length - 1
      rank -= leaf.items.length
    }
    const f = leaf.items[pos] as ZNode
    if (!lexGteMin(f.member, min)) return null
    FOUND_RANK = rank + pos + 1
    this.atLeaf = leaf
    this.atPos = pos
    return f
  }

  /** Fills this empty set with copies of `src`'s elements, building the tree bottom-up. */
  private load(src: SortedSet): void {
    const n = src.dict.size
    if (n === 0) return
    // Nodes three-quarters full, sizes spread evenly: room to grow either way.
    const fill = this.cap - this.min
    const nLeaves = Math.ceil(n / fill)
    const leaves: Leaf[] = new Array<Leaf>(nLeaves)
    let sl = src.head
    let sp = 0
    let prev: Leaf | null = null
    for (let li = 0; li < nLeaves; li++) {
      const size = Math.floor((n * (li + 1)) / nLeaves) - Math.floor((n * li) / nLeaves)
      const leaf = new Leaf()
      for (let j = 0; j < size; j++) {
        if (sp === sl.items.length) {
          sl = sl.next as Leaf
          sp = 0
        }
        const y = sl.items[sp++] as ZNode
        const x = new ZNode(y.member, y.score)
        x.leaf = leaf
        leaf.items.push(x)
        leaf.scores.push(y.score)
        this.dict.set(x.member, x)
      }
      leaf.prev = prev
      if (prev !== null) prev.next = leaf
      prev = leaf
      leaves[li] = leaf
    }
    this.head = leaves[0] as Leaf
    this.tailLeaf = prev as Leaf
    let level: Child[] = leaves
    let height = 0
    while (level.length > 1) {
      const groups = Math.ceil(level.length / fill)
      const up: Inner[] = new Array<Inner>(groups)
      for (let g = 0; g < groups; g++) {
        const from = Math.floor((level.length * g) / groups)
        const to = Math.floor((level.length * (g + 1)) / groups)
        const x = new Inner()
        for (let j = from; j < to; j++) {
          const kid = level[j] as Child
          kid.parent = x
          kid.slot = j - from
          x.kids.push(kid)
          let c: number
          if (kid instanceof Leaf) {
            c = kid.items.length
            const e = kid.items[0] as ZNode
            x.keyScores.push(e.score)
            x.keyMembers.push(e.member)
          } else {
            c = kid.total
            x.keyScores.push(kid.keyScores[0] as number)
            x.keyMembers.push(kid.keyMembers[0] as string)
          }
          x.counts.push(c)
          x.total += c
        }
        up[g] = x
      }
      level = up
      height++
    }
    this.root = level[0] as Child
    this.height = height
    this.atLeaf = this.head
  }
}
