import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { ReplyError } from '../../src/core/errors.js'
import {
  HLL_DENSE_SIZE,
  HLL_REGISTERS,
  hllAdd,
  hllCacheValid,
  hllCount,
  hllCountRegisters,
  hllCreate,
  hllDecodeSparse,
  hllEncoding,
  hllErrors,
  hllEstimate,
  hllFromRegisters,
  hllHash,
  hllInvalidateCache,
  hllIsDense,
  hllMergeInto,
  hllNewRegisters,
  hllPatLen,
  hllRegisters,
  hllSelfTest,
  hllStoreRegisters,
  hllToDense,
  isValidHll,
} from '../../src/types/hyperloglog.js'
import { HLL_ADD_CASES, HLL_CRAFTED, hllSession, range, watchedKey, type HllSessionSpec } from '../fixtures/hll/gen.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/hll')

// ---------------------------------------------------------------------------
// A tiny PF* command layer over the module, the way the command table uses it,
// so recorded server sessions can be replayed.

type Reply = number | bigint | string | { error: string }

const errText = (msg: string): string => (msg.startsWith('-') ? msg.slice(1) : 'ERR ' + msg)

function run(db: Map<string, Buffer>, argv: Array<string | Buffer>, sparseMax: number): Reply {
  const cmd = String(argv[0]).toUpperCase()
  const key = (i: number): string => String(argv[i])
  try {
    if (cmd === 'PFADD') {
      let v = db.get(key(1))
      let created = false
      if (v === undefined) {
        v = hllCreate()
        created = true
      } else if (!isValidHll(v)) return { error: errText(hllErrors.WRONGTYPE) }
      const r = hllAdd(v, argv.slice(2) as Buffer[], sparseMax)
      db.set(key(1), r.buf)
      if (r.corrupt) return { error: errText(hllErrors.INVALID) }
      return created || r.changed ? 1 : 0
    }
    if (cmd === 'PFCOUNT') {
      if (argv.length > 2) {
        const regs = hllNewRegisters()
        for (let i = 1; i < argv.length; i++) {
          const v = db.get(key(i))
          if (v === undefined) continue
          if (!isValidHll(v)) return { error: errText(hllErrors.WRONGTYPE) }
          hllMergeInto(regs, v)
        }
        return hllCountRegisters(regs)
      }
      const v = db.get(key(1))
      if (v === undefined) return 0
      if (!isValidHll(v)) return { error: errText(hllErrors.WRONGTYPE) }
      return hllCount(v).count
    }
    if (cmd === 'PFMERGE') {
      const regs = hllNewRegisters()
      let useDense = false
      for (let i = 1; i < argv.length; i++) {
        const v = db.get(key(i))
        if (v === undefined) continue
        if (!isValidHll(v)) return { error: errText(hllErrors.WRONGTYPE) }
        if (hllIsDense(v)) useDense = true
        hllMergeInto(regs, v)
      }
      db.set(key(1), hllStoreRegisters(db.get(key(1)) ?? null, regs, useDense, sparseMax))
      return 'OK'
    }
    if (cmd === 'PFDEBUG') {
      const sub = String(argv[1]).toUpperCase()
      const v = db.get(key(2))!
      if (!isValidHll(v)) return { error: errText(hllErrors.WRONGTYPE) }
      if (sub === 'TODENSE') {
        const d = hllToDense(v)
        db.set(key(2), d)
        return d === v ? 0 : 1
      }
      if (sub === 'DECODE') return hllDecodeSparse(v)
      if (sub === 'ENCODING') return hllEncoding(v)
    }
  } catch (e) {
    if (e instanceof ReplyError) return { error: e.message }
    throw e
  }
  throw new Error('unsupported ' + cmd)
}

/** Equality of register arrays without a slow element-by-element deep compare. */
const sameRegs = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')
const small = (b: Buffer | undefined): string | null =>
  b === undefined ? null : b.length <= 4000 ? b.toString('base64') : 'sha1:' + sha1(b)
const recorded = (r: unknown): Reply =>
  r !== null && typeof r === 'object' && 'bigint' in r ? BigInt((r as { bigint: string }).bigint) : (r as Reply)

// ---------------------------------------------------------------------------

