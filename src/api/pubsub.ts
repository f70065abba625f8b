import { asArg, isBinaryKey, keyBytes, keyOf, type Bytes } from '../core/bytes.js'
import { PUBLISH, PUBSUB_CHANNELS, PUBSUB_NUMPAT, PUBSUB_SHARDCHANNELS, SPUBLISH, messageArg } from '../commands/pubsub.js'
import { patternMatcher, type Message, type Subscriber } from '../keyspace/pubsub.js'
import { deliveryOf, type Delivery } from '../keyspace/delivery.js'
import type { StoreCore } from '../store-core.js'

/** A listener of `subscribe()`: the message and the channel, as text. */
export type MessageListener = (message: string, channel: string) => void
/** A listener of `psubscribe()`: the message, the channel and the pattern that matched, as text. */
export type PatternListener = (message: string, channel: string, pattern: string) => void
/** Buffer variants: exact bytes. */
export type MessageBufferListener = (message: Buffer, channel: Buffer) => void
export type PatternBufferListener = (message: Buffer, channel: Buffer, pattern: Buffer) => void

const text = (s: string): string => (isBinaryKey(s) ? keyBytes(s).toString('utf8') : s)
const bytes = (m: Message): Buffer => (typeof m === 'string' ? keyBytes(m) : m)

/** A `store.subscribe()` listener as a subscriber of the registry (it counts in PUBLISH and NUMSUB). */
class ListenerSubscriber implements Subscriber {
  constructor(
    private readonly delivery: Delivery,
    private readonly fn: (...a: any[]) => void,
    private readonly buffers: boolean,
  ) {}

  deliver(_kind: number, channel: string, message: Message, pattern: string | null): void {
    const fn = this.fn
    if (this.buffers) {
      const m = bytes(message)
      const c = keyBytes(channel)
      const p = pattern === null ? undefined : keyBytes(pattern)
      this.delivery.add(() => (p === undefined ? fn(m, c) : fn(m, c, p)))
    } else {
      const m = typeof message === 'string' ? text(message) : message.toString('utf8')
      const c = text(channel)
      const p = pattern === null ? undefined : text(pattern)
      this.delivery.add(() => (p === undefined ? fn(m, c) : fn(m, c, p)))
    }
  }
}

const list = (x: Bytes | Bytes[]): string[] => (Array.isArray(x) ? x.map(keyOf) : [keyOf(x)])

/** Pub/sub without a connection: listeners, publishing, introspection. */
export class PubSubApi {
  /**
   * Subscribes `listener` to one or more channels (PUBLISH reaches it, and it
   * counts as a subscriber). Listeners are called right after the command that
   * published, in publishing order. Returns a function that unsubscribes.
   *
   * ```ts
   * const off = store.subscribe('news', (message, channel) => console.log(channel, message))
   * store.publish('news', 'hello') // 1
   * off()
   * ```
   */
  subscribe(this: StoreCore, channels: Bytes | Bytes[], listener: MessageListener): () => void {
    return addListener(this, 'channel', list(channels), new ListenerSubscriber(deliveryOf(this), listener, false))
  }

  /** `subscribe()` with messages and channel names as Buffers (exact bytes). */
  subscribeBuffer(this: StoreCore, channels: Bytes | Bytes[], listener: MessageBufferListener): () => void {
    return addListener(this, 'channel', list(channels), new ListenerSubscriber(deliveryOf(this), listener, true))
  }

  /**
   * Subscribes `listener` to every channel matching one or more glob patterns
   * (PSUBSCRIBE), including keyspace notifications such as `__keyevent@0__:expired`
   * (enable them with CONFIG SET notify-keyspace-events). Returns a function that unsubscribes.
   */
  psubscribe(this: StoreCore, patterns: Bytes | Bytes[], listener: PatternListener): () => void {
    return addListener(this, 'pattern', list(patterns), new ListenerSubscriber(deliveryOf(this), listener, false))
  }

  /** `psubscribe()` with Buffers. */
  psubscribeBuffer(this: StoreCore, patterns: Bytes | Bytes[], listener: PatternBufferListener): () => void {
    return addListener(this, 'pattern', list(patterns), new ListenerSubscriber(deliveryOf(this), listener, true))
  }

  /** Subscribes to shard channels (SSUBSCRIBE; SPUBLISH reaches them). Returns a function that unsubscribes. */
  ssubscribe(this: StoreCore, channels: Bytes | Bytes[], listener: MessageListener): () => void {
    return addListener(this, 'shard', list(channels), new ListenerSubscriber(deliveryOf(this), listener, false))
  }

  /** PUBLISH: sends a message to a channel; returns how many subscribers received it. */
  publish(this: StoreCore, channel: Bytes, message: Bytes): number {
    return PUBLISH.run(this.s, [keyOf(channel), messageArg(asArg(message))]) as number
  }

  /** SPUBLISH: sends a message to a shard channel; returns how many subscribers received it. */
  spublish(this: StoreCore, channel: Bytes, message: Bytes): number {
    return SPUBLISH.run(this.s, [keyOf(channel), messageArg(asArg(message))]) as number
  }

  /** PUBSUB CHANNELS: channels with at least one subscriber, optionally matching a glob pattern. */
  pubsubChannels(this: StoreCore, pattern?: string): string[] {
    const r = PUBSUB_CHANNELS.run(this.s, pattern === undefined ? null : patternMatcher(keyOf(pattern))) as Array<string | Buffer>
    return r.map((x) => (typeof x === 'string' ? x : x.toString('utf8')))
  }

  /** PUBSUB SHARDCHANNELS. */
  pubsubShardChannels(this: StoreCore, pattern?: string): string[] {
    const r = PUBSUB_SHARDCHANNELS.run(this.s, pattern === undefined ? null : patternMatcher(keyOf(pattern))) as Array<string | Buffer>
    return r.map((x) => (typeof x === 'string' ? x : x.toString('utf8')))
  }

  /** PUBSUB NUMSUB: subscribers per channel (pattern subscriptions not counted). */
  pubsubNumsub(this: StoreCore, ...channels: string[]): Map<string, number> {
    const hub = this.pubsub
    return new Map(channels.map((c) => [c, hub.numsub(keyOf(c))]))
  }

  /** PUBSUB SHARDNUMSUB. */
  pubsubShardNumsub(this: StoreCore, ...channels: string[]): Map<string, number> {
    const hub = this.pubsub
    return new Map(channels.map((c) => [c, hub.shardNumsub(keyOf(c))]))
  }

  /** PUBSUB NUMPAT: the number of distinct patterns subscribed to. */
  pubsubNumpat(this: StoreCore): number {
    return PUBSUB_NUMPAT.run(this.s, undefined) as number
  }
}

function addListener(store: StoreCore, kind: 'channel' | 'pattern' | 'shard', names: string[], sub: ListenerSubscriber): () => void {
  const hub = store.pubsub
  for (const n of names) {
    if (kind === 'channel') hub.subscribe(sub, n)
    else if (kind === 'pattern') hub.psubscribe(sub, n)
    else hub.ssubscribe(sub, n)
  }
  let done = false
  return () => {
    if (done) return
    done = true
    for (const n of names) {
      if (kind === 'channel') hub.unsubscribe(sub, n)
      else if (kind === 'pattern') hub.punsubscribe(sub, n)
      else hub.sunsubscribe(sub, n)
    }
  }
}
