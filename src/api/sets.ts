import { keyBytes, keyOf } from '../core/bytes.js'
import { E, fail } from '../core/errors.js'
import { parseCursor } from '../commands/keys.js'
import type { Arg } from '../commands/table.js'
import {
  SCARD,
  SISMEMBER,
  SMEMBERS,
  SMISMEMBER,
  SRANDMEMBER,
  sadd,
  sdiff,
  sdiffstore,
  sinter,
  sintercard,
  sinterstore,
  smove,
  spopCount,
  spopOne,
  srandmemberCount,
  srem,
  sscan,
  sunion,
  sunionstore,
  type CollectionScanArgs,
} from '../commands/sets.js'
import type { SetReply } from '../core/reply.js'
import type { StoreCore } from '../store-core.js'
import { int64Of, longAboveMinOf, needArgs, valueOf, type Key, type Value } from './strings.js'

/** Options of `sscan()`/`hscan()` and their iterators. */
export interface CollectionScanOptions {
  /** Glob-style pattern members (or fields) must match. */
  match?: string
  /** How many elements to visit per call (a hint, default 10). */
  count?: number
}

/** Options of `sintercard()`. */
export interface SInterCardOptions {
  /** Stop counting at this many members (0, the default, means no limit). */
  limit?: number
}

/**
 * A member as the keyspace holds it: strings and Buffers as their bytes,
 * numbers in Redis's decimal form.
 */
export function memberOf(m: Value): string {
  return typeof m === 'number' ? (valueOf(m) as string) : keyOf(m)
}

const membersOf = (ms: readonly Value[]): string[] => ms.map(memberOf)

/** Exact bytes of a member. */
export const memberBytes = (m: string): Buffer => keyBytes(m)

/** A member as text: non-UTF-8 bytes are decoded lossily, as `Buffer#toString` does. */
export const memberText = (m: string): string => (m.charCodeAt(0) === 0xdc00 ? keyBytes(m).toString('utf8') : m)

/** Turns the members of a fresh array into text, in place. */
export function membersText(ms: string[]): string[] {
  for (let i = 0; i < ms.length; i++) if (ms[i]!.charCodeAt(0) === 0xdc00) ms[i] = memberText(ms[i]!)
  return ms
}

/**
 * The MATCH/COUNT options of a typed scan as command arguments: the command
 * parses them after its key lookup, as Redis does (a missing key answers an
 * empty scan whatever the options are).
 */
export function scanOptionArgs(o: { match?: string; count?: number } | undefined): Arg[] {
  const opts: Arg[] = []
  if (o === undefined) return opts
  if (o.match !== undefined) opts.push('MATCH', o.match)
  if (o.count !== undefined) opts.push('COUNT', valueOf(o.count) as string)
  return opts
}

/** A typed cursor, read as the command reads its argument. */
export const cursorOf = (cursor: number | string): number => parseCursor(typeof cursor === 'string' ? cursor : (valueOf(cursor) as string))

/** Builds the scan arguments of a typed call, with Redis's errors for bad input. */
export function collectionScanArgs(key: Key, cursor: number | string, o: CollectionScanOptions | undefined): CollectionScanArgs {
  return { key: keyOf(key), cursor: cursorOf(cursor), opts: scanOptionArgs(o) }
}

const countArg = (n: number): number => longAboveMinOf(n)

/**
 * Set commands on the typed Store.
 *
 * Members may be given as strings (their UTF-8 bytes), Buffers (exact bytes)
 * or numbers (in Redis's decimal form). They are returned as strings; members
 * that are not valid UTF-8 are decoded lossily, so use `smembersBuffer()` (or
 * `callBuffer()`) where exact bytes matter.
 */
export class SetsApi {
  /** SADD: adds members; returns how many were new. */
  sadd(this: StoreCore, key: Key, ...members: Value[]): number {
    needArgs(members.length, 'sadd')
    this.beforeWrite()
    return sadd(this.s, { key: keyOf(key), members: membersOf(members) })
  }

  /** SREM: removes members; returns how many were there. A set left empty is deleted. */
  srem(this: StoreCore, key: Key, ...members: Value[]): number {
    needArgs(members.length, 'srem')
    return srem(this.s, { key: keyOf(key), members: membersOf(members) })
  }

  /** SCARD: the number of members (0 for a missing key). */
  scard(this: StoreCore, key: Key): number {
    return SCARD.run(this.s, keyOf(key)) as number
  }

  /** SISMEMBER: whether `member` is in the set. */
  sismember(this: StoreCore, key: Key, member: Value): boolean {
    return SISMEMBER.run(this.s, [keyOf(key), memberOf(member)]) === 1
  }

  /** SMISMEMBER: for each member, whether it is in the set. */
  smismember(this: StoreCore, key: Key, ...members: Value[]): boolean[] {
    needArgs(members.length, 'smismember')
    const r = SMISMEMBER.run(this.s, { key: keyOf(key), members: membersOf(members) }) as number[]
    return r.map((x) => x === 1)
  }

  /**
   * SMEMBERS: every member. Small all-integer sets (intset encoding) come in
   * numeric order, other small sets in insertion order; treat large sets as
   * unordered.
   */
  smembers(this: StoreCore, key: Key): string[] {
    return membersText((SMEMBERS.run(this.s, keyOf(key)) as SetReply).items as string[])
  }