/** Straightforward MurmurHash64A on BigInt, to check the 32-bit-halves version. */
function murmurRef(data: Uint8Array): bigint {
  const M = 0xc6a4a7935bd1e995n
  const MASK = (1n << 64n) - 1n
  let h = (0xadc83b19n ^ (BigInt(data.length) * M)) & MASK
  const nb = data.length >> 3
  for (let b = 0; b < nb; b++) {
    let k = 0n
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data[b * 8 + j]!)
    k = (k * M) & MASK
    k ^= k >> 47n
    k = (k * M) & MASK
    h ^= k
    h = (h * M) & MASK
  }
  const tail = data.length & 7
  if (tail) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data[nb * 8 + j]!) << BigInt(8 * j)
    h = (h * M) & MASK
  }
  h ^= h >> 47n
  h = (h * M) & MASK
  h ^= h >> 47n
  return h
}

describe('hash and register choice', () => {
  it('matches the recorded MurmurHash64A vectors', () => {
    const vectors: Array<[string, string, number, number]> = [
      ['', 'd8dfea6585bc9732', 5938, 2],
      ['a', '53d2470a9b43b1a7', 12711, 2],
      ['hello', '0f656f01eecfe400', 9216, 1],
      ['foobar', '34483c0f34a20776', 1910, 4],
      ['Hello, World!!', '002378e2abbb1b4f', 6991, 3],
    ]
    for (const [s, hex, index, count] of vectors) {
      expect(hllHash(Buffer.from(s)).toString(16).padStart(16, '0')).toBe(hex)
      expect(hllPatLen(Buffer.from(s))).toEqual({ index, count })
      expect(hllPatLen(s)).toEqual({ index, count })
    }
  })

  it('agrees with a BigInt reference on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70, size: 'max' }), (data) => {
        const ref = murmurRef(data)
        expect(hllHash(data)).toBe(ref)
        const { index, count } = hllPatLen(Buffer.from(data))
        expect(index).toBe(Number(ref & 16383n))
        let rest = (ref >> 14n) | (1n << 50n)
        let c = 1
        while ((rest & 1n) === 0n) {
          rest >>= 1n
          c++
        }
        expect(count).toBe(c)
      }),
      { numRuns: 500 },
    )
  })

  it('hashes a string as its UTF-8 bytes', () => {
    for (const s of ['é', '日本語テキスト', 'x'.repeat(300)]) {
      expect(hllPatLen(s)).toEqual(hllPatLen(Buffer.from(s, 'utf8')))
    }
  })
})

