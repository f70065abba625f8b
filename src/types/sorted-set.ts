/**
 * The sorted set behind ZADD, ZRANGE and the other Z* commands.
 *
 * A skiplist with spans, as Redis's `zskiplist` (maximum level 32, p = 1/4,
 * backward pointers, a span per forward pointer so ranks are O(log n)), plus a
 * `Map` from member to its skiplist node so that ZSCORE is one hash lookup.
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
 * Views are the skiplist nodes themselves (no copy is made), so read `member`
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

/** Redis's ZSKIPLIST_MAXLEVEL. */
const MAX_LEVEL = 32
/** Redis's ZSKIPLIST_P: each level is kept by a quarter of the nodes of the level below. */
const P = 0.25

/**
 * Skiplist node. Level 0 lives in the `next` field and needs no span (it is
 * always 1), so the three nodes in four that have only that level share one
 * empty `lv` array and cost one small object. For a node of level L > 1, `lv`
 * holds the forward pointer and span of each level i in 1..L-1, side by side
 * at indexes 2i-2 and 2i-1, so a step along a level reads one array.
 */
class ZNode implements SortedSetNode {
  member: string
  score: number
  /** Backward pointer (level 0); null for the first node. */
  prev: ZNode | null = null
  /** Level-0 forward pointer. */
  next: ZNode | null = null
  /** Upper levels: [forward₁, span₁, forward₂, span₂, ...]. */
  lv: (ZNode | number | null)[]
  constructor(member: string, score: number, level: number) {
    this.member = member
    this.score = score
    if (level === 1) {
      this.lv = NO_LEVELS
    } else {
      const n = (level - 1) * 2
      const lv = new Array<ZNode | number | null>(n)
      for (let k = 0; k < n; k += 2) {
        lv[k] = null
        lv[k + 1] = 0
      }
      this.lv = lv
    }
  }
}

// Shared by every level-1 node; never written (only levels a node has are touched).
const NO_LEVELS: (ZNode | number | null)[] = []

/** Number of levels of a node. */
function levelOf(x: ZNode): number {
  return (x.lv.length >> 1) + 1
}
/** Forward pointer of `x` at level i ≥ 1. */
function fwd(x: ZNode, i: number): ZNode | null {
  return x.lv[2 * i - 2] as ZNode | null
}
/** Span of `x` at level i ≥ 1: rank distance to its forward node (or to the end past the last). */
function span(x: ZNode, i: number): number {
  return x.lv[2 * i - 1] as number
}
function setFwd(x: ZNode, i: number, f: ZNode | null): void {
  x.lv[2 * i - 2] = f
}
function setSpan(x: ZNode, i: number, s: number): void {
  x.lv[2 * i - 1] = s
}

/** A skiplist header: a level-1 node with its own (growable) level array. */
function newHeader(): ZNode {
  const h = new ZNode('', 0, 1)
  h.lv = []
  return h
}

/** Extends the header's level array to `level` levels (new levels: null forward, span 0). */
function growHeader(h: ZNode, level: number): void {
  const lv = h.lv
  while (lv.length < 2 * (level - 1)) lv.push(null, 0)
}

/** Draws a level as Redis's zslRandomLevel: 1 + geometric(p = 1/4), capped at 32. */
function randomLevel(): number {
  let level = 1
  while (level < MAX_LEVEL && Math.random() < P) level++
  return level
}

// Scratch space shared by all sets (operations never nest): the rightmost node
// visited at each level and its rank. Entries are cleared after use so that
// they do not keep a dropped set's nodes alive.
const UPDATE: (ZNode | null)[] = new Array<ZNode | null>(MAX_LEVEL).fill(null)
const RANK: number[] = new Array<number>(MAX_LEVEL).fill(0)

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
function lexGteMin(value: string, min: LexBound): boolean {
  if (min === '-') return true
  if (min === '+') return false
  const c = compareBytes(value, min.value)
  return min.exclusive ? c > 0 : c >= 0
}
function lexLteMax(value: string, max: LexBound): boolean {
  if (max === '+') return true
  if (max === '-') return false
  const c = compareBytes(value, max.value)
  return max.exclusive ? c < 0 : c <= 0
}
/** False when no string can lie in [min, max] (Redis's zslIsInLexRange pre-check). */
function lexRangeNonEmpty(min: LexBound, max: LexBound): boolean {
  if (min === '+' || max === '-') return false
  if (min === '-' || max === '+') return true
  const c = compareBytes(min.value, max.value)
  return !(c > 0 || (c === 0 && (min.exclusive || max.exclusive)))
}
function scoreRangeNonEmpty(min: number, max: number, minEx: boolean, maxEx: boolean): boolean {
  return !(min > max || (min === max && (minEx || maxEx)))
}

