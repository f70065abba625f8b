export { Store } from './store.js'
export type { StoreOptions, CallArg, CallReply, CallBufferReply } from './store-core.js'
export { ManualClock, systemClock, type Clock } from './core/clock.js'
export { ReplyError } from './core/errors.js'
export { Session } from './session.js'
export type { Effect } from './keyspace/keyspace.js'
export type { Key, Value, SetOptions, GetExOptions, LcsOptions, LcsMatch } from './api/strings.js'
export type { KeyType, ExpireCondition, ScanOptions } from './api/keys.js'
export type {
  Member,
  ScoredMember,
  ZAddMembers,
  ZAddOptions,
  ScoreBound,
  LexBound,
  RangeLimit,
  ZRangeOptions,
  ZSetOpOptions,
  SortOptions,
  ZScanOptions,
} from './api/sorted-sets.js'