describe('values', () => {
  it('creates the empty sparse value PFADD stores', () => {
    expect(hllCreate().toString('hex')).toBe('48594c4c01000000000000000000008' + '07fff')
    expect(isValidHll(hllCreate())).toBe(true)
    expect(hllEncoding(hllCreate())).toBe('sparse')
  })

  it('matches the reference bytes for a b c d e f g, before and after PFCOUNT', () => {
    const r = hllAdd(hllCreate(), 'abcdefg'.split(''))
    expect(r.changed).toBe(true)
    expect(r.buf.toString('hex')).toBe('48594c4c010000000000000000000080466d80560c80443c84388050b184498c80426d80425a')
    expect(hllCacheValid(r.buf)).toBe(false)
    expect(hllCount(r.buf)).toEqual({ count: 7, modified: true })
    expect(r.buf.subarray(8, 16).toString('hex')).toBe('0700000000000000')
    expect(hllCount(r.buf)).toEqual({ count: 7, modified: false })
    // Adding what is already there changes nothing, not even the cache.
    const again = hllAdd(r.buf, ['a', 'g'])
    expect(again.changed).toBe(false)
    expect(hllCacheValid(again.buf)).toBe(true)
  })

  it('matches the reference cardinalities', () => {
    let a = hllAdd(hllCreate(), range(1, 1000)).buf
    expect(hllEncoding(a)).toBe('sparse')
    expect(a.length).toBe(1922)
    expect(hllCount(a).count).toBe(1001)
    a = hllAdd(hllCreate(), range(1, 100000)).buf
    expect(hllEncoding(a)).toBe('dense')
    expect(a.length).toBe(HLL_DENSE_SIZE)
    expect(hllCount(a).count).toBe(99562)
    const b = hllAdd(hllCreate(), range(50001, 150000)).buf
    expect(hllCount(b).count).toBe(100781)
    const regs = hllNewRegisters()
    hllMergeInto(regs, a)
    hllMergeInto(regs, b)
    expect(hllCountRegisters(regs)).toBe(150041)
    const users: string[] = []
    for (let i = 1; i <= 10000; i++) users.push('user:' + i)
    expect(hllCount(hllAdd(hllCreate(), users).buf).count).toBe(10089)
  }, 30_000)

  it('validates headers as isHLLObjectOrReply does', () => {
    const dense = hllToDense(hllCreate())
    expect(isValidHll(dense)).toBe(true)
    expect(isValidHll(Buffer.from('HYLL'))).toBe(false)
    expect(isValidHll(Buffer.concat([Buffer.from('HYLX'), Buffer.alloc(14)]))).toBe(false)
    const enc2 = hllCreate()
    enc2[4] = 2
    expect(isValidHll(enc2)).toBe(false)
    expect(isValidHll(dense.subarray(0, HLL_DENSE_SIZE - 1))).toBe(false)
    expect(isValidHll(Buffer.concat([dense, Buffer.alloc(1)]))).toBe(false)
    // A sparse value is only checked when decoded.
    expect(isValidHll(hllCreate().subarray(0, 16))).toBe(true)
  })

  it('converts to dense keeping the header and registers', () => {
    const s = hllAdd(hllCreate(), range(1, 200)).buf
    hllCount(s)
    const d = hllToDense(s)
    expect(d).not.toBe(s)
    expect(hllEncoding(d)).toBe('dense')
    expect(d.subarray(8, 16)).toEqual(s.subarray(8, 16))
    expect(sameRegs(hllRegisters(d), hllRegisters(s))).toBe(true)
    expect(hllToDense(d)).toBe(d)
    expect(() => hllDecodeSparse(d)).toThrow('ERR HLL encoding is not sparse')
  })

  it('rebuilds values from registers, sparse or dense', () => {
    const src = hllAdd(hllCreate(), range(1, 500)).buf
    const regs = hllRegisters(src)
    const sparse = hllFromRegisters(regs, true)
    expect(sparse.subarray(16)).toEqual(src.subarray(16))
    const dense = hllFromRegisters(regs)
    expect(hllToDense(src).subarray(16)).toEqual(dense.subarray(16))
    expect(hllEstimate(dense)).toBe(hllEstimate(src))
  })

  it('keeps sparse and dense in agreement (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 400, size: 'max' }),
        fc.integer({ min: 20, max: 5000 }),
        (els, max) => {
          const bufs = els.map((e) => Buffer.from(e))
          const s = hllAdd(hllCreate(), bufs, max)
          const d = hllAdd(hllToDense(hllCreate()), bufs, max)
          expect(sameRegs(hllRegisters(s.buf), hllRegisters(d.buf))).toBe(true)
          expect(hllEstimate(s.buf)).toBe(hllEstimate(d.buf))
          if (hllEncoding(s.buf) === 'sparse') expect(s.buf.length).toBeLessThanOrEqual(Math.max(max, 18))
          // Adding the same elements again never changes anything.
          expect(hllAdd(s.buf, bufs, max).changed).toBe(false)
          // Set-union semantics: split adds end at the same value.
          const half = bufs.length >> 1
          const s2 = hllAdd(hllAdd(hllCreate(), bufs.slice(0, half), max).buf, bufs.slice(half), max)
          expect(sameRegs(hllRegisters(s2.buf), hllRegisters(s.buf))).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  }, 30_000)

  it('throws INVALIDOBJ on corrupt sparse contents', () => {
    const bad = Buffer.concat([hllCreate().subarray(0, 16), Buffer.from([0x7f, 0xfe])])
    expect(() => hllCount(bad)).toThrow(hllErrors.INVALID.slice(1))
    expect(() => hllMergeInto(hllNewRegisters(), bad)).toThrow(ReplyError)
    expect(() => hllToDense(bad)).toThrow(ReplyError)
    expect(() => hllRegisters(bad)).toThrow(ReplyError)
    // No opcodes at all: nothing covers the register.
    const empty = hllCreate().subarray(0, 16)
    const r = hllAdd(Buffer.from(empty), ['a'])
    expect(r).toMatchObject({ changed: false, corrupt: true })
  })

  it('passes the self test', () => {
    expect(hllSelfTest(3000, 3, 200_000)).toBeNull()
  }, 30_000)

  it('invalidates the cache bit only', () => {
    const b = hllCreate()
    b[15] = 0
    b[8] = 5
    expect(hllCacheValid(b)).toBe(true)
    hllInvalidateCache(b)
    expect(hllCacheValid(b)).toBe(false)
    expect(b[8]).toBe(5)
    expect(HLL_REGISTERS).toBe(16384)
  })
})

