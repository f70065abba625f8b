/// <reference path="./rdb/buffer-ext.d.ts" />
/**
 * `aofFile`: Redis 7's multi-part append-only file. A directory
 * (`appendonlydir`) holds a base (an RDB snapshot, `aof-base` = 1), the
 * incremental files with every write's effect as a RESP command (SELECT
 * when the database changes, absolute expire times, MULTI/EXEC around
 * transactions), and a manifest naming them. BGREWRITEAOF starts a new
 * incremental file at once and writes a new base from a background
 * snapshot, then swaps the manifest. Loading reads the base and then each
 * incremental file, as Redis does; a last command cut short is dropped (the
 * file is truncated to the last complete command) like Redis's
 * `aof-load-truncated yes`; any other damage is refused with the file and
 * byte offset named.
 */
import { Buffer } from 'node:buffer'
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  unlinkSync,
} from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getSystemErrorMap } from 'node:util'
import { isBinaryKey, keyBytes } from '../core/bytes.js'
import { ReplyError } from '../core/errors.js'
import type { Effect } from '../keyspace/keyspace.js'
import type { Session } from '../session.js'
import type { StoreCore } from '../store-core.js'
import { lower, resolveCommand } from '../commands/table.js'
import { installRdb, type AdapterContext, type LoadTarget, type PersistenceAdapter, type SaveSink, type Snapshot } from './adapter.js'
import { drive, fileSize, fsyncDir, rdbFileSink, rdbSteps, writeAll } from './file.js'
import { printable, toValue } from './rdb/reader.js'
import type { RdbWriteOptions } from './rdb/sink.js'
import { KeyspaceSnapshot } from './snapshot.js'

/** When appended commands reach the disk: after every write, about once a second, or when the OS decides. */
export type FsyncPolicy = 'always' | 'everysec' | 'no'

/** Options of `aofFile`. */
export interface AofFileOptions extends RdbWriteOptions {
  /** Working directory; the files live in `dir/dirname` (Redis's `dir` and `appenddirname`). */
  dir: string
  /** Directory of the AOF files inside `dir`. Default `appendonlydir`. */
  dirname?: string
  /** Base name of the files (`appendfilename`). Default `appendonly.aof`. */
  filename?: string
  /** `appendfsync`. Default `everysec`. */
  fsync?: FsyncPolicy
  /** Accept a last command cut short (dropping it), as Redis's `aof-load-truncated yes`. Default true. */
  loadTruncated?: boolean
  /**
   * Automatic rewrite once the files grew by this percentage since the last
   * rewrite (`auto-aof-rewrite-percentage`, default 100; 0 disables) and are
   * at least `autoRewriteMinSize` bytes (default 64 MB).
   */
  autoRewritePercentage?: number
  autoRewriteMinSize?: number
  /** Warnings while loading (a truncated file was repaired, ...). Default: `console.warn`. */
  onWarning?: (message: string) => void
}

/** A refused AOF: what is wrong, in which file, at which byte. */
export class AofError extends Error {
  constructor(
    readonly reason: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(`${file}: ${reason} at offset ${offset}`)
    this.name = 'AofError'
  }
}

// ---------------------------------------------------------------- manifest

type FileType = 'b' | 'h' | 'i'

interface AofInfo {
  name: string
  seq: number
  type: FileType
}

interface Manifest {
  base: AofInfo | undefined
  incrs: AofInfo[]
  history: AofInfo[]
}

