/**
 * Damaged input — truncated, bit-flipped, garbage — in RDB files, AOF files
 * and DUMP payloads: always a clear error naming the file and offset, nothing
 * half-loaded, never a crash.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { ReplyError } from '../../src/core/errors.js'
import { aofFile, attachPersistence, RdbError, rdbFile } from '../../src/persistence/index.js'
import { AofError } from '../../src/persistence/aof.js'
import { Crc64 } from '../../src/persistence/rdb/crc64.js'
import { datasetCommands, sessionSender } from './dataset.js'
import { cleanup, FIXTURES, newStore, tempDir } from './helpers.js'

afterAll(() => cleanup())

const valkeyRdb = readFileSync(join(FIXTURES, 'valkey.rdb'))

/** Our own RDB of the dataset (different choices from valkey's: LZF output, encodings written). */
const ownRdb = ((): Buffer => {
  const dir = tempDir('own')
  const path = join(dir, 'dump.rdb')
  const s = newStore({ persistence: rdbFile({ path }) })
  const send = sessionSender(s.session())
  for (const argv of datasetCommands()) send(argv)
  s.save()
  return readFileSync(path)
})()

type Mutation = { kind: 'truncate'; at: number } | { kind: 'flip'; at: number; bit: number } | { kind: 'garbage'; at: number; bytes: number[] }

const mutation = (len: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: len - 1 }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: len - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('garbage' as const), at: fc.integer({ min: 0, max: len - 1 }), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  )

function mutate(b: Buffer, m: Mutation): Buffer {
  if (m.kind === 'truncate') return Buffer.from(b.subarray(0, m.at))
  const c = Buffer.from(b)
  if (m.kind === 'flip') c[m.at]! ^= 1 << m.bit
  else for (let i = 0; i < m.bytes.length && m.at + i < c.length; i++) c[m.at + i] = m.bytes[i]!
  return c
}

const isEmpty = (s: ReturnType<typeof newStore>): boolean => s.ks.dbs.every((d) => d.size === 0)

