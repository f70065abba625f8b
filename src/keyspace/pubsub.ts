import { isBinaryKey, keyBytes } from '../core/bytes.js'
import { compileGlob, globMatchBytes } from '../core/glob.js'

/** Message kinds, as the first element of the push Redis sends. */
export const MESSAGE = 0
export const PMESSAGE = 1
export const SMESSAGE = 2

/** A message body: a canonical string (see core/bytes.ts) or raw bytes. */
export type Message = string | Buffer

/** Something that receives published messages: a Session, or a listener of `store.subscribe()`. */
export interface Subscriber {
  /**
   * A message published on `channel` (canonical string). `pattern` is the
   * matching pattern for PMESSAGE, null otherwise.
   */
  deliver(kind: number, channel: string, message: Message, pattern: string | null): void
}

interface Pattern {
  match: (channel: string) => boolean
  subs: Set<Subscriber>
}

/** A glob matcher over canonical strings, byte-exact for binary patterns or channels. */
export function patternMatcher(pattern: string): (channel: string) => boolean {
  if (isBinaryKey(pattern)) {
    const p = keyBytes(pattern)
    return (ch) => globMatchBytes(p, keyBytes(ch))
  }
  const fast = compileGlob(pattern)
  return (ch) => (isBinaryKey(ch) ? globMatchBytes(keyBytes(pattern), keyBytes(ch)) : fast(ch))
}

/**
 * The publish/subscribe registry of a Store: channels, patterns and shard
 * channels with their subscribers. PUBLISH reaches channel subscribers first,
 * then every matching pattern (a subscriber matching through two patterns
 * receives the message twice, as in Redis), and returns the deliveries made.
 */
export class PubSub {
  readonly channels = new Map<string, Set<Subscriber>>()
  readonly patterns = new Map<string, Pattern>()
  readonly shard = new Map<string, Set<Subscriber>>()

  /** Adds a channel subscription; false if it was already there. */
  subscribe(sub: Subscriber, channel: string): boolean {
    return add(this.channels, sub, channel)
  }

  unsubscribe(sub: Subscriber, channel: string): boolean {
    return remove(this.channels, sub, channel)
  }

  ssubscribe(sub: Subscriber, channel: string): boolean {
    return add(this.shard, sub, channel)
  }

  sunsubscribe(sub: Subscriber, channel: string): boolean {
    return remove(this.shard, sub, channel)
  }

  psubscribe(sub: Subscriber, pattern: string): boolean {
    let p = this.patterns.get(pattern)
    if (p === undefined) this.patterns.set(pattern, (p = { match: patternMatcher(pattern), subs: new Set() }))
    else if (p.subs.has(sub)) return false
    p.subs.add(sub)
    return true
  }

  punsubscribe(sub: Subscriber, pattern: string): boolean {
    const p = this.patterns.get(pattern)
    if (p === undefined || !p.subs.delete(sub)) return false
    if (p.subs.size === 0) this.patterns.delete(pattern)
    return true
  }

  /** PUBLISH: delivers to channel and pattern subscribers; returns the number of deliveries. */
  publish(channel: string, message: Message): number {
    let n = 0
    const set = this.channels.get(channel)
    if (set !== undefined) {
      for (const s of set) {
        s.deliver(MESSAGE, channel, message, null)
        n++
      }
    }
    if (this.patterns.size !== 0) {
      for (const [pattern, p] of this.patterns) {
        if (!p.match(channel)) continue
        for (const s of p.subs) {
          s.deliver(PMESSAGE, channel, message, pattern)
          n++
        }
      }
    }
    return n
  }

  /** SPUBLISH: delivers to shard channel subscribers. */
  spublish(channel: string, message: Message): number {
    const set = this.shard.get(channel)
    if (set === undefined) return 0
    let n = 0
    for (const s of set) {
      s.deliver(SMESSAGE, channel, message, null)
      n++
    }
    return n
  }

  /** Subscribers of a channel (PUBSUB NUMSUB). */
  numsub(channel: string): number {
    return this.channels.get(channel)?.size ?? 0
  }

  shardNumsub(channel: string): number {
    return this.shard.get(channel)?.size ?? 0
  }
}

function add(map: Map<string, Set<Subscriber>>, sub: Subscriber, channel: string): boolean {
  let set = map.get(channel)
  if (set === undefined) map.set(channel, (set = new Set()))
  else if (set.has(sub)) return false
  set.add(sub)
  return true
}

function remove(map: Map<string, Set<Subscriber>>, sub: Subscriber, channel: string): boolean {
  const set = map.get(channel)
  if (set === undefined || !set.delete(sub)) return false
  if (set.size === 0) map.delete(channel)
  return true
}
