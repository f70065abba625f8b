/**
 * Publish/subscribe: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UN- forms,
 * PUBLISH, SPUBLISH, PUBSUB. Subscriptions live in the session (for its
 * replies and counts) and in the store's registry (for delivery). Redis
 * answers (un)subscribing once per channel: several channels give `Replies`.
 */
import { keyOf } from '../core/bytes.js'
import { fail } from '../core/errors.js'
import { Push, Replies, type Reply } from '../core/reply.js'
import { patternMatcher, type Message } from '../keyspace/pubsub.js'
import { wire, type Session } from '../session.js'
import { key, str } from './args.js'
import { defineCommand, helpReply, type Arg } from './table.js'

/** One or several top-level replies as a command result. */
function replies(list: Reply[]): Reply {
  return list.length === 1 ? list[0]! : (new Replies(list) as unknown as Reply)
}

/** The subscription count SUBSCRIBE/PSUBSCRIBE report: channels plus patterns. */
const count = (s: Session): number => s.subscriptionCount

function confirm(kind: string, name: string | null, n: number): Push {
  return new Push([kind, name === null ? null : wire(name), n])
}

// ---------------------------------------------------------------- subscribing

export function subscribe(s: Session, channels: string[]): Reply[] {
  const hub = s.store.pubsub
  const out: Reply[] = []
  for (const ch of channels) {
    if (hub.subscribe(s, ch)) (s.channels ??= new Set()).add(ch)
    s.updateSubscribed()
    out.push(confirm('subscribe', ch, count(s)))
  }
  return out
}

export function psubscribe(s: Session, patterns: string[]): Reply[] {
  const hub = s.store.pubsub
  const out: Reply[] = []
  for (const p of patterns) {
    if (hub.psubscribe(s, p)) (s.patterns ??= new Set()).add(p)
    s.updateSubscribed()
    out.push(confirm('psubscribe', p, count(s)))
  }
  return out
}

export function ssubscribe(s: Session, channels: string[]): Reply[] {
  const hub = s.store.pubsub
  const out: Reply[] = []
  for (const ch of channels) {
    if (hub.ssubscribe(s, ch)) (s.shardChannels ??= new Set()).add(ch)
    s.updateSubscribed()
    out.push(confirm('ssubscribe', ch, s.shardCount))
  }
  return out
}

/**
 * UNSUBSCRIBE-like: named channels (subscribed or not), or every channel when
 * none are named. With nothing to unsubscribe from, Redis 7.2 answers once
 * with a nil channel and the current count.
 */
function unsubscribeFrom(
  s: Session,
  names: string[],
  kind: string,
  own: Set<string> | null,
  drop: (name: string) => boolean,
  counter: (s: Session) => number,
): Reply[] {
  const out: Reply[] = []
  const list = names.length > 0 ? names : own !== null ? [...own] : []
  for (const name of list) {
    if (drop(name)) own!.delete(name)
    s.updateSubscribed()
    out.push(confirm(kind, name, counter(s)))
  }
  if (out.length === 0) out.push(confirm(kind, null, counter(s)))
  return out
}

export function unsubscribe(s: Session, channels: string[]): Reply[] {
  const hub = s.store.pubsub
  return unsubscribeFrom(s, channels, 'unsubscribe', s.channels, (c) => hub.unsubscribe(s, c), count)
}

export function punsubscribe(s: Session, patterns: string[]): Reply[] {
  const hub = s.store.pubsub
  return unsubscribeFrom(s, patterns, 'punsubscribe', s.patterns, (p) => hub.punsubscribe(s, p), count)
}

export function sunsubscribe(s: Session, channels: string[]): Reply[] {
  const hub = s.store.pubsub
  return unsubscribeFrom(s, channels, 'sunsubscribe', s.shardChannels, (c) => hub.sunsubscribe(s, c), (x) => x.shardCount)
}

const names = (a: Arg[]): string[] => a.map(key)

export const SUBSCRIBE = defineCommand('subscribe', {
  parse: names,
  run: (ctx, channels: string[]): Reply => replies(subscribe(ctx, channels)),
})

export const PSUBSCRIBE = defineCommand('psubscribe', {
  parse: names,
  run: (ctx, patterns: string[]): Reply => replies(psubscribe(ctx, patterns)),
})

