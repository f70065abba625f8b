import { Buffer, isUtf8 } from 'node:buffer'

/**
 * Keys, members and fields are kept as JavaScript strings so they can be `Map`
 * keys. The mapping from Redis's byte strings is one-to-one:
 *  - bytes that are valid UTF-8 → the decoded string;
 *  - any other bytes → BIN_MARK followed by the bytes as latin1 characters.
 * A lone surrogate can never come out of decoding valid UTF-8, so a marked
 * string never equals a decoded one; strings given by callers that contain lone
 * surrogates are first normalised to the bytes Redis would receive for them.
 */
export const BIN_MARK = '\uDC00'

/** A key, member, field or value as callers may pass it: a string (UTF-8), or bytes (a Buffer or any Uint8Array). */
export type Bytes = string | Uint8Array

/** The canonical string form of a key/member given as a string or a Buffer. */
export function keyOf(k: Bytes): string {
  if (typeof k === 'string') return k.isWellFormed() ? k : Buffer.from(k, 'utf8').toString('utf8')
  return bufferKey(k)
}

/**
 * A key for a read-only lookup, without keyOf's well-formedness check on the hit path. Stored keys
 * are canonical (well-formed, or BIN_MARK + latin1), so a string that does not begin with BIN_MARK
 * can match only itself: if it is ill-formed it matches nothing, and `Database.read` looks its
 * canonical form up on the miss.
 */
export function readKey(k: Bytes): string {
  if (typeof k === 'string') return k.charCodeAt(0) !== 0xdc00 ? k : keyOf(k)
  return bufferKey(k)
}

/** Bytes as a command argument (a string, or a Buffer): a Uint8Array that is not a Buffer is viewed as one, without a copy. */
export function asArg(b: Bytes): string | Buffer {
  if (typeof b === 'string' || Buffer.isBuffer(b)) return b
  if (b instanceof Uint8Array) return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  return notBytes(b)
}

/** What an untyped caller gets for a key, member or value that is not a string or bytes. */
function notBytes(v: unknown): never {
  const what =
    v === null || v === undefined ? String(v) : Array.isArray(v) ? 'an array' : typeof v === 'object' ? `an instance of ${(v as object).constructor?.name ?? 'Object'}` : `a ${typeof v}`
  throw new TypeError(`expected a string, Buffer or Uint8Array, got ${what}`)
}

/** The canonical string form of a byte buffer. */
export function bufferKey(b: Uint8Array): string {
  const buf = asArg(b) as Buffer
  if (isUtf8(buf)) return buf.toString('utf8')
  return BIN_MARK + buf.toString('latin1')
}

/** The bytes of a canonical key string. */
export function keyBytes(k: string): Buffer {
  if (k.charCodeAt(0) === 0xdc00) return Buffer.from(k.slice(1), 'latin1')
  return Buffer.from(k, 'utf8')
}

/** True when the canonical key string stands for non-UTF-8 bytes. */
export const isBinaryKey = (k: string): boolean => k.charCodeAt(0) === 0xdc00

/** A stored string value: a JS string (meaning its UTF-8 bytes) or raw bytes. */
export type StrValue = string | Buffer

/**
 * A string key's stored value: bytes, or a safe integer that INCR and its kin keep unformatted
 * (Redis's int encoding), so a counter is not parsed and printed on every increment.
 */
export type StoredStr = StrValue | number

/** A string key's value as bytes: a kept integer is printed. */
export const strOf = (v: StoredStr): StrValue => (typeof v === 'number' ? String(v) : v)

/** Byte length of a stored string value. */
export function byteLength(v: StrValue): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length
}

/** Bytes of a stored string value (a copy is not guaranteed). */
export function toBuffer(v: StrValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

/**
 * A stored value's bytes in a Buffer of the caller's own: a stored Buffer may be written in place
 * later (SETBIT, APPEND…), and the caller's writes must not reach the store.
 */
export function bytesOut(v: StrValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v)
}

/** A stored value as a JS string (lossy for non-UTF-8 bytes, like `Buffer#toString`). */
export function toStr(v: StrValue): string {
  return typeof v === 'string' ? v : v.toString('utf8')
}

/** A value argument as it is stored: strings as they are, Buffers copied (callers may reuse theirs). */
export function ownValue(v: Bytes): StrValue {
  // A string with lone surrogates is normalised to the bytes Redis would store, so no stored
  // value string can start like a marked key string.
  if (typeof v === 'string') return v.isWellFormed() ? v : Buffer.from(v, 'utf8').toString('utf8')
  if (v instanceof Uint8Array) return Buffer.from(v)
  return notBytes(v)
}

/** A reply string's bytes if it is a marked binary string, else the string itself. */
export function replyString(s: string): string | Buffer {
  return s.charCodeAt(0) === 0xdc00 ? Buffer.from(s.slice(1), 'latin1') : s
}

/** Byte-wise equality of two stored values. */
export function bytesEqual(a: StrValue, b: StrValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b
  return toBuffer(a).equals(toBuffer(b))
}

/** Text of a key for messages (errors quote keys as their bytes). */
export function keyText(k: string): string {
  return isBinaryKey(k) ? k.slice(1) : k
}