/** Splits a manifest line into words, honouring "double" (with escapes) and 'single' quotes (sdssplitargs). */
function splitArgs(line: string): string[] | undefined {
  const out: string[] = []
  let i = 0
  const n = line.length
  for (;;) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++
    if (i >= n) return out
    let cur = ''
    if (line[i] === '"') {
      i++
      for (;;) {
        if (i >= n) return undefined
        const c = line[i]!
        if (c === '\\' && i + 1 < n) {
          const d = line[i + 1]!
          if (d === 'x' && i + 3 < n && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16))
            i += 4
            continue
          }
          cur += d === 'n' ? '\n' : d === 'r' ? '\r' : d === 't' ? '\t' : d === 'b' ? '\b' : d === 'a' ? '\x07' : d
          i += 2
          continue
        }
        if (c === '"') {
          i++
          if (i < n && line[i] !== ' ' && line[i] !== '\t') return undefined
          break
        }
        cur += c
        i++
      }
    } else if (line[i] === "'") {
      i++
      for (;;) {
        if (i >= n) return undefined
        const c = line[i]!
        if (c === '\\' && line[i + 1] === "'") {
          cur += "'"
          i += 2
          continue
        }
        if (c === "'") {
          i++
          if (i < n && line[i] !== ' ' && line[i] !== '\t') return undefined
          break
        }
        cur += c
        i++
      }
    } else {
      while (i < n && line[i] !== ' ' && line[i] !== '\t') cur += line[i++]
    }
    out.push(cur)
  }
}

/** A file name as the manifest writes it: quoted C-style when it has spaces or special bytes (sdscatrepr). */
function quoteName(name: string): string {
  if (/^[\x21-\x7e]+$/.test(name) && !/["'\\]/.test(name)) return name
  let s = '"'
  for (const ch of Buffer.from(name, 'latin1')) {
    const c = String.fromCharCode(ch)
    if (c === '\\' || c === '"') s += '\\' + c
    else if (c === '\n') s += '\\n'
    else if (c === '\r') s += '\\r'
    else if (c === '\t') s += '\\t'
    else if (c === '\x07') s += '\\a'
    else if (c === '\b') s += '\\b'
    else if (ch >= 0x20 && ch < 0x7f) s += c
    else s += '\\x' + ch.toString(16).padStart(2, '0')
  }
  return s + '"'
}

/** Parses a manifest (src/aof.c aofLoadManifestFromFile rules). */
export function parseManifest(text: string, file: string): Manifest {
  const m: Manifest = { base: undefined, incrs: [], history: [] }
  let offset = 0
  const fail = (reason: string): never => {
    throw new AofError(reason, file, offset)
  }
  for (const raw of text.split('\n')) {
    const lineAt = offset
    offset += raw.length + 1
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.length === 0 || line[0] === '#') continue
    if (raw.length > 1024) {
      offset = lineAt
      fail('manifest line too long')
    }
    const words = splitArgs(line)
    if (words === undefined || words.length % 2 !== 0) {
      offset = lineAt
      fail('invalid AOF manifest line')
    }
    let name: string | undefined
    let seq: number | undefined
    let type: string | undefined
    for (let i = 0; i < words!.length; i += 2) {
      const k = words![i]!
      const v = words![i + 1]!
      if (k === 'file') name = v
      else if (k === 'seq') seq = /^\d+$/.test(v) ? Number(v) : NaN
      else if (k === 'type') type = v
    }
    if (name === undefined || seq === undefined || !(seq >= 0) || (type !== 'b' && type !== 'h' && type !== 'i')) {
      offset = lineAt
      fail('invalid AOF manifest line')
    }
    if (name!.includes('/')) {
      offset = lineAt
      fail('AOF file name must not contain a path')
    }
    const info: AofInfo = { name: name!, seq: seq!, type: type as FileType }
    if (type === 'b') {
      if (m.base !== undefined) {
        offset = lineAt
        fail('found more than one base AOF')
      }
      m.base = info
    } else if (type === 'h') m.history.push(info)
    else {
      const last = m.incrs[m.incrs.length - 1]
      if (last !== undefined && seq! <= last.seq) {
        offset = lineAt
        fail('incremental AOF files out of sequence order')
      }
      m.incrs.push(info)
    }
  }
  if (m.base === undefined && m.incrs.length === 0) throw new AofError('found an empty AOF manifest', file, 0)
  return m
}

function formatManifest(m: Manifest): string {
  let s = ''
  const line = (f: AofInfo): void => {
    s += `file ${quoteName(f.name)} seq ${f.seq} type ${f.type}\n`
  }
  if (m.base) line(m.base)
  for (const h of m.history) line(h)
  for (const i of m.incrs) line(i)
  return s
}

// ---------------------------------------------------------------- RESP commands

/** Growable output of RESP-encoded commands. */
class CommandBuffer {
  buf = Buffer.allocUnsafe(64 * 1024)
  len = 0

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return
    const nb = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n))
    this.buf.copy(nb, 0, 0, this.len)
    this.buf = nb
  }

  private ascii(s: string): void {
    this.ensure(s.length)
    this.len += this.buf.latin1Write(s, this.len)
  }

  /** `*argc` then `$len` + bytes per argument. Marked binary key strings are written as their bytes. */
  command(argv: ReadonlyArray<string | Buffer>): void {
    this.ascii(`*${argv.length}\r\n`)
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!
      if (typeof a === 'string' && !isBinaryKey(a)) {
        const n = a.length < 128 && /^[\x00-\x7f]*$/.test(a) ? a.length : Buffer.byteLength(a, 'utf8')
        this.ascii(`$${n}\r\n`)
        this.ensure(n + 2)
        this.len += this.buf.utf8Write(a, this.len)
      } else {
        const b = typeof a === 'string' ? keyBytes(a) : a
        this.ascii(`$${b.length}\r\n`)
        this.ensure(b.length + 2)
        b.copy(this.buf, this.len)
        this.len += b.length
      }
      this.buf[this.len++] = 13
      this.buf[this.len++] = 10
    }
  }

  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.len))
    this.len = 0
    if (this.buf.length > 1 << 22) this.buf = Buffer.allocUnsafe(64 * 1024)
    return out
  }
}