  /** SMEMBERS with each member's exact bytes. */
  smembersBuffer(this: StoreCore, key: Key): Buffer[] {
    return ((SMEMBERS.run(this.s, keyOf(key)) as SetReply).items as string[]).map(memberBytes)
  }

  /** SPOP: removes and returns a random member, or null when the set is missing. */
  spop(this: StoreCore, key: Key): string | null
  /** SPOP with a count: removes and returns up to `count` distinct random members. */
  spop(this: StoreCore, key: Key, count: number): string[]
  spop(this: StoreCore, key: Key, count?: number): string | null | string[] {
    if (count === undefined) {
      const m = spopOne(this.s, keyOf(key))
      return m === null ? null : memberText(m)
    }
    if (int64Of(count, E.MUST_BE_POSITIVE) < 0) fail(E.MUST_BE_POSITIVE)
    return membersText(spopCount(this.s, keyOf(key), count))
  }

  /** SRANDMEMBER: a random member, or null when the set is missing. */
  srandmember(this: StoreCore, key: Key): string | null
  /**
   * SRANDMEMBER with a count: up to `count` distinct random members for a
   * positive count; exactly `-count` independent picks (members may repeat)
   * for a negative one; [] for 0 or a missing key.
   */
  srandmember(this: StoreCore, key: Key, count: number): string[]
  srandmember(this: StoreCore, key: Key, count?: number): string | null | string[] {
    if (count === undefined) {
      const m = SRANDMEMBER.run(this.s, { key: keyOf(key), count: undefined }) as string | null
      return m === null ? null : memberText(m)
    }
    return membersText(srandmemberCount(this.s, keyOf(key), countArg(count)))
  }

  /** SMOVE: moves `member` from `source` to `destination`; true when it was in `source`. */
  smove(this: StoreCore, source: Key, destination: Key, member: Value): boolean {
    return smove(this.s, { src: keyOf(source), dst: keyOf(destination), member: memberOf(member) }) === 1
  }

  /** SINTER: the members present in every set (a missing key is an empty set). */
  sinter(this: StoreCore, ...keys: Key[]): string[] {
    needArgs(keys.length, 'sinter')
    return membersText(sinter(this.s, keys.map(keyOf)))
  }

  /** SINTERSTORE: stores the intersection at `destination` (deleting it when empty); returns its size. */
  sinterstore(this: StoreCore, destination: Key, ...keys: Key[]): number {
    needArgs(keys.length, 'sinterstore')
    this.beforeWrite()
    return sinterstore(this.s, keyOf(destination), keys.map(keyOf))
  }

  /** SINTERCARD: the size of the intersection, counting at most `limit` members when given. */
  sintercard(this: StoreCore, keys: Key[], options: SInterCardOptions = {}): number {
    if (keys.length === 0) fail('numkeys should be greater than 0')
    const limit = options.limit ?? 0
    if (int64Of(limit, "LIMIT can't be negative") < 0) fail("LIMIT can't be negative")
    return sintercard(this.s, keys.map(keyOf), limit)
  }

  /** SUNION: the members present in any of the sets. */
  sunion(this: StoreCore, ...keys: Key[]): string[] {
    needArgs(keys.length, 'sunion')
    return membersText(sunion(this.s, keys.map(keyOf)))
  }

  /** SUNIONSTORE: stores the union at `destination` (deleting it when empty); returns its size. */
  sunionstore(this: StoreCore, destination: Key, ...keys: Key[]): number {
    needArgs(keys.length, 'sunionstore')
    this.beforeWrite()
    return sunionstore(this.s, keyOf(destination), keys.map(keyOf))
  }

  /** SDIFF: the members of the first set that are in none of the others. */
  sdiff(this: StoreCore, ...keys: Key[]): string[] {
    needArgs(keys.length, 'sdiff')
    return membersText(sdiff(this.s, keys.map(keyOf)))
  }

  /** SDIFFSTORE: stores the difference at `destination` (deleting it when empty); returns its size. */
  sdiffstore(this: StoreCore, destination: Key, ...keys: Key[]): number {
    needArgs(keys.length, 'sdiffstore')
    this.beforeWrite()
    return sdiffstore(this.s, keyOf(destination), keys.map(keyOf))
  }

  /**
   * SSCAN: one step of an iteration over the members; returns [next cursor,
   * members]. Cursor '0' starts and ends an iteration. Every member present
   * for the whole iteration is returned at least once.
   */
  sscan(this: StoreCore, key: Key, cursor: number | string, options?: CollectionScanOptions): [string, string[]] {
    const [next, members] = sscan(this.s, collectionScanArgs(key, cursor, options))
    return [String(next), membersText(members)]
  }

  /** Iterates over the members with SSCAN's guarantees (a member may be seen twice if the set changes meanwhile). */
  *sscanIterator(this: StoreCore, key: Key, options?: CollectionScanOptions): IterableIterator<string> {
    let cursor = 0
    do {
      const [next, members] = sscan(this.s, collectionScanArgs(key, cursor, options))
      yield* membersText(members)
      cursor = next
    } while (cursor !== 0)
  }
}
