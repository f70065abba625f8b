/**
 * An error reply from a command, carrying Redis's exact error text.
 *
 * `message` is the text Redis sends after the leading `-` (for example
 * `WRONGTYPE Operation against a key holding the wrong kind of value`), so code
 * that matches on ioredis' `ReplyError#message` works unchanged.
 */
export class ReplyError extends Error {
  /**
   * Already counted in INFO errorstats: a script passing on the error of a redis.call, which was
   * counted when that command failed (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE).
   */
  counted = false

  constructor(message: string) {
    super(message)
    this.name = 'ReplyError'
  }

  /** The upper-case code word the message starts with (`ERR`, `WRONGTYPE`, ...). */
  get code(): string {
    const i = this.message.indexOf(' ')
    return i < 0 ? this.message : this.message.slice(0, i)
  }
}

/**
 * Builds a reply error the way Redis's addReplyError does: a message that does
 * not start with `-` gets the `ERR ` prefix; CR and LF become spaces.
 */
export function replyError(msg: string): ReplyError {
  const text = msg.charCodeAt(0) === 45 /* - */ ? msg.slice(1) : 'ERR ' + msg
  return new ReplyError(text.replace(/[\r\n]/g, ' '))
}

/** Throws `replyError(msg)`; typed `never` so control flow narrows after it. */
export function fail(msg: string): never {
  throw replyError(msg)
}

// Shared error texts (Redis's `shared.*` objects), as reply messages without the leading '-'.
export const E = {
  WRONGTYPE: '-WRONGTYPE Operation against a key holding the wrong kind of value',
  SYNTAX: 'syntax error',
  NOT_INTEGER: 'value is not an integer or out of range',
  NOT_FLOAT: 'value is not a valid float',
  OVERFLOW: 'increment or decrement would overflow',
  NO_SUCH_KEY: 'no such key',
  SAME_OBJECT: 'source and destination objects are the same',
  OUT_OF_RANGE_INDEX: 'index out of range',
  DB_INDEX: 'DB index is out of range',
  INVALID_CURSOR: 'invalid cursor',
  MUST_BE_POSITIVE: 'value is out of range, must be positive',
  MAX_SIZE: 'string exceeds maximum allowed size (proto-max-bulk-len)',
  OOM: "-OOM command not allowed when used memory > 'maxmemory'.",
  /** Writes refused after a failed background save (stop-writes-on-bgsave-error). */
  MISCONF:
    "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  BUSYKEY: '-BUSYKEY Target key name already exists.',
} as const

export const wrongType = (): never => fail(E.WRONGTYPE)
export const syntaxError = (): never => fail(E.SYNTAX)
export const arityError = (fullname: string): ReplyError =>
  replyError(`wrong number of arguments for '${fullname}' command`)