export const SSUBSCRIBE = defineCommand('ssubscribe', {
  parse: names,
  run(ctx, channels: string[]): Reply {
    // Inside EXEC (Redis's DENY_BLOCKING) a shard subscription is refused; SUBSCRIBE is exempt there.
    if (ctx.noBlock) fail("SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    return replies(ssubscribe(ctx, channels))
  },
})

export const UNSUBSCRIBE = defineCommand('unsubscribe', {
  parse: names,
  run: (ctx, channels: string[]): Reply => replies(unsubscribe(ctx, channels)),
})

export const PUNSUBSCRIBE = defineCommand('punsubscribe', {
  parse: names,
  run: (ctx, patterns: string[]): Reply => replies(punsubscribe(ctx, patterns)),
})

export const SUNSUBSCRIBE = defineCommand('sunsubscribe', {
  parse: names,
  run: (ctx, channels: string[]): Reply => replies(sunsubscribe(ctx, channels)),
})

// ---------------------------------------------------------------- publishing

/** A message argument: bytes as received, text in canonical form. */
export const messageArg = (a: Arg): Message => (typeof a === 'string' ? keyOf(a) : a)

export const PUBLISH = defineCommand('publish', {
  parse: (a): [string, Message] => [key(a[0]!), messageArg(a[1]!)],
  run: (ctx, [channel, message]: [string, Message]): Reply => ctx.store.pubsub.publish(channel, message),
})

export const SPUBLISH = defineCommand('spublish', {
  parse: (a): [string, Message] => [key(a[0]!), messageArg(a[1]!)],
  run: (ctx, [channel, message]: [string, Message]): Reply => ctx.store.pubsub.spublish(channel, message),
})

// ---------------------------------------------------------------- PUBSUB

/** `[pattern]` of PUBSUB CHANNELS / SHARDCHANNELS, with Redis's error for extra arguments. */
function optionalPattern(a: Arg[], ctx: Session): ((s: string) => boolean) | null {
  if (a.length > 1) {
    const sub = ctx.argv !== null && ctx.argv.length > 1 ? str(ctx.argv[1]!) : 'CHANNELS'
    fail(`unknown subcommand or wrong number of arguments for '${sub.slice(0, 128)}'. Try PUBSUB HELP.`)
  }
  return a.length === 1 ? patternMatcher(key(a[0]!)) : null
}

function channelList(map: Map<string, unknown>, match: ((s: string) => boolean) | null): Reply {
  const out: Reply[] = []
  for (const ch of map.keys()) if (match === null || match(ch)) out.push(wire(ch))
  return out
}

export const PUBSUB_CHANNELS = defineCommand('pubsub|channels', {
  parse: optionalPattern,
  run: (ctx, match: ((s: string) => boolean) | null): Reply => channelList(ctx.store.pubsub.channels, match),
})

export const PUBSUB_SHARDCHANNELS = defineCommand('pubsub|shardchannels', {
  parse: optionalPattern,
  run: (ctx, match: ((s: string) => boolean) | null): Reply => channelList(ctx.store.pubsub.shard, match),
})

export const PUBSUB_NUMSUB = defineCommand('pubsub|numsub', {
  parse: names,
  run(ctx, channels: string[]): Reply {
    const hub = ctx.store.pubsub
    const out: Reply[] = []
    for (const ch of channels) out.push(wire(ch), hub.numsub(ch))
    return out
  },
})

export const PUBSUB_SHARDNUMSUB = defineCommand('pubsub|shardnumsub', {
  parse: names,
  run(ctx, channels: string[]): Reply {
    const hub = ctx.store.pubsub
    const out: Reply[] = []
    for (const ch of channels) out.push(wire(ch), hub.shardNumsub(ch))
    return out
  },
})

export const PUBSUB_NUMPAT = defineCommand('pubsub|numpat', {
  parse: () => undefined,
  run: (ctx): Reply => ctx.store.pubsub.patterns.size,
})

export const PUBSUB_HELP = defineCommand('pubsub|help', {
  parse: () => undefined,
  run: (): Reply =>
    helpReply('PUBSUB', [
      'CHANNELS [<pattern>]',
      "    Return the currently active channels matching a <pattern> (default: '*').",
      'NUMPAT',
      '    Return number of subscriptions to patterns.',
      'NUMSUB [<channel> ...]',
      '    Return the number of subscribers for the specified channels, excluding',
      '    pattern subscriptions(default: no channels).',
      'SHARDCHANNELS [<pattern>]',
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      'SHARDNUMSUB [<shardchannel> ...]',
      '    Return the number of subscribers for the specified shard level channel(s)',
    ]),
})
