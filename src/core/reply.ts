/**
 * Internal reply values, as commands return them.
 *
 * Plain JavaScript values stand for the common RESP types so the typed API can
 * hand them out without conversion:
 *  - `string` / `Buffer` → bulk string (a string is sent as its UTF-8 bytes)
 *  - `number` (integral) / `bigint` → integer
 *  - `null` → nil (null bulk in RESP2, `_` in RESP3)
 *  - `Array` → array
 * and small wrapper classes stand for the rest. The protocol layer turns these
 * into RESP2 or RESP3; `store.call()` turns them into its documented JS shape.
 */

/** A simple-string (status) reply such as `OK` or `PONG`. */
export class Status {
  constructor(readonly value: string) {}
}

/**
 * A double reply: a bulk string in RESP2, `,` in RESP3. `text`, when given, is
 * the exact text Redis prints for it (GEOPOS coordinates use `%.17Lf`, not the
 * shortest form).
 */
export class Double {
  constructor(
    readonly value: number,
    readonly text?: string,
  ) {}
}

/** A map reply: a flat array `[k1, v1, k2, v2, ...]` in RESP2, `%` in RESP3. */
export class MapReply {
  constructor(readonly entries: Reply[]) {}
}

/** A set reply: an array in RESP2, `~` in RESP3. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/** A verbatim string (INFO, CLIENT LIST...): a bulk string in RESP2, `=` in RESP3. */
export class Verbatim {
  constructor(readonly value: string, readonly format = 'txt') {}
}

/** A big number (only scripts make them: `{big_number = '…'}`): a bulk string in RESP2, `(` in RESP3. */
export class BigNumber {
  constructor(readonly value: string) {}
}

/** A boolean: integer 1/0 in RESP2, `#t`/`#f` in RESP3. */
export class Bool {
  constructor(readonly value: boolean) {}
}

/** The nil array (`*-1` in RESP2, `_` in RESP3), as BLPOP's timeout or EXEC's aborted transaction send. */
export const NULL_ARRAY: unique symbol = Symbol('null-array')
export type NullArray = typeof NULL_ARRAY

/** A push message (pub/sub in RESP3: `>`; an array in RESP2). */
export class Push {
  constructor(readonly items: Reply[]) {}
}

/**
 * Several top-level replies for one command (SUBSCRIBE a b c answers once per channel). Doors
 * write each in turn. Inside EXEC's array it stays one item, as in Redis: the array counts queued
 * commands, so its header says one element where this writes several.
 */
export class Replies {
  constructor(readonly list: Reply[]) {}
}

/** An error inside an array (EXEC results, script error tables). */
export type ErrorReply = import('./errors.js').ReplyError

export type Reply =
  | string
  | Buffer
  | number
  | bigint
  | null
  | Reply[]
  | Status
  | Double
  | MapReply
  | SetReply
  | Verbatim
  | BigNumber
  | Bool
  | Push
  | NullArray
  | ErrorReply

export const OK = new Status('OK')
export const QUEUED = new Status('QUEUED')
export const PONG = new Status('PONG')
