/** Shared helpers for the persistence tests: temporary directories, stores described as data, payload building. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Store } from '../../src/index.js'
import type { StoreOptions } from '../../src/store-core.js'
import { Crc64 } from '../../src/persistence/rdb/crc64.js'
import { RdbOutput } from '../../src/persistence/rdb/output.js'
import { CONFIG, contentsOf, sessionSender, type Contents, type ContentsOptions } from './dataset.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

/** Reads a recorded JSON fixture. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T
}

const made: string[] = []

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(tag = 'p'): string {
  const d = mkdtempSync(join(tmpdir(), `embedis-${tag}-`))
  made.push(d)
  return d
}

export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true })
}

/** A Store with the dataset's configuration (and no active expiry timer). */
export function newStore(opts: StoreOptions = {}): Store {
  return new Store({ activeExpiry: false, ...opts, config: { ...CONFIG, ...opts.config } })
}

/** A store's whole keyspace as data (through a separate session, so the store's own session is untouched). */
export function storeContents(store: Store, opts: ContentsOptions = {}): Promise<Contents> {
  return contentsOf(sessionSender(store.session()), opts)
}

/** Builds a DUMP payload: type byte, body, version, CRC-64. */
export function payload(type: number, body: (o: RdbOutput) => void, version = 11): Buffer {
  const o = new RdbOutput({ compression: false })
  o.u8(type)
  body(o)
  o.u8(version & 0xff)
  o.u8(version >> 8)
  const b = o.finish()
  return Buffer.concat([b, new Crc64().update(b).bytesLE()])
}

/** A ziplist blob of strings/integers (for files from Redis before 7.0). */
export function ziplist(items: Array<string | number>): Buffer {
  const entries: Buffer[] = []
  let prev = 0
  for (const it of items) {
    let enc: Buffer
    if (typeof it === 'number') {
      const b = Buffer.alloc(9)
      b[0] = 0xe0
      b.writeBigInt64LE(BigInt(it), 1)
      enc = b
    } else {
      const s = Buffer.from(it)
      if (s.length < 64) enc = Buffer.concat([Buffer.from([s.length]), s])
      else enc = Buffer.concat([Buffer.from([0x40 | (s.length >> 8), s.length & 0xff]), s])
    }
    const pl = prev < 254 ? Buffer.from([prev]) : Buffer.concat([Buffer.from([0xfe]), Buffer.from(Uint32Array.of(prev).buffer)])
    const e = Buffer.concat([pl, enc])
    entries.push(e)
    prev = e.length
  }
  const body = Buffer.concat(entries)
  const zl = Buffer.alloc(10 + body.length + 1)
  zl.writeUInt32LE(zl.length, 0)
  zl.writeUInt32LE(10 + body.length - prev, 4)
  zl.writeUInt16LE(items.length, 8)
  body.copy(zl, 10)
  zl[zl.length - 1] = 0xff
  return zl
}

/** The first path where two values differ, for readable failures. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
      if (d !== undefined) return d
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 300)} ≠ ${JSON.stringify(b)?.slice(0, 300)}`
}