// ---------------------------------------------------------------------------
// Replays of sessions recorded from the real server.

const sessions = readFileSync(join(fixtures, 'sessions.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as HllSessionSpec & { steps: Array<[unknown, string | null]> })

describe('recorded PFADD / PFCOUNT / PFMERGE sessions', () => {
  it.each(sessions.map((s) => [s.seed, s] as const))('session %i', (_seed, s) => {
    const db = new Map<string, Buffer>()
    let i = 0
    for (const op of hllSession(s)) {
      const argv =
        op.op === 'pfadd'
          ? ['PFADD', op.key, ...op.elements]
          : op.op === 'pfcount'
            ? ['PFCOUNT', ...op.keys]
            : ['PFMERGE', op.dest, ...op.srcs]
      const reply = run(db, argv, s.sparseMax)
      const [expReply, expSha] = s.steps[i]!
      expect(reply, `step ${i} ${op.op}`).toEqual(recorded(expReply))
      const w = watchedKey(op)
      const v = w === null ? undefined : db.get(w)
      expect(v === undefined ? null : sha1(v), `step ${i} ${op.op} value`).toBe(expSha)
      i++
    }
    expect(i).toBe(s.steps.length)
  }, 30_000)
})

describe('recorded values', () => {
  const values = JSON.parse(readFileSync(join(fixtures, 'values.json'), 'utf8')) as {
    adds: Array<{ name: string; reply: number; before: string; count: number; after: string }>
    merges: Array<{ a: [number, number]; b: [number, number]; d: string[]; d_after: string }>
    crafted: Array<{ name: string; results: Array<{ cmd: string[]; reply: unknown; value: string | null }> }>
  }

  it.each(HLL_ADD_CASES.map((c, i) => [c.name, c, i] as const))('PFADD %s', (_n, c, i) => {
    const exp = values.adds[i]!
    const db = new Map<string, Buffer>()
    expect(run(db, ['PFADD', 'v', ...c.elements], c.sparseMax)).toBe(exp.reply)
    expect(small(db.get('v'))).toBe(exp.before)
    expect(run(db, ['PFCOUNT', 'v'], c.sparseMax)).toBe(exp.count)
    expect(small(db.get('v'))).toBe(exp.after)
  })

  it('PFMERGE of sparse values', () => {
    for (const m of values.merges) {
      const db = new Map<string, Buffer>()
      run(db, ['PFADD', 'a', ...range(m.a[0], m.a[1])], 3000)
      run(db, ['PFADD', 'b', ...range(m.b[0], m.b[1])], 3000)
      run(db, ['PFADD', 'd', ...m.d], 3000)
      expect(run(db, ['PFMERGE', 'd', 'a', 'b'], 3000)).toBe('OK')
      expect(db.get('d')!.toString('base64')).toBe(m.d_after)
    }
  })

  it.each(HLL_CRAFTED.map((c, i) => [c.name, c, i] as const))('hand-made value: %s', (_n, c, i) => {
    const exp = values.crafted[i]!
    expect(exp.name).toBe(c.name)
    const db = new Map<string, Buffer>([['c', Buffer.from(c.value)]])
    c.commands.forEach((cmd, j) => {
      const e = exp.results[j]!
      expect(run(db, cmd, 3000), cmd.slice(0, 3).join(' ')).toEqual(recorded(e.reply))
      const target = cmd[0] === 'PFMERGE' ? cmd[1]! : 'c'
      expect(small(db.get(target)), cmd.slice(0, 3).join(' ') + ' value').toBe(e.value)
    })
  })
})
