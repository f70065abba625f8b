/** RDB format constants (Redis 7.2, RDB version 11). */

/** The version written; files up to this version are read. */
export const RDB_VERSION = 11

/** Value type bytes. */
export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_PRE_GA: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
} as const

/** Opcodes that are not value types. */
export const RDB_OP = {
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const

/** Special string encodings (first byte 11xxxxxx). */
export const RDB_ENC = { INT8: 0, INT16: 1, INT32: 2, LZF: 3 } as const

/** Quicklist 2 node containers. */
export const QUICKLIST_NODE = { PLAIN: 1, PACKED: 2 } as const

/** Module value opcodes (to skip module data). */
export const MODULE_OP = { EOF: 0, SINT: 1, UINT: 2, FLOAT: 3, DOUBLE: 4, STRING: 5 } as const