describe('RDB files', () => {
  for (const [name, image] of [
    ['written by valkey', valkeyRdb],
    ['written here', ownRdb],
  ] as const) {
    it(`${name}: any truncation, bit flip or garbage is refused with file and offset, leaving the store empty`, () => {
      const dir = tempDir('bad')
      const path = join(dir, 'dump.rdb')
      fc.assert(
        fc.property(mutation(image.length), (m) => {
          const bad = mutate(image, m)
          if (bad.equals(image)) return
          writeFileSync(path, bad)
          const s = newStore()
          let err: unknown
          try {
            attachPersistence(s, rdbFile({ path }))
          } catch (e) {
            err = e
          }
          // A change inside the checksum-covered bytes is always caught by the checksum at worst.
          expect(err).toBeInstanceOf(RdbError)
          expect((err as RdbError).message).toMatch(/dump\.rdb: .+ at offset \d+$/)
          expect((err as RdbError).offset).toBeLessThanOrEqual(bad.length)
          expect(isEmpty(s)).toBe(true)
          s.close()
        }),
        { numRuns: 300 },
      )
    })
  }

  it('with the checksum recomputed, damage inside values is still refused cleanly or loads whole', () => {
    const dir = tempDir('bad')
    const path = join(dir, 'dump.rdb')
    fc.assert(
      fc.property(fc.integer({ min: 9, max: ownRdb.length - 10 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bad = Buffer.from(ownRdb)
        bad[at]! ^= 1 << bit
        new Crc64().update(bad, 0, bad.length - 8).bytesLE().copy(bad, bad.length - 8)
        writeFileSync(path, bad)
        const s = newStore()
        try {
          attachPersistence(s, rdbFile({ path }))
        } catch (e) {
          expect(e).toBeInstanceOf(RdbError)
          expect(isEmpty(s)).toBe(true)
        }
        s.close()
      }),
      { numRuns: 300 },
    )
  })

  it('garbage that is not an RDB file at all', () => {
    const dir = tempDir('bad')
    const path = join(dir, 'dump.rdb')
    for (const [bytes, msg] of [
      [Buffer.from('hello world'), 'dump.rdb: not an RDB file (wrong signature) at offset 0'],
      [Buffer.from('REDIS0012'), "dump.rdb: can't handle RDB format version 0012 at offset 5"],
      [Buffer.from('REDIS00xx'), "dump.rdb: can't handle RDB format version 00xx at offset 5"],
      [Buffer.from('REDIS0011'), 'dump.rdb: unexpected end of data at offset 9'],
      [Buffer.from([]), 'dump.rdb: not an RDB file (wrong signature) at offset 0'],
    ] as const) {
      writeFileSync(path, bytes)
      expect(() => newStore({ persistence: rdbFile({ path }) })).toThrow(msg)
    }
  })
})

describe('AOF files', () => {
  it('any damage to the incremental file: refused with file and offset, or (a cut tail) repaired; never half a transaction', () => {
    const src = tempDir('aof')
    const s = newStore({ persistence: aofFile({ dir: src, fsync: 'always' }) })
    const t = s.session()
    for (let i = 0; i < 30; i++) {
      t.execute(['MULTI'])
      t.execute(['SET', `k${i}`, `v${i}`])
      t.execute(['INCR', 'count'])
      t.execute(['EXEC'])
    }
    s.close()
    const incr = readFileSync(join(src, 'appendonlydir', 'appendonly.aof.1.incr.aof'))
    fc.assert(
      fc.property(mutation(incr.length), (m) => {
        const dir = tempDir('aofbad')
        copyFileSync(join(src, 'appendonlydir', 'appendonly.aof.manifest'), join(dir, 'm'))
        const d = join(dir, 'appendonlydir')
        mkdirSync(d, { recursive: true })
        copyFileSync(join(src, 'appendonlydir', 'appendonly.aof.1.base.rdb'), join(d, 'appendonly.aof.1.base.rdb'))
        copyFileSync(join(dir, 'm'), join(d, 'appendonly.aof.manifest'))
        writeFileSync(join(d, 'appendonly.aof.1.incr.aof'), mutate(incr, m))
        const store = newStore()
        try {
          attachPersistence(store, aofFile({ dir, onWarning: () => {} }))
        } catch (e) {
          expect(e instanceof AofError || e instanceof RdbError).toBe(true)
          expect((e as Error).message).toMatch(/appendonly\.aof\.1\.incr\.aof: .+ at offset \d+$/)
          expect(isEmpty(store)).toBe(true)
          return
        }
        // Loaded: whatever survived is whole transactions only (a flipped byte inside a value
        // may change that value, but never splits a transaction).
        const count = Number(store.get('count') ?? 0)
        let ks = 0
        for (let i = 0; i < 30; i++) if (store.exists(`k${i}`)) ks++
        if (m.kind === 'truncate') expect(ks).toBe(count)
        store.close()
      }),
      { numRuns: 150 },
    )
  })
})

describe('DUMP payloads', () => {
  const s = newStore()
  const send = sessionSender(s.session())
  for (const argv of datasetCommands()) send(argv)
  const payloads = ['s:lzf', 'l:small', 'l:big', 'set:int64', 'set:lp', 'set:ht', 'z:lp', 'z:sl', 'h:lp', 'h:ht', 'x:groups', 'x:big'].map((k) => s.dump(k)!)

  it('any damage is refused with one of RESTORE’s two errors, creating nothing', () => {
    const t = newStore()
    fc.assert(
      fc.property(fc.integer({ min: 0, max: payloads.length - 1 }), fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (i, fixCrc, pos, bit) => {
        const p = Buffer.from(payloads[i]!)
        const at = pos % p.length
        p[at]! ^= 1 << bit
        if (fixCrc) new Crc64().update(p, 0, p.length - 8).bytesLE().copy(p, p.length - 8)
        try {
          t.call('RESTORE', 'target', '0', p, 'REPLACE')
        } catch (e) {
          expect(e).toBeInstanceOf(ReplyError)
          expect(['ERR DUMP payload version or checksum are wrong', 'ERR Bad data format']).toContain((e as ReplyError).message)
          expect(t.exists('target')).toBe(0)
          return
        }
        // Loaded (a flip inside a value, checksum recomputed): the key is whole and usable.
        expect(t.exists('target')).toBe(1)
        t.call('DEL', 'target')
      }),
      { numRuns: 500 },
    )
  })

  it('random bytes with a valid footer are refused as bad data', () => {
    const t = newStore()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200, size: 'max' }), (body) => {
        const b = Buffer.concat([Buffer.from(body), Buffer.from([11, 0])])
        const p = Buffer.concat([b, new Crc64().update(b).bytesLE()])
        try {
          t.call('RESTORE', 'r', '0', p, 'REPLACE')
          t.call('DEL', 'r')
        } catch (e) {
          expect((e as ReplyError).message).toBe('ERR Bad data format')
        }
      }),
      { numRuns: 500 },
    )
  })
})