/** What `CommandReader.next` returns when the data stops in the middle of a command. */
const TRUNCATED = 'truncated' as const

/** Reads the commands of an AOF body from `start`; calls `run` for each. */
class CommandReader {
  pos: number
  /** Offset where the last complete command ended. */
  valid: number
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly file: string,
  ) {
    this.pos = start
    this.valid = start
  }

  private fail(reason: string, at: number): never {
    throw new AofError(reason, this.file, at)
  }

  /** The next command, or undefined at a clean end; TRUNCATED when the data stops mid-command. */
  next(): Array<string | Buffer> | undefined | typeof TRUNCATED {
    const b = this.buf
    const end = b.length
    // Annotations (#TS:...) are whole lines.
    while (this.pos < end && b[this.pos] === 35) {
      const nl = b.indexOf(10, this.pos)
      if (nl < 0) return TRUNCATED
      this.pos = nl + 1
      this.valid = this.pos
    }
    if (this.pos >= end) return undefined
    const at = this.pos
    if (b[this.pos] !== 42 /* * */) this.fail('bad file format reading the append only file (expected a command)', at)
    const argc = this.number(at)
    if (argc === undefined) return TRUNCATED
    // Each argument takes at least `$0\r\n\r\n`.
    if (argc < 1 || argc > (end - this.pos) / 6 + 1) {
      if (argc >= 1 && this.pos + 6 * argc > end && argc < 1 << 20) return TRUNCATED
      this.fail('bad file format reading the append only file (invalid argument count)', at)
    }
    const argv: Array<string | Buffer> = new Array(argc)
    for (let i = 0; i < argc; i++) {
      if (this.pos >= end) return TRUNCATED
      const aat = this.pos
      if (b[this.pos] !== 36 /* $ */) this.fail('bad file format reading the append only file (expected a bulk string)', aat)
      const len = this.number(aat)
      if (len === undefined) return TRUNCATED
      if (len < 0) this.fail('bad file format reading the append only file (invalid length)', aat)
      if (this.pos + len + 2 > end) return TRUNCATED
      if (b[this.pos + len] !== 13 || b[this.pos + len + 1] !== 10) this.fail('bad file format reading the append only file (missing CRLF)', this.pos + len)
      argv[i] = toValue(b, this.pos, this.pos + len)
      this.pos += len + 2
    }
    this.valid = this.pos
    return argv
  }

  /** `*N\r\n` or `$N\r\n` at pos: the number (pos moves past the CRLF); undefined when cut short. */
  private number(at: number): number | undefined {
    const b = this.buf
    let i = this.pos + 1
    let v = 0
    let digits = 0
    let neg = false
    if (b[i] === 45) {
      neg = true
      i++
    }
    for (; i < b.length; i++) {
      const c = b[i]!
      if (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48)
        if (++digits > 15) this.fail('bad file format reading the append only file (number too large)', at)
      } else break
    }
    if (i + 1 >= b.length) return undefined
    if (digits === 0 || b[i] !== 13 || b[i + 1] !== 10) this.fail('bad file format reading the append only file (invalid number)', at)
    this.pos = i + 2
    return neg ? -v : v
  }
}