/**
 * A Redis sorted set: members (strings) with scores, ordered by score and then
 * by member bytes.
 *
 * Costs are those of Redis: {@link add}, {@link remove}, {@link rank},
 * {@link byRank} and range lookups are O(log n); range reads add O(m) for the m
 * elements returned; {@link score} and {@link has} are O(1).
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
  /** Member → node. */
  private readonly dict = new Map<string, ZNode>()
  /**
   * Sentinel at rank 0. Its level array grows with the highest level in use
   * (small sets stay small) and has its own storage, unlike level-1 nodes.
   */
  private readonly header: ZNode = newHeader()
  private tail: ZNode | null = null
  /** Number of levels in use (at least 1). */
  private level = 1
  /** Nodes linked in the list (differs from the map's size only while a node moves). */
  private length = 0

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
      const x = new ZNode(member, score, randomLevel())
      this.insertNode(x)
      this.dict.set(member, x)
      return 'added'
    }
    if (node.score === score) return 'same'
    const prev = node.prev
    const next = node.next
    if (
      (prev === null || before(prev, score, member)) &&
      (next === null || score < next.score || (score === next.score && compareBytes(member, next.member) < 0))
    ) {
      node.score = score
      return 'updated'
    }
    // Move: unlink and relink the same node (its level arrays are reused).
    this.unlinkNode(node)
    node.score = score
    this.insertNode(node)
    return 'updated'
  }

  /** Removes a member. Returns whether it was present (ZREM). O(log n). */
  remove(member: string): boolean {
    const node = this.dict.get(member)
    if (node === undefined) return false
    this.unlinkNode(node)
    this.dict.delete(member)
    detach(node)
    return true
  }

  /** Removes every element. */
  clear(): void {
    this.dict.clear()
    const h = this.header
    h.lv = []
    h.next = null
    this.tail = null
    this.level = 1
    this.length = 0
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
    return this.nodeAt(reverse ? n - rank : rank + 1)
  }

  /** The element with the lowest score, or `undefined` when empty. O(1). */
  first(): SortedSetNode | undefined {
    return this.header.next ?? undefined
  }

  /** The element with the highest score, or `undefined` when empty. O(1). */
  last(): SortedSetNode | undefined {
    return this.tail ?? undefined
  }

  /**
   * The element after `node` in ascending order, or `undefined` at the end.
   * `node` must be a current element of this set. O(1).
   */
  next(node: SortedSetNode): SortedSetNode | undefined {
    return (node as ZNode).next ?? undefined
  }

  /**
   * The element before `node` in ascending order, or `undefined` at the
   * start. `node` must be a current element of this set. O(1).
   */
  prev(node: SortedSetNode): SortedSetNode | undefined {
    return (node as ZNode).prev ?? undefined
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
    let x = this.nodeAt(reverse ? n - start : start + 1)
    if (reverse) {
      for (let i = 0; i < m; i++) {
        out[i] = x
        x = x.prev as ZNode
      }
    } else {
      for (let i = 0; i < m; i++) {
        out[i] = x
        x = x.next as ZNode
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
    let x = reverse ? this.lastScore(min, max, minEx, maxEx) : this.firstScore(min, max, minEx, maxEx)
    if (x === null) return []
    if (offset > 0) {
      x = this.skipBy(x, FOUND_RANK, offset, reverse)
      if (x === null) return []
    }
    const out: SortedSetNode[] = []
    let left = count
    if (reverse) {
      while (x !== null && left-- !== 0 && gteMin(x.score, min, minEx)) {
        out.push(x)
        x = x.prev
      }
    } else {
      while (x !== null && left-- !== 0 && lteMax(x.score, max, maxEx)) {
        out.push(x)
        x = x.next
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
    let x = reverse ? this.lastLex(min, max) : this.firstLex(min, max)
    if (x === null) return []
    if (offset > 0) {
      x = this.skipBy(x, FOUND_RANK, offset, reverse)
      if (x === null) return []
    }
    const out: SortedSetNode[] = []
    let left = count
    if (reverse) {
      while (x !== null && left-- !== 0 && lexGteMin(x.member, min)) {
        out.push(x)
        x = x.prev
      }
    } else {
      while (x !== null && left-- !== 0 && lexLteMax(x.member, max)) {
        out.push(x)
        x = x.next
      }
    }
    return out
  }

  /**
   * The lowest element within the score range, or `undefined`. O(log n).
   * Walk on with {@link next} to read the range without an array.
   */
  firstInScoreRange(min: number, max: number, opts?: ScoreRangeOptions): SortedSetNode | undefined {
    return this.firstScore(min, max, opts?.minExclusive === true, opts?.maxExclusive === true) ?? undefined
  }

  /** The highest element within the score range, or `undefined`. O(log n). */
  lastInScoreRange(min: number, max: number, opts?: ScoreRangeOptions): SortedSetNode | undefined {
    return this.lastScore(min, max, opts?.minExclusive === true, opts?.maxExclusive === true) ?? undefined
  }

  /** The lowest element within the lex range, or `undefined`. O(log n). */
  firstInLexRange(min: LexBound, max: LexBound): SortedSetNode | undefined {
    return this.firstLex(min, max) ?? undefined
  }

  /** The highest element within the lex range, or `undefined`. O(log n). */
  lastInLexRange(min: LexBound, max: LexBound): SortedSetNode | undefined {
    return this.lastLex(min, max) ?? undefined
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
    this.lastLex(min, max)
    return FOUND_RANK - lo + 1
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
    // Find the predecessors of rank start+1 (1-based) at every level.
    let x = this.header
    let traversed = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(x, i)) !== null && traversed + span(x, i) <= start) {
        traversed += span(x, i)
        x = f
      }
      UPDATE[i] = x
    }
    // Level 0 is walked by rank from the level-1 position.
    let node = x.next
    traversed++
    while (traversed <= start) {
      node = (node as ZNode).next
      traversed++
    }
    let removed = 0
    while (node !== null && traversed <= stop + 1) {
      const nx: ZNode | null = node.next
      this.deleteWithUpdate(node)
      this.dict.delete(node.member)
      detach(node)
      removed++
      traversed++
      node = nx
    }
    this.clearScratch()
    return removed
  }

  /** Removes the elements within the score range (ZREMRANGEBYSCORE). Returns the count. O(log n + m). */
  removeRangeByScore(min: number, max: number, opts?: ScoreRangeOptions): number {
    const minEx = opts?.minExclusive === true
    const maxEx = opts?.maxExclusive === true
    if (!scoreRangeNonEmpty(min, max, minEx, maxEx)) return 0
    let x = this.header
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(x, i)) !== null && !gteMin(f.score, min, minEx)) x = f
      UPDATE[i] = x
    }
    let node = x.next
    while (node !== null && !gteMin(node.score, min, minEx)) node = node.next
    let removed = 0
    while (node !== null && lteMax(node.score, max, maxEx)) {
      const nx: ZNode | null = node.next
      this.deleteWithUpdate(node)
      this.dict.delete(node.member)
      detach(node)
      removed++
      node = nx
    }
    this.clearScratch()
    return removed
  }

  /** Removes the elements within the lex range (ZREMRANGEBYLEX). Returns the count. O(log n + m). */
  removeRangeByLex(min: LexBound, max: LexBound): number {
    if (!lexRangeNonEmpty(min, max)) return 0
    let x = this.header
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(x, i)) !== null && !lexGteMin(f.member, min)) x = f
      UPDATE[i] = x
    }
    let node = x.next
    while (node !== null && !lexGteMin(node.member, min)) node = node.next
    let removed = 0
    while (node !== null && lexLteMax(node.member, max)) {
      const nx: ZNode | null = node.next
      this.deleteWithUpdate(node)
      this.dict.delete(node.member)
      detach(node)
      removed++
      node = nx
    }
    this.clearScratch()
    return removed
  }

  /**
   * Removes and returns up to `count` elements with the lowest scores, lowest
   * first (ZPOPMIN). O(log n) per element (O(1) amortized beyond the first).
   */
  popMin(count = 1): SortedSetNode[] {
    const m = count < this.dict.size ? count : this.dict.size
    if (!(m > 0)) return []
    const out = new Array<SortedSetNode>(m)
    for (let i = 0; i < m; i++) {
      const x = this.header.next as ZNode
      this.unlinkNode(x)
      this.dict.delete(x.member)
      detach(x)
      out[i] = x
    }
    return out
  }

  /** Removes and returns up to `count` elements with the highest scores, highest first (ZPOPMAX). */
  popMax(count = 1): SortedSetNode[] {
    const m = count < this.dict.size ? count : this.dict.size
    if (!(m > 0)) return []
    const out = new Array<SortedSetNode>(m)
    for (let i = 0; i < m; i++) {
      const x = this.tail as ZNode
      this.unlinkNode(x)
      this.dict.delete(x.member)
      detach(x)
      out[i] = x
    }
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
    return this.nodeAt(1 + Math.floor(rng() * n))
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
      for (let i = 0; i < count; i++) out[i] = this.nodeAt(1 + Math.floor(rng() * n))
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
      out[k++] = this.nodeAt(r + 1)
    }
    return out
  }

  /** `[member, score]` pairs in ascending order. */
  *entries(): IterableIterator<[string, number]> {
    for (let x = this.header.next; x !== null; x = x.next) yield [x.member, x.score]
  }

  /** Members in ascending order. */
  *members(): IterableIterator<string> {
    for (let x = this.header.next; x !== null; x = x.next) yield x.member
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
    for (let x = this.header.next; x !== null; x = x.next) fn(x.member, x.score)
  }

  /** An independent copy. O(n): elements are appended in order, without searching. */
  clone(): SortedSet {
    const copy = new SortedSet()
    copy.appendSorted(this.header.next)
    return copy
  }

  /**
   * Checks every structural invariant (order, backward pointers, spans, the
   * member map, the level count) and throws an `Error` naming the first one
   * broken. O(n · levels); for tests.
   *
   * @internal
   */
  assertValid(): void {
    const n = this.dict.size
    const rankOfNode = new Map<ZNode, number>()
    rankOfNode.set(this.header, 0)
    let prev: ZNode | null = null
    let r = 0
    for (let x = this.header.next; x !== null; x = x.next) {
      r++
      rankOfNode.set(x, r)
      if (x.prev !== prev) throw new Error(`bad backward pointer at rank ${r}`)
      if (prev !== null && !before(prev, x.score, x.member)) throw new Error(`order broken at rank ${r}`)
      if (this.dict.get(x.member) !== x) throw new Error(`map does not point at node of rank ${r}`)
      if (Number.isNaN(x.score)) throw new Error(`NaN score at rank ${r}`)
      prev = x
    }
    if (r !== n) throw new Error(`list length ${r} != map size ${n}`)
    if (this.tail !== prev) throw new Error('bad tail')
    if (NO_LEVELS.length !== 0) throw new Error('shared level arrays were written')
    let maxLevel = 1
    for (const [x, rx] of rankOfNode) {
      const lv = levelOf(x)
      if (x !== this.header && lv > maxLevel) maxLevel = lv
      for (let i = 1; i < lv; i++) {
        if (x === this.header && i >= this.level) {
          if (fwd(x, i) !== null) throw new Error(`header level ${i} used above level count`)
          continue
        }
        const f = fwd(x, i)
        if (f === null || f === undefined) {
          if (span(x, i) !== n - rx) throw new Error(`span to end wrong at rank ${rx} level ${i}`)
          continue
        }
        const rf = rankOfNode.get(f)
        if (rf === undefined) throw new Error(`forward pointer to a foreign node at rank ${rx}`)
        if (levelOf(f) <= i) throw new Error(`forward pointer to a lower node at rank ${rx} level ${i}`)
        if (span(x, i) !== rf - rx) throw new Error(`span wrong at rank ${rx} level ${i}`)
      }
      // Each node must be linked at each of its levels: the nearest preceding
      // node of level > i must point at it.
    }
    if (this.level !== maxLevel) throw new Error(`level count ${this.level} != highest node level ${maxLevel}`)
    for (let i = 1; i < this.level; i++) {
      let expect: ZNode | null = this.header
      for (let x = this.header.next; x !== null; x = x.next) {
        if (levelOf(x) > i) {
          if (fwd((expect as ZNode), i) !== x) throw new Error(`node of rank ${rankOfNode.get(x)} unlinked at level ${i}`)
          expect = x
        }
      }
      if (fwd((expect as ZNode), i) !== null) throw new Error(`level ${i} does not end with null`)
    }
  }

  // ---- internals ---------------------------------------------------------

  /** Links `x` (with its level arrays sized) at its ordered position. */
  private insertNode(x: ZNode): void {
    const score = x.score
    const member = x.member
    const header = this.header
    let node = header
    const top = this.level - 1
    let rank = 0
    for (let i = top; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && before(f, score, member)) {
        rank += span(node, i)
        node = f
      }
      UPDATE[i] = node
      RANK[i] = rank
    }
    {
      let f: ZNode | null
      while ((f = node.next) !== null && before(f, score, member)) {
        rank++
        node = f
      }
    }
    const rank0 = rank // rank of the level-0 predecessor
    const level = levelOf(x)
    if (level > this.level) {
      const n = this.length
      growHeader(header, level)
      for (let i = this.level; i < level; i++) {
        UPDATE[i] = header
        RANK[i] = 0
        setSpan(header, i, n)
      }
      this.level = level
    }
    // Level 0.
    x.next = node.next
    node.next = x
    x.prev = node === header ? null : node
    if (x.next !== null) x.next.prev = x
    else this.tail = x
    this.length++
    for (let i = 1; i < level; i++) {
      const u = UPDATE[i] as ZNode
      setFwd(x, i, fwd(u, i))
      setFwd(u, i, x)
      const d = rank0 - (RANK[i] as number)
      setSpan(x, i, span(u, i) - d)
      setSpan(u, i, d + 1)
      UPDATE[i] = null
    }
    for (let i = level; i < this.level; i++) {
      const u = UPDATE[i] as ZNode
      setSpan(u, i, span(u, i) + 1)
      UPDATE[i] = null
    }
  }

  /** Unlinks `x` (found by its score and member); the member map is untouched. */
  private unlinkNode(x: ZNode): void {
    const score = x.score
    const member = x.member
    let node = this.header
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && f !== x && before(f, score, member)) node = f
      UPDATE[i] = node
    }
    this.deleteWithUpdate(x)
    this.clearScratch()
  }

  /** Unlinks `x` given its predecessors in UPDATE[1..level-1] (Redis's zslDeleteNode). */
  private deleteWithUpdate(x: ZNode): void {
    for (let i = 1; i < this.level; i++) {
      const u = UPDATE[i] as ZNode
      if (fwd(u, i) === x) {
        setSpan(u, i, span(u, i) + span(x, i) - 1)
        setFwd(u, i, fwd(x, i))
      } else {
        setSpan(u, i, span(u, i) - 1)
      }
    }
    const prev = x.prev
    if (prev === null) this.header.next = x.next
    else prev.next = x.next
    if (x.next !== null) x.next.prev = prev
    else this.tail = prev
    this.length--
    const h = this.header
    while (this.level > 1 && fwd(h, this.level - 1) === null) this.level--
  }

  private clearScratch(): void {
    for (let i = 1; i < MAX_LEVEL; i++) UPDATE[i] = null
  }

  /** 1-based rank of `x`, a linked node. */
  private rankOf(x: ZNode): number {
    const score = x.score
    const member = x.member
    let node = this.header
    let rank = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      // Identity, not member equality, ends the search: it avoids reading member strings.
      while ((f = fwd(node, i)) !== null && (f === x || before(f, score, member))) {
        rank += span(node, i)
        if (f === x) return rank
        node = f
      }
    }
    for (;;) {
      node = node.next as ZNode
      rank++
      if (node === x) return rank
    }
  }


  /** The node of 1-based rank r (1 ≤ r ≤ size). */
  private nodeAt(r: number): ZNode {
    let node = this.header
    let traversed = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && traversed + span(node, i) <= r) {
        traversed += span(node, i)
        node = f
      }
      if (traversed === r) return node
    }
    while (traversed < r) {
      node = node.next as ZNode
      traversed++
    }
    return node
  }

  /**
   * The node `offset` places after (or before, with `reverse`) the node of
   * 1-based rank `rank`, or null past the end.
   */
  private skipBy(x: ZNode, rank: number, offset: number, reverse: boolean): ZNode | null {
    // Short hops walk; long ones jump by rank.
    if (offset <= 4) {
      let y: ZNode | null = x
      for (let i = 0; i < offset && y !== null; i++) y = reverse ? y.prev : y.next
      return y
    }
    const target = reverse ? rank - offset : rank + offset
    if (target < 1 || target > this.dict.size) return null
    return this.nodeAt(target)
  }

  /** First node in the score range, or null; sets FOUND_RANK to its 1-based rank. */
  private firstScore(min: number, max: number, minEx: boolean, maxEx: boolean): ZNode | null {
    if (!scoreRangeNonEmpty(min, max, minEx, maxEx)) return null
    const last = this.tail
    if (last === null || !gteMin(last.score, min, minEx)) return null
    let node = this.header
    let rank = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && !gteMin(f.score, min, minEx)) {
        rank += span(node, i)
        node = f
      }
    }
    let f: ZNode | null
    while ((f = node.next) !== null && !gteMin(f.score, min, minEx)) {
      rank++
      node = f
    }
    if (f === null || !lteMax(f.score, max, maxEx)) return null
    FOUND_RANK = rank + 1
    return f
  }

  /** Last node in the score range, or null; sets FOUND_RANK to its 1-based rank. */
  private lastScore(min: number, max: number, minEx: boolean, maxEx: boolean): ZNode | null {
    if (!scoreRangeNonEmpty(min, max, minEx, maxEx)) return null
    const first = this.header.next
    if (first === null || !lteMax(first.score, max, maxEx)) return null
    let node = this.header
    let rank = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && lteMax(f.score, max, maxEx)) {
        rank += span(node, i)
        node = f
      }
    }
    let f: ZNode | null
    while ((f = node.next) !== null && lteMax(f.score, max, maxEx)) {
      rank++
      node = f
    }
    if (node === this.header || !gteMin(node.score, min, minEx)) return null
    FOUND_RANK = rank
    return node
  }

  /** First node in the lex range, or null; sets FOUND_RANK. */
  private firstLex(min: LexBound, max: LexBound): ZNode | null {
    if (!lexRangeNonEmpty(min, max)) return null
    const last = this.tail
    if (last === null || !lexGteMin(last.member, min)) return null
    let node = this.header
    let rank = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && !lexGteMin(f.member, min)) {
        rank += span(node, i)
        node = f
      }
    }
    let f: ZNode | null
    while ((f = node.next) !== null && !lexGteMin(f.member, min)) {
      rank++
      node = f
    }
    if (f === null || !lexLteMax(f.member, max)) return null
    FOUND_RANK = rank + 1
    return f
  }

  /** Last node in the lex range, or null; sets FOUND_RANK. */
  private lastLex(min: LexBound, max: LexBound): ZNode | null {
    if (!lexRangeNonEmpty(min, max)) return null
    const first = this.header.next
    if (first === null || !lexLteMax(first.member, max)) return null
    let node = this.header
    let rank = 0
    for (let i = this.level - 1; i >= 1; i--) {
      let f: ZNode | null
      while ((f = fwd(node, i)) !== null && lexLteMax(f.member, max)) {
        rank += span(node, i)
        node = f
      }
    }
    let f: ZNode | null
    while ((f = node.next) !== null && lexLteMax(f.member, max)) {
      rank++
      node = f
    }
    if (node === this.header || !lexGteMin(node.member, min)) return null
    FOUND_RANK = rank
    return node
  }

  /** Appends copies of the chain starting at `src` (already in order) to this empty set. */
  private appendSorted(src: ZNode | null): void {
    const header = this.header
    // lastAt[i]: the last node appended with level > i, and its rank.
    let n = 0
    for (let i = 0; i < MAX_LEVEL; i++) {
      UPDATE[i] = header
      RANK[i] = 0
    }
    let prev: ZNode | null = null
    for (let s = src; s !== null; s = s.next) {
      const level = randomLevel()
      const x = new ZNode(s.member, s.score, level)
      n++
      x.prev = prev
      if (prev === null) header.next = x
      else prev.next = x
      if (level > this.level) {
        growHeader(header, level)
        this.level = level
      }
      for (let i = 1; i < level; i++) {
        const u = UPDATE[i] as ZNode
        setFwd(u, i, x)
        setSpan(u, i, n - (RANK[i] as number))
        UPDATE[i] = x
        RANK[i] = n
      }
      this.dict.set(x.member, x)
      prev = x
    }
    this.tail = prev
    this.length = n
    // Spans of the last pointer at each level run to the end.
    for (let i = 1; i < MAX_LEVEL; i++) {
      const u = UPDATE[i] as ZNode
      if (i < this.level) setSpan(u, i, n - (RANK[i] as number))
      UPDATE[i] = null
    }
    UPDATE[0] = null
  }
}

/** Rank (1-based) of the node most recently found by a first/last range lookup. */
let FOUND_RANK = 0

/** Drops a removed node's links so a retained view does not keep the list alive. */
function detach(x: ZNode): void {
  x.next = null
  x.prev = null
  const lv = x.lv
  for (let k = 0; k < lv.length; k += 2) lv[k] = null
}
