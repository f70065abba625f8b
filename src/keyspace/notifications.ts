import { BIN_MARK, isBinaryKey } from '../core/bytes.js'

/** Keyspace event classes (Redis's NOTIFY_* flags). */
export const N = {
  KEYSPACE: 1 << 0, // K
  KEYEVENT: 1 << 1, // E
  GENERIC: 1 << 2, // g
  STRING: 1 << 3, // $
  LIST: 1 << 4, // l
  SET: 1 << 5, // s
  HASH: 1 << 6, // h
  ZSET: 1 << 7, // z
  EXPIRED: 1 << 8, // x
  EVICTED: 1 << 9, // e
  STREAM: 1 << 10, // t
  KEY_MISS: 1 << 11, // m
  LOADED: 1 << 12, // module only
  MODULE: 1 << 13, // d
  NEW: 1 << 14, // n
} as const

// 'A' is every class except m, n (and the module-only ones not reachable here).
const ALL = N.GENERIC | N.STRING | N.LIST | N.SET | N.HASH | N.ZSET | N.EXPIRED | N.EVICTED | N.STREAM | N.MODULE

const LETTERS: Array<[string, number]> = [
  ['g', N.GENERIC],
  ['$', N.STRING],
  ['l', N.LIST],
  ['s', N.SET],
  ['h', N.HASH],
  ['z', N.ZSET],
  ['x', N.EXPIRED],
  ['e', N.EVICTED],
  ['K', N.KEYSPACE],
  ['E', N.KEYEVENT],
  ['t', N.STREAM],
  ['m', N.KEY_MISS],
  ['d', N.MODULE],
  ['n', N.NEW],
]

/** Parses a `notify-keyspace-events` string into flags; `undefined` for an invalid character. */
export function parseNotifyFlags(s: string): number | undefined {
  let flags = 0
  for (const ch of s) {
    if (ch === 'A') {
      flags |= ALL
      continue
    }
    const hit = LETTERS.find(([c]) => c === ch)
    if (!hit) return undefined
    flags |= hit[1]
  }
  return flags
}

/** Prints flags the way CONFIG GET notify-keyspace-events does. */
export function formatNotifyFlags(flags: number): string {
  let out = ''
  if ((flags & ALL) === ALL) out += 'A'
  else for (const c of 'g$lshzxetdn') if (flags & flagOf(c)) out += c
  for (const c of 'KEm') if (flags & flagOf(c)) out += c
  return out
}

const flagOf = (c: string): number => LETTERS.find(([l]) => l === c)![1]

/** Channel names for a keyspace event on `key` in database `db`. */
export function keyspaceChannel(db: number, key: string): string {
  // A non-UTF-8 key makes a non-UTF-8 channel: keep the mark in front so the bytes stay exact.
  return isBinaryKey(key) ? `${BIN_MARK}__keyspace@${db}__:${key.slice(1)}` : `__keyspace@${db}__:${key}`
}
export function keyeventChannel(db: number, event: string): string {
  return `__keyevent@${db}__:${event}`
}
