/**
 * LZF, the compression RDB files use for long strings (type byte 0xC3).
 *
 * Stream format: a control byte `c`; c < 32 → copy the next c+1 bytes; else a
 * back-reference of length (c >> 5) + 2 (7 → one more length byte is added)
 * at distance ((c & 31) << 8 | next byte) + 1 in the output. The compressor
 * is a greedy hash-chain-free LZ77 of the same shape as liblzf (3-byte hash,
 * offsets below 8192, matches up to 264 bytes); its output differs from
 * Redis's byte for byte but any LZF decoder reads it.
 */
import { Buffer } from 'node:buffer'


const HLOG = 14
const HSIZE = 1 << HLOG
const MAX_LIT = 32
const MAX_OFF = 1 << 13
const MAX_REF = (1 << 8) + (1 << 3) // 264

/**
 * Candidate positions by hash. Entries are `base + position`; `base` moves
 * past every input, so stale entries from earlier calls are recognised
 * (they are below the current base) without clearing the table.
 */
const htab = new Int32Array(HSIZE)
let base = 1

/**
 * Compresses `input[start..end)` into `out` from `outAt`, using at most
 * `limit` bytes. Returns the compressed length, or 0 when it would not fit
 * (Redis then stores the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, start: number, end: number, out: Uint8Array, outAt: number, limit: number): number {
  const n = end - start
  if (n < 4 || limit < 2) return 0
  if (base > 0x7fffffff - n - 16) {
    htab.fill(0)
    base = 1
  }
  const b0 = base - start
  base += n + 1
  const opEnd = outAt + limit
  let op = outAt + 1 // room for the first literal run's control byte
  let lit = 0
  let ip = start
  const last = end - 2
  while (ip < last) {
    const h = (((input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!) * 2654435761) >>> (32 - HLOG)
    const cand = htab[h]! - b0
    htab[h] = ip + b0
    const off = ip - cand - 1
    if (
      cand >= start &&
      off < MAX_OFF &&
      input[cand] === input[ip] &&
      input[cand + 1] === input[ip + 1] &&
      input[cand + 2] === input[ip + 2]
    ) {
      // Extend the match.
      let len = 3
      const maxLen = Math.min(MAX_REF, end - ip)
      while (len < maxLen && input[cand + len] === input[ip + len]) len++
      // Close the pending literal run (or take back its unused control byte).
      if (lit > 0) out[op - lit - 1] = lit - 1
      else op--
      if (op + 3 + 1 > opEnd) return 0
      const l = len - 2
      if (l < 7) out[op++] = (off >>> 8) + (l << 5)
      else {
        out[op++] = (off >>> 8) + (7 << 5)
        out[op++] = l - 7
      }
      out[op++] = off & 0xff
      op++ // control byte of the next literal run
      lit = 0
      ip += len
      // Index the last two positions of the match so runs keep matching.
      if (ip < last) {
        const p = ip - 1
        htab[(((input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!) * 2654435761) >>> (32 - HLOG)] = p + b0
      }
      continue
    }
    if (op >= opEnd) return 0
    out[op++] = input[ip++]!
    if (++lit === MAX_LIT) {
      out[op - lit - 1] = MAX_LIT - 1
      lit = 0
      op++
    }
  }
  while (ip < end) {
    if (op >= opEnd) return 0
    out[op++] = input[ip++]!
    if (++lit === MAX_LIT) {
      out[op - lit - 1] = MAX_LIT - 1
      lit = 0
      op++
    }
  }
  if (lit > 0) out[op - lit - 1] = lit - 1
  else op--
  if (op > opEnd) return 0
  return op - outAt
}

/**
 * Decompresses `input[start..end)` into a new buffer of exactly `outLen`
 * bytes. Returns undefined when the stream is malformed (a reference before
 * the start, output longer or shorter than announced, input cut short).
 */
export function lzfDecompress(input: Uint8Array, start: number, end: number, outLen: number): Buffer | undefined {
  const out = Buffer.allocUnsafe(outLen)
  let ip = start
  let op = 0
  while (ip < end) {
    const ctrl = input[ip++]!
    if (ctrl < 32) {
      const len = ctrl + 1
      if (op + len > outLen || ip + len > end) return undefined
      for (let i = 0; i < len; i++) out[op++] = input[ip++]!
      continue
    }
    let len = ctrl >>> 5
    if (len === 7) {
      if (ip >= end) return undefined
      len += input[ip++]!
    }
    if (ip >= end) return undefined
    const ref = op - ((ctrl & 0x1f) << 8) - input[ip++]! - 1
    len += 2
    if (ref < 0 || op + len > outLen) return undefined
    // Byte by byte: the source may overlap the bytes being written.
    for (let i = 0; i < len; i++) out[op++] = out[ref + i]!
  }
  return op === outLen ? out : undefined
}