// ---------------------------------------------------------------- the adapter

const SLICE = 5000

/** A write error as C's strerror words it (libuv's wording, capitalized: the same for the common ones). */
function strerror(e: unknown): string {
  const errno = (e as { errno?: unknown } | undefined)?.errno
  const known = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined
  if (known === undefined) return e instanceof Error ? e.message : String(e)
  return errno === -5 ? 'Input/output error' : known[0]!.toUpperCase() + known.slice(1)
}

/** The multi-part append-only file adapter (see {@link AofFileOptions}). */
export function aofFile(options: AofFileOptions): PersistenceAdapter & { readonly directory: string } {
  const dirname = options.dirname ?? 'appendonlydir'
  const dir = join(options.dir, dirname)
  const filename = options.filename ?? 'appendonly.aof'
  const manifestPath = join(dir, `${filename}.manifest`)
  // The store's `appendfsync` from open() on: CONFIG SET appendfsync changes it, as in Redis.
  let policy: FsyncPolicy = options.fsync ?? 'everysec'
  const loadTruncated = options.loadTruncated ?? true
  const rdbOpts: RdbWriteOptions = { compression: options.compression ?? true, checksum: options.checksum ?? true, aofBase: true }
  const warn = options.onWarning ?? ((m: string) => console.warn(m))
  const autoPct = options.autoRewritePercentage ?? 100
  const autoMin = options.autoRewriteMinSize ?? 64 * 1024 * 1024

  let manifest: Manifest | undefined
  /** The legacy single-file AOF found at load time (upgraded on open). */
  let legacy = false
  let ctx: AdapterContext | undefined
  let fd = -1
  let selectedDb = -1
  const out = new CommandBuffer()
  let flushQueued = false
  let inMulti = false
  let unsynced = false
  let timer: ReturnType<typeof setInterval> | undefined
  let lastWriteOk = true
  let writeError: unknown
  /** Size of the files right after the last rewrite (for automatic rewrites) and bytes appended since. */
  let baseSize = 0
  let appended = 0
  let closed = false

  const persistManifest = (m: Manifest): void => {
    const tmp = join(dir, `temp-${filename}.manifest`)
    const tfd = openSync(tmp, 'w')
    try {
      writeAll(tfd, Buffer.from(formatManifest(m), 'latin1'))
      fdatasyncSync(tfd)
    } finally {
      closeSync(tfd)
    }
    renameSync(tmp, manifestPath)
    fsyncDir(dir)
  }

  const nextIncr = (m: Manifest): AofInfo => {
    const seq = (m.incrs.length ? m.incrs[m.incrs.length - 1]!.seq : 0) + 1
    return { name: `${filename}.${seq}.incr.aof`, seq, type: 'i' }
  }

  /** Opens `info` for appending and makes it the current incremental file. */
  const openIncr = (info: AofInfo): void => {
    if (fd >= 0) closeSync(fd)
    fd = openSync(join(dir, info.name), 'a')
    selectedDb = -1
  }

  /** Writes what is buffered; `sync` also fsyncs. Failures are kept and retried with the next write. */
  const flushNow = (sync: boolean): void => {
    flushQueued = false
    if (fd < 0) return
    if (out.len > 0) {
      const data = out.buf.subarray(0, out.len)
      try {
        writeAll(fd, data)
        out.len = 0
        appended += data.length
        unsynced = true
        lastWriteOk = true
      } catch (e) {
        lastWriteOk = false
        writeError = e
        return
      }
    }
    if (sync && unsynced) {
      fdatasyncSync(fd)
      unsynced = false
    }
  }

  const scheduleFlush = (): void => {
    if (flushQueued) return
    flushQueued = true
    queueMicrotask(() => {
      if (flushQueued) flushNow(false)
    })
  }

  const files = (m: Manifest): AofInfo[] => (m.base ? [m.base, ...m.incrs] : m.incrs)

  /** Replays one file's commands, yielding every few thousand. */
  function* replay(session: Session, buf: Buffer, start: number, name: string, last: boolean, target: LoadTarget, done: number, total: number): Generator<void, void> {
    const r = new CommandReader(buf, start, name)
    let multiAt = -1
    let n = 0
    for (;;) {
      const at = r.pos
      const argv = r.next()
      if (argv === undefined) break
      if (argv === TRUNCATED) {
        if (!(last && loadTruncated)) throw new AofError('unexpected end of file reading the append only file', name, r.valid)
        const keep = multiAt >= 0 ? multiAt : r.valid
        warn(`${name}: the last command is incomplete (${buf.length - keep} bytes); truncating the file at offset ${keep}`)
        if (multiAt >= 0) session.execute(['DISCARD'])
        truncateSync(join(dir, name), keep)
        return
      }
      const cmd = typeof argv[0] === 'string' ? argv[0] : argv[0]!.toString('latin1')
      const lc = cmd.length <= 6 ? lower(cmd) : ''
      const resolved = resolveCommand(argv)
      if (resolved instanceof ReplyError && resolved.message.startsWith('ERR unknown command')) {
        throw new AofError(`unknown command '${printable(cmd)}' reading the append only file`, name, at)
      }
      if (lc === 'multi') multiAt = at
      else if (lc === 'exec') multiAt = -1
      const reply = session.execute(argv)
      if (reply instanceof Promise) throw new AofError(`a blocking command ('${printable(cmd)}') cannot be replayed`, name, at)
      if (++n % SLICE === 0) {
        target.progress(done + r.pos, total)
        yield
      }
    }
    if (multiAt >= 0) {
      // A transaction without its EXEC: Redis reverts it (with aof-load-truncated) or refuses the file.
      if (!(last && loadTruncated)) throw new AofError('incomplete MULTI/EXEC transaction in the append only file', name, multiAt)
      warn(`${name}: reverting an incomplete MULTI/EXEC transaction; truncating the file at offset ${multiAt}`)
      session.execute(['DISCARD'])
      truncateSync(join(dir, name), multiAt)
    }
  }

  function* loadFiles(target: LoadTarget, list: Array<{ name: string }>, bufs: Buffer[]): Generator<void, void> {
    const store = target.store
    const total = bufs.reduce((s, b) => s + b.length, 0)
    let done = 0
    const session = store.session()
    try {
      for (let i = 0; i < list.length; i++) {
        const buf = bufs[i]!
        const name = list[i]!.name
        let start = 0
        if (buf.length >= 5 && buf.toString('latin1', 0, 5) === 'REDIS') {
          const contents = yield* rdbSteps(store, buf, name, undefined, true)
          installRdb(store, contents)
          start = contents.end
        }
        yield* replay(session, buf, start, name, i === list.length - 1, target, done, total)
        done += buf.length
        target.progress(done, total)
      }
    } finally {
      session.close()
    }
  }

  /**
   * Writes a new base from the current dataset (synchronously) and starts an
   * incremental file, numbered after those of `prev` (an AOF another adapter's
   * data replaces), whose files are then removed.
   */
  const createFresh = (store: StoreCore, prev: Manifest | undefined): void => {
    mkdirSync(dir, { recursive: true })
    const seq = prev?.base ? prev.base.seq + 1 : 1
    const base: AofInfo = { name: `${filename}.${seq}.base.rdb`, seq, type: 'b' }
    const snap = KeyspaceSnapshot.sync(store.ks)
    const sink = rdbFileSink(store, snap, join(dir, base.name), rdbOpts, 'rewriteaof')
    snap.add(sink)
    void snap.run()
    sink.end()
    const m: Manifest = { base, incrs: [], history: [] }
    const incr = nextIncr(prev ?? m)
    m.incrs.push(incr)
    openIncr(incr)
    persistManifest(m)
    manifest = m
    if (prev !== undefined) {
      for (const f of [...files(prev), ...prev.history]) {
        if (f.name === base.name || f.name === incr.name) continue
        try {
          unlinkSync(join(dir, f.name))
        } catch {
          // already gone
        }
      }
    }
    baseSize = fileSize(join(dir, base.name))
    appended = 0
  }

  const adapter: PersistenceAdapter & { readonly directory: string } = {
    name: 'aof',
    directory: dir,

    load(target) {
      let list: Array<{ path: string; name: string }>
      if (existsSync(manifestPath)) {
        manifest = parseManifest(readFileSync(manifestPath, 'latin1'), manifestPath)
        list = files(manifest).map((f) => ({ path: join(dir, f.name), name: f.name }))
        for (const f of list) if (!existsSync(f.path)) throw new AofError(`file named in the manifest does not exist: ${f.name}`, manifestPath, 0)
      } else if (existsSync(join(options.dir, filename))) {
        // A single-file AOF from Redis < 7: loaded as the base, moved into the directory on open.
        legacy = true
        list = [{ path: join(options.dir, filename), name: filename }]
      } else return false
      if (!target.async) {
        drive(loadFiles(target, list, list.map((f) => readFileSync(f.path))), false)
        return true
      }
      return (async () => {
        const bufs: Buffer[] = []
        for (const f of list) bufs.push(await readFile(f.path))
        await drive(loadFiles(target, list, bufs), true)
        return true
      })()
    },

    open(c) {
      ctx = c
      const store = c.store
      const config = store.ks.config
      config.put('appendonly', true)
      config.put('appendfsync', policy)
      config.put('appenddirname', dirname)
      config.put('appendfilename', filename)
      config.watch('appendfsync', (v) => (policy = v as FsyncPolicy))
      if (legacy) {
        mkdirSync(dir, { recursive: true })
        renameSync(join(options.dir, filename), join(dir, filename))
        const m: Manifest = { base: { name: filename, seq: 1, type: 'b' }, incrs: [], history: [] }
        const incr = nextIncr(m)
        m.incrs.push(incr)
        openIncr(incr)
        persistManifest(m)
        manifest = m
      } else if (manifest === undefined) {
        // Nothing loaded from here: start from the data the store holds now (another adapter
        // may have loaded it), replacing an AOF that was not read.
        createFresh(store, existsSync(manifestPath) ? parseManifest(readFileSync(manifestPath, 'latin1'), manifestPath) : undefined)
      } else {
        let last = manifest.incrs[manifest.incrs.length - 1]
        if (last === undefined) {
          last = nextIncr(manifest)
          manifest.incrs.push(last)
          openIncr(last)
          persistManifest(manifest)
        } else openIncr(last)
        baseSize = manifest.base ? fileSize(join(dir, manifest.base.name)) : 0
        appended = files(manifest).reduce((s, f) => s + fileSize(join(dir, f.name)), 0) - baseSize
      }
      // Every second (whatever the policy now: CONFIG SET may change it): everysec's fsync and automatic rewrites.
      timer = setInterval(() => {
        if (policy === 'everysec' && unsynced && fd >= 0 && !flushQueued) {
          unsynced = false
          fdatasync(fd, () => {})
        }
        if (autoPct > 0 && !c.state.rewriteRunning && !c.state.bgsaveRunning) {
          const size = baseSize + appended
          if (size >= autoMin && (appended * 100) / Math.max(1, baseSize) >= autoPct) c.rewrite()
        }
      }, 1000)
      if (typeof timer === 'object' && 'unref' in timer) timer.unref()
    },

    effect(e: Effect) {
      if (closed) return
      if (e.db !== selectedDb) {
        out.command(['SELECT', String(e.db)])
        selectedDb = e.db
      }
      out.command(e.argv)
      // A transaction or script reports its writes framed by MULTI/EXEC: they reach the file together.
      const a0 = e.argv[0]!
      if (typeof a0 === 'string' && a0.length <= 5) {
        const u = a0.toUpperCase()
        if (u === 'MULTI') inMulti = true
        else if (u === 'EXEC') inMulti = false
      }
      if (inMulti) return
      if (policy === 'always') flushNow(true)
      else scheduleFlush()
    },

    rewrite(snap: Snapshot): SaveSink | undefined {
      if (manifest === undefined || ctx === undefined) return undefined
      const m = manifest
      // New writes go to a new incremental file from this moment on.
      flushNow(policy !== 'no')
      const incr = nextIncr(m)
      m.incrs.push(incr)
      openIncr(incr)
      persistManifest(m)
      const seq = (m.base?.seq ?? 0) + 1
      const base: AofInfo = { name: `${filename}.${seq}.base.rdb`, seq, type: 'b' }
      const inner = rdbFileSink(ctx.store, snap, join(dir, base.name), rdbOpts, 'rewriteaof')
      const swap = (): void => {
        // The new base and every incremental file from the rewrite on; the rest is history, then gone.
        const keep = m.incrs.filter((f) => f.seq >= incr.seq)
        const old = [...(m.base ? [m.base] : []), ...m.incrs.filter((f) => f.seq < incr.seq)]
        m.base = base
        m.incrs = keep
        persistManifest(m)
        for (const f of old) {
          try {
            unlinkSync(join(dir, f.name))
          } catch {
            // already gone
          }
        }
        baseSize = fileSize(join(dir, base.name))
        appended = keep.reduce((s, f) => s + fileSize(join(dir, f.name)), 0)
      }
      return {
        beginDb: inner.beginDb,
        visit: inner.visit,
        end() {
          const r = inner.end()
          if (r instanceof Promise) return r.then(swap)
          swap()
        },
        abort: inner.abort,
      }
    },

    flush() {
      flushNow(true)
    },

    close() {
      if (closed) return
      closed = true
      if (timer !== undefined) clearInterval(timer)
      try {
        flushNow(policy !== 'no')
      } finally {
        if (fd >= 0) closeSync(fd)
        fd = -1
      }
    },

    writeError() {
      return lastWriteOk ? undefined : strerror(writeError)
    },

    info() {
      const size = fd >= 0 ? fstatSync(fd).size : 0
      return [
        ['aof_enabled', 1],
        ['aof_last_write_status', lastWriteOk ? 'ok' : 'err'],
        ['aof_current_size', baseSize + appended],
        ['aof_base_size', baseSize],
        ['aof_pending_rewrite', 0],
        ['aof_buffer_length', out.len],
        ['aof_pending_bio_fsync', 0],
        ['aof_delayed_fsync', 0],
        // embedis's own, after Redis's fields.
        ['aof_current_incr_size', size],
        ['aof_fsync_policy', policy],
        ...(writeError instanceof Error && !lastWriteOk ? ([['aof_last_write_error', writeError.message]] as Array<[string, string]>) : []),
      ]
    },
  }
  return adapter
}
